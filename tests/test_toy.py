"""The 2-D GAN game's engine: data and modes, losses and arrows, metrics, frames, the runner's controls."""
from __future__ import annotations

import base64
import json
import math
import time

import pytest
import torch

from genai_demo.explore.toy_budget import ToyBudget
from genai_demo.explore.toy_data import DISTRIBUTIONS, EXTENT, MAX_CUSTOM_POINTS, check_points, custom, make_data
from genai_demo.explore.toy_gan import ToyConfig, ToyGAN, g_loss_per_point
from genai_demo.explore.toy_metrics import HOLD_STEPS, CollapseDetector, Coverage, coverage, js_divergence
from genai_demo.explore.toy_render import render
from genai_demo.explore.toy_run import ToyRun
from genai_demo.explore.toy_views import HEAT_N, SHOW, heat_probs
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


# ---- frames and the runner --------------------------------------------------------------------------


def test_frame_is_small_json_with_the_documented_shapes():
    run = ToyRun(ToyConfig(seed=2), make_data("spiral"), max_steps=50, fps=0)
    f = run.frame()
    text = json.dumps(f, allow_nan=False, separators=(",", ":"))
    assert len(text) < 10_000, len(text)  # a few KB: 5 frames/s to 30 visitors is < 1.5 MB/s
    assert len(base64.b64decode(f["heat"]["b64"])) == HEAT_N * HEAT_N
    assert all(0 <= p <= 1 for p in heat_probs(f)) and len(set(heat_probs(f))) > 10
    assert len(f["fake"]) == len(f["arrows"]) == 2 * SHOW
    m = f["manifold"]
    assert len(m["xy"]) == 2 * m["rows"] * m["cols"] and m["rows"] == m["cols"] > 1
    assert f["step"] == 0 and f["state"] == "idle" and f["modes"] == 10 and 0 <= f["js"] <= 1
    scene = run.scene()
    assert len(scene["real"]) == 2 * SHOW and len(scene["modes"]) == 20 and 0 < scene["js_floor"] < 0.2
    one_d = ToyRun(ToyConfig(noise_dim=1), make_data("line"), fps=0).frame()["manifold"]  # z on a line
    assert one_d["rows"] == 1 and len(one_d["xy"]) == 2 * one_d["cols"]


def test_step_d_changes_only_the_heat_map_and_step_g_only_the_points():
    run = ToyRun(ToyConfig(seed=0), make_data("ring8"), fps=0)
    f0 = run.frame()
    run.step("d")
    assert run.wait_idle()
    f1 = run.frame()
    assert f1["fake"] == f0["fake"] and f1["manifold"] == f0["manifold"] and f1["heat"] != f0["heat"]
    assert (f1["step"], f1["d_updates"], f1["g_updates"], f1["state"]) == (1, 1, 0, "paused")
    run.step("g", 3)
    assert run.wait_idle()
    f2 = run.frame()
    assert f2["heat"] == f1["heat"] and f2["fake"] != f1["fake"] and f2["manifold"] != f1["manifold"]
    assert (f2["step"], f2["g_updates"]) == (4, 3)
    assert f2["history"]["d"][-1] is None and f2["history"]["g"][-1] is not None  # D sat this one out
    run.step("both")
    assert run.wait_idle()
    f3 = run.frame()
    assert f3["heat"] != f2["heat"] and f3["fake"] != f2["fake"]
    run.stop()
    with pytest.raises(ValueError):
        run.step("sideways")


def test_same_seed_same_frames_through_the_runner():
    def final(seed):
        run = ToyRun(ToyConfig(seed=seed), make_data("grid25"), max_steps=300, steps_per_frame=37, fps=0)
        run.start()
        assert run.join(60)
        return run.frame()

    a, b, c = final(7), final(7), final(8)
    assert a["state"] == "finished" and a["step"] == 300
    assert (a["fake"], a["heat"], a["history"]) == (b["fake"], b["heat"], b["history"])
    assert a["fake"] != c["fake"]


def test_playing_is_paced_and_pausable():
    run = ToyRun(ToyConfig(), make_data("ring8"), steps_per_frame=10, fps=5)  # ≤ 50 steps/s
    t0 = time.monotonic()
    run.play()
    time.sleep(1.0)
    run.pause()
    elapsed = time.monotonic() - t0
    assert run.wait_idle()  # the chunk under way when pause() came ends, then the thread waits
    step = run.frame()["step"]
    assert 0 < step <= 10 * (5 * elapsed + 2)  # paced: at most fps × steps per frame (+ 2 frames' slack)
    time.sleep(0.3)
    assert run.frame()["step"] == step and run.state == "paused"
    run.configure(lr_g=3e-3, loss="minimax", fps=10)
    assert run.frame()["config"]["lr_g"] == 3e-3 and run.frame()["config"]["loss"] == "minimax"
    with pytest.raises(ValueError) as e:
        run.configure(noise_dim=4)
    assert one_sentence(str(e.value))
    run.stop()
    assert run.state == "stopped"


def test_history_since_timeline_and_replay():
    run = ToyRun(ToyConfig(seed=1), make_data("moons"), max_steps=1000, steps_per_frame=50, fps=0,
                 snapshot_every=100, max_snapshots=6)
    run.start()
    assert run.join(60)
    f = run.frame()
    assert f["history"]["step"] == list(range(50, 1001, 50))
    assert set(f["history"]) == {"step", "d", "g", "modes", "js", "drift"}
    assert run.frame(since=900)["history"]["step"] == [950, 1000]
    steps = run.timeline()
    assert steps[0] == 0 and steps[-1] == 1000 and len(steps) <= 6 and steps == sorted(steps)
    old = run.replay(0)
    assert old["step"] == 0 and old["fake"] != f["fake"]
    assert run.replay(-1)["fake"] == f["fake"] and run.replay(99)["step"] == 1000
    with pytest.raises(ValueError) as e:
        run.replay("last")
    assert one_sentence(str(e.value))
    assert run.frame(since="garbled")["history"]["step"] == f["history"]["step"]


def test_a_blown_up_game_fails_with_one_sentence():
    run = ToyRun(ToyConfig(), make_data("ring8"), fps=0)
    run.gan.step_d = lambda: float("nan")  # fault injection: the losses stop being numbers
    run.start()
    assert run.join(30)
    assert run.state == "failed" and one_sentence(run.frame()["error"])


def test_budget_shares_the_cores_between_playing_runs():
    budget = ToyBudget(cores=1.0)
    budget.step_s, budget.frame_s = 1e-3, 3e-3
    assert budget.steps_per_frame(20, fps=5) == 20  # alone: the full pace
    for i in range(30):
        budget.playing(i, True)
    assert budget.steps_per_frame(20, fps=5) == 3  # 1/30 core at 5 fps = 6.7 ms a frame: 3 rounds + the frame
    for i in range(30):
        budget.playing(i, False)
    budget.note(10, step_cpu=0.02, frame_cpu=0.003)  # the measured costs feed the split
    assert budget.step_s == pytest.approx(0.9e-3 + 0.1 * 2e-3)


def test_render_draws_the_frame():
    run = ToyRun(ToyConfig(), make_data("ring8"), max_steps=100, fps=0)
    run.start()
    run.join(30)
    img = render(run.scene(), run.frame())
    assert img.size[0] > 400 and img.size[1] > img.size[0]
    assert len(img.getcolors(1 << 20)) > 50  # heat-map shades, points and curves, not a blank canvas
