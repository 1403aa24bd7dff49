"""Issue 11's limits, unit by unit (no server): run budgets, waiting steps, the training cap with steps, the queue's
order per client address, places per address and their reclaim. The attacks on the launched app that these bound
are in test_attacks_runs.py."""
from __future__ import annotations

import threading
import time

import pytest

from genai_demo.models.base import Hyper
from genai_demo.training.budget import Budget
from genai_demo.training.runs import RunError, RunRegistry
from genai_demo.training.scheduler import WaitQueue, longest_idle
from genai_demo.training.trainer import MAX_PENDING_STEPS, RunConfig, Trainer
from tests.helpers import Tiny, TinyData, wait_until


def cfg(steps=100_000, batch=4, **kw):
    return RunConfig(kind="tiny", steps=steps, hp=Hyper(lr=1e-2, batch_size=batch), publish_every=5, preview_n=2,
                     device="cpu", **kw)


class Counted(Tiny):
    """Tiny, counting how many of its kind compute a step at the same moment (shared across instances)."""

    now = peak = 0
    lock = threading.Lock()

    def train_step(self, *a, **k):
        with Counted.lock:
            Counted.now += 1
            Counted.peak = max(Counted.peak, Counted.now)
        try:
            return super().train_step(*a, **k)
        finally:
            with Counted.lock:
                Counted.now -= 1


def counted(c):
    return Trainer(c, TinyData(), model=Counted(delay=0.002))


@pytest.fixture
def reg():
    Counted.now = Counted.peak = 0
    r = RunRegistry(max_running=1, max_active=1, max_steps=100_000, idle_s=60, max_per_client=2, reclaim_s=0.3)
    yield r
    r.shutdown()


# ---- budgets -------------------------------------------------------------------------------------------
def test_budget_says_why_once_either_bound_is_reached():
    b = Budget(seconds=90, examples=1000)
    b.charge(30, 600)
    assert b.spent() is None
    b.charge(30, 600)
    assert "work budget of 1,000 training examples" in b.spent()
    b = Budget(seconds=90)
    b.charge(91, 10**9)
    assert "1.5-minute training budget" in b.spent() and Budget().spent() is None


def test_a_run_stops_exactly_at_its_work_budget_and_within_a_step_of_its_time_budget():
    t = Trainer(cfg(batch=4, max_examples=4 * 30), TinyData(), model=Tiny())
    t.start()
    assert t.join(10)
    s = t.snapshot()
    assert (s.state, s.step) == ("stopped", 30) and "work budget of 120" in s.error
    t = Trainer(cfg(max_seconds=0.3), TinyData(), model=Tiny(delay=0.01))
    t0 = time.monotonic()
    t.start()
    assert t.join(10) and time.monotonic() - t0 < 5
    s = t.snapshot()
    assert s.state == "stopped" and 0 < s.step < 100 and "training budget" in s.error
    assert 0.3 <= t.budget.used_s < 0.3 + 0.5  # charged per step: over by at most one step (plus a publish)


def test_single_steps_count_against_the_budget_too():
    t = Trainer(cfg(max_examples=4 * 5), TinyData(), model=Tiny())
    t.start(paused=True)
    t.step(50)
    assert t.join(10) and (t.state, t.snapshot().step) == ("stopped", 5)


def test_the_registry_gives_every_run_its_budgets_unless_it_brought_its_own(reg):
    reg.run_seconds, reg.run_examples = 600, 5_000_000
    run = reg.start("a", cfg(), counted)
    assert (run.cfg.max_seconds, run.cfg.max_examples) == (600, 5_000_000)
    own = reg.start("b", cfg(max_examples=40), counted)
    assert (own.cfg.max_seconds, own.cfg.max_examples) == (None, 40)


# ---- waiting steps and the cap ----------------------------------------------------------------------------
def test_waiting_single_steps_are_capped():
    t = Trainer(cfg(), TinyData(), model=Tiny(delay=0.01))
    t.start(paused=True)
    for _ in range(5):
        t.step(600)
    assert t.pending_steps <= MAX_PENDING_STEPS
    t.stop()


def test_stepping_holds_a_training_slot_and_never_computes_beside_another_run(reg):
    a = reg.start("a", cfg(), counted)
    b = reg.start("b", cfg(), counted)
    wait_until(lambda: a.trainer.snapshot().step > 5)
    reg.pause("b")
    reg.step("b", 20)  # a trains: b's steps wait for the slot
    assert reg.status(b) == "queued" and reg.running_count() == 1
    with pytest.raises(RunError, match="1,000 steps can wait"):
        reg.step("b", 990)
    reg.pause("a")  # a stops computing after its step: b's steps take the slot at once (no poll needed)
    wait_until(lambda: b.trainer.snapshot().step == 20)
    reg.resume("a")
    wait_until(lambda: a.trainer.state == "running")  # b is done: the slot went back to a
    reg.step("a", 10)  # a running run that steps keeps its slot
    wait_until(lambda: a.trainer.state == "paused" and not a.trainer.busy)
    assert Counted.peak == 1


def test_resume_supersedes_waiting_steps(reg):
    reg.start("a", cfg(), counted)
    b = reg.start("b", cfg(), counted)
    reg.pause("b")
    reg.step("b", 500)
    reg.resume("b")
    reg.stop("a")
    wait_until(lambda: b.trainer.state == "running" and b.trainer.snapshot().step > 0)
    assert b.trainer.pending_steps == 0


# ---- the queue's order and the places ---------------------------------------------------------------------
class R:
    def __init__(self, session):
        self.session = session


def test_the_queue_interleaves_addresses_and_keeps_arrival_order_within_each():
    q = WaitQueue()
    runs = {n: R(n) for n in ("x1", "x2", "x3", "y1", "u1", "u2", "z1")}
    for n in ("x1", "x2", "x3", "y1", "u1", "u2", "z1"):
        q.add(runs[n], "start", {"x": "203.0.113.9", "y": "198.51.100.1", "z": "192.0.2.1", "u": ""}[n[0]])
    assert [w.run.session for w in q.ordered()] == ["x1", "y1", "u1", "u2", "z1", "x2", "x3"]
    assert q.position(runs["y1"]) == 2 and q.pop().run is runs["x1"]
    assert q.position(runs["x2"]) == 1  # x1 served: x2 is x's first waiting run now, and it came before y1
    assert q.remove(runs["x2"]) and not q.remove(runs["x2"]) and q.holds("x3") and not q.holds("x2")


def test_longest_idle_picks_the_oldest_trainer_past_the_grace_time():
    now = time.monotonic()
    trained = {"a": now - 100, "b": now - 300, "c": now - 5}
    assert longest_idle(["a", "b", "c"], trained, 60) == "b"
    assert longest_idle(["c"], trained, 60) is None


def test_places_per_address_and_globally_with_reclaim_of_places_not_training(reg):
    reg.max_sessions = 4
    reg.start("x1", cfg(), counted, client="203.0.113.9")
    reg.start("x2", cfg(), counted, client="203.0.113.9")
    with pytest.raises(RunError, match="from your network"):
        reg.start("x3", cfg(), counted, client="203.0.113.9")
    reg.start("l1", cfg(), counted)  # unknown address (loopback): only the global bound applies
    reg.start("y1", cfg(), counted, client="198.51.100.1")
    with pytest.raises(RunError, match="server is full"):
        reg.start("z1", cfg(), counted, client="192.0.2.1")
    assert reg.sessions() == 4
    reg.stop("x1")
    with pytest.raises(RunError, match="server is full"):  # x1 trained a moment ago: it keeps its place for now
        reg.start("z1", cfg(), counted, client="192.0.2.1")
    time.sleep(0.4)
    for _ in range(3):
        reg.runs("x1")  # polling does not count as training
    z = reg.start("z1", cfg(), counted, client="192.0.2.1")
    assert reg.runs("x1") == [] and reg.sessions() == 4 and z.session == "z1"
    reg.stop("x2")
    time.sleep(0.4)
    reg.start("x3", cfg(), counted, client="203.0.113.9")  # the address's own idle place goes to its newcomer
    assert reg.runs("x2") == [] and len(reg.runs("x3")) == 1


def test_a_loaded_runs_place_has_the_same_grace_and_room_for_evicts_nothing(reg):
    """adopt() (a file opened as a run) takes a place as start() does, with reclaim_s of grace (it had none: the next
    newcomer from its address took it at once); room_for() says the refusal a newcomer would get, evicting nothing."""
    def loaded(**budget):
        return Trainer(cfg(), TinyData(), model=Tiny())

    me = "203.0.113.7"
    reg.adopt("a1", loaded, client=me)
    reg.adopt("a2", loaded, client=me)
    reg.room_for("a1", me)  # it has its place
    with pytest.raises(RunError, match="from your network"):
        reg.room_for("a3", me)
    with pytest.raises(RunError, match="from your network"):
        reg.adopt("a3", loaded, client=me)
    time.sleep(0.4)  # past reclaim_s, never trained: a newcomer may take one of the two places now …
    reg.room_for("a3", me)
    assert reg.sessions() == 2 and len(reg.runs("a1")) == len(reg.runs("a2")) == 1  # … but asking took nothing
    reg.adopt("a3", loaded, client=me)
    assert reg.runs("a1") == [] and len(reg.runs("a3")) == 1


def test_a_session_without_runs_leaves_no_trace(reg):
    for i in range(50):
        assert reg.runs(f"poller{i}") == []
    assert reg.sessions() == 0 and not reg._seen and not reg._trained
    run = reg.start("a", cfg(), counted)
    reg.discard("a", run.id)
    assert reg.sessions() == 0  # no runs left: no place held


def test_a_failed_build_gives_the_place_back(reg):
    def broken(c):
        raise RunError("no such data set")

    with pytest.raises(RunError):
        reg.start("x1", cfg(), broken, client="203.0.113.9")
    assert reg.sessions() == 0
