"""How well the fake points match the real ones: mode coverage, a binned Jensen–Shannon divergence, collapse events.

- **Mode coverage** (the mode-counting benchmark of Metz et al. 2017 and Lin et al. 2018, PacGAN): each
  fake point goes to its nearest mode (distance measured in units of that mode's near radius, see
  toy_data.py); it counts for the mode only if it lies within the radius. A mode is *covered* when it holds
  at least COVER_SHARE of its fair share of the fakes (weight × n): a quarter, so a mode G visits with
  a few stray points is not counted, while an uneven but real spread is.
- **Jensen–Shannon divergence**, binned: both point sets become BINS × BINS histograms over the plane
  (points outside fall into the edge bins); JS = ½ KL(p‖m) + ½ KL(q‖m), m = ½(p + q), in bits (0 = same
  histograms, 1 = disjoint). A finite sample is never exactly its distribution, so two real samples score
  above 0: `js_floor` gives that floor for a data set.
- **Collapse detector**: G "collapses" when most fakes sit on the data (ON_DATA of them near some mode)
  yet at least half the modes are not covered, and at least half stay uncovered for HOLD_STEPS steps
  (the fakes may leave the data meanwhile: a collapsed G hops from mode to mode as one blob); the event is
  dated at the step it began. It ends ("recovered") when at most a quarter of the modes are missing for
  HOLD_STEPS steps. A G still spreading out from its first blob has most fakes off the data, so it is not
  counted.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..i18n import t
from .toy_data import EXTENT, ToyData

COVER_SHARE = 0.25  # a mode is covered when it holds ≥ this fraction of its fair share of the fakes
ON_DATA = 0.5  # collapse needs at least this share of the fakes near some mode ("G found the data")
HOLD_STEPS = 200  # a collapse (or recovery) must last this many steps before it is reported
BINS = 24  # histogram bins per axis for the JS estimate (cells of 1/6 on the [-2, 2]² plane)


@dataclass(frozen=True)
class Coverage:
    covered: int  # modes holding at least COVER_SHARE of their fair share
    modes: int  # modes in the data set
    on_data: float  # share of the fakes near some mode
    counts: list[int]  # fakes near each mode, (M,)


def coverage(fake: torch.Tensor, data: ToyData) -> Coverage:
    """fake (n, 2) → Coverage against data's modes."""
    d = torch.cdist(fake, data.centres) / data.radius  # (n, M) distance in near-radius units
    best, idx = d.min(dim=1)  # (n,) nearest mode, by that measure
    near = best <= 1
    counts = torch.bincount(idx[near], minlength=data.modes)  # (M,)
    need = COVER_SHARE * data.weights * len(fake)  # (M,) fakes each mode needs to count as covered
    return Coverage(int((counts >= need).sum()), data.modes, float(near.float().mean()), counts.tolist())


def _hist(x: torch.Tensor) -> torch.Tensor:
    """(n, 2) points → (BINS²,) probabilities over the plane's cells."""
    ij = ((x + EXTENT) * (BINS / (2 * EXTENT))).floor().long().clamp(0, BINS - 1)  # (n, 2) cell indices
    return torch.bincount(ij[:, 1] * BINS + ij[:, 0], minlength=BINS * BINS).double() / len(x)


def js_divergence(real: torch.Tensor, fake: torch.Tensor) -> float:
    """Binned Jensen–Shannon divergence in bits, in [0, 1]."""
    p, q = _hist(real), _hist(fake)
    m = (p + q) / 2

    def kl(a: torch.Tensor) -> torch.Tensor:
        nz = a > 0  # 0 · log 0 = 0; where a > 0, m > 0 too
        return (a[nz] * (a[nz] / m[nz]).log2()).sum()

    return float((kl(p) + kl(q)) / 2)


def js_floor(data: ToyData, n: int, seed: int) -> float:
    """JS between two independent real samples of size n: what a perfect G would still score."""
    g = torch.Generator().manual_seed(seed)
    return js_divergence(data.sample(n, g), data.sample(n, g))


class CollapseDetector:
    """Feed it (step, Coverage) in step order; it keeps the collapse events: begun at, modes lost, recovered at."""

    def __init__(self):
        self.events: list[dict] = []  # {"step", "lost", "modes", "recovered"} (recovered: step or None)
        self._since: int | None = None  # step at which the current candidate state began

    @property
    def collapsed(self) -> bool:
        return bool(self.events) and self.events[-1]["recovered"] is None

    def update(self, step: int, cov: Coverage) -> None:
        missing = cov.modes - cov.covered
        if not self.collapsed:
            # it starts with the fakes on the data (not a blob still on its way); it goes on while G hops
            # from mode to mode, the whole blob in flight between two of them (the classic collapse dance)
            candidate = 2 * missing >= cov.modes and (cov.on_data >= ON_DATA or self._since is not None)
        else:
            candidate = 4 * missing <= cov.modes  # recovered: at most a quarter of the modes missing
        if not candidate:
            self._since = None
            return
        if self._since is None:
            self._since = step
            self._lost = missing
        if step - self._since < HOLD_STEPS:
            return
        if self.collapsed:
            self.events[-1]["recovered"] = self._since
        else:
            self.events.append({"step": self._since, "lost": self._lost, "modes": cov.modes, "recovered": None})
            del self.events[:-10]  # a flickering run keeps only its last ten events
        self._since = None

    def message(self, lang: str = "en") -> str | None:
        """The latest event in one line, e.g. "6 of 8 modes lost at step 1,200" (None: no collapse seen)."""
        return collapse_message(self.events, lang)


def collapse_message(events: list[dict], lang: str = "en") -> str | None:
    """The latest of CollapseDetector.events (as a run's frame() lists them) in one line, in `lang`."""
    if not events:
        return None
    e = events[-1]
    msg = t("toy_collapse", lang, lost=e["lost"], modes=e["modes"], step=f"{e['step']:,}")
    return msg + (t("toy_recovered", lang, step=f"{e['recovered']:,}") if e["recovered"] is not None else "")
