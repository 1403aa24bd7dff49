"""Helpers for the tests of runs stepping together (training/cotrain.py): small class-preset GAN runs on 28×28 digits in
a RunRegistry with one seat, started together while the test holds that seat, and the same runs trained alone."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from genai_demo.models.base import Hyper
from genai_demo.training.runs import RunRegistry
from genai_demo.training.trainer import RunConfig, Trainer

from .serving import wait_until
from .tiny import TinyDigits

STEPS = 30


def cfg(seed: int, steps: int = STEPS, z_dim: int = 16, batch: int = 16, lr: float = 2e-4, device: str = "cpu",
        kind: str = "gan", **kw) -> RunConfig:
    narrow = {"z_dim": z_dim, "g_widths": (64, 128, 256), "d_widths": (128, 64)}  # the class preset's widths: fast
    return RunConfig(kind=kind, steps=steps, seed=seed, hp=Hyper(lr=lr, batch_size=batch), model_config=narrow,
                     publish_every=5, snapshot_every=10, preview_n=10, device=device, **kw)


def make(c: RunConfig) -> Trainer:
    return Trainer(c, TinyDigits())  # the model is built from the seed, as for any run


OPEN: list[RunRegistry] = []  # registries made by registry(), released after each test (tests/conftest.py)


def registry() -> RunRegistry:
    reg = RunRegistry(max_running=1, max_active=8, run_seconds=0, run_examples=0)
    OPEN.append(reg)
    return reg


def start_together(reg: RunRegistry, cfgs: list[RunConfig]) -> list:
    """Start the runs while the test holds the only seat: when it lets go, the first leads a chunk for all."""
    with reg.slicer.turn("blocker"):
        runs = [reg.start(f"s{i}", c, make) for i, c in enumerate(cfgs)]
        wait_until(lambda: reg.slicer.waiting() == len(runs), what="every run waiting for a turn")
    return runs


def finished(*runs) -> None:
    for r in runs:
        assert r.trainer.join(120), r.id


def reference(c: RunConfig, plan=()) -> Trainer:
    """The same run alone, driven by advance(): plan is [(steps, lr change or None)], then the rest."""
    t = make(c)
    t.publish()  # the step-0 grid, which a run's first turn shows
    for n, lr in plan:
        t.advance(n - t.step_count)
        if lr is not None:
            t.set_hyper(lr=lr)
    t.advance(c.steps)
    return t


def assert_same(t: Trainer, ref: Trainer, upto: int | None = None) -> None:
    """History, timeline and weights of t match ref's within float tolerance: batched matmuls sum in another order,
    and a GAN amplifies such 1e-7 differences step by step (torch's own fused and single-tensor Adams drift apart by 4e-4 in
    30 steps at lr 1e-3, the ensemble by 3e-3; a fresh Adam at a join differs by far more: see the test below)."""
    a, b = t.snapshot(), ref.snapshot()
    assert a.step == b.step == (upto if upto is not None else a.total)
    assert a.history["step"] == b.history["step"]
    for k in ("d_loss", "g_loss", "d_real", "d_fake"):
        assert a.history[k] == pytest.approx(b.history[k], rel=1e-3, abs=1e-4), k
    assert a.history["d_acc"] == pytest.approx(b.history["d_acc"], abs=0.05)  # a logit at 0 may flip one image
    assert [s for s, _ in a.previews] == [s for s, _ in b.previews]
    for (_, pa), (_, pb) in zip(a.previews, b.previews, strict=True):
        diff = np.abs(pa.astype(int) - pb.astype(int))  # uint8 grids: tanh's steep middle amplifies the drift
        assert diff.mean() <= 0.25 and diff.max() <= 16, (diff.mean(), diff.max())
    assert a.changes == b.changes
    x, y = (torch.cat([p.detach().flatten() for p in m.parameters()]) for m in (t.model, ref.model))  # (≈2 M,)
    assert (x - y).norm() <= 5e-3 * y.norm(), ((x - y).norm() / y.norm()).item()


def together(run) -> int:
    return run.trainer.chunk_runner.steps_together


# ---- grouping and equal results --------------------------------------------------------------------------------
