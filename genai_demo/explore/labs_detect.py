"""The Labs tab's detectors: each reads one lab's runs' own metrics and says when the thing happened.

A detector is a plain function over :class:`Trace` objects (one per run of the lab) and returns a
:class:`Detection` — the step, the catalogue key of the sentence and the numbers it cites — or None while
it has not happened. It never computes anything heavy: the traces hold what the Trainer published (its
metric history and held-out evaluations) plus what ``labs_measure`` measured on its snapshots (a
classifier's confidence and class coverage of the fixed-noise preview grid; the share of generated names
copied from the training list). Unit tests feed them synthetic traces; ``bench/labs.py`` real runs.
No gradio, no torch.
"""
from __future__ import annotations

from dataclasses import dataclass, field

Series = dict[str, list[float]]  # "step" plus one list per metric, equal lengths (as Snapshot.history)

# thresholds: what "it happened" means, one place (the lab texts quote them through the detection's values)
DIGITS_CONFIDENCE = 0.7  # mean max softmax of the classifier on the preview grid: "these look like digits"
DIGITS_CLASSES = 6  # … and spread over at least this many classes (a collapsed G is confident too)
COLLAPSE_CLASSES = 3  # classes covered ≤ this, read confidently: the samples lost their variety (mode collapse)
COLLAPSE_CONFIDENCE = 0.6  # … "confidently": below this the classifier cannot tell, and few classes mean nothing
COLLAPSE_AFTER = 100  # the step-0 grid (one blob, one class) is not a collapse
D_WINS_ACC = 0.95  # D tells real from fake this often …
D_WINS_WINDOW = 5  # … averaged over this many published points (≈ 50 steps at the app's publish rate)
D_WINS_G_LOSS = 2.0  # … while G's loss -log D(G(z)) averages at least this: D gives fakes < 14 % (ln 2 = balance)
BETA_KL_RATIO = 2.0  # held-out KL of the β = 0 run at least this many times the β = 4 run's
BETA_MIN_STEP = 200  # compare both runs once each has been evaluated at least this far in
MEMORISED_SHARE = 0.4  # share of generated names copied from the training list


@dataclass
class Trace:
    """One run as the detectors see it."""

    history: Series = field(default_factory=lambda: {"step": []})  # Trainer history (loss, d_acc, g_loss, kl, …)
    evals: Series = field(default_factory=lambda: {"step": []})  # held-out metrics at snapshots (val_loss, val_kl, …)
    measured: Series = field(default_factory=lambda: {"step": []})  # labs_measure: confidence, classes, memorised …
    beta: float = 1.0  # the run's β (the β lab tells its two runs apart by it)
    ended: bool = False  # finished, stopped or failed: a detector that has not fired by now never will


@dataclass(frozen=True)
class Detection:
    step: int  # the step at which it happened
    key: str  # catalogue key of the sentence (genai_demo/i18n/*/labs.json)
    values: dict  # its {placeholders}: the step and the numbers, already formatted


def _rows(s: Series, *names: str):
    """(step, value, …) rows of a series that has all the names."""
    if not all(n in s for n in names):
        return []
    return list(zip(s["step"], *(s[n] for n in names), strict=False))


def _fmt_step(step: float) -> str:
    return f"{int(step):,}"


# ---- the detectors --------------------------------------------------------------------------------------------------
def digits_appear(traces: list[Trace]) -> Detection | None:
    """gan-learns: the first snapshot whose preview grid the classifier finds confidently digit-like, over many
    classes (so a collapsed G's confident 1s do not count)."""
    for step, conf, classes in _rows(traces[0].measured, "confidence", "classes"):
        if conf >= DIGITS_CONFIDENCE and classes >= DIGITS_CLASSES:
            return Detection(int(step), "lab_gan_learns_fired",
                             {"step": _fmt_step(step), "confidence": f"{conf:.2f}", "classes": int(classes)})
    return None


def mode_collapse(traces: list[Trace]) -> Detection | None:
    """mode-collapse: samples the classifier reads confidently (≥ COLLAPSE_CONFIDENCE) as ≤ COLLAPSE_CLASSES classes."""
    for step, conf, classes in _rows(traces[0].measured, "confidence", "classes"):
        if step >= COLLAPSE_AFTER and conf >= COLLAPSE_CONFIDENCE and classes <= COLLAPSE_CLASSES:
            return Detection(int(step), "lab_mode_collapse_fired",
                             {"step": _fmt_step(step), "classes": int(classes), "confidence": f"{conf:.2f}"})
    return None


def d_wins(traces: list[Trace]) -> Detection | None:
    """d-wins: over the last D_WINS_WINDOW published points, D's accuracy averages ≥ D_WINS_ACC and G's loss
    ≥ D_WINS_G_LOSS — far above ln 2 ≈ 0.69, its value when D cannot tell real from fake. Cites the grid's
    classifier confidence at that point when measured (the stalled grid)."""
    rows = _rows(traces[0].history, "d_acc", "g_loss")
    w = D_WINS_WINDOW
    for i in range(w - 1, len(rows)):
        window = rows[i - w + 1:i + 1]
        acc = sum(r[1] for r in window) / w
        g = sum(r[2] for r in window) / w
        if acc >= D_WINS_ACC and g >= D_WINS_G_LOSS:
            step = rows[i][0]
            conf = [c for s, c in _rows(traces[0].measured, "confidence") if s <= step]
            return Detection(int(step), "lab_d_wins_fired",
                             {"step": _fmt_step(step), "acc": f"{acc:.0%}", "g_loss": f"{g:.2f}",
                              "confidence": f"{conf[-1]:.2f}" if conf else "–"})
    return None


def beta_map(traces: list[Trace]) -> Detection | None:
    """beta-map: once both runs (β = 0 and β = 4) are evaluated at the same step ≥ BETA_MIN_STEP, β = 0's held-out KL
    is ≥ BETA_KL_RATIO × β = 4's. Cites both KLs and both held-out −ELBOs (at β = 1, comparable)."""
    if len(traces) < 2:
        return None
    free, tight = sorted(traces[:2], key=lambda tr: tr.beta)
    a = {r[0]: r[1:] for r in _rows(free.evals, "val_kl", "val_loss")}
    for step, kl4, elbo4 in _rows(tight.evals, "val_kl", "val_loss"):
        if step < BETA_MIN_STEP or step not in a:
            continue
        kl0, elbo0 = a[step]
        if kl0 >= BETA_KL_RATIO * max(kl4, 1e-6):
            return Detection(int(step), "lab_beta_map_fired",
                             {"step": _fmt_step(step), "kl0": f"{kl0:.1f}", "kl4": f"{kl4:.1f}",
                              "elbo0": f"{elbo0:.1f}", "elbo4": f"{elbo4:.1f}"})
    return None


def memorise(traces: list[Trace]) -> Detection | None:
    """memorise: the share of sampled names that are copies of training names reaches MEMORISED_SHARE."""
    for step, share in _rows(traces[0].measured, "memorised"):
        if share >= MEMORISED_SHARE:
            return Detection(int(step), "lab_memorise_fired", {"step": _fmt_step(step), "share": f"{share:.0%}"})
    return None


DETECTORS = {"gan-learns": digits_appear, "mode-collapse": mode_collapse, "d-wins": d_wins, "beta-map": beta_map,
             "memorise": memorise}
