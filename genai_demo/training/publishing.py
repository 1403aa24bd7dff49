"""What a run shows its readers: the bounded metric history, the held-out evaluations, the preview timeline and the
frozen CPU copy of the weights, published under the trainer's lock and read as one immutable :class:`Snapshot`.

A mixin of :class:`~genai_demo.training.trainer.Trainer` (which owns the fields); split out so trainer.py stays about
stepping and control. No gradio here.
"""
from __future__ import annotations

import copy
import dataclasses

import torch

from .config import Snapshot
from .curves_io import merged


class Publishing:
    """Needs from the Trainer: cfg, model, test_data, _lock, _state, _step, _rate, _error, _hp, _changes, notice, and the
    reader-visible fields set in Trainer.__init__ (_past, _hist, _evals, _previews, _frozen, _frozen_step, _acc, _acc_n)."""

    def snapshot(self) -> Snapshot:
        with self._lock:
            left = self.cfg.steps - self._step
            return Snapshot(
                state=self._state, step=self._step, total=self.cfg.steps,
                history=merged(self._past[0], self._hist), evals=merged(self._past[1], self._evals),
                previews=list(self._previews), model=self._frozen, model_step=self._frozen_step,
                steps_per_s=self._rate,
                eta_s=(left / self._rate) if self._rate > 0 and self._state == "running" else None,
                device=str(self.device), error=self._error, hp=dataclasses.replace(self._hp), notice=self.notice,
                changes=tuple(self._changes),
            )

    def _publish(self, snapshot: bool, weights=None) -> None:
        """Average the metrics since the last publish; optionally copy the weights (the live model's, or the given
        copy of an earlier step's) + a preview."""
        frozen = preview = None
        if snapshot:
            frozen = copy.deepcopy(self.model if weights is None else weights).to("cpu").eval().requires_grad_(False)
            g = torch.Generator().manual_seed(self.cfg.seed + 1)  # the same noise at every snapshot
            preview = frozen.preview(self.cfg.preview_n, g)
            evals = frozen.evaluate(self.test_data, torch.Generator().manual_seed(self.cfg.seed + 2)) \
                if self.test_data is not None else {}
        with self._lock:
            if self._acc_n:
                self._hist["step"].append(float(self._step))
                for k, v in self._acc.items():
                    self._hist.setdefault(k, []).append(v / self._acc_n)
                self._acc, self._acc_n = {}, 0
                if len(self._hist["step"]) > self.cfg.max_points:
                    self._hist = {k: v[::2] for k, v in self._hist.items()}
            if snapshot:
                self._frozen, self._frozen_step = frozen, self._step
                if evals and (not self._evals["step"] or self._evals["step"][-1] != self._step):
                    self._evals["step"].append(float(self._step))
                    for k, v in evals.items():
                        self._evals.setdefault(k, []).append(v)
                    if len(self._evals["step"]) > self.cfg.max_points:
                        self._evals = {k: v[::2] for k, v in self._evals.items()}
                if not self._previews or self._previews[-1][0] != self._step:
                    self._previews.append((self._step, preview))
                if len(self._previews) > self.cfg.max_snapshots:  # keep the first and the newest
                    self._previews = self._previews[:-1:2] + self._previews[-1:]
