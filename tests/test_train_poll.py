"""Train tab: its 2 Hz poll (train_poll.tick) and the timeline's scrub, as plain functions with fake requests — what
the poll sends and when, how fast it asks, the curves' settling re-send, and a scrub that overlaps a tick.

Runs are short VAE runs on the embedded MNIST-5k (about 100 steps/s on 2 cores).
"""
from __future__ import annotations

import os
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402

from genai_demo.i18n import t  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.ui import train_poll  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_tab import FAST_S, IDLE_S, scrub, tick  # noqa: E402
from tests.helpers import wait_until  # noqa: E402


def req(session: str):
    return SimpleNamespace(session_hash=session)


@pytest.fixture
def actions():  # one run at a time, as on a small Space
    ctx = UIContext(registry=RunRegistry(max_running=1, max_active=1, max_steps=5000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


@pytest.fixture
def clock(monkeypatch):
    """The poll's settling clock, moved by hand: `clock[0] += train_poll.SETTLE_S` is that much later."""
    now = [0.0]
    monkeypatch.setattr(train_poll, "_now", lambda: now[0])
    return now


def test_the_poll_slows_on_an_idle_page_and_speeds_up_while_a_run_trains(actions, clock):
    """Every Gradio event costs the page time in proportion to the whole app: an idle page polls every IDLE_S."""
    a, alice = actions, req("alice")
    first = tick(a, {}, alice, pace=FAST_S)  # the first look draws the empty view: that is a change, so still fast
    assert "timer" not in first
    idle = tick(a, first["view"], alice, pace=FAST_S)  # nothing changed, nothing trains: slow down
    assert set(idle) == {"timer"} and idle["timer"].value == IDLE_S
    assert tick(a, first["view"], alice, pace=IDLE_S) == {}  # already slow: nothing is sent
    a.train("vae", "mnist5k", 3000, 1e-3, 32, 1.0, 1, 0, False, request=alice)
    wait_until(lambda: a.status(alice)["step"] >= 30)  # running, with curves to draw
    busy = tick(a, first["view"], alice, pace=IDLE_S)  # a run started elsewhere (Labs, the API): fast again
    assert busy["timer"].value == FAST_S and "status" in busy
    a.pause(alice)
    trainer = a.ctx.registry.get("alice").trainer
    wait_until(lambda: trainer.state == "paused" and not trainer.busy)  # and the step in flight done: nothing changes now
    view = tick(a, busy["view"], alice, pace=FAST_S)["view"]  # the pause is shown: a change, still fast
    assert "timer" not in tick(a, view, alice, pace=FAST_S)  # the curves await their settling re-send: still fast
    clock[0] += train_poll.SETTLE_S
    view = tick(a, view, alice, pace=FAST_S)["view"]  # the re-send (test below)
    assert tick(a, view, alice, pace=FAST_S)["timer"].value == IDLE_S  # then slow while it stays paused
    assert "timer" not in tick(a, view, alice)  # without the page's pace (tests, the API) nothing about it


def test_tick_draws_status_curves_grid_and_scrubs_back(actions, clock):
    a, alice = actions, req("alice")
    out = tick(a, {}, alice)
    assert "No run yet" in out["status"] and out["view"]["run"] is None
    a.train("vae", "mnist5k", 400, 1e-3, 32, 1.0, 1, 0, False, request=alice)
    wait_until(lambda: a.status(alice)["state"] == "finished")
    out = tick(a, {}, alice)  # the run ended before this first look: everything is drawn at once
    view = out["view"]
    status, counter, plot_a, plot_b = out["status"], out["counter"], out["plot_a"], out["plot_b"]
    assert "finished" in status and 'data-step="400"' in counter
    plot_a, plot_b = plot_a["value"], plot_b["value"]  # sent with their y title and range (ui/curves.py)
    assert set(plot_a["series"]) >= {"loss (−ELBO)", "reconstruction"} and set(plot_b["series"]) == {"KL"}
    grid = out["grid"]
    assert grid.shape == (2 * 302, 2 * 302) and grid.dtype.name == "uint8"
    again = tick(a, view, alice)  # nothing changed: nothing is sent
    assert again == {}
    clock[0] += train_poll.SETTLE_S  # until the curves' settling re-send: the same data, alone (no redraw of the chart)
    settled_out = tick(a, view, alice)
    assert set(settled_out) == {"plot_a", "plot_b", "view"} and "settle" not in settled_out["view"]
    for name in ("plot_a", "plot_b"):
        assert set(settled_out[name]) == {"__type__", "value"}  # no y range, no titles: Gradio keeps the chart it drew
        assert settled_out[name]["value"].equals(out[name]["value"])
    view = settled_out["view"]
    clock[0] += 10 * train_poll.SETTLE_S
    assert tick(a, view, alice) == {}  # once only
    assert out["text_box"]["visible"] is False and "Fixed-noise samples" in out["caption"]  # an image model: the grid, no text box
    shown = scrub(a, 0, alice)
    caption, run_id = shown["caption"], a.status(alice)["run_id"]
    assert "step **0**" in caption and shown["grid"].shape == grid.shape and "text" not in shown and "view" not in shown
    assert a.ctx.pins.get("alice", run_id)[0] == 0  # pinned at step 0, on the server (context.Pins)


def test_a_tick_that_overlaps_a_scrub_cannot_undo_it(actions):
    """The race a browser test met: a tick read the page's view state, a scrub to the end ran, and the tick's stale
    view came back pinned at step 0. Replayed deterministically: the tick reads the pin, a scrub runs mid-tick."""
    a, alice = actions, req("alice")
    a.train("vae", "mnist5k", 200, None, 32, 1.0, 1, 3, False, request=alice)
    wait_until(lambda: a.status(alice)["state"] == "finished")
    run_id, last = a.status(alice)["run_id"], a.ctx.registry.current("alice").trainer.snapshot().previews[-1][0]
    tick(a, {}, alice)  # the page has looked once
    scrub(a, 0, alice)  # pinned at 0 ...
    real_get, calls = a.ctx.pins.get, []

    def get_then_scrub(sid, rid):  # the tick's first look at the pin, then a scrub to the end lands mid-tick
        got = real_get(sid, rid)
        if not calls:
            calls.append(None)  # the scrub's own look at the pin must not scrub again
            calls[0] = scrub(a, last, alice)
        return got

    a.ctx.pins.get = get_then_scrub
    try:
        out = tick(a, {}, alice)  # a fresh view: the tick would redraw everything, pinned at step 0
    finally:
        a.ctx.pins.get = real_get
    assert t("train_caption_live") in calls[0]["caption"]  # the scrub went back to live ...
    assert not {"grid", "caption", "timeline"} & set(out)  # ... and the overlapping tick left its picture alone
    assert a.ctx.pins.get("alice", run_id)[0] is None  # ... and nothing the tick sent pins the timeline again
    again = tick(a, out["view"], alice)  # the next tick draws the live snapshot the scrub asked for
    assert t("train_caption_live") in again["caption"] and again["timeline"].value == last


def test_pins_are_bounded_and_a_forgotten_pin_reads_as_live():
    from genai_demo.ui.context import Pins
    pins = Pins()
    pins.KEEP = 3
    for i in range(5):
        pins.set(f"s{i}", "r1", 10 * i)
    assert pins.get("s4", "r1") == (40, 1) and pins.get("s2", "r1") == (20, 1)
    assert pins.get("s0", "r1") == (None, 0)  # the oldest went: that timeline follows its run live again
    pins.set("s2", "r1", None)  # a new write makes s2 the newest, so s3 goes next
    pins.set("s5", "r1", 7)
    assert pins.get("s2", "r1") == (None, 2) and pins.get("s3", "r1") == (None, 0)
    assert pins.get("s5", "r2") == (None, 1)  # another run of the same visitor is live
