"""What the labs measure on a run's snapshots, beyond the metrics the Trainer publishes itself.

- "quality" (GAN labs): the quality classifier's confidence (mean max softmax) and classes covered (≥ 5 % of the
  samples) on each snapshot's fixed-noise preview grid — the same 100 noise vectors at every snapshot, already
  drawn by the Trainer, so measuring costs one classifier pass (~10 ms) and never touches the model.
- "memorise" (the tiny GPT): the share of MEMO_SAMPLES names sampled from the frozen snapshot (seeded) that are
  copies of training names, once per snapshot step; when the run has ended, the same at two temperatures for
  the lab's follow-up question.

:class:`LabMeter` keeps these series per run (bounded), so the Labs tab's detector and curve read them without
measuring again. Measuring happens in the tab's slow timer, never in its 2 Hz view tick. No gradio.
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import torch

from ..data.text import novelty
from ..quality.live import one_thread
from ..quality.scores import class_scores, reference
from .labs_detect import Trace

MEMO_SAMPLES = 100  # names per memorisation measurement (~0.2 s on one core for the app's tiny GPT)
MEMO_MAX_LEN = 12  # characters drawn per name at most: training names have ≤ 11, so a longer line is new anyway
# (an untrained model rarely ends a line: without this bound it would draw block_size - 1 = 31 characters each)
TEMPERATURES = (0.5, 1.5)  # the follow-up question's two temperatures
MAX_RUNS = 256  # runs whose measurements are kept (oldest forgotten first)
ENDED = ("finished", "stopped", "failed")


def preview_scores(preview, data: str) -> dict:
    """Classifier confidence and classes covered of one uint8 (n, 28, 28) preview grid."""
    x = torch.as_tensor(preview).float().div(255).reshape(-1, 1, 28, 28)  # (n, 1, 28, 28) in [0, 1]
    with one_thread():
        s = class_scores(reference(data).clf.probs(x))
    return {"confidence": s["confidence"], "classes": float(s["classes_covered"])}


def memorised_share(model, corpus: str, seed: int, temperature: float = 1.0, n: int = MEMO_SAMPLES) -> float:
    """Share (0-1) of n sampled lines that are copies of training lines (data.text.novelty)."""
    with one_thread():
        lines = model.sample_lines(n, torch.Generator().manual_seed(seed), temperature=temperature, max_len=MEMO_MAX_LEN)
    lines = [ln for ln in lines if ln.strip()]
    return sum(novelty(ln, corpus) == "memorised" for ln in lines) / max(1, len(lines))


class LabMeter:
    """Measured series per run id; thread-safe (two timers of one visitor may overlap)."""

    def __init__(self) -> None:
        self._series: OrderedDict[str, dict[str, list[float]]] = OrderedDict()
        self._extra: dict[str, dict[str, float]] = {}  # run id → {"t0.5": share, "t1.5": share} once measured
        self._lock = threading.Lock()

    def measure(self, run_id: str, snap, what: str, data: str, seed: int) -> int:
        """Measure what is new in this snapshot; returns how many measurements were made (0: nothing new)."""
        if what == "quality":
            todo = [(s, p) for s, p in snap.previews if not isinstance(p, str) and not self._has(run_id, s)]
            for step, pic in todo:
                self._add(run_id, step, preview_scores(pic, data))
            return len(todo)
        if what == "memorise" and snap.model is not None:
            made = 0
            if not self._has(run_id, snap.model_step):
                self._add(run_id, snap.model_step, {"memorised": memorised_share(snap.model, data, seed)})
                made += 1
            if snap.state in ENDED and snap.model_step == snap.step and run_id not in self._extra:
                shares = {f"t{t:g}": memorised_share(snap.model, data, seed, t) for t in TEMPERATURES}
                with self._lock:
                    self._extra[run_id] = shares
                made += len(shares)
            return made
        return 0

    def series(self, run_id: str) -> dict[str, list[float]]:
        with self._lock:
            s = self._series.get(run_id)
            return {k: list(v) for k, v in s.items()} if s else {"step": []}

    def extra(self, run_id: str) -> dict[str, float]:
        with self._lock:
            return dict(self._extra.get(run_id, {}))

    def trace(self, run_id: str, snap) -> Trace:
        """A run as the detectors see it: the snapshot's own metrics plus what was measured on it."""
        return Trace(history=snap.history, evals=snap.evals, measured=self.series(run_id), beta=snap.hp.beta,
                     ended=snap.state in ENDED)

    def forget(self, run_ids) -> None:
        with self._lock:
            for r in run_ids:
                self._series.pop(r, None)
                self._extra.pop(r, None)

    # ---- internals ----------------------------------------------------------------------------------------------
    def _has(self, run_id: str, step: int) -> bool:
        with self._lock:
            return float(step) in self._series.get(run_id, {}).get("step", [])

    def _add(self, run_id: str, step: int, values: dict[str, float]) -> None:
        """Insert in step order (previews are measured oldest first; a late one still lands in its place)."""
        with self._lock:
            s = self._series.setdefault(run_id, {"step": [], **{k: [] for k in values}})
            self._series.move_to_end(run_id)
            if float(step) in s["step"]:  # two overlapping timer calls measured the same snapshot: keep one
                return
            i = sum(1 for x in s["step"] if x < step)
            s["step"].insert(i, float(step))
            for k, v in values.items():
                s.setdefault(k, []).insert(i, float(v))
            while len(self._series) > MAX_RUNS:
                old, _ = self._series.popitem(last=False)
                self._extra.pop(old, None)
