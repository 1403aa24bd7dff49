"""The 2-D GAN game's engine: data and modes, losses and arrows, determinism, metrics and the collapse detector."""
from __future__ import annotations

import math

import pytest
import torch

from genai_demo.explore.toy_data import DISTRIBUTIONS, EXTENT, MAX_CUSTOM_POINTS, check_points, custom, make_data
from genai_demo.explore.toy_gan import ToyConfig, ToyGAN, g_loss_per_point
from genai_demo.explore.toy_metrics import HOLD_STEPS, CollapseDetector, Coverage, coverage, js_divergence
from genai_demo.models.gan import g_loss_fn

pytestmark = pytest.mark.usefixtures("one_thread")


def one_sentence(msg: str) -> bool:
    return msg.endswith(".") and "\n" not in msg and "Error" not in msg and "Traceback" not in msg


# ---- data ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DISTRIBUTIONS))
def test_real_samples_cover_every_mode_and_are_seeded(name):
    data = make_data(name)
    x = data.sample(4000, torch.Generator().manual_seed(0))
    assert x.shape == (4000, 2) and x.dtype == torch.float32
    assert x.abs().max() < EXTENT  # the plane holds the data
    assert torch.equal(x, data.sample(4000, torch.Generator().manual_seed(0)))
    cov = coverage(x, data)  # the "near" rule must count the data itself as covering everything
    assert cov.covered == data.modes and cov.on_data > 0.95
    assert math.isclose(float(data.weights.sum()), 1.0, rel_tol=1e-6)


def test_modes_of_the_named_distributions():
    assert {n: make_data(n).modes for n in DISTRIBUTIONS} == {"ring8": 8, "grid25": 25, "moons": 8, "spiral": 10, "line": 6}


def test_custom_points_become_a_density_with_clustered_modes():
    pts = [[-1, -1], [-1.05, -1.02], [-0.98, -1.01], [1, 1], [1.03, 0.97]]
    data = custom(pts)
    assert data.modes == 2 and data.weights.tolist() == pytest.approx([0.6, 0.4])
    x = data.sample(3000, torch.Generator().manual_seed(1))
    assert coverage(x, data).covered == 2
    assert torch.equal(make_data("custom", pts).centres, data.centres)


@pytest.mark.parametrize("points", [
    None, "1,2", [], [[0, 0]], [[0, 0], [1, 1]], [[0, 0, 0]] * 4, [[0, "a"]] * 4, [[0, float("nan")]] * 4,
    [[0, 0], [0, 0], [3, 0]], [[0, 0]] * (MAX_CUSTOM_POINTS + 1), [[1e300, 0]] * 3,
])
def test_bad_custom_points_give_one_sentence(points):
    with pytest.raises(ValueError) as e:
        check_points(points)
    assert one_sentence(str(e.value)), str(e.value)


def test_config_takes_whole_floats_and_number_strings_as_a_page_sends_them():
    cfg = ToyConfig(noise_dim=3.0, lr_d="0.004")
    assert cfg.noise_dim == 3 and isinstance(cfg.noise_dim, int) and cfg.lr_d == 0.004


def test_unknown_distribution_and_bad_config_give_one_sentence():
    with pytest.raises(ValueError) as e:
        make_data("swiss roll" * 20)
    assert one_sentence(str(e.value)) and len(str(e.value)) < 160
    for bad in ({"noise_dim": 0}, {"hidden": 1000}, {"lr_d": 0}, {"lr_g": 5}, {"optimizer": "rmsprop"},
                {"loss": "wasserstein"}, {"d_steps": 0}, {"batch": 4}, {"seed": -1}, {"layers": 9},
                {"noise_dim": 2.5}, {"hidden": "wide"}, {"lr_g": "fast"}, {"seed": float("nan")}, {"batch": True}):
        with pytest.raises(ValueError) as e:
            ToyConfig(**bad)
        assert one_sentence(str(e.value))


# ---- the game's maths ----------------------------------------------------------------------------------


def test_losses_match_the_papers_and_minimax_saturates():
    logits = torch.tensor([-8.0, -1.0, 0.0, 2.0], requires_grad=True)
    assert float(g_loss_per_point(logits, "nonsat").mean().detach()) == pytest.approx(float(g_loss_fn(logits).detach()))
    p = torch.sigmoid(logits.detach())
    assert g_loss_per_point(logits, "minimax").detach() == pytest.approx(torch.log1p(-p), rel=1e-4)  # log(1 - D)
    (g_min,) = torch.autograd.grad(g_loss_per_point(logits, "minimax").sum(), logits)
    (g_ns,) = torch.autograd.grad(g_loss_per_point(logits, "nonsat").sum(), logits)
    assert g_min.abs().tolist() == pytest.approx(p.tolist(), rel=1e-4)  # |∂/∂l| = D: vanishes as D → 0
    assert g_ns.abs().tolist() == pytest.approx((1 - p).tolist(), rel=1e-4)  # = 1 - D: largest as D → 0
    assert abs(float(g_min[0])) < 1e-3 < 0.99 < abs(float(g_ns[0]))


@pytest.mark.parametrize("loss", ["nonsat", "minimax"])
def test_arrows_are_minus_the_per_point_gradient_of_gs_loss(loss):
    gan = ToyGAN(ToyConfig(loss=loss, seed=3), make_data("ring8"))
    x = torch.randn(16, 2)
    arrows = gan.arrows(x)
    xg = x.clone().requires_grad_(True)
    logit = gan.D(xg).squeeze(1)
    (dl,) = torch.autograd.grad(logit.sum(), xg)  # ∇_x l, one row per point
    d = torch.sigmoid(logit.detach()).unsqueeze(1)
    expected = (1 - d) * dl if loss == "nonsat" else d * dl  # up D's slope, scaled as the docstring says
    assert torch.allclose(arrows, expected, atol=1e-6)


def test_step_d_moves_only_d_and_step_g_moves_only_g():
    gan = ToyGAN(ToyConfig(seed=1), make_data("ring8"))
    snap = lambda net: [p.detach().clone() for p in net.parameters()]  # noqa: E731
    g0, d0 = snap(gan.G), snap(gan.D)
    gan.step_d()
    assert all(torch.equal(a, b) for a, b in zip(g0, snap(gan.G), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(d0, snap(gan.D), strict=True))
    d1, dgrad = snap(gan.D), [p.grad.clone() for p in gan.D.parameters()]
    gan.step_g()
    assert all(torch.equal(a, b) for a, b in zip(d1, snap(gan.D), strict=True))
    assert not all(torch.equal(a, b) for a, b in zip(g0, snap(gan.G), strict=True))
    assert all(torch.equal(p.grad, g) for p, g in zip(gan.D.parameters(), dgrad, strict=True))  # no gradient into D
    assert (gan.d_updates, gan.g_updates) == (1, 1)


def test_same_seed_same_game_other_seed_other_game():
    def losses(seed, **kw):
        gan = ToyGAN(ToyConfig(seed=seed, **kw), make_data("moons"))
        return [gan.step() for _ in range(30)]

    assert losses(4) == losses(4)
    assert losses(4) != losses(5)
    assert losses(4, optimizer="sgd", lr_d=0.05, lr_g=0.05) == losses(4, optimizer="sgd", lr_d=0.05, lr_g=0.05)


def test_configure_changes_rates_optimiser_and_loss_and_refuses_the_rest():
    gan = ToyGAN(ToyConfig(), make_data("line"))
    gan.configure(lr_d=5e-3, d_steps=3, loss="minimax")
    assert gan.opt_d.param_groups[0]["lr"] == 5e-3 and gan.cfg.d_steps == 3 and gan.cfg.loss == "minimax"
    gan.configure(optimizer="sgd")
    assert isinstance(gan.opt_g, torch.optim.SGD) and gan.opt_g.param_groups[0]["lr"] == gan.cfg.lr_g
    gan.step()
    assert gan.d_updates == 3 and gan.g_updates == 1
    for bad in ({"noise_dim": 3}, {"lr_g": -1}):
        with pytest.raises(ValueError) as e:
            gan.configure(**bad)
        assert one_sentence(str(e.value))


# ---- metrics ------------------------------------------------------------------------------------------


def test_coverage_counts_a_mode_only_with_its_share_of_the_fakes():
    data = make_data("ring8")
    one = data.centres[0].repeat(400, 1)  # every fake on mode 0
    assert coverage(one, data) == Coverage(1, 8, 1.0, [400] + [0] * 7)
    stray = torch.cat([data.centres[0].repeat(395, 1), data.centres[1:6]])  # 1 fake on modes 1-5: too few
    assert coverage(stray, data).covered == 1
    far = torch.full((50, 2), 5.0)
    assert coverage(far, data).covered == 0 and coverage(far, data).on_data == 0


def test_js_divergence_is_zero_for_equal_and_one_for_disjoint_sets():
    x = torch.rand(500, 2)
    assert js_divergence(x, x) == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(x - 1.5, x + 0.5) == pytest.approx(1.0)
    data = make_data("ring8")
    g = torch.Generator().manual_seed(0)
    near, far = js_divergence(data.sample(2000, g), data.sample(2000, g)), js_divergence(data.sample(2000, g), x)
    assert 0 < near < 0.1 < 0.9 < far


def test_collapse_detector_dates_the_event_and_its_recovery():
    det = CollapseDetector()
    cov = lambda covered, on_data=0.9: Coverage(covered, 8, on_data, [])  # noqa: E731
    for step in range(0, 1200, 100):
        det.update(step, cov(8))
    assert det.message() is None
    det.update(1200, cov(2))
    det.update(1300, cov(2, on_data=0.0))  # the blob in flight between two modes: still collapsed
    assert det.message() is None  # not yet held for HOLD_STEPS
    det.update(1200 + HOLD_STEPS, cov(1))
    assert det.message() == "6 of 8 modes lost at step 1,200" and det.collapsed
    det.update(2000, cov(7))
    det.update(2000 + HOLD_STEPS, cov(8))
    assert det.message() == "6 of 8 modes lost at step 1,200, recovered at step 2,000" and not det.collapsed
    spreading = CollapseDetector()  # G still on its way from its first blob: most fakes off the data
    for step in range(0, 1000, 100):
        spreading.update(step, cov(1, on_data=0.2))
    assert spreading.message() is None
