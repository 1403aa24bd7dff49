"""Faults while training: a trainer that raises, NaN from an absurd learning rate, a crashing model behind the
app. Nothing may crash the process; a failed run says why, keeps what it learned before, frees its slot, and the app
keeps serving everyone else. Faults while saving (kill -9, disk full, permission denied): test_faults_save.py.
"""
from __future__ import annotations

import pytest
import torch

from genai_demo.data.datasets import load_dataset
from genai_demo.models.base import Hyper
from genai_demo.training.runs import RunRegistry
from genai_demo.training.trainer import RunConfig, Trainer
from tests.helpers import Tiny, TinyData, serve_app, wait_until


# ---- a trainer that raises / diverges -------------------------------------------------------------
def tiny_cfg(steps=100_000):
    return RunConfig(kind="tiny", steps=steps, hp=Hyper(lr=1e-2, batch_size=4), publish_every=5, preview_n=2, device="cpu")


def test_an_exception_in_train_step_fails_that_run_only_and_frees_its_slot():
    reg = RunRegistry(max_running=1, max_steps=100_000)
    try:
        bad = reg.start("mallory", tiny_cfg(), lambda c: Trainer(c, TinyData(), model=Tiny(fail_at=3)))
        good = reg.start("alice", tiny_cfg(300), lambda c: Trainer(c, TinyData(), model=Tiny()))
        wait_until(lambda: bad.trainer.state == "failed")
        snap = bad.trainer.snapshot()
        assert snap.error.startswith("an internal error stopped training at step 3") and "Traceback" in bad.trainer.error_trace
        assert "RuntimeError: injected failure" in bad.trainer.error_trace  # the detail is for the log, not the visitor
        assert snap.step == 2 and snap.model is not None  # what it learned before failing is still there
        # the failed run's slot goes to the queued one; alice's run finishes normally
        wait_until(lambda: reg.status(reg.get("alice")) == "finished")
        assert good.trainer.snapshot().error is None and reg.get("mallory") is bad
    finally:
        reg.shutdown()


@pytest.fixture(scope="module")
def mnist():
    return load_dataset("mnist5k", "train")


@pytest.mark.parametrize("kind", ["vae", "gan"])
def test_absurd_learning_rate_stops_a_real_model_with_a_reason(kind, mnist):
    reg = RunRegistry(max_running=2, max_steps=1000)
    cfg = RunConfig(kind=kind, steps=500, hp=Hyper(lr=1e6, batch_size=32), publish_every=10, snapshot_every=100,
                    preview_n=4, device="cpu")
    try:
        run = reg.start("s", cfg, lambda c: Trainer(c, mnist))
        assert run.trainer.join(60)
        snap = run.trainer.snapshot()
        assert snap.state == "failed" and reg.status(run) == "failed"
        assert snap.error.startswith("diverged at step") and "lower the learning rate" in snap.error
        assert "Traceback" not in snap.error and snap.step < 5
        assert reg.running_count() == 0
    finally:
        reg.shutdown()


def test_nan_midway_keeps_the_last_good_weights():
    t = Trainer(tiny_cfg(50), TinyData(), model=Tiny(nan_at=20))
    t.start()
    assert t.join(10)
    snap = t.snapshot()
    assert snap.state == "failed" and "loss became nan" in snap.error
    assert snap.step == 19 and all(v == v for v in snap.history["loss"])  # no NaN reaches the curves
    assert snap.model is not None and all(torch.isfinite(p).all() for p in snap.model.parameters())


# ---- the same faults seen through the app ----------------------------------------------------------
def test_a_crashing_trainer_fails_its_run_while_the_app_serves_everyone_else(monkeypatch):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from genai_demo.models.gan import GAN
    from genai_demo.ui.context import UIContext

    def boom(self, *args):
        raise RuntimeError("injected failure in train_step")

    monkeypatch.setattr(GAN, "train_step", boom)  # every GAN run crashes; VAEs are untouched

    ctx = UIContext(registry=RunRegistry(max_running=2, max_steps=5000))
    with serve_app(ctx=ctx) as (url, _):
        mallory, alice, carol = (Client(url, verbose=False, analytics_enabled=False) for _ in range(3))
        mallory.predict(model="gan", steps=100, batch_size=16, api_name="/train")
        alice.predict(model="vae", steps=30, batch_size=16, seed=7, api_name="/train")
        failed = wait_until(lambda: (s := mallory.predict(api_name="/status"))["state"] == "failed" and s, timeout=120)
        assert failed["error"].startswith("an internal error stopped training at step 1") and failed["step"] == 0
        assert "RuntimeError" not in failed["error"] and "injected failure" not in failed["error"]  # detail → log
        done = wait_until(lambda: (s := alice.predict(api_name="/status"))["state"] == "finished" and s, timeout=120)
        assert (done["step"], done["error"], done["seed"]) == (30, None, 7)
        assert carol.predict(api_name="/status")["state"] == "none"  # a newcomer is served normally
        # an absurd learning rate: refused up front where it is out of range, a readable stop where it diverges
        with pytest.raises(AppError, match="learning rate must be between"):
            carol.predict(model="vae", steps=100, lr=1e6, api_name="/train")
        carol.predict(model="vae", steps=200, lr=0.1, batch_size=64, api_name="/train")  # the highest lr allowed
        diverged = wait_until(lambda: (s := carol.predict(api_name="/status"))["state"] in ("failed", "finished") and s,
                              timeout=120)
        assert diverged["state"] == "failed" and diverged["error"].startswith("diverged at step")
        assert "lower the learning rate" in diverged["error"] and ctx.registry.running_count() == 0
        # the failed visitors start again and are served like anyone else
        mallory.predict(model="vae", steps=10, batch_size=16, api_name="/train")
        wait_until(lambda: mallory.predict(api_name="/status")["state"] == "finished", timeout=120)
