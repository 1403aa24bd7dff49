"""What a run is told (:class:`RunConfig`) and what a reader of it sees (:class:`Snapshot`), plus the device and
thread choices every Trainer makes. Plain data, no threads, no gradio; ``trainer.py`` re-exports all of it.
"""
from __future__ import annotations

import dataclasses
import os
from typing import Any

import torch

from ..models.base import GenerativeModel, Hyper


def pick_device(name: str = "auto") -> torch.device:
    """cuda → mps → cpu, or exactly what was asked."""
    if name != "auto":
        return torch.device(name)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def training_threads() -> int:
    """Leave one core for the UI / event loop (2 cores → 1 training thread)."""
    return max(1, (os.cpu_count() or 2) - 1)


@dataclasses.dataclass
class RunConfig:
    kind: str  # model family: a key of models.MODELS ("vae", "gan", "charlm", …)
    data: str = "mnist5k"  # data set name (see data.dataset_names())
    steps: int = 3000  # optimisation steps to run (a "step" = one G update for GANs)
    seed: int = 0  # seeds the weights, the batch draws and the noise: same seed + config → same losses
    hp: Hyper = dataclasses.field(default_factory=Hyper)
    model_config: dict | None = None  # overrides of the family's config dataclass
    publish_every: int = 20  # steps between metric publishes (steps run back to back in between)
    snapshot_every: int = 200  # steps between frozen copies + preview grids
    preview_n: int = 100  # images in the fixed-noise preview (10 × 10)
    max_points: int = 1000  # metric history bound; halved by dropping every other point when hit
    max_snapshots: int = 40  # preview timeline bound; thinned the same way
    device: str = "auto"
    diverge_at: float = 1e5  # |loss| above this stops the run as diverged
    max_seconds: float | None = None  # time budget: seconds of training, then the run stops (None: unbounded; budget.py)
    max_examples: int | None = None  # work budget: examples drawn, then the run stops (None: unbounded)


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """What a reader sees: a consistent, immutable copy taken under the lock."""

    state: str
    step: int
    total: int
    history: dict[str, list[float]]  # "step" plus one list per metric, equal lengths
    evals: dict[str, list[float]]  # held-out metrics at snapshot steps: "step" plus e.g. "val_loss"
    previews: list[tuple[int, Any]]  # (step, preview) timeline; preview = uint8 (n,28,28) or str
    model: GenerativeModel | None  # frozen eval-mode CPU copy (None before the first publish)
    model_step: int  # step at which `model` was copied
    steps_per_s: float
    eta_s: float | None
    device: str
    error: str | None  # why the run failed / diverged (one readable line)
    hp: Hyper
    notice: str | None = None  # catalogue key of a note about where it trains (ZeroGPU fell back to the CPU), or None
    # (step, name, old, new) for each mid-run change of a hyper-parameter (set_hyper), oldest first; the curves mark them
    changes: tuple[tuple[int, str, float, float], ...] = ()

    @property
    def last(self) -> dict[str, float]:
        return {k: v[-1] for k, v in self.history.items() if v}
