"""Compare two runs side by side: a visitor picks two of their kept runs (two learning rates, β = 0 and β = 4, …)
and sees one curve of both on the same axes — the legend names what differs between them — and their newest
samples next to each other, live. Built into the Labs tab; the β lab's two runs are the newest two, so they are
what it shows first. The tick only reads snapshots (never computes) and sends only what changed.
"""
from __future__ import annotations

import gradio as gr
import numpy as np
import pandas as pd

from ..i18n import t
from ..models import family
from ..training.zoo import short_name
from . import labs_view as W
from . import train_view as V
from .common import paced_answer
from .context import UIContext
from .lang import L
from .outputs import Outputs
from .train_view import _thin

TICK_S = 1.0
IDLE_S = 3.0  # the tick while none of the visitor's runs trains (labs_tab.IDLE_S: why)
POINTS = 300  # points per run's curve
DIFFERS = ("kind", "data", "lr", "batch_size", "beta", "d_steps", "seed", "steps")  # what a legend may name
# metric key → catalogue key of its name (the Train tab's legend words; the rest are the labs' own)
METRIC_KEYS = {"loss": "series_loss", "recon": "series_recon", "val_loss": "series_val_loss", "d_loss": "series_d_loss",
               "g_loss": "series_g_loss", "d_acc": "series_d_acc", "d_real": "series_d_real", "d_fake": "series_d_fake",
               "bpc": "series_bpc", "val_bpc": "series_val_bpc", "kl": "compare_metric_kl", "val_kl": "labs_metric_val_kl",
               "val_recon": "compare_metric_val_recon"}


def _settings(run) -> dict:
    c = run.cfg
    return {"kind": c.kind, "data": c.data, "lr": c.hp.lr, "batch_size": c.hp.batch_size, "beta": c.hp.beta,
            "d_steps": c.hp.d_steps, "seed": c.seed, "steps": c.steps}


def _word(name: str, value, lang: str) -> str:
    if name == "kind":
        return short_name(value, lang)
    if name == "data":
        return str(value)
    label = {"lr": "lr", "beta": "β", "d_steps": "D:G"}.get(name) or t(f"compare_set_{name}", lang)
    return f"{label} {value:g}" if isinstance(value, float) else f"{label} {value:,}"


def run_label(run, lang: str = "en", only: tuple[str, ...] | None = None) -> str:
    """"r3 · VAE · lr 0.001 · β 0 · seed 3": the run's id and settings (only those in `only`, when given)."""
    s = _settings(run)
    knobs = family(run.cfg.kind).knobs
    names = only if only is not None else [n for n in DIFFERS if n not in ("beta", "d_steps") or n in knobs]
    return " · ".join([run.id] + [_word(n, s[n], lang) for n in names])


def legend(a, b, lang: str = "en") -> tuple[str, str]:
    """Each run's legend name: its id and the settings that differ from the other run's."""
    sa, sb = _settings(a), _settings(b)
    diff = tuple(n for n in DIFFERS if sa[n] != sb[n])
    return run_label(a, lang, diff), run_label(b, lang, diff)


def metrics(snaps) -> list[str]:
    """Metrics both runs publish (history or held-out), in the first run's order."""
    def names(s):
        return [k for k in [*s.history, *s.evals] if k != "step"]
    both = set(names(snaps[1]))
    return [k for k in names(snaps[0]) if k in both]


def frame(snaps, labels, metric: str) -> pd.DataFrame | None:
    parts = []
    for snap, label in zip(snaps, labels, strict=True):
        src = snap.history if metric in snap.history else snap.evals
        steps, values = src.get("step", []), src.get(metric, [])
        if steps and len(values) == len(steps):
            keep = _thin(len(steps), POINTS)
            parts.append(pd.DataFrame({"step": np.asarray(steps)[keep], "value": np.asarray(values)[keep], "series": label}))
    return pd.concat(parts, ignore_index=True) if len(parts) == 2 else None


def training(ctx: UIContext, request: gr.Request) -> bool:
    """Whether one of the visitor's runs trains or waits to (its curves can still grow)."""
    sid = getattr(request, "session_hash", None)
    return any(r.trainer.state in ("idle", "running") for r in (ctx.registry.runs(sid) if sid else []))


def tick(ctx: UIContext, a_id, b_id, metric, view: dict | None, request: gr.Request) -> dict:
    """The compare tick: the run pickers (when the kept runs change), then the overlaid curve and both pictures."""
    before, view = view or {}, dict(view or {})
    # a script may send anything for the pickers: a name that is not a string picks nothing
    a_id, b_id, metric = (v if isinstance(v, str) else None for v in (a_id, b_id, metric))
    lang, sid = ctx.lang(request), getattr(request, "session_hash", None)
    runs = ctx.registry.runs(sid) if sid else []
    out: dict = {}
    ids = [r.id for r in runs]
    if ids != view.get("ids") or lang != view.get("lang"):
        view.update(ids=ids, lang=lang, shown=None)
        choices = [(run_label(r, lang), r.id) for r in reversed(runs)]  # newest first
        a_id = a_id if a_id in ids else (ids[-1] if ids else None)
        b_id = b_id if b_id in ids and b_id != a_id else next((i for i in reversed(ids) if i != a_id), None)
        out.update(a=gr.Dropdown(choices=choices, value=a_id), b=gr.Dropdown(choices=choices, value=b_id))
    by_id = {r.id: r for r in runs}
    pair = [by_id[a_id], by_id[b_id]] if a_id in by_id and b_id in by_id and a_id != b_id else None
    snaps = [r.trainer.snapshot() for r in pair] if pair else []
    common = metrics(snaps) if pair else []
    if len(runs) < 2:
        note = t("compare_none", lang, n=ctx.registry.max_per_session)
    elif a_id not in by_id or b_id not in by_id:
        note = t("compare_gone", lang)
    elif a_id == b_id:
        note = t("compare_same", lang)
    else:
        note = "" if common else t("compare_no_metric", lang)  # e.g. a VAE beside a GAN: different losses
    if note != view.get("note"):
        out["note"] = view["note"] = note
    if (pair is not None) != view.get("body"):  # no empty frames under the note until there are two runs to show
        view["body"] = pair is not None
        out["body"] = gr.update(visible=view["body"])
    if pair is None:
        return {**out, "view": view} if view != before else out
    if common != view.get("metrics"):
        view["metrics"] = common
        metric = metric if metric in common else ("val_loss" if "val_loss" in common else common[0] if common else None)
        out["metric"] = gr.Dropdown(choices=[(t(METRIC_KEYS[m], lang) if m in METRIC_KEYS else m, m) for m in common],
                                    value=metric)
    labels = legend(*pair, lang)
    sig = [a_id, b_id, metric, labels, *[(len(s.history["step"]), len(s.evals["step"])) for s in snaps]]
    if metric in common and repr(sig) != view.get("curve"):
        f = frame(snaps, labels, metric)
        if f is not None:
            out["curve"] = V.curve_update(view, "series", f)  # a new legend: cleared for one tick, then drawn
            view["curve"] = repr(sig) if out["curve"] is not None else None
    for side, run, snap in (("pic_a", pair[0], snaps[0]), ("pic_b", pair[1], snaps[1])):
        key = [run.id, snap.previews[-1][0] if snap.previews else -1, lang]
        if key != view.get(side):
            view[side] = key
            kind, pic = W.picture(snap, run.cfg.data, lang)
            out[side] = pic if kind == "grid" else None
            out[f"{side}_text"] = pic if kind == "text" else ""
            out[f"{side}_cap"] = t("compare_caption", lang, label=labels[side == "pic_b"],
                                   step=f"{snap.previews[-1][0] if snap.previews else 0:,}")
    return {**out, "view": view} if view != before else out


class _Section:
    def __init__(self, timer):
        self.timer = timer


def step_axis(ctx: UIContext, curve: gr.LinePlot) -> gr.LinePlot:
    """A Labs plot's x title ("step" / "步数") in the visitor's language: the title is a plot option, not data, so the
    ticks never send it; the language switch and the page's opening do."""
    return ctx.translated(curve, lambda lang: gr.LinePlot(x_title=t("labs_curve_step", lang)))


def build(ctx: UIContext) -> _Section:
    """Lay out the section (inside the current tab) and wire its tick; returns it (its timer is the caller's)."""
    view = gr.State({})
    with gr.Accordion(L("compare_h"), open=True, elem_id="compare"):
        gr.Markdown(L("compare_intro"))
        with gr.Row():
            a = gr.Dropdown([], label=L("compare_a"), elem_id="compare-a")
            b = gr.Dropdown([], label=L("compare_b"), elem_id="compare-b")
            metric = gr.Dropdown([], label=L("compare_metric"), elem_id="compare-metric")
        note = gr.Markdown("", elem_id="compare-note")
        with gr.Column(visible=False, elem_id="compare-body") as body:  # shown by the tick once there is a pair
            curve = gr.LinePlot(None, x="step", y="value", color="series", show_label=False, height=240,
                                elem_id="compare-curve", x_title=t("labs_curve_step"), y_title=" ", color_title=" ")
            step_axis(ctx, curve)
            with gr.Row(equal_height=False):
                with gr.Column():
                    cap_a = gr.Markdown("", elem_id="compare-cap-a")
                    pic_a = gr.Image(type="numpy", format="png", image_mode="L", show_label=False, interactive=False,
                                     elem_id="compare-grid-a", elem_classes="crisp", height=300, buttons=["download", "fullscreen"])
                    text_a = gr.HTML("", elem_id="compare-text-a")
                with gr.Column():
                    cap_b = gr.Markdown("", elem_id="compare-cap-b")
                    pic_b = gr.Image(type="numpy", format="png", image_mode="L", show_label=False, interactive=False,
                                     elem_id="compare-grid-b", elem_classes="crisp", height=300, buttons=["download", "fullscreen"])
                    text_b = gr.HTML("", elem_id="compare-text-b")
    live = Outputs(a=a, b=b, metric=metric, note=note, body=body, curve=curve, pic_a=pic_a, pic_b=pic_b,
                   pic_a_text=text_a, pic_b_text=text_b, pic_a_cap=cap_a, pic_b_cap=cap_b, view=view)

    def on_tick(a_id, b_id, m, v, pace, request: gr.Request):
        out = live(tick(ctx, a_id, b_id, m, v, request))
        return paced_answer(out, training(ctx, request), pace, TICK_S, IDLE_S, timer)

    timer = gr.Timer(TICK_S, active=False)
    timer.tick(on_tick, [a, b, metric, view, timer], [*live.blocks, timer], concurrency_limit=None,
               show_progress="hidden", api_visibility="private")
    return _Section(timer)
