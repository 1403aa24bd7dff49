"""Show as PyTorch code: the exported script compiles, needs only torch and numpy, and trains like the app's run.

Each check trains the same model twice for 200 steps — once with the app's Trainer, once by running the exported file
in a subprocess (nice'd, one thread) — and compares the final averaged loss (within 10 %) and the sample-quality
meter's confidence on the 100 preview samples (within 0.05).
"""
from __future__ import annotations

import ast
import subprocess
import sys

import numpy as np
import pytest
import torch

from genai_demo.export import source, standalone
from genai_demo.export.script import ExportError, script_for
from genai_demo.models import build, family
from genai_demo.models.base import Hyper
from genai_demo.quality.scores import score_images
from genai_demo.training.factory import make_trainer
from genai_demo.training.settings import checked

STEPS = 200
BATCH = 32  # the smallest batch that keeps the meter's comparison meaningful: both runs use it, so the check is the same


def app_run(kind: str, seed: int = 3, steps: int = STEPS, batch_size: int = BATCH):
    """The app's own run: the Trainer from the Train tab's settings, metrics averaged every 10 steps."""
    s = checked({"model": kind, "steps": steps, "seed": seed, "batch_size": batch_size})
    t = make_trainer(s, live=True)
    t.cfg.publish_every = 10
    t.start()
    assert t.join(120)
    snap = t.snapshot()
    assert snap.state == "finished", snap.error
    return s, snap


def exported(tmp_path, s, snap) -> tuple[str, dict, np.ndarray]:
    code = script_for(s.model, s.data, snap.model.config_dict(), vars(snap.hp), s.steps, s.seed, "test")
    path = tmp_path / "run.py"
    path.write_text(code)
    out = subprocess.run(["nice", "-n", "10", sys.executable, str(path), "--steps", str(s.steps), "--log-every", "10",
                          "--threads", "1", "--out", str(tmp_path / "s.png"), "--npy", str(tmp_path / "s.npy")],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    last = [line for line in out.stdout.splitlines() if line.startswith("step ")][-1].split()  # "step 200  loss 180.1 …"
    metrics = {last[i]: float(last[i + 1]) for i in range(2, len(last), 2)}
    if s.model == "charlm":  # text: 12 generated lines
        return code, metrics, (tmp_path / "s.png").read_text(encoding="utf-8").splitlines()
    assert (tmp_path / "s.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return code, metrics, np.load(tmp_path / "s.npy")


def meter(images_u8: np.ndarray, data: str) -> float:
    return score_images(torch.from_numpy(images_u8).float().div(255)[:, None], data, nearest=False)["confidence"]


def app_samples(snap, seed: int) -> np.ndarray:
    return standalone.sample_images(snap.model, 100, seed + 1)


@pytest.mark.parametrize("kind,metric", [("vae", "loss"), ("gan", "g_loss")])
def test_exported_script_trains_like_the_app(tmp_path, one_thread, kind, metric):
    s, snap = app_run(kind)
    code, metrics, samples = exported(tmp_path, s, snap)
    app_loss = snap.history[metric][-1]  # the mean over steps 191-200, as the script's last line
    assert abs(metrics[metric] - app_loss) <= 0.10 * abs(app_loss), (metrics, app_loss)
    assert abs(meter(samples, s.data) - meter(app_samples(snap, s.seed), s.data)) <= 0.05
    # standalone: no genai_demo import, only torch / numpy / the standard library
    roots = {(n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
             for n in ast.walk(ast.parse(code)) if isinstance(n, ast.Import | ast.ImportFrom) for a in n.names}
    assert roots <= set(sys.stdlib_module_names) | {"torch", "numpy"}, roots


def test_script_holds_the_package_source_and_the_run_settings():
    code = script_for("cgan", "mnist5k", build("cgan").config_dict(), {"lr": 3e-4, "batch_size": 32, "d_steps": 2},
                      1234, 42, "run r9")
    compile(code, "cgan.py", "exec")
    assert "[MO14]" in code and "[Goo14 eq. 1]" in code  # the paper references travel with the classes
    assert "class CGAN(GAN):" in code and "def d_loss_fn(" in code
    assert "Family(" not in code  # the app's registry facts are dropped
    assert "'lr': 0.0003" in code and "'batch_size': 32" in code and "'d_steps': 2" in code and "'seed': 42" in code
    assert "'steps': 1234" in code and "MODEL_CLASS = CGAN" in code


def test_dcgan_light_preset_and_its_layers():
    code = script_for("dcgan", "fashion", {**build("dcgan").config_dict(), **family("dcgan").light}, vars(Hyper()), 10, 0, "x")
    compile(code, "dcgan.py", "exec")
    assert "'ngf': 16" in code and "class ConvGenerator" in code and "[Rad16 §3]" in code
    assert "fashion-mnist" in code  # the data folder the app reads Fashion-MNIST from


def test_the_tiny_gpt_exports_too(tmp_path, one_thread):
    s, snap = app_run("charlm", steps=40, batch_size=8)  # a transformer step costs more: a shorter check
    _, metrics, lines = exported(tmp_path, s, snap)
    app_loss = snap.history["loss"][-1]
    assert abs(metrics["loss"] - app_loss) <= 0.10 * app_loss, (metrics, app_loss)
    assert len(lines) == 12 and all(set(line) <= set(snap.model.vocab) for line in lines)


def test_what_cannot_be_exported_is_refused_with_a_key():
    for kind, data in (("classifier", "mnist5k"), ("charlm", "mnist5k"), ("vae", "own-images")):
        with pytest.raises(ExportError) as e:
            script_for(kind, data, {}, {}, 10, 0, "x")
        assert e.value.key == "zoo_code_unsupported"


@pytest.mark.parametrize("corpus", ["names", "tang"])
def test_standalone_text_loader_matches_the_package(corpus):
    from genai_demo.data.text import ASSETS, CORPORA, load_text_dataset
    for split in ("train", "test"):
        mine = standalone.load_text(str(ASSETS / CORPORA[corpus].file), split, CORPORA[corpus].verse)
        ref = load_text_dataset(corpus, split)
        assert mine.vocab == ref.vocab and mine.aligned == ref.aligned and mine.block_size == ref.block_size
        for a in ("tokens", "units", "unit_len"):
            assert torch.equal(getattr(mine, a), getattr(ref, a)), a


def test_merged_imports_sort_and_merge():
    block = source.merged_imports(["import torch", "from typing import Any", "import dataclasses",
                                   "from typing import ClassVar", "import torch"])
    assert block == "import dataclasses\nfrom typing import Any, ClassVar\n\nimport torch\n"


def test_standalone_loader_matches_the_package_split():
    from genai_demo.data.datasets import MNIST5K_PATH, load_dataset
    x, y = standalone.load_images("mnist5k", str(MNIST5K_PATH), "train")
    ref = load_dataset("mnist5k", "train")
    assert np.array_equal(x, ref.x.numpy()) and np.array_equal(y.astype(np.int64), ref.y.numpy())


def test_a_class_preset_run_exports_its_narrower_layers(tmp_path, one_thread):
    s = checked({"model": "gan", "preset": "class", "steps": 5, "seed": 1})
    t = make_trainer(s, live=True)
    t.start()
    assert t.join(60)
    snap = t.snapshot()
    code, metrics, images = exported(tmp_path, s, snap)
    assert "(64, 128, 256)" in code or "[64, 128, 256]" in code  # the run's config travels into the script
    assert images.shape[1:] == (28, 28) and np.isfinite(list(metrics.values())).all()
