"""A run's curves in a checkpoint's header: written by Save (and the CLIs' --out), read back when the file becomes a run.

Why: a run loaded from its weights used to start with empty plots, so a teacher who prepared a model before class could
show where it ended but not how it got there. The header keeps a thinned copy of the Snapshot's ``history`` (training
metrics per step) and ``evals`` (held-out metrics): at most SAVED_POINTS points each, 4 significant digits — ~10 kB.

The header is not covered by the weights' checksum and comes from strangers, so ``unpack`` checks everything: JSON
objects of at most MAX_SERIES short lower-case names, number lists of one length, steps that never go back and never
pass the file's own step. A file whose curves fail any check still loads; it only starts with empty plots (its weights
were checked by the strict loader). No gradio here.
"""
from __future__ import annotations

import math
import re

SAVED_POINTS = 300  # points per series in a saved file; the Train tab draws at most ~300 anyway (PLOT_POINTS)
MAX_SERIES = 12  # metric names per table: the biggest family (GAN) has 5 training metrics
_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")

Series = dict[str, list[float]]  # "step" plus one list per metric, all of one length (as Snapshot.history)


def _thin(series: Series, upto: float, n: int = SAVED_POINTS) -> Series:
    """The points up to step `upto`, every k-th so that at most n remain, the last always kept (where the run stopped)."""
    steps = [s for s in series.get("step") or [] if s <= upto]
    if not steps:
        return {}
    k = -(-len(steps) // n)  # ceil: 1000 points → every 4th
    idx = list(range(0, len(steps), k))
    if idx[-1] != len(steps) - 1:
        idx[-1] = len(steps) - 1
    return {name: [_round(v[i]) for i in idx] for name, v in series.items() if len(v) >= len(steps)}


def _round(v: float) -> float | None:
    v = float(v)
    return float(f"{v:.4g}") if math.isfinite(v) else None  # JSON has no NaN; None reads back as a gap


def pack(history: Series, evals: Series, upto: float) -> dict:
    """What Save writes under meta["curves"]: the curves up to the saved weights' step (training may be further on)."""
    return {"history": _thin(history, upto), "evals": _thin(evals, upto)}


def _table(raw, last_step: int) -> Series | None:
    """One checked table, or None when anything about it is off."""
    if not isinstance(raw, dict) or "step" not in raw or len(raw) > MAX_SERIES + 1:
        return None
    n = len(raw["step"]) if isinstance(raw["step"], list) else -1
    if not 0 < n <= SAVED_POINTS:
        return None
    out: Series = {}
    for name, values in raw.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name) or not isinstance(values, list) or len(values) != n:
            return None
        col = []
        for v in values:
            if v is None:
                col.append(math.nan)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                col.append(float(v) if math.isfinite(v) else math.nan)
            else:
                return None
        out[name] = col
    steps = out["step"]
    if any(math.isnan(s) or s < 0 for s in steps) or steps[-1] > last_step \
            or any(b < a for a, b in zip(steps, steps[1:], strict=False)):
        return None
    return out


def unpack(raw, last_step: int) -> tuple[Series, Series] | None:
    """meta["curves"] of a file saved at `last_step` → (history, evals), checked; None if absent or not acceptable.
    Either table may be empty ({}): a run without held-out data has no evals."""
    if not isinstance(raw, dict):
        return None
    tables = []
    for key in ("history", "evals"):
        value = raw.get(key)
        if value in (None, {}):
            tables.append({})
            continue
        table = _table(value, last_step)
        if table is None:
            return None
        tables.append(table)
    return (tables[0], tables[1]) if tables[0] or tables[1] else None


def merged(past: Series, live: Series) -> Series:
    """The file's curve followed by this run's own points. Once the run has points, only its own metric names are
    kept (a name the file made up goes); the file's gaps for a name it lacks are NaN."""
    if not past or not past.get("step"):
        return {k: list(v) for k, v in live.items()}
    if not live.get("step"):
        return {k: list(v) for k, v in past.items()}
    first = live["step"][0]
    n = next((i for i, s in enumerate(past["step"]) if s >= first), len(past["step"]))  # the run's first held-out
    gap = [math.nan] * n  # evaluation is of the file's own weights, at the file's last step: not drawn twice
    return {k: list(past.get(k, gap))[:n] + list(v) for k, v in live.items()}


class CurveLog:
    """The curves of a run with no Trainer (the offline recipe, training/recipe.py): every step's metrics averaged
    over windows of `every` steps (as the Trainer averages between publishes) and the held-out metrics of each
    evaluation, steps counted from `offset` (a later stage goes on from a file saved at that step, whose own curves,
    `past`, come first). Its whole state is plain lists and numbers, so a stopped recipe keeps it (recipe_state.py)."""

    def __init__(self, every: int, offset: int = 0, past: tuple[Series, Series] | None = None):
        self.every, self.offset = max(1, every), offset
        self.past = past or ({}, {})
        self.history: Series = {"step": []}
        self.evals: Series = {"step": []}
        self._sum: dict[str, float] = {}
        self._n = 0

    def step(self, step: int, metrics: dict[str, float]) -> None:
        """One training step's metrics; the names are fixed by the first step (every step of a family has them)."""
        if not self._sum and len(self.history) == 1:
            self._sum = {k: 0.0 for k in metrics}
        for k in self._sum:
            self._sum[k] += float(metrics.get(k, math.nan))
        self._n += 1
        if self._n == self.every:
            self.history["step"].append(float(step + self.offset))
            for k, v in self._sum.items():
                self.history.setdefault(k, []).append(v / self._n)
            self._sum, self._n = dict.fromkeys(self._sum, 0.0), 0

    def evaluated(self, step: int, values: dict[str, float]) -> None:
        """Held-out metrics at an evaluation (a family without them, the GANs, gives {}: nothing to draw)."""
        if values:
            self.evals["step"].append(float(step + self.offset))
            for k, v in values.items():
                self.evals.setdefault(k, []).append(float(v))

    def packed(self, upto: int) -> dict:
        """meta["curves"] for weights saved at step `upto` (counted from offset's start, as the file's step)."""
        return pack(*(merged(p, s) for p, s in zip(self.past, (self.history, self.evals), strict=True)), upto)

    def state(self) -> dict:
        return {"every": self.every, "offset": self.offset, "past": list(self.past), "history": self.history,
                "evals": self.evals, "sum": self._sum, "n": self._n}

    @classmethod
    def from_state(cls, s: dict) -> CurveLog:
        log = cls(s["every"], s["offset"], tuple(_copy(t) for t in s["past"]))  # copies: the log goes on appending
        log.history, log.evals, log._sum, log._n = _copy(s["history"]), _copy(s["evals"]), dict(s["sum"]), s["n"]
        return log


def _copy(table: Series) -> Series:
    return {k: list(v) for k, v in table.items()}


__all__ = ["MAX_SERIES", "SAVED_POINTS", "CurveLog", "merged", "pack", "unpack"]
