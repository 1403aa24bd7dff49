"""Trainer lifecycle: start / pause / step / resume / stop, hyper changes, failures, determinism.

Uses a tiny linear model and a tiny synthetic data set (tests/helpers/tiny.py) so every test runs in well under a
second of compute; the real families are exercised in test_models.py.
"""
from __future__ import annotations

import threading
import time

import pytest
import torch

from genai_demo.models.base import Hyper
from genai_demo.training.trainer import RunConfig, Trainer
from tests.helpers import Tiny, TinyData, wait_until


def make(steps=200, seed=0, **model_kw):
    cfg = RunConfig(kind="tiny", steps=steps, seed=seed, hp=Hyper(lr=1e-2, batch_size=8), publish_every=5,
                    snapshot_every=50, preview_n=4, device="cpu")
    torch.manual_seed(seed)
    return Trainer(cfg, TinyData(), model=Tiny(**model_kw))


def test_runs_to_the_end_and_lowers_the_loss():
    t = make(steps=300)
    t.start()
    assert t.join(20)
    s = t.snapshot()
    assert s.state == "finished" and s.step == 300 and s.model_step == 300
    assert s.history["loss"][-1] < 0.5 * s.history["loss"][0]
    assert len(s.history["step"]) == len(s.history["loss"])
    assert s.previews[0][0] == 0 and s.previews[-1][0] == 300  # untrained noise first, the final grid last
    assert s.previews[0][1].dtype.name == "uint8" and s.previews[0][1].shape == (4, 4, 4)
    assert s.model is not None and not s.model.training
    assert s.steps_per_s > 0


def test_pause_really_pauses_and_step_runs_exactly_n():
    t = make(steps=10_000, delay=0.001)
    t.start()
    wait_until(lambda: t.snapshot().step > 5)
    t.pause()
    time.sleep(0.05)  # let the in-flight step finish
    frozen_step = t.snapshot().step
    time.sleep(0.2)
    assert t.snapshot().step == frozen_step and t.state == "paused"
    t.step(3)
    wait_until(lambda: t.snapshot().step == frozen_step + 3)
    time.sleep(0.1)
    assert t.snapshot().step == frozen_step + 3
    assert t.snapshot().model_step == frozen_step + 3  # a paused run's frozen model is current
    t.resume()
    wait_until(lambda: t.snapshot().step > frozen_step + 10)
    t.stop()
    assert not t.alive and t.state == "stopped"


def test_step_before_start_runs_paused():
    t = make(steps=100)
    t.step(2)
    wait_until(lambda: t.snapshot().step == 2)
    assert t.state == "paused"
    t.stop()
    assert not t.alive


def test_stop_joins_a_paused_thread():
    t = make(steps=10_000)
    t.start(paused=True)
    t.stop(timeout=5)
    assert not t.alive and t.state == "stopped"


def test_exception_in_thread_is_surfaced():
    t = make(steps=100, fail_at=7)
    t.start()
    assert t.join(10)
    s = t.snapshot()
    assert s.state == "failed" and s.error.startswith("an internal error stopped training at step 7")
    assert "RuntimeError" not in s.error and "RuntimeError: injected failure" in t.error_trace  # the detail: log only
    assert s.step == 6 and "injected failure" in t.error_trace


def test_nan_stops_the_run_with_a_reason():
    t = make(steps=100, nan_at=12)
    t.start()
    assert t.join(10)
    s = t.snapshot()
    assert s.state == "failed" and "diverged at step 12" in s.error and "learning rate" in s.error


def test_hyper_changes_apply_between_steps():
    t = make(steps=10_000)
    t.start(paused=True)
    t.set_hyper(lr=0.0123, batch_size=4)
    t.step(1)
    wait_until(lambda: t.snapshot().step == 1)
    assert all(g["lr"] == 0.0123 for g in t.opts["model"].param_groups)
    assert t.snapshot().hp.batch_size == 4
    with pytest.raises(ValueError):
        t.set_hyper(momentum=0.9)
    t.stop()


def test_same_seed_same_losses_even_in_parallel_threads():
    a, b, c = make(steps=60, seed=3), make(steps=60, seed=3), make(steps=60, seed=4)
    for t in (a, b, c):
        t.start()
    for t in (a, b, c):
        assert t.join(20)
    la, lb, lc = (t.snapshot().history["loss"] for t in (a, b, c))
    assert la == lb and la != lc


def test_history_and_timeline_are_bounded():
    cfg = RunConfig(kind="tiny", steps=2000, hp=Hyper(lr=1e-2, batch_size=4), publish_every=1, snapshot_every=10,
                    preview_n=2, max_points=50, max_snapshots=8, device="cpu")
    t = Trainer(cfg, TinyData(), model=Tiny())
    t.start()
    assert t.join(60)
    s = t.snapshot()
    assert len(s.history["step"]) <= 50 and len(s.previews) <= 8
    assert s.previews[0][0] == 0 and s.previews[-1][0] == 2000
    steps = [p[0] for p in s.previews]
    assert steps == sorted(steps)


def test_snapshot_is_a_copy():
    t = make(steps=20)
    t.start()
    t.join(10)
    s = t.snapshot()
    s.history["loss"].clear()
    assert t.snapshot().history["loss"]


def test_many_readers_while_training():
    t = make(steps=400)
    errors = []

    def read():
        try:
            while t.alive or t.state == "idle":
                s = t.snapshot()
                assert len(s.history["step"]) == len(s.history.get("loss", s.history["step"]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    readers = [threading.Thread(target=read) for _ in range(4)]
    t.start()
    for r in readers:
        r.start()
    assert t.join(30)
    for r in readers:
        r.join(5)
    assert not errors and t.state == "finished"


def test_held_out_metrics_at_snapshots():
    cfg = RunConfig(kind="tiny", steps=200, hp=Hyper(lr=1e-2, batch_size=8), publish_every=5, snapshot_every=50,
                    preview_n=2, device="cpu")
    t = Trainer(cfg, TinyData(), model=Tiny(), test_data=TinyData())
    t.start()
    assert t.join(20)
    ev = t.snapshot().evals
    assert ev["step"] == [0.0, 50.0, 100.0, 150.0, 200.0]
    assert ev["val_loss"][-1] < ev["val_loss"][0]


@pytest.mark.parametrize("how", ["finished", "stopped", "failed"])
def test_an_ended_run_hands_freed_memory_back(monkeypatch, how):
    """glibc keeps freed heap mapped; without a trim when each run ends, the server's RSS climbed run after run."""
    import genai_demo.training.trainer as trainer_mod

    trims = []
    monkeypatch.setattr(trainer_mod, "give_memory_back", lambda: trims.append(1))
    t = make(steps={"finished": 20, "stopped": 10_000, "failed": 100}[how], fail_at=5 if how == "failed" else None)
    t.start(paused=how == "stopped")
    if how == "stopped":
        t.stop(timeout=5)
    assert t.join(10) and t.state == how
    assert trims == [1]  # once, after Adam's moments and the gradients were dropped
    assert all(not opt.state for opt in t.opts.values())
