"""The 2-D GAN game's runner and views: frames, slow-motion steps, pacing, history, replay, failure, budget, picture."""
from __future__ import annotations

import base64
import json
import time

import pytest

from genai_demo.explore.toy_budget import ToyBudget
from genai_demo.explore.toy_data import make_data
from genai_demo.explore.toy_gan import ToyConfig
from genai_demo.explore.toy_render import render
from genai_demo.explore.toy_run import MAX_QUEUED, ToyRun
from genai_demo.explore.toy_views import HEAT_N, SHOW, heat_probs

pytestmark = pytest.mark.usefixtures("one_thread")


def one_sentence(msg: str) -> bool:
    return msg.endswith(".") and "\n" not in msg and "Error" not in msg and "Traceback" not in msg


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
    assert scene["style"]["real"] == "#169650" and scene["style"]["fake"] == "#8c3cc8"  # the tab's two colours
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
    budget.update_s, budget.frame_s = 0.5e-3, 3e-3
    assert budget.steps_per_frame(20, fps=5) == 20  # alone: the full pace
    for i in range(30):
        budget.playing(i, True)
    assert budget.steps_per_frame(20, fps=5) == 3  # 1/30 core at 5 fps = 6.7 ms a frame: 3 rounds + the frame
    assert budget.steps_per_frame(20, fps=5, updates_per_round=11) == 1  # a 10:1 round costs 11 updates: never 0
    for i in range(30):
        budget.playing(i, False)
    budget.note(10, update_cpu=0.02, frame_cpu=0.003)  # the measured costs feed the split
    assert budget.update_s == pytest.approx(0.9 * 0.5e-3 + 0.1 * 2e-3)


def test_a_game_with_more_d_steps_plays_fewer_rounds_per_frame():
    run = ToyRun(ToyConfig(d_steps=9), make_data("line"), max_steps=100, steps_per_frame=20, fps=0)
    run.start()
    assert run.join(60)
    assert run.frame()["history"]["step"][:2] == [4, 8]  # 20 rounds × 2 updates = 40 updates ≈ 4 rounds of 10


def test_render_draws_the_frame():
    run = ToyRun(ToyConfig(), make_data("ring8"), max_steps=100, fps=0)
    run.start()
    run.join(30)
    img = render(run.scene(), run.frame())
    assert img.size[0] > 400 and img.size[1] > img.size[0]
    assert len(img.getcolors(1 << 20)) > 50  # heat-map shades, points and curves, not a blank canvas


def test_changing_the_loss_while_paused_redraws_the_arrows_without_a_step():
    run = ToyRun(ToyConfig(seed=0), make_data("ring8"), fps=0)
    run.step("d", 20)  # let D learn to reject the fakes, so the two losses' arrows differ a lot
    assert run.wait_idle()
    before = run.frame()
    run.configure(loss="minimax")
    assert run.wait_idle()
    after = run.frame()
    assert after["step"] == before["step"] and after["fake"] == before["fake"] and after["heat"] == before["heat"]
    assert after["grad"] < before["grad"] and after["arrows"] != before["arrows"]
    assert after["history"]["step"] == before["history"]["step"]  # a redraw adds no history point
    run.step("g", 10 * MAX_QUEUED)  # a flood of clicks queues at most MAX_QUEUED steps
    run.stop()
    assert run.frame()["step"] <= before["step"] + MAX_QUEUED
