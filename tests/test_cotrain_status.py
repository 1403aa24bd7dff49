"""Issue 16 item 3: the switch that turns runs stepping together on (CUDA) or off (CPU, unless forced), the estimate
that counts a group's extra turns, and the status line that says a run steps together (en + zh-CN), also through the
Train tab's handler."""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from genai_demo.models.base import Hyper
from genai_demo.training import cotrain, estimate
from genai_demo.training.runs import RunRegistry
from genai_demo.ui import train_view as V
from tests.helpers import wait_until
from tests.helpers.cogroup import cfg, finished, make, registry

pytestmark = pytest.mark.usefixtures("one_thread")  # one intra-op thread (tests/conftest.py)


def test_on_for_cuda_off_for_cpu_unless_forced(monkeypatch):
    assert cotrain.enabled("cuda", {}) and not cotrain.enabled("cpu", {})
    assert cotrain.enabled("cpu", {cotrain.ENV: "1"}) and not cotrain.enabled("cuda", {cotrain.ENV: "0"})
    monkeypatch.delenv(cotrain.ENV, raising=False)
    reg = registry()
    run = reg.start("s", cfg(0, steps=3), make)
    finished(run)
    assert run.trainer.chunk_runner is None  # the CPU default: every run trains alone, exactly as before


@pytest.mark.parametrize("g, seats, eta", [(1, 1, 40.0), (4, 1, 10.0), (2, 1, 20.0), (4, 8, 10.0)])
def test_the_estimate_counts_a_groups_extra_turns(g, seats, eta):
    """Four runs needing 10 s of compute each at their own pace: alone on one seat they end after 40 s; in a group of
    four every turn steps all four (10 s); in pairs, 20 s; with more seats than runs, group chunks still go one at a
    time (10 s, not 2.5)."""
    def run(i):
        trainer = SimpleNamespace(cfg=SimpleNamespace(steps=100, kind="gan", hp=Hyper()), step_count=0, steps_per_s=10.0,
                                  budget=SimpleNamespace(seconds=None), pending_steps=0, state="running",
                                  chunk_runner=SimpleNamespace(together=g))
        return SimpleNamespace(trainer=trainer)
    runs = [run(i) for i in range(4)]
    p = estimate.pace(runs[0], runs, [], seats, 32)
    assert p["eta_s"] == pytest.approx(eta) and p["together"] == g
    assert p["share"] == pytest.approx(min(1.0, seats * g / 4))


def test_the_train_tabs_status_says_a_run_steps_together(monkeypatch):
    """Through the Train tab's handler (the /status endpoint and the 2 Hz tick use it): two visitors' class-preset
    GANs on the real data step together (forced on, as on a GPU), and each one's status line says so, in both
    languages."""
    monkeypatch.setenv(cotrain.ENV, "1")
    from genai_demo.ui.context import UIContext
    from genai_demo.ui.train_actions import TrainActions

    ctx = UIContext(registry=RunRegistry(max_running=1, max_active=4, max_steps=5000, idle_s=600))
    a = TrainActions(ctx, datasets=["mnist5k"])
    alice, bob = SimpleNamespace(session_hash="alice"), SimpleNamespace(session_hash="bob")
    try:
        for who in (alice, bob):
            a.train("gan", "mnist5k", 5000, preset="class", request=who)
        d = wait_until(lambda: (s := a.status(bob))["pace"] and s["pace"]["together"] == 2 and s, 60)
        assert d["state"] == "running" and d["pace"]["share"] == 1.0  # every turn of either steps both
        assert "stepping together with 1 other run in one batched computation" in V.status_markdown(d, "en")
        assert "与另外 1 个训练合在一次批量计算中同时进行" in V.status_markdown(d, "zh-CN")
        assert "sharing the trainer" not in V.status_markdown(d, "en")
    finally:
        ctx.registry.shutdown()


def test_the_status_line_says_when_a_run_steps_together():
    reg = registry()
    run = reg.start("s", cfg(0, steps=2), make)
    finished(run)
    snap = dataclasses.replace(run.trainer.snapshot(), state="running")
    pace = {"active": 8, "share": 1.0, "eta_s": 12.0, "wait_s": None, "together": 8}
    d = V.status_dict(run, snap, None, pace)
    assert "stepping together with 7 other runs" in V.status_markdown(d, "en")
    assert "与另外 7 个训练合在一次批量计算中同时进行" in V.status_markdown(d, "zh-CN")
    alone = V.status_dict(run, snap, None, {**pace, "together": 1})
    assert "together" not in V.status_markdown(alone, "en")
