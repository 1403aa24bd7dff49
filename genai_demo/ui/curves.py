"""Readable training curves: a y-axis title, a y range the first steps' spike does not set, held-out points drawn as
marks rather than a line, and a vertical line where a hyper-parameter changed mid-run.

Plain functions (pandas + numpy, no gradio): ``curve_view`` gives the long table for a gr.LinePlot and the plot
options to send with it (``x_title``, ``y_title``, ``y_lim``, ``color_map``, ``colors_in_legend``). Gradio 6.31's LinePlot
draws one mark type (a line), so a held-out point is a short horizontal dash, its own path: the row after it has no
value (NaN → JSON null), which breaks the line there (checked in a browser). A change is a two-point vertical segment,
a grey series of its own; its label ("lr→0.005 @800") is said by ``changes_note`` under the plots, not in the legend:
Vega draws the legend on one line and cut the fourth entry off, while the note wraps.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..i18n import t
from .train_view import PLOT_POINTS, Plot, colors, curve_frame, series_name

SQUEEZE = 1.5  # cut the early part off when showing it would shrink the rest to less than 1 / SQUEEZE of the height
MAX_HIDDEN = 0.25  # never cut off more than this share of the points (a 60-step run logs 6 per curve)
EARLY = 0.05  # share of the run's steps (at least the first 3 points) whose values may not set the y range
DASH = 0.012  # half-width of a held-out dash, as a share of the plotted steps
MARKER = "#6b7280"  # a change's line: grey, whichever setting
MAX_MARKERS = 6  # the newest changes drawn (the legend stays short)
HYPER_NAMES = {"lr": "lr", "batch_size": "batch", "beta": "β", "d_steps": "D:G"}  # as the status line names them


def y_range(frame: pd.DataFrame) -> tuple[float, float] | None:
    """[lo, hi] with a margin when the early part of the curves reaches beyond what the rest needs, else None.

    The early part: the first EARLY of the steps (and the first 3 points of each series): a loss starts high and falls
    fast, and drawing that spike squeezes the rest of the curve into a flat line at the bottom."""
    finite = frame[np.isfinite(frame["value"])]
    if finite.empty:
        return None
    steps = finite["step"].to_numpy(float)
    cut = steps.min() + EARLY * (steps.max() - steps.min())
    rank = finite.groupby("series").cumcount().to_numpy()
    late = finite["value"].to_numpy(float)[(steps > cut) & (rank >= 3)]
    if late.size < 3:
        return None
    lo, hi = padded(float(late.min()), float(late.max()))
    all_lo, all_hi = float(finite["value"].min()), float(finite["value"].max())
    if all_hi - all_lo <= SQUEEZE * (hi - lo):
        return None  # the early part squeezes the rest little: let the plot show everything
    values = finite["value"].to_numpy(float)
    if np.mean((values < lo) | (values > hi)) > MAX_HIDDEN:
        return None  # a short run: most of its few points are "early", and the range left the curve off the plot
    return lo, hi


def padded(lo: float, hi: float) -> tuple[float, float]:
    """[lo, hi] with a margin of 8 % of the span (5 % of the value for a flat curve), so no line runs on the frame."""
    pad = 0.08 * (hi - lo) if hi > lo else 0.05 * max(abs(hi), 1e-9)
    return lo - pad, hi + pad


def held_out_dashes(frame: pd.DataFrame, names: set[str]) -> pd.DataFrame:
    """The rows of the held-out series (names) → a short dash per point, each broken off from the next."""
    if not names or frame.empty:
        return frame
    held = frame["series"].isin(names)
    if not held.any():
        return frame
    first, last = float(frame["step"].min()), float(frame["step"].max())
    w = DASH * ((last - first) or 1.0)
    step = frame.loc[held, "step"].to_numpy(float)  # (n,)
    a, b = np.maximum(first, step - w), np.minimum(last, step + w)  # within the steps drawn: the x axis keeps its range
    value = frame.loc[held, "value"].to_numpy(float)
    # per point: its dash's two ends, then a row with no value just after it (3n rows, in that order)
    dashes = pd.DataFrame({"step": np.stack([a, b, b + 1e-6 * w], 1).ravel(),
                           "value": np.stack([value, value, np.full_like(value, np.nan)], 1).ravel(),
                           "series": np.repeat(frame.loc[held, "series"].to_numpy(), 3)})
    return pd.concat([frame[~held], dashes], ignore_index=True)


def change_label(step: int, name: str, old: float, new: float) -> str:
    """"lr→0.005 @800": the setting, its new value, the step (the same words in every language; the legend is narrow,
    the old value is the line before, in the status history)."""
    return f"{HYPER_NAMES.get(name, name)}→{new:g} @{step:,}"


def drawn_changes(changes, last_step: float) -> list[tuple]:
    """The changes the plots show: the newest MAX_MARKERS up to the last plotted step (a later one waits)."""
    return [c for c in changes if c[0] <= last_step][-MAX_MARKERS:]


def change_lines(changes, lo: float, hi: float) -> pd.DataFrame:
    """A vertical segment from lo to hi at each change's step, one series each (changes: from drawn_changes)."""
    rows = []
    for step, name, old, new in changes:
        label = change_label(step, name, old, new)
        rows += [(step, lo, label), (step, hi, label)]
    return pd.DataFrame(rows, columns=["step", "value", "series"]).astype({"step": float, "value": float})


def curve_view(plot: Plot, history: dict, evals: dict | None = None, changes=(), lang: str = "en",
               max_points: int = PLOT_POINTS) -> tuple[pd.DataFrame, dict] | None:
    """(table, LinePlot options) for one of the Train tab's plots; None while there is nothing to draw."""
    frame = curve_frame(plot, history, evals, max_points=max_points, lang=lang)
    if frame is None:
        return None
    y_title = t(f"plot_{plot.key}_y", lang) if plot.key else ""
    cut = y_range(frame)
    # "clipped" goes under the x axis, which has room for it: beside the y title it was cut off in a 190 px plot
    x_title = t("plot_x_cut" if cut is not None else "plot_x", lang)
    # always an explicit range: Gradio 6.31's LinePlot keeps the last y_lim it drew when an update says None, so a
    # curve that outgrew an early clipped range ran off the top of the plot (a VAE's KL rising after its first dip)
    lo, hi = cut if cut is not None else padded(float(np.nanmin(frame["value"])), float(np.nanmax(frame["value"])))
    held = {series_name(name, lang) for key, name in plot.series.items() if (evals or {}).get(key) and key not in history}
    marks = change_lines(drawn_changes(changes, frame["step"].max()), lo, hi)
    frame = pd.concat([held_out_dashes(frame, held), marks], ignore_index=True)
    color_map = {**colors(), **dict.fromkeys(marks["series"], MARKER)}
    legend = list(dict.fromkeys(frame["series"][~frame["series"].isin(set(marks["series"]))]))  # the data's own series
    return frame, {"x_title": x_title, "y_title": y_title or " ", "y_lim": [lo, hi],
                   "color_map": color_map, "colors_in_legend": legend}


def changes_note(changes, last_step: float, lang: str = "en") -> str:
    """The note under the plots that names their grey lines ("" while there is none): the changes drawn so far."""
    shown = [change_label(*c) for c in drawn_changes(changes, last_step)]
    if not shown:
        return ""
    return f'<div class="plot-changes"><span class="plot-changes-line"></span>{t("plot_changes", lang, marks=" · ".join(shown))}</div>'
