"""Per-visitor run registry: ownership, the global cap and its queue, release and reaping."""
from __future__ import annotations

import pytest

from genai_demo.models.base import Hyper
from genai_demo.training.runs import RunError, RunRegistry
from genai_demo.training.trainer import RunConfig, Trainer
from tests.helpers import Tiny, TinyData, wait_until


def cfg(steps=100_000):
    return RunConfig(kind="tiny", steps=steps, hp=Hyper(lr=1e-2, batch_size=4), publish_every=5, preview_n=2,
                     device="cpu")


def make_trainer(c):
    return Trainer(c, TinyData(), model=Tiny(delay=0.001))


@pytest.fixture
def reg():
    r = RunRegistry(max_running=1, max_active=1, max_steps=100_000, idle_s=60)  # one place: the queue's rules
    yield r
    r.shutdown()


def test_visitors_only_see_and_control_their_own_runs(reg):
    a = reg.start("alice", cfg(), make_trainer)
    assert reg.get("alice").id == a.id
    with pytest.raises(RunError, match="no training run yet"):
        reg.get("bob")
    with pytest.raises(RunError, match="not found"):
        reg.stop("bob", a.id)  # bob cannot stop alice's run even knowing its id
    with pytest.raises(RunError):
        reg.pause("bob", a.id)
    wait_until(lambda: a.trainer.state == "running")


def test_global_cap_queues_fifo_and_promotes(reg):
    a = reg.start("alice", cfg(), make_trainer)
    b = reg.start("bob", cfg(), make_trainer)
    c = reg.start("carol", cfg(), make_trainer)
    assert reg.status(a) == "running" and reg.status(b) == "queued" and reg.queue_position(c) == 2
    assert reg.running_count() == 1
    reg.stop("alice")
    reg.runs("carol")  # any call schedules
    wait_until(lambda: b.trainer.state == "running")
    assert reg.queue_position(c) == 1
    reg.pause("bob")
    wait_until(lambda: c.trainer.state == "running")
    reg.resume("bob")  # no free slot: bob waits behind nobody but the cap
    assert reg.status(b) == "queued"
    reg.stop("carol")
    reg.runs("bob")
    wait_until(lambda: b.trainer.state == "running")


def test_new_run_stops_the_previous_and_keeps_a_bounded_list(reg):
    first = reg.start("alice", cfg(), make_trainer)
    for _ in range(4):
        reg.start("alice", cfg(), make_trainer)
    assert first.trainer.join(5) and first.trainer.state == "stopped"
    assert len(reg.runs("alice")) == reg.max_per_session


def test_release_and_reap_free_threads(reg):
    a = reg.start("alice", cfg(), make_trainer)
    reg.start("bob", cfg(), make_trainer)
    assert reg.release("alice") == 1 and not a.trainer.alive
    assert reg.sessions() == 1
    import time

    assert reg.reap(now=time.monotonic() + 3600) == 1
    assert reg.sessions() == 0


def test_limits_are_enforced(reg):
    with pytest.raises(RunError, match="steps must be between"):
        reg.start("alice", cfg(steps=10**9), make_trainer)
    reg.start("alice", cfg(), make_trainer)
    with pytest.raises(RunError, match="between 1 and 1000"):
        reg.step("alice", 10_000)
    with pytest.raises(RunError):
        reg.runs("")


def test_step_on_a_queued_run_starts_it_paused(reg):
    reg.start("alice", cfg(), make_trainer)
    b = reg.start("bob", cfg(), make_trainer)
    reg.step("bob", 2)
    # steps compute like training does: bob's wait for the only slot (issue 11: stepping bypassed the cap)
    assert reg.status(b) == "queued" and b.trainer.snapshot().step == 0
    reg.pause("alice")  # the slot frees: bob's steps run
    wait_until(lambda: b.trainer.snapshot().step == 2)
    assert b.trainer.state == "paused" and reg.queue_position(b) is None


def test_a_pushed_out_run_is_freed(reg):
    """When a visitor's newest run pushes the oldest out, nothing keeps its trainer, model or frozen copy alive."""
    import gc
    import weakref

    first = reg.start("alice", cfg(steps=20), make_trainer)
    assert first.trainer.join(5)
    refs = [weakref.ref(o) for o in (first, first.trainer, first.trainer.model, first.trainer.snapshot().model,
                                     first.trainer._thread)]
    del first
    for _ in range(reg.max_per_session):
        reg.start("alice", cfg(steps=20), make_trainer).trainer.join(5)
    gc.collect()  # a first-ever run may leave a one-off reference cycle (torch's lazy imports): not ours to test
    assert [r() for r in refs] == [None] * len(refs)
