"""Settings → a ready Trainer: the one place a run's data is loaded and its model built.

The run registry calls make_trainer for the app and the API, the CLI calls it too; the UI never builds a Trainer.
"""
from __future__ import annotations

import dataclasses
import os

from ..data.datasets import DataError, load_dataset
from . import zerogpu
from .settings import RunSettings
from .trainer import RunConfig, Trainer

LIVE_PUBLISH_EVERY = 10  # steps between metric publishes while someone watches (the CLI keeps RunConfig's 20)
LIVE_SNAPSHOTS = 40  # preview snapshots per run in the app: the Train tab's timeline


def run_config(s: RunSettings, live: bool = True) -> RunConfig:
    """The Trainer's config for these settings; live: the app's schedule (frequent publishes, ~40 snapshots)."""
    cfg = RunConfig(kind=s.model, data=s.data, steps=s.steps, seed=s.seed, hp=s.hp, device=s.device,
                    model_config=dict(s.model_config) if s.model_config is not None else None)
    if live:  # ~40 preview snapshots per run, never more often than every 10 steps
        cfg.publish_every = LIVE_PUBLISH_EVERY
        cfg.snapshot_every = int(min(200, max(10, round(s.steps / LIVE_SNAPSHOTS / 10) * 10)))
    return cfg


def make_own_trainer(run: RunSettings | RunConfig, owner: str, live: bool = True) -> Trainer:
    """A run on a visitor's own images or text (data/own_store.py): both splits come from the store, found for their
    owner only — anyone else gets the DataError of a data set that is gone."""
    from ..data import own_store  # read per call: the store is per process, filled by the visitors' uploads

    cfg, chunks = _placed(run_config(run, live) if isinstance(run, RunSettings) else run)
    data, test = (own_store.STORE.dataset(cfg.data, split, owner=owner) for split in ("train", "test"))
    trainer = Trainer(cfg, data, test_data=test)
    trainer.chunk_runner = chunks
    return trainer


def _placed(cfg: RunConfig):
    """(cfg, chunk runner): on ZeroGPU (zerogpu.prepare() ran) the run lives on the CPU and CUDA is real only inside
    a chunk; elsewhere no runner and the config as it is."""
    chunks = zerogpu.runner() if cfg.device == "auto" else None
    return (dataclasses.replace(cfg, device="cpu") if chunks is not None else cfg), chunks


def make_trainer(run: RunSettings | RunConfig, live: bool = True, data_dir: str | os.PathLike | None = None,
                 download: bool = False) -> Trainer:
    """Load the training split (and, when it exists, the held-out one for held-out curves) and build the run.

    Raises DataError when the data cannot be loaded, ValueError when the model and the data do not fit."""
    cfg, chunks = _placed(run_config(run, live) if isinstance(run, RunSettings) else run)
    data = load_dataset(cfg.data, "train", data_dir=data_dir, download=download)
    try:
        test = load_dataset(cfg.data, "test", data_dir=data_dir)
    except DataError:
        test = None  # no held-out split on disk: the run trains without held-out curves
    trainer = Trainer(cfg, data, test_data=test)
    trainer.chunk_runner = chunks
    return trainer
