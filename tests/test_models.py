"""Model families: registry, shapes, seeded sampling, hand-computed losses, train steps, determinism.

Everything runs on the CPU with one thread and tiny batches; the whole file takes a few seconds.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch

from genai_demo.models import MODELS, build, model_kinds
from genai_demo.models.base import GenerativeModel, Hyper
from genai_demo.models.dcgan import DCGAN, DCGANConfig
from genai_demo.models.gan import d_accuracy, d_loss_fn, g_loss_fn
from genai_demo.models.vae import VAE, kl_to_standard_normal, recon_bce

KINDS = ["vae", "cvae", "gan", "cgan", "dcgan"]
METRICS = {
    "vae": {"loss", "recon", "kl"},
    "cvae": {"loss", "recon", "kl"},
    "gan": {"d_loss", "g_loss", "d_acc", "d_real", "d_fake"},
    "cgan": {"d_loss", "g_loss", "d_acc", "d_real", "d_fake"},
    "dcgan": {"d_loss", "g_loss", "d_acc", "d_real", "d_fake"},
}
ASSET = Path(__file__).resolve().parents[1] / "genai_demo" / "assets" / "mnist_5k.npz"


pytestmark = pytest.mark.usefixtures("one_thread")  # see conftest.py


def small(kind: str, seed: int = 0) -> GenerativeModel:
    """A model built from a seeded global RNG; the DCGAN in its light preset to keep tests quick."""
    torch.manual_seed(seed)
    return build(kind, dataclasses.asdict(DCGANConfig.light()) if kind == "dcgan" else None)


def batch(n: int = 8, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 1, 28, 28, generator=g), torch.randint(0, 10, (n,), generator=g)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


# ---- registry --------------------------------------------------------------------------------------


def test_registry_lists_every_family():
    kinds = model_kinds()  # the image generators in order, plus the text model and the quality classifier
    assert [k for k in kinds if k in KINDS] == KINDS and set(kinds) - set(KINDS) <= {"charlm", "classifier"}
    for kind, cls in MODELS.items():
        assert cls.kind == kind  # the key stored in checkpoints is the class's own


def test_build_rejects_unknown_kind_and_bad_fields():
    with pytest.raises(ValueError, match="valid choices: vae, cvae, gan, cgan, dcgan"):
        build("diffusion")
    with pytest.raises(ValueError, match="valid fields: latent_dim"):
        build("vae", {"latent": 2})
    with pytest.raises(ValueError, match="latent_dim must be int"):
        build("vae", {"latent_dim": "2"})
    with pytest.raises(ValueError, match="positive"):
        build("vae", {"latent_dim": 0})
    with pytest.raises(ValueError, match="leak"):
        build("gan", {"leak": 1.5})


def test_build_round_trips_config_dict():
    m = build("cgan", {"z_dim": 16, "batchnorm": False, "leak": 0})  # int for a float field is fine
    assert m.config_dict() == {"z_dim": 16, "batchnorm": False, "leak": 0.0, "num_classes": 10,
                               "g_widths": (256, 512, 1024), "d_widths": (512, 256)}
    assert build("cgan", m.config_dict()).config == m.config
    assert build("dcgan", dataclasses.asdict(DCGANConfig.light())).config == DCGANConfig.light()


# ---- shapes and sampling ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_sample_shape_range_and_seeding(kind):
    m = small(kind).eval()
    a = m.sample(6, generator=gen(1))
    assert a.shape == (6, 1, 28, 28) and a.dtype == torch.float32
    assert 0 <= a.min() and a.max() <= 1
    assert torch.equal(a, m.sample(6, generator=gen(1)))  # same seed: the very same images
    assert not torch.allclose(a, m.sample(6, generator=gen(2)))  # another seed: other images
    assert m.preview(20, gen(0)).shape == (20, 28, 28)  # base's uint8 snapshot path works on top


def test_dcgan_paper_size_shapes():
    torch.manual_seed(0)
    m = DCGAN(DCGANConfig.paper()).eval()
    assert m.G(torch.zeros(2, 100)).shape == (2, 1, 28, 28)
    assert m.D(torch.zeros(3, 1, 28, 28)).shape == (3,)
    assert m.config.ngf == 64 and DCGANConfig.light().ngf < m.config.ngf


@pytest.mark.parametrize("kind", ["cvae", "cgan"])
def test_conditional_sample_respects_labels(kind):
    m = small(kind).eval()
    labels = torch.tensor([0, 1, 2, 3, 4])
    out = m.sample(5, generator=gen(3), labels=labels)
    assert out.shape == (5, 1, 28, 28)
    # z is drawn before the labels, so only the label changes here, and it changes the images
    other = m.sample(5, generator=gen(3), labels=(labels + 5) % 10)
    assert not torch.allclose(out, other)
    assert m.sample(7, generator=gen(3)).shape == (7, 1, 28, 28)  # labels drawn with the generator
    assert torch.equal(m.sample(7, generator=gen(3)), m.sample(7, generator=gen(3)))
    assert m.preview_labels(20).tolist() == [0] * 10 + [1] * 10
    with pytest.raises(ValueError, match="shape"):
        m.sample(5, generator=gen(3), labels=torch.tensor([1, 2]))


def test_vae_encode_decode_shapes():
    m = small("cvae")
    x, y = batch(4)
    mu, logvar = m.encode(x, y)
    assert mu.shape == logvar.shape == (4, 2)
    assert m.decode(mu, y).shape == (4, 1, 28, 28)
    assert m.reconstruct(x, y).shape == (4, 1, 28, 28)
    with pytest.raises(ValueError, match="labels"):
        m.encode(x)


# ---- losses against hand-computed values -----------------------------------------------------------


def softplus(v: float) -> float:
    return math.log1p(math.exp(v))


def test_d_loss_by_hand():
    real, fake = torch.tensor([0.0, 2.0]), torch.tensor([0.0, -1.0])
    # -log D(x): -log sigmoid(0) = log 2, -log sigmoid(2) = log(1 + e^-2)
    # -log(1 - D(G(z))): -log(1 - sigmoid(0)) = log 2, -log(1 - sigmoid(-1)) = log(1 + e^-1)
    expected = (math.log(2) + softplus(-2)) / 2 + (math.log(2) + softplus(-1)) / 2
    assert d_loss_fn(real, fake).item() == pytest.approx(expected, rel=1e-6)


def test_g_loss_by_hand_and_stable():
    fake = torch.tensor([0.0, 2.0])
    expected = (math.log(2) + math.log(1 + math.exp(-2))) / 2  # -log sigmoid(l), averaged
    assert g_loss_fn(fake).item() == pytest.approx(expected, rel=1e-6)
    # D certain that the fake is fake: log(sigmoid(-100)) would be log(0) = -inf; from logits it is 100
    assert g_loss_fn(torch.tensor([-100.0])).item() == pytest.approx(100.0)
    assert d_loss_fn(torch.tensor([100.0]), torch.tensor([-100.0])).item() == pytest.approx(0.0, abs=1e-6)


def test_d_accuracy_by_hand():
    # real 0.3 → D > 0.5 right; real -1 wrong; fake -2 right; fake 0.5 → D > 0.5 wrong
    assert d_accuracy(torch.tensor([0.3, -1.0]), torch.tensor([-2.0, 0.5])).item() == pytest.approx(0.5)
    # D = 0.5 exactly counts as "fake": right for the fake half, wrong for the real one
    assert d_accuracy(torch.tensor([0.0]), torch.tensor([0.0])).item() == pytest.approx(0.5)
    assert d_accuracy(torch.tensor([5.0, 1.0, 2.0]), torch.tensor([-1.0, -3.0, -0.1])).item() == 1.0


def test_kl_by_hand():
    zeros = torch.zeros(3, 2)
    assert kl_to_standard_normal(zeros, zeros).item() == 0.0  # q = prior: nothing to pay
    mu = torch.tensor([[1.0, 0.0], [0.0, 0.0]])
    logvar = torch.tensor([[0.0, math.log(2.0)], [0.0, 0.0]])
    # row 1: -0.5 * [(1 + 0 - 1 - 1) + (1 + log 2 - 0 - 2)] = 1 - 0.5 log 2 ; row 2: 0 ; mean over rows
    expected = (1 - 0.5 * math.log(2.0)) / 2
    assert kl_to_standard_normal(mu, logvar).item() == pytest.approx(expected, rel=1e-6)


def test_recon_bce_by_hand():
    logits, x = torch.tensor([[0.0, 2.0]]), torch.tensor([[1.0, 0.0]])
    # pixel 1 on: -log sigmoid(0) = log 2 ; pixel 2 off: -log(1 - sigmoid(2)) = log(1 + e^2) ; summed
    assert recon_bce(logits, x).item() == pytest.approx(math.log(2) + softplus(2), rel=1e-6)
    # mean over the batch: two identical rows give the same per-image value
    assert recon_bce(logits.repeat(2, 1), x.repeat(2, 1)).item() == pytest.approx(math.log(2) + softplus(2), rel=1e-6)


def test_vae_loss_parts_add_up():
    m = small("vae")
    x, _ = batch(4)
    parts = m.loss(x, beta=0.5, generator=gen(0))
    assert parts.loss.item() == pytest.approx(parts.recon.item() + 0.5 * parts.kl.item(), rel=1e-6)
    assert parts.kl.item() >= 0 and parts.recon.item() > 0


# ---- training ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_train_step_metrics_and_mode(kind):
    m = small(kind)
    hp = Hyper(batch_size=8)
    opts = m.make_optimizers(hp)
    x, y = batch(8)
    metrics = m.train_step(x, y, opts, hp, gen(0))
    assert set(metrics) == METRICS[kind]
    assert all(isinstance(v, float) and math.isfinite(v) for v in metrics.values())
    assert all(mod.training for mod in m.modules())
    assert all(p.requires_grad for p in m.parameters())  # the G step's temporary freeze of D is undone


@pytest.mark.parametrize("kind", KINDS)
def test_three_steps_are_deterministic(kind):
    def run():
        m = small(kind, seed=7)
        hp = Hyper(batch_size=8, d_steps=2)
        opts = m.make_optimizers(hp)
        g = gen(11)
        return [m.train_step(*batch(8, seed=s), opts, hp, g) for s in range(3)]

    first, second = run(), run()
    assert first == second


def test_gan_optimizers_and_d_steps():
    m = small("gan")
    hp = Hyper(lr=1e-3, batch_size=8, d_steps=2)
    opts = m.make_optimizers(hp)
    assert opts["g"].param_groups[0]["betas"] == (0.5, 0.999) and opts["d"].param_groups[0]["lr"] == 1e-3
    m.train_step(*batch(8), opts, hp, gen(0))

    def steps(opt):  # Adam counts its own updates per parameter
        return {int(s["step"]) for s in opt.state.values()}

    assert steps(opts["d"]) == {2} and steps(opts["g"]) == {1}
    m.train_step(*batch(8), opts, dataclasses.replace(hp, d_steps=1), gen(0))
    assert steps(opts["d"]) == {3} and steps(opts["g"]) == {2}


def test_short_vae_run_lowers_the_loss():
    data = np.load(ASSET)
    x = torch.from_numpy(data["images"][:64]).float().div(255).unsqueeze(1)  # (64, 1, 28, 28)
    y = torch.from_numpy(data["labels"][:64]).long()
    m = small("vae")
    assert isinstance(m, VAE)
    hp = Hyper(lr=1e-3, batch_size=64)
    opts = m.make_optimizers(hp)
    g = gen(0)
    losses = [m.train_step(x, y, opts, hp, g)["loss"] for _ in range(80)]
    # a fresh decoder outputs ~0.5 everywhere: 784 * log 2 ≈ 543 nats; it quickly learns the strokes
    assert np.mean(losses[-5:]) < 0.6 * np.mean(losses[:5])
