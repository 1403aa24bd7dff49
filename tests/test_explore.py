"""The latent-space maths behind the Latent explorer and GAN studio (explore.py), SSIM / MSE, the map picture."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from genai_demo.data import images
from genai_demo.data.datasets import load_dataset
from genai_demo.explore import latent as explore
from genai_demo.explore import plots
from genai_demo.models import build
from genai_demo.models.base import Hyper
from genai_demo.quality.metrics import mse, ssim


def _frozen(model):
    return model.eval().requires_grad_(False)


@pytest.fixture(scope="module")
def vae():
    """A small 2-D VAE trained for a few hundred steps (~2 s): enough for 0s and 1s to land apart."""
    torch.manual_seed(0)
    model = build("vae", {"hidden1": 128, "hidden2": 64})
    data = load_dataset("mnist5k", "train")
    hp, g = Hyper(lr=2e-3, batch_size=128), torch.Generator().manual_seed(0)
    opts = model.make_optimizers(hp)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is several times faster on a busy 2-core machine
    try:
        for _ in range(300):
            x, y = data.batch(hp.batch_size, g)
            model.train_step(x, y, opts, hp, g)
    finally:
        torch.set_num_threads(threads)
    return _frozen(model)


@pytest.fixture(scope="module")
def held_out():
    return load_dataset("mnist5k", "test")


# ---------------------------------------------------------------------------------------------------
# interpolation


def test_lerp_midpoint_and_endpoints():
    a, b = torch.tensor([1.0, -2.0, 3.0]), torch.tensor([3.0, 2.0, -1.0])
    assert torch.allclose(explore.lerp(a, b, 0.5), (a + b) / 2)
    path = explore.interpolate(a, b, 5, "lerp")
    assert path.shape == (5, 3)
    assert torch.allclose(path[0], a) and torch.allclose(path[-1], b)


def test_slerp_endpoints_norm_and_midpoint():
    g = torch.Generator().manual_seed(1)
    a = torch.randn(100, generator=g)
    b = torch.randn(100, generator=g)
    b = b / b.norm() * a.norm()  # equal norms: slerp stays on the sphere
    path = explore.interpolate(a, b, 9, "slerp")
    assert torch.allclose(path[0], a, atol=1e-5) and torch.allclose(path[-1], b, atol=1e-5)
    assert torch.allclose(path.norm(dim=1), a.norm().expand(9), rtol=1e-5)
    assert explore.lerp(a, b, 0.5).norm() < 0.9 * a.norm()  # the straight line cuts through the low-norm middle
    e1, e2 = torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0])
    assert torch.allclose(explore.slerp(e1, e2, 0.5), torch.tensor([1.0, 1.0]) / math.sqrt(2), atol=1e-6)


def test_slerp_parallel_falls_back_to_lerp_and_bad_args():
    a = torch.tensor([1.0, 2.0])
    assert torch.allclose(explore.slerp(a, 2 * a, 0.5), 1.5 * a)
    with pytest.raises(ValueError, match="lerp"):
        explore.interpolate(a, a, 4, "cubic")
    with pytest.raises(ValueError, match="steps"):
        explore.interpolate(a, a, 1)


# ---------------------------------------------------------------------------------------------------
# SSIM / MSE


def test_ssim_identity_noise_and_luminance():
    x = load_dataset("mnist5k", "test").float_images(slice(0, 4))  # (4, 1, 28, 28)
    assert ssim(x, x) == pytest.approx(1.0)
    assert mse(x, x) == 0.0
    g = torch.Generator().manual_seed(0)
    noisy = [(x + s * torch.randn(x.shape, generator=g)).clamp(0, 1) for s in (0.05, 0.2, 0.5)]
    scores = [ssim(x, n) for n in noisy]
    assert 1 > scores[0] > scores[1] > scores[2] and scores[2] < 0.6  # more noise, less similar
    assert ssim(x, noisy[1]) == pytest.approx(ssim(noisy[1], x))  # symmetric
    # two flat images: only the luminance term is left, (2ab + C1) / (a^2 + b^2 + C1)
    a, b, c1 = 0.2, 0.6, 0.01**2
    assert ssim(torch.full((28, 28), a), torch.full((28, 28), b)) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1))
    assert mse(np.zeros((28, 28), np.uint8), np.full((28, 28), 255, np.uint8)) == pytest.approx(1.0)


def test_ssim_matches_the_paper_formula_on_one_window():
    """On 11x11 images the window fits once: SSIM is eq. 13 of Wang et al. with Gaussian-weighted statistics."""
    rng = np.random.default_rng(0)
    a, b = rng.random((11, 11)), rng.random((11, 11))
    t = np.arange(11) - 5
    w = np.exp(-(t[:, None] ** 2 + t[None, :] ** 2) / (2 * 1.5**2))
    w /= w.sum()
    ma, mb = (w * a).sum(), (w * b).sum()
    va, vb, cov = (w * (a - ma) ** 2).sum(), (w * (b - mb) ** 2).sum(), (w * (a - ma) * (b - mb)).sum()
    c1, c2 = 0.01**2, 0.03**2
    expected = (2 * ma * mb + c1) * (2 * cov + c2) / ((ma**2 + mb**2 + c1) * (va + vb + c2))
    assert ssim(a, b) == pytest.approx(expected, rel=1e-9)


def test_metrics_reject_mismatched_shapes():
    with pytest.raises(ValueError, match="shape"):
        ssim(torch.zeros(28, 28), torch.zeros(27, 28))
    with pytest.raises(ValueError, match="at least 11"):
        ssim(torch.zeros(8, 8), torch.zeros(8, 8))


# ---------------------------------------------------------------------------------------------------
# decode / encode / manifold / latent map


def test_decode_shapes_and_range(vae):
    imgs = explore.decode(vae, [[0.0, 0.0], [1.0, -2.0], [3.0, 3.0]])
    assert imgs.shape == (3, 1, 28, 28) and imgs.min() >= 0 and imgs.max() <= 1
    with pytest.raises(ValueError, match="2-D latent"):
        explore.decode(_frozen(build("gan")), [[0.0, 0.0]])


def test_cvae_needs_a_label():
    cvae = _frozen(build("cvae", {"hidden1": 32, "hidden2": 16}))
    assert explore.decode(cvae, [[0, 0], [1, 1]], 3).shape == (2, 1, 28, 28)
    with pytest.raises(ValueError, match="choose a class"):
        explore.decode(cvae, [[0, 0]])
    with pytest.raises(ValueError, match="0..9"):
        explore.decode(cvae, [[0, 0]], 12)


def test_manifold_layout_and_quantiles(vae):
    m = explore.manifold(vae, grid=7, span=2.0)
    assert m.shape == (49, 1, 28, 28)
    # row-major, top row z2 = +span, left column z1 = -span (z2 points up, as in a plot)
    assert torch.allclose(m[0], explore.decode(vae, [[-2.0, 2.0]])[0], atol=1e-6)
    assert torch.allclose(m[6], explore.decode(vae, [[2.0, 2.0]])[0], atol=1e-6)
    assert torch.allclose(m[42], explore.decode(vae, [[-2.0, -2.0]])[0], atol=1e-6)
    q = explore.grid_axis(7, 2.0, "quantile")
    assert q[0] == pytest.approx(-2.0, abs=1e-4) and q[-1] == pytest.approx(2.0, abs=1e-4)
    assert torch.allclose(q, -q.flip(0), atol=1e-5) and (q.diff() > 0).all()
    assert q.diff()[3] < q.diff()[0]  # denser near 0, where the prior has its mass


def test_encode_lands_near_its_class_cluster(vae, held_out):
    mu, labels = explore.latent_map(vae, held_out)
    assert mu.shape == (500, 2) and labels.shape == (500,) and np.isfinite(mu).all()
    centroids = np.stack([mu[labels == c].mean(0) for c in range(10)])  # (10, 2)
    train = load_dataset("mnist5k", "train")
    hits = 0
    for c in (0, 1):
        idx = torch.nonzero(train.y == c)[:20, 0]
        for x in train.float_images(idx):
            z = explore.encode_image(vae, x).numpy()
            assert z.shape == (2,) and np.isfinite(z).all()
            hits += int(np.argmin(np.linalg.norm(centroids[[0, 1]] - z, axis=1)) == c)
    assert hits >= 32, f"only {hits}/40 training 0s and 1s encode nearer their own held-out cluster"


def test_reconstruct_reports_mse_and_ssim(vae, held_out):
    x = held_out.float_images(0)[0]  # (1, 28, 28)
    recon, err, sim = explore.reconstruct(vae, x)
    assert recon.shape == (1, 28, 28)
    assert 0 <= err < 0.1 and -1 <= sim <= 1
    assert err == pytest.approx(mse(recon, x)) and sim == pytest.approx(ssim(recon, x))


def test_cache_returns_the_same_object_and_stays_bounded(vae, held_out):
    explore.clear_cache()
    assert explore.latent_map(vae, held_out) is explore.latent_map(vae, held_out)
    assert explore.manifold(vae, 9) is explore.manifold(vae, 9)
    assert explore.manifold(vae, 9) is not explore.manifold(vae, 9, step=5)  # a new snapshot step recomputes
    other = _frozen(build("vae", {"hidden1": 16, "hidden2": 8}))
    assert explore.manifold(other, 9) is not explore.manifold(vae, 9)
    with pytest.raises(ValueError):
        explore.latent_map(vae, held_out)[0][0, 0] = 1.0  # shared by all visitors: read-only
    for i in range(explore.CACHE_SIZE + 5):
        explore.manifold(vae, 3, span=1.0 + i / 10)
    assert len(explore._cache) <= explore.CACHE_SIZE


def test_map_picture_geometry(vae, held_out):
    base, geo = explore.map_picture(vae, held_out, grid=10, extent=4.0)
    assert geo.size == 280 and geo.extent == 4.0
    x, y = geo.z_to_px(1.5, -2.0)
    assert geo.px_to_z(x, y) == pytest.approx((1.5, -2.0))
    assert geo.px_to_z(0, 0) == (-4.0, 4.0)  # clicks in the margin snap to the plot's edge
    marked = plots.with_markers(base, geo, a=(1, 1), b=(-1, -1), drawn=(9, 9))
    assert marked.size == base.size and np.asarray(marked).tobytes() != np.asarray(base).tobytes()
    assert base is explore.map_picture(vae, held_out, grid=10, extent=4.0)[0]  # markers never touch the cached base


# ---------------------------------------------------------------------------------------------------
# GANs: walks and seeded samples


def test_latent_walk_gan_endpoints_and_modes():
    torch.manual_seed(0)
    gan = _frozen(build("gan"))
    for mode in ("lerp", "slerp"):
        walk = explore.latent_walk(gan, 3, 4, steps=6, mode=mode)
        assert walk.shape == (6, 1, 28, 28) and walk.min() >= 0 and walk.max() <= 1
        assert torch.allclose(walk[0], explore.generate(gan, explore.seed_noise(gan, 3))[0], atol=1e-5)
        assert torch.allclose(walk[-1], explore.generate(gan, explore.seed_noise(gan, 4))[0], atol=1e-5)
    assert torch.equal(explore.seed_noise(gan, 3), explore.seed_noise(gan, 3))
    cgan = _frozen(build("cgan"))
    assert explore.latent_walk(cgan, 1, 2, 4, "slerp", label=7).shape == (4, 1, 28, 28)


def test_samples_are_seeded_and_checked():
    torch.manual_seed(0)
    gan, cgan = _frozen(build("gan")), _frozen(build("cgan"))
    assert torch.equal(explore.samples(gan, 16, 5), explore.samples(gan, 16, 5))
    assert not torch.equal(explore.samples(gan, 16, 5), explore.samples(gan, 16, 6))
    rows = explore.class_rows(3)
    assert rows.tolist() == [c for c in range(10) for _ in range(3)]
    assert explore.samples(cgan, 30, 0, rows).shape == (30, 1, 28, 28)
    with pytest.raises(ValueError, match="between 1 and 400"):
        explore.samples(gan, 0, 0)
    grid = images.make_grid(explore.samples(gan, 16, 0), nrow=4)
    assert grid.dtype == np.uint8 and grid.shape == (4 * 30 + 2, 4 * 30 + 2)
