"""Issue 16 items 1–2: a run advances in chunks (``Trainer.advance``) and active runs share the device in turns
(``slicer.py``) with the same results per seed; every run advances, none starves; the wait and pace estimates."""
from __future__ import annotations

import math
import threading
import time

import pytest
import torch

from genai_demo.models.base import Hyper
from genai_demo.training.estimate import simulate
from genai_demo.training.runs import RunRegistry
from genai_demo.training.trainer import RunConfig, Trainer
from genai_demo.ui import train_view as V
from tests.helpers import Tiny, TinyData, wait_until

pytestmark = pytest.mark.usefixtures("one_thread")  # one intra-op thread (tests/conftest.py)


def cfg(steps=120, seed=0, **kw):
    return RunConfig(kind="tiny", steps=steps, seed=seed, hp=Hyper(lr=1e-2, batch_size=8), publish_every=5,
                     snapshot_every=20, preview_n=2, device="cpu", **kw)


class Logged(Tiny):
    """Tiny that records, in a shared log, which run computed each step and how many steps computed at once."""

    log: list[int] = []
    lock = threading.Lock()
    now = peak = 0

    def train_step(self, *a, **k):
        with Logged.lock:
            Logged.now += 1
            Logged.peak = max(Logged.peak, Logged.now)
            Logged.log.append(self.config.hidden)  # the run's tag (see tagged())
        try:
            return super().train_step(*a, **k)
        finally:
            with Logged.lock:
                Logged.now -= 1


def tagged(tag: int, delay: float = 0.0):
    """A trainer factory whose model's hidden width tags its steps in Logged.log (widths differ → runs differ)."""
    def make(c):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(c.seed)  # the weights come from the seed, as the Trainer's own model build does
            return Trainer(c, TinyData(), model=Logged(Tiny.Config(hidden=tag), delay=delay))
    return make


def outcome(t: Trainer):
    s = t.snapshot()
    return s.history, [p.detach().clone() for p in t.model.parameters()]


def same(a, b) -> bool:
    (ha, pa), (hb, pb) = a, b
    return ha == hb and all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))


def alone(c: RunConfig, tag: int):
    t = tagged(tag)(c)
    t.start()
    assert t.join(30)
    return outcome(t)


@pytest.fixture(autouse=True)
def fresh_log():
    Logged.log, Logged.now, Logged.peak = [], 0, 0


# ---- item 1: the next k steps as one call -------------------------------------------------------------------
def test_chunks_of_any_size_give_the_same_run_as_the_thread():
    reference = alone(cfg(steps=60), 8)
    for k in (1, 7, 1000):
        t = tagged(8)(cfg(steps=60))  # never started: this caller drives it, chunk by chunk
        while (before := t.step_count) < t.cfg.steps:
            assert t.advance(k) == min(k, t.cfg.steps - before)
        assert same(outcome(t), reference), k


# ---- item 2: round-robin turns --------------------------------------------------------------------------------
def test_time_sliced_runs_all_advance_in_turn_and_give_bitwise_the_same_results(monkeypatch):
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "0.01")  # many short turns: lots of interleaving in a short test
    reg = RunRegistry(max_running=1, max_active=4, max_steps=10_000)
    try:
        runs = [reg.start(f"s{i}", cfg(steps=300, seed=i), tagged(4 + i, delay=0.0005), client=f"10.0.0.{i}")
                for i in range(4)]
        assert reg.running_count() == 4 and all(reg.queue_position(r) is None for r in runs)  # nobody queues
        wait_until(lambda: all(r.trainer.step_count > 30 for r in runs), 60)  # every grid improves, at once
        assert all(r.trainer.step_count < 300 for r in runs)  # … before any run is done: no run-to-completion
        assert all(r.trainer.join(60) for r in runs)
        assert Logged.peak == 1  # one chunk computed at a time: the cores are shared, not multiplied
        switches = sum(a != b for a, b in zip(Logged.log, Logged.log[1:], strict=False))
        assert switches > 4 * 5, switches  # interleaved, many times over
        assert reg.slicer.turns > 4 * 5
        for i, r in enumerate(runs):
            assert r.trainer.state == "finished"
            assert same(outcome(r.trainer), alone(cfg(steps=300, seed=i), 4 + i)), i
    finally:
        reg.shutdown()


def test_a_run_that_shares_is_charged_its_own_compute_not_its_waits(monkeypatch):
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "0.02")
    reg = RunRegistry(max_running=1, max_active=3, max_steps=100_000, run_seconds=0.4, run_examples=0)
    try:
        t0 = time.monotonic()
        runs = [reg.start(f"s{i}", cfg(steps=100_000), tagged(4 + i, delay=0.002)) for i in range(3)]
        assert all(r.trainer.join(60) for r in runs)
        wall = time.monotonic() - t0
        used = [r.trainer.budget.used_s for r in runs]
        assert all(r.trainer.state == "stopped" and "training budget" in r.trainer.snapshot().error for r in runs)
        assert all(0.4 <= u < 1.0 for u in used), used  # its own compute: ≥ the budget, by one step at most
        assert sum(used) <= wall  # turns never overlap on one seat, so the three budgets took ≥ 1.2 s of wall time
    finally:
        reg.shutdown()


# ---- the estimates ---------------------------------------------------------------------------------------------
def test_the_schedule_model():
    finish, start = simulate([10.0, 10.0], [], capacity=1, slots=4)
    assert finish == pytest.approx([20.0, 20.0])  # two runs of 10 s on one seat: both end at 20 s
    finish, _ = simulate([5.0, 10.0], [], capacity=1, slots=4)
    assert finish == pytest.approx([10.0, 15.0])  # the short one ends at 2 × 5 s, then the other runs alone
    finish, _ = simulate([5.0, 10.0], [], capacity=2, slots=4)
    assert finish == pytest.approx([5.0, 10.0])  # enough seats: full speed
    finish, start = simulate([4.0, 8.0], [6.0], capacity=1, slots=2)
    assert start == pytest.approx([8.0])  # a place frees when the 4 s run ends (shared: at 8 s)
    assert finish == pytest.approx([8.0, 16.0])  # then the 8 s run shares with the newcomer: 4 s left at ½ speed
    finish, start = simulate([math.inf, 3.0], [2.0], capacity=1, slots=2)
    assert finish[1] == pytest.approx(6.0) and start == pytest.approx([6.0])
    finish, start = simulate([math.inf], [2.0], capacity=1, slots=1)
    assert math.isinf(finish[0]) and math.isinf(start[0])  # unknown work: unknown wait, not a made-up one


def test_the_status_line_shows_the_pace_while_sharing_and_the_wait_in_the_queue(monkeypatch):
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "0.02")
    reg = RunRegistry(max_running=1, max_active=2, max_steps=100_000)
    try:
        a, b, c = (reg.start(s, cfg(steps=5000), tagged(4 + i, delay=0.001)) for i, s in enumerate("abc"))
        assert reg.queue_position(c) == 1
        wait_until(lambda: a.trainer.steps_per_s > 0 and b.trainer.steps_per_s > 0, 30)
        pa, pc = reg.pace(a), reg.pace(c)
        assert pa["active"] == 2 and pa["share"] == 0.5
        # a's end: its own compute left × 2 at most (b shares the seat all the time), > its compute left alone
        left_a = (5000 - a.trainer.step_count) / a.trainer.steps_per_s
        assert left_a < pa["eta_s"] <= 2 * left_a * 1.01
        assert pc["wait_s"] == pytest.approx(min(pa["eta_s"], reg.pace(b)["eta_s"]), rel=0.2)  # the first to end
        for lang, words in (("en", ("sharing the trainer with 1 other run:", "1/2 speed", "to step 5,000")),
                            ("zh-CN", ("与另外 1 个训练轮流使用训练器", "1/2", "第 5,000 步"))):
            line = V.status_markdown(V.status_dict(a, a.trainer.snapshot(), None, reg.pace(a)), lang)
            assert all(w in line for w in words), line
            queued = V.status_markdown(V.status_dict(c, c.trainer.snapshot(), 1, reg.pace(c)), lang)
            assert ("your run should start in ≈" if lang == "en" else "后开始训练") in queued, queued
        alone_line = V.status_markdown(V.status_dict(a, a.trainer.snapshot(), None, {**pa, "share": 1.0}))
        assert "sharing" not in alone_line and "steps/s" in alone_line  # at full speed: the usual speed and ETA
    finally:
        reg.shutdown()


def test_a_run_paused_or_stopped_while_waiting_for_its_turn_leaves_the_line_at_once(monkeypatch):
    monkeypatch.setenv("GENAI_DEMO_SLICE_S", "5")  # long turns: a waiting run would wait seconds for its own
    reg = RunRegistry(max_running=1, max_active=3, max_steps=100_000)
    try:
        a, b, c = (reg.start(s, cfg(steps=100_000), tagged(4 + i, delay=0.002)) for i, s in enumerate("abc"))
        # each had its short first turn (its pace measured); now one computes a 5 s turn and two wait for theirs
        wait_until(lambda: all(r.trainer.steps_per_s > 0 for r in (a, b, c)) and reg.slicer.waiting() == 2, 30)
        t0 = time.monotonic()
        reg.pause("b")
        reg.stop("c")
        wait_until(lambda: reg.slicer.waiting() == 0 and not b.trainer.busy and not c.trainer.alive, 5)
        assert time.monotonic() - t0 < 3  # at once, not after the 5 s turn of the run computing
        assert (b.trainer.state, c.trainer.state) == ("paused", "stopped") and reg.running_count() == 1
    finally:
        reg.shutdown()


def test_turns_go_round_robin_run_by_run():
    """Each run waiting gets one turn per round, in arrival order, whatever its address: no one runs twice while
    another waits."""
    from genai_demo.training.slicer import TimeSlicer

    sl, order, threads = TimeSlicer(1), [], []

    def take(key):
        for _ in range(3):  # a served run goes straight back in line, behind the others
            with sl.turn(key) as granted:
                assert granted
                order.append(key)

    with sl.turn("holder") as granted:  # the seat is busy while the others line up, in this arrival order
        assert granted
        for i, key in enumerate("abc"):
            threads.append(threading.Thread(target=take, args=(key,)))
            threads[-1].start()
            wait_until(lambda i=i: sl.waiting() == i + 1)
    for th in threads:
        th.join(10)
    assert "".join(order) == "abcabcabc" and sl.computing == 0 and sl.turns == 10


def test_a_turn_set_aside_lets_the_line_compute_then_takes_a_seat_back():
    """TimeSlicer.aside (a run whose group's chunk is computing in another turn, cotrain.py): while it waits, the next
    in line computes on its seat; afterwards it has a seat again, once one is free."""
    from genai_demo.training.slicer import TimeSlicer

    sl, b_in, b_may_go = TimeSlicer(1), threading.Event(), threading.Event()

    def b():
        with sl.turn("b") as granted:
            assert granted
            b_in.set()
            b_may_go.wait(10)

    with sl.turn("a"):
        th = threading.Thread(target=b)
        th.start()
        wait_until(lambda: sl.waiting() == 1)
        with sl.aside():
            assert b_in.wait(10) and sl.computing == 1  # b has the only seat
            b_may_go.set()  # the seat comes back once b's turn ends
        assert sl.computing == 1  # a's seat again: on one seat, only once b had given it back
    th.join(10)
    assert sl.computing == 0 and sl.turns == 2


def test_the_train_tabs_status_says_two_visitors_share_the_trainer():
    """Through the Train tab's handler (the /status endpoint and the 2 Hz tick use it): real VAE runs."""
    from types import SimpleNamespace

    from genai_demo.ui.context import UIContext
    from genai_demo.ui.train_actions import TrainActions

    ctx = UIContext(registry=RunRegistry(max_running=1, max_active=2, max_steps=5000, idle_s=600))
    a = TrainActions(ctx, datasets=["mnist5k"])
    alice, bob = SimpleNamespace(session_hash="alice"), SimpleNamespace(session_hash="bob")
    try:
        for who in (alice, bob):
            a.train("vae", "mnist5k", 5000, 1e-3, 32, 1.0, 1, 0, False, request=who)
        d = wait_until(lambda: (s := a.status(bob))["pace"] and s["steps_per_s"] > 0 and s["eta_s"] and s, 60)
        assert d["state"] == "running" and d["pace"]["active"] == 2 and d["pace"]["share"] == 0.5
        assert "sharing the trainer with 1 other run: ≈ 1/2 speed" in V.status_markdown(d, "en")
        assert "与另外 1 个训练轮流使用训练器" in V.status_markdown(d, "zh-CN")
    finally:
        ctx.registry.shutdown()


def test_a_run_loaded_from_a_file_takes_turns_like_any_run():
    """adopt() (weights loaded back, training/resume.py) registers the run like start(): it shares the seats when
    resumed, so loading a file is no way around the training cap."""
    reg = RunRegistry(max_running=1, max_active=4, max_steps=10_000)
    try:
        run = reg.adopt("s", lambda **budget: Trainer(cfg(steps=40), TinyData(), model=Tiny()))
        assert run.trainer.slicer is reg.slicer and run.trainer.on_idle is not None and run.trainer.context is not None
        assert reg.status(run) == "paused" and reg.current("s") is run
        reg.resume("s", run.id)
        wait_until(lambda: run.trainer.snapshot().state == "finished", timeout=60, what="the loaded run finishes")
    finally:
        reg.shutdown()
