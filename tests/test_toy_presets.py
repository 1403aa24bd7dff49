"""The 2-D GAN game's presets show their lessons, through the runner and through the CLI; the CLI's bad arguments.

Each preset plays its full length (1,000-3,000 rounds, ≈ 1-3 s each on an idle core): the figures are
the ones a student gets, not a shortened stand-in. The healthy run is shared by the tests that compare
against it (module-scoped fixture).
"""
from __future__ import annotations

import json
import re
import statistics
import time

import pytest

from genai_demo import toy
from genai_demo.explore.toy_presets import PRESETS, preset
from genai_demo.explore.toy_run import ToyRun

pytestmark = pytest.mark.usefixtures("one_thread")


def play(name: str, seed: int | None = None, steps: int | None = None, **changes) -> dict:
    cfg, data, n = preset(name, seed)
    run = ToyRun(cfg, data, max_steps=steps or n, steps_per_frame=100, fps=0, snapshot_every=100)
    if changes:
        run.configure(**changes)
    run.start()
    assert run.join(120), "the preset did not finish in 2 minutes"
    f = run.frame()
    assert f["state"] == "finished", f["error"]
    return f


def last_half(f: dict, key: str) -> list:
    values = f["history"][key]
    return [v for v in values[len(values) // 2:] if v is not None]


@pytest.fixture(scope="module")
def healthy():
    t0 = time.perf_counter()
    f = play("healthy")
    f["seconds"] = time.perf_counter() - t0
    return f


@pytest.mark.slow
def test_healthy_preset_covers_the_ring_within_30_s(healthy):
    assert healthy["modes_covered"] >= 7, healthy["modes_covered"]
    assert healthy["seconds"] <= 30, healthy["seconds"]
    assert min(last_half(healthy, "modes")) >= 7  # held, not a lucky last frame
    assert healthy["collapse"] is None
    assert healthy["js"] < 0.5  # far below the 1.0 of disjoint point sets


@pytest.mark.slow
def test_collapse_preset_covers_at_most_two_modes_and_says_when():
    f = play("collapse")
    assert f["modes_covered"] <= 2
    assert max(last_half(f, "modes")) <= 2
    assert re.fullmatch(r"[67] of 8 modes lost at step [\d,]+", f["collapse"]), f["collapse"]


@pytest.mark.slow
def test_oscillation_preset_never_settles(healthy):
    f = play("oscillation")
    swing = last_half(f, "modes")
    assert max(swing) - min(swing) >= 3  # modes come and go
    assert statistics.fmean(last_half(f, "drift")) >= 2 * statistics.fmean(last_half(healthy, "drift"))
    assert f["collapse"] is None  # a moving ring, not a single blob


def test_minimax_preset_stalls_and_the_non_saturating_loss_moves():
    stalled = play("minimax", steps=200)  # the stall sets in within a few dozen steps: 200 of its 500 show it
    moving = play("minimax", steps=200, loss="nonsat")
    assert stalled["modes_covered"] == 0 and stalled["js"] > 0.99
    assert stalled["grad"] < 1e-3 * moving["grad"]  # the arrows vanish
    assert statistics.fmean(last_half(stalled, "drift")) < 0.1 * statistics.fmean(last_half(moving, "drift"))


def figures(out: str) -> dict:
    m = re.search(r"modes covered\s+(\d+) of (\d+)", out)
    js = re.search(r"JS divergence\s+([\d.]+) bits", out)
    losses = re.search(r"losses\s+D (-?[\d.]+)\s+G (-?[\d.]+)", out)
    return {"covered": int(m.group(1)), "modes": int(m.group(2)), "js": float(js.group(1)),
            "d": float(losses.group(1)), "g": float(losses.group(2))}


@pytest.mark.slow  # ≈ 2.5 s idle, 8-12 s beside four other engineers' test runs
def test_cli_default_settings_cover_the_ring(capsys, tmp_path):
    t0 = time.perf_counter()
    assert toy.main(["--dist", "ring8", "--steps", "2000", "--seed", "0", "--png", str(tmp_path / "ring.png")]) == 0
    assert time.perf_counter() - t0 <= 30
    out = capsys.readouterr().out
    got = figures(out)
    assert got["covered"] >= 7 and got["modes"] == 8 and "mode collapse  none detected" in out
    assert 0 < got["js"] < 0.5 and got["d"] > 0 and got["g"] > 0
    assert (tmp_path / "ring.png").stat().st_size > 10_000


@pytest.mark.slow
def test_cli_collapse_preset(capsys):
    assert toy.main(["--preset", "collapse"]) == 0
    out = capsys.readouterr().out
    assert figures(out)["covered"] <= 2 and re.search(r"mode collapse  [67] of 8 modes lost at step", out)


def test_cli_is_deterministic_per_seed(capsys):
    runs = []
    for _ in range(2):
        assert toy.main(["--dist", "moons", "--steps", "300", "--seed", "5"]) == 0
        runs.append(capsys.readouterr().out.splitlines()[1:])  # line 0 holds the timing
    assert runs[0] == runs[1]


def test_cli_custom_points_and_list(capsys, tmp_path):
    pts = tmp_path / "pts.json"
    pts.write_text(json.dumps([[-1, 1], [-1.1, 0.9], [1, -1], [0.9, -1.1], [0, 0]]))
    assert toy.main(["--dist", "custom", "--points", str(pts), "--steps", "200", "--lr-g", "2e-3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("custom ·") and figures(out)["modes"] == 3
    assert toy.main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in PRESETS)


@pytest.mark.parametrize("argv", [
    ["--steps", "0"], ["--dist", "custom"], ["--points", "x.json"], ["--preset", "nope"], ["--dist", "square"],
    ["--optimizer", "rmsprop"], ["--steps", "ten"],
])
def test_cli_refuses_bad_arguments_with_status_2(argv, capsys):
    with pytest.raises(SystemExit) as e:
        toy.main(argv)
    assert e.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("argv", [
    ["--lr-d", "-1"], ["--noise-dim", "0"], ["--d-steps", "50"], ["--dist", "custom", "--points", "/nonexistent.json"],
])
def test_cli_bad_values_give_one_error_line(argv, capsys):
    assert toy.main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0]


def test_cli_bad_points_file_and_unwritable_png(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([[0, 0], [5, 5], [1, 1]]))
    assert toy.main(["--dist", "custom", "--points", str(bad)]) == 2
    assert "inside the plane" in capsys.readouterr().err
    assert toy.main(["--dist", "line", "--steps", "10", "--png", str(tmp_path / "no" / "dir" / "x.png")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot write")
