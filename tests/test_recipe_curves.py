"""The offline recipe writes its run's curves into the file's header (training/curves_io.py: CurveLog), so a shipped
model opened in the Train tab shows how it got there: training metrics averaged over windows, held-out metrics at each
evaluation, a later stage's file holding every stage's curves — and none of it changes the weights."""
from __future__ import annotations

import math

import pytest
import torch

from genai_demo.models import kinds
from genai_demo.models.vae import VAE
from genai_demo.training import curves_io, recipe, resume
from genai_demo.training.checkpoints import load_checkpoint, read_metadata

VAE_ARGS = ["--model", "vae", "--steps", "8", "--eval-every", "4", "--eval-n", "200", "--batch-size", "16"]


def test_curve_log_averages_windows_and_counts_from_its_offset():
    log = curves_io.CurveLog(every=3, offset=100)
    for step in range(1, 8):
        log.step(step, {"loss": float(step), "kl": 10.0 * step})
    log.evaluated(6, {"val_loss": 2.5})
    log.evaluated(7, {})  # a family without held-out metrics (the GANs): nothing drawn
    assert log.history == {"step": [103.0, 106.0], "loss": [2.0, 5.0], "kl": [20.0, 50.0]}  # step 7: an open window
    assert log.evals == {"step": [106.0], "val_loss": [2.5]}
    again = curves_io.CurveLog.from_state(log.state())
    for log_ in (log, again):  # a stopped recipe's log goes on where it was, mid-window included
        log_.step(8, {"loss": 8.0, "kl": 80.0})
        log_.step(9, {"loss": 9.0, "kl": 90.0})
    assert again.history == log.history and log.history["loss"][-1] == 8.0
    packed = log.packed(106)
    assert packed["history"]["step"] == [103.0, 106.0]  # not past the kept weights' step


def test_a_recipe_file_holds_its_curves_and_the_train_tab_draws_them(tmp_path, capsys):
    out = tmp_path / "v.safetensors"
    recipe.main(VAE_ARGS + ["--out", str(out)])
    meta = read_metadata(out)["meta"]
    history, evals = curves_io.unpack(meta["curves"], meta["steps"])  # passes the loader's own checks
    assert history["step"] == [float(s) for s in range(1, meta["steps"] + 1)]  # 8 steps: a window each
    assert set(history) == {"step", "loss", "recon", "kl"} and all(math.isfinite(v) for v in history["loss"])
    assert evals["step"] == [float(s) for s in (4, 8) if s <= meta["steps"]] and "val_loss" in evals
    loaded = resume.read(out, kinds(view="train"), ["mnist5k"], more_steps=10)
    assert loaded.curves is not None and loaded.curves[0]["step"] == history["step"]


def test_a_later_stage_keeps_the_earlier_stages_curves(tmp_path, capsys):
    first, second = tmp_path / "one.safetensors", tmp_path / "two.safetensors"
    recipe.main(["--model", "gan", "--steps", "4", "--eval-every", "2", "--eval-n", "200", "--out", str(first)])
    recipe.main(["--model", "gan", "--steps", "3", "--eval-every", "3", "--eval-n", "200", "--init", str(first),
                 "--out", str(second)])
    one, two = read_metadata(first)["meta"], read_metadata(second)["meta"]
    h1, e1 = curves_io.unpack(one["curves"], one["steps"])
    h2, e2 = curves_io.unpack(two["curves"], two["steps"])
    n = len(h1["step"])
    assert h2["step"][:n] == h1["step"] and h2["d_loss"][:n] == h1["d_loss"]  # stage 1 first, as it was
    assert h2["step"][n:] == [float(one["steps"] + s) for s in (1, 2, 3)]  # then stage 2, counted on from its file
    assert e1 == e2 == {}  # GANs have no held-out loss to draw


def test_the_curves_use_no_random_numbers(monkeypatch):
    """The shipped files were re-made with curves by their own commands: the same weights, bit for bit."""
    r = recipe.Recipe(model="vae", data="mnist5k", steps=6, lr=1e-3, batch_size=16, eval_every=3, eval_n=200,
                      binarize=True, augment=1)
    with_curves, record = recipe.train(r, log=lambda s: None)
    assert record["curves"]["evals"]["step"]

    class NoLog(curves_io.CurveLog):
        def step(self, step, metrics):
            pass

    monkeypatch.setattr(curves_io, "CurveLog", NoLog)
    monkeypatch.setattr(VAE, "evaluate", lambda self, data, generator: {})
    without, record = recipe.train(r, log=lambda s: None)
    assert not record["curves"]["history"] and not record["curves"]["evals"]
    for name, v in with_curves.state_dict().items():
        assert torch.equal(v, without.state_dict()[name]), name


@pytest.mark.parametrize("name", ["vae_mnist5k", "gan_mnist5k", "cgan_mnist5k", "cvae_mnist5k", "vae_fashion",
                                  "charlm_names", "charlm_tang"])
def test_the_shipped_models_made_again_with_curves_carry_them(name):
    path = f"checkpoints/{name}.safetensors"
    meta = read_metadata(path)["meta"]
    curves = curves_io.unpack(meta.get("curves"), meta["steps"])
    assert curves is not None and curves[0]["step"][-1] <= meta["steps"]
    assert load_checkpoint(path)[0] is not None
