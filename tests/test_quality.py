"""Sample-quality scores: real digits score high, noise scores low, one class shows collapse, the Fréchet
distance separates real from noise, the memorisation check finds copies, the evaluate CLI prints a table.

Uses the shipped classifier checkpoints (checkpoints/classifier_*.safetensors) and the embedded MNIST-5k;
generators are tiny throwaway models saved in a temp dir. A few seconds in all.
"""
from __future__ import annotations

import dataclasses

import pytest
import torch

from genai_demo.data.datasets import load_dataset
from genai_demo.evaluate import main as evaluate_main
from genai_demo.models import build, kinds
from genai_demo.models.classifier import random_shift
from genai_demo.models.dcgan import DCGANConfig
from genai_demo.quality import metrics
from genai_demo.quality import scores as quality
from genai_demo.quality.report import Report, format_markdown, format_table, markdown_table
from genai_demo.training.checkpoints import load_checkpoint, save_checkpoint
from genai_demo.training.trainer import RunConfig, Trainer

# Held-out accuracy measured when the shipped classifiers were trained (scripts/train_classifiers.sh),
# minus a margin so a retrain with a different thread count still passes.
MIN_ACC = {"mnist5k": 0.96, "fashion": 0.88}  # measured: 0.972 (500 digits), 0.892 (10k)


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


@pytest.fixture(scope="module")
def held():
    d = load_dataset("mnist5k", "test")
    return d.float_images(), d.y


def noise(n: int = 500) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(0))


# ---- the classifier --------------------------------------------------------------------------------


@pytest.mark.parametrize("data", ["mnist5k", "fashion"])
def test_shipped_classifier_accuracy(data):
    clf, header = load_checkpoint(quality.classifier_path(data), expected_kind="classifier")
    test = load_dataset(data, "test")
    acc = float((clf.probs(test.float_images()).argmax(1) == test.y).float().mean())
    assert acc >= MIN_ACC[data], f"{data} classifier held-out accuracy {acc:.3f}"
    assert clf.num_params() < 100_000 and quality.classifier_path(data).stat().st_size < 1 << 20
    assert clf.features(test.float_images(slice(0, 4))).shape == (4, clf.config.features)


def test_classifier_cannot_sample_and_shift_keeps_ink():
    clf = build("classifier")
    with pytest.raises(NotImplementedError, match="cannot generate"):
        clf.sample(4)
    x = torch.zeros(6, 1, 28, 28)
    x[:, :, 10:18, 10:18] = 1  # a block away from the border: a ±2 px shift keeps all of it
    shifted = random_shift(x, 2, torch.Generator().manual_seed(0))
    assert torch.equal(shifted.sum((1, 2, 3)), x.sum((1, 2, 3)))
    assert not torch.equal(shifted, x)


# ---- scores of real images, noise and a collapsed set ------------------------------------------------


def test_real_images_score_high(held):
    s = quality.score_images(held[0], "mnist5k", labels=held[1], nearest=False)
    assert s["confidence"] > 0.95 and s["classes_covered"] == 10 and s["label_acc"] > 0.95
    assert sum(s["histogram"]) == 500


def test_noise_scores_low(held):
    s = quality.score_images(noise(), "mnist5k", nearest=False)
    real = quality.score_images(held[0], "mnist5k", nearest=False)
    assert s["confidence"] < 0.8 < real["confidence"]
    assert s["frechet"] > 20 * s["frechet_real"]


def test_one_class_shows_collapse(held):
    x, y = held
    s = quality.score_images(x[y == 3], "mnist5k", nearest=False)
    assert s["classes_covered"] == 1
    assert max(s["histogram"]) >= 0.9 * sum(s["histogram"]) and s["histogram"].index(max(s["histogram"])) == 3


def test_frechet_real_halves_small_noise_large(held):
    clf = quality.reference("mnist5k").clf
    x = held[0]
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    a, b = quality.features(clf, x[perm[:250]]), quality.features(clf, x[perm[250:]])
    real_real = quality.frechet_distance(*quality.gaussian_stats(a), *quality.gaussian_stats(b))
    real_noise = quality.frechet_distance(*quality.gaussian_stats(a), *quality.gaussian_stats(quality.features(clf, noise(250))))
    assert 0 < real_real < real_noise / 20
    same = quality.gaussian_stats(a)
    assert quality.frechet_distance(*same, *same) == pytest.approx(0, abs=1e-6)


def test_nearest_neighbour_of_a_training_image_is_itself():
    train = load_dataset("mnist5k", "train")
    idx = torch.tensor([0, 17, 4499])
    d, i = quality.nearest_training(train.float_images(idx), "mnist5k")
    assert d.tolist() == [0.0, 0.0, 0.0] and i.tolist() == idx.tolist()
    assert quality.training_images("mnist5k", i).shape == (3, 28, 28)
    moved, _ = quality.nearest_training(train.float_images(idx).roll(3, dims=-1), "mnist5k")
    assert (moved > 1).all()


def test_copies_show_up_in_the_memorisation_check():
    train = load_dataset("mnist5k", "train")
    fakes = torch.cat([train.float_images(slice(0, 30)), noise(30)])  # 30 copies of training digits + noise
    s = quality.score_images(fakes, "mnist5k")
    assert s["nn_dist_min"] == 0 and s["nn_index"][:30] == list(range(30)) and s["nn_dist_real"] > 3
    pairs = quality.neighbour_pairs(s, fakes, k=8)  # the 8 closest pairs: copies, sample above its original
    assert pairs.shape == (2 * 30 + 2, 8 * 30 + 2) and pairs.dtype.name == "uint8"
    assert (pairs[2:30, 2:30] == pairs[32:60, 2:30]).all()
    md = format_markdown(Report.of(s))
    assert "| nearest training image | " in md and "Class histogram" in md
    assert md.startswith(markdown_table(Report.of(s))) and "Class histogram" not in markdown_table(Report.of(s))


# ---- generators: judge, VAE scores, the Trainer's held-out readout ------------------------------------


def tiny(kind: str, seed: int = 0):
    torch.manual_seed(seed)
    return build(kind, dataclasses.asdict(DCGANConfig.light()) if kind == "dcgan" else None).eval()


@pytest.mark.parametrize("kind", ["vae", "cvae", "gan", "cgan", "dcgan"])
def test_judge_every_generator(kind):
    s = quality.judge(tiny(kind), "mnist5k", n=100, seed=0)
    assert s["n"] == 100 and s["samples"].shape == (100, 28, 28) and len(s["nn_index"]) == 100
    assert 0 <= s["confidence"] <= 1 and s["frechet"] > 0
    assert ("label_acc" in s) == kind.startswith("c")
    if kind in ("vae", "cvae"):
        assert s["neg_elbo"] == pytest.approx(s["recon_nats"] + s["kl"], rel=1e-5)
        assert 0 <= s["recon_mse"] <= 1 and s["recon_ssim"] <= 1
    assert quality.judge(tiny(kind), "mnist5k", n=100, seed=0)["histogram"] == s["histogram"]  # seeded
    report = Report.of(s)
    assert report.histogram == s["histogram"] and len(report.class_names) == len(s["histogram"])
    assert [r.metric for r in report.rows][:2] == ["classifier confidence", "classes covered"]
    table = format_table(report)
    assert "classifier confidence" in table and "class histogram" in table and ("negative ELBO" in table) == ("vae" in kind)


def test_judge_refuses_live_and_non_generative_models():
    with pytest.raises(ValueError, match="eval-mode copy"):
        quality.judge(build("gan").train(), "mnist5k", n=50)
    with pytest.raises(ValueError, match="image generator"):
        quality.judge(build("classifier").eval(), "mnist5k", n=50)


def test_live_scores_are_memoised_per_snapshot():
    m = tiny("gan")
    first = quality.live_scores(m, "mnist5k", n=60)
    assert quality.live_scores(m, "mnist5k", n=60) is first and "nn_dist" not in first


def test_vae_evaluate_is_held_out_neg_elbo_and_reaches_the_trainer():
    test = load_dataset("mnist5k", "test")
    vae = tiny("vae")
    ev = vae.evaluate(test, torch.Generator().manual_seed(2))
    ref = metrics.neg_elbo(vae, test.float_images(), None, torch.Generator().manual_seed(2))
    assert ev["val_loss"] == pytest.approx(ev["val_recon"] + ev["val_kl"], rel=1e-5)
    assert ev["val_loss"] == pytest.approx(ref["neg_elbo"], rel=0.02)  # same 500 images, same noise stream
    cfg = RunConfig(kind="cvae", steps=4, publish_every=2, snapshot_every=2, preview_n=10, device="cpu")
    t = Trainer(cfg, load_dataset("mnist5k", "train"), test_data=test)
    t.start()
    assert t.join(30)
    evals = t.snapshot().evals
    assert evals["step"] == [0.0, 2.0, 4.0] and len(evals["val_loss"]) == 3 and evals["val_loss"][-1] > 0


# ---- the CLI ----------------------------------------------------------------------------------------


def test_evaluate_cli_prints_a_table(tmp_path, capsys):
    path = save_checkpoint(tmp_path / "cgan.safetensors", tiny("cgan"), {"data": "mnist5k", "steps": 0})
    assert evaluate_main([str(path), "--n", "60"]) == 0
    out = capsys.readouterr().out
    assert "CGAN on mnist5k · 60 samples (seed 0)" in out and "label accuracy" in out and "Fréchet distance" in out


def test_evaluate_cli_scores_several_seeds_and_their_spread(tmp_path, capsys):
    model = tiny("vae")
    path = save_checkpoint(tmp_path / "vae.safetensors", model, {"data": "mnist5k", "steps": 0})
    assert evaluate_main([str(path), "--n", "60", "--seeds", "3,0-1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split() == ["seed", "confidence", "Fréchet", "-ELBO", "classes", "rarest", "class"]
    rows = {int(line.split()[0]): line.split() for line in lines[2:5]}
    assert list(rows) == [3, 0, 1]  # in the order asked, each once
    one = quality.judge(model, "mnist5k", n=60, seed=0, nearest=False)  # a seed's line is that seed's judgement
    rare = min(range(10), key=one["histogram"].__getitem__)
    assert rows[0][1:5] == [f"{one['confidence']:.3f}", f"{one['frechet']:.2f}", f"{one['neg_elbo']:.2f}",
                            f"{one['classes_covered']}/10"]
    assert rows[0][5] == str(one["histogram"][rare])
    assert lines[5].startswith("mean ± sd over 3 seeds: confidence ") and "-ELBO" in lines[5]


@pytest.mark.parametrize("bad", [["--seeds", "a"], ["--seeds", "-1"], ["--seeds", "3-1"], ["--seeds", "0-20"],
                                 ["--seeds", "0,"], ["--seeds", "0-9,10-19,20"], ["--seeds", "0-2", "--seed", "1"]])
def test_evaluate_cli_refuses_a_bad_seed_list(tmp_path, capsys, bad):
    path = save_checkpoint(tmp_path / "gan.safetensors", tiny("gan"), {"data": "mnist5k", "steps": 0})
    with pytest.raises(SystemExit):
        evaluate_main([str(path), *bad])
    assert "--seeds" in capsys.readouterr().err


def test_evaluate_cli_refuses_non_generators_and_missing_files(tmp_path, capsys):
    assert evaluate_main([str(quality.classifier_path("mnist5k"))]) == 2
    assert "evaluate scores image generators only" in capsys.readouterr().err
    assert evaluate_main([str(tmp_path / "nope.safetensors")]) == 2
    assert "no checkpoint file" in capsys.readouterr().err


def test_shipped_generators_evaluate():
    """Whatever generative checkpoints ship in checkpoints/ load and score (quick: 100 samples, no NN search)."""
    from genai_demo.training.zoo import load_pretrained, pretrained

    for src in pretrained(kinds(quality=True)):
        model, _ = load_pretrained(src.key.split(":", 1)[1])
        s = quality.judge(model, src.data, n=100, nearest=False)
        assert s["classes_covered"] >= 5, src.key
