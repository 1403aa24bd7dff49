"""The Train tab's 2 Hz poll and its timeline: what changed since the browser's last look (status, counter, curves,
formulas, grid or text, Start's label), and a scrub back to an earlier snapshot. Handlers return {output name: value};
ui/train_tab.py maps the names onto its components.
"""
from __future__ import annotations

import time

import gradio as gr

from ..i18n import t
from ..models import family, kinds, modality
from ..training.settings import PRESETS
from . import train_preset as P
from . import train_view as V
from .common import paced
from .curves import changes_note, curve_view
from .lang import L
from .messages import warn
from .train_actions import TrainActions, resumes
from .train_form import learn_md, reset_button

START_LABEL = {"paused": "train_btn_resume", "running": "train_btn_restart", "queued": "train_btn_restart"}  # keys
# How often the page polls. Each Gradio event costs the page time in proportion to the app (its frontend looks up
# every progress target again: ~0.1 s of a slow core here, 0.45 s before app.spare_the_page), so an idle page need not
# poll twice a second: fast while a run trains or anything changed, slow otherwise.
FAST_S, IDLE_S = 0.5, 3.0
# Gradio 6.31's LinePlot redraws its whole chart, asynchronously, when an option changes (our y range does at almost
# every update), and data arriving while that redraw is pending goes to the old chart: the page kept a finished run's
# curves some points short (checked in a browser: sent up to step 120, drawn to 100). So once the curves stop
# changing, the tick sends the same data once more, alone (no option: no redraw), this long after the last send.
SETTLE_S = 1.5
_now = time.monotonic  # the settling clock (tests set their own)


def tick(actions: TrainActions, view: dict | None, request: gr.Request, chosen: str | None = None, data: str | None = None,
         seed=None, preset: str | None = None, pace: float | None = None) -> dict:
    """The 2 Hz poll: status, counter, curves, formulas, grid or text, timeline, Start label — only what changed.

    Returns {output name: value} for what changed ({} when nothing did; build() maps the names onto components).
    `view` (per-visitor gr.State, the "view" output) remembers what the browser already shows, so an idle tick
    sends nothing. The snapshot box (image grid or generated text) follows the run shown, or the chosen model
    while there is none. The sample-quality box is filled by its own slower timer; the tick only shows it for
    image models. `pace` is the poll's interval as the page has it: the tick sets it (FAST_S or IDLE_S) when it
    should change, as the "timer" output.
    """
    before = view or {}
    view = dict(before)
    actions.maybe_reap()
    reg = actions.ctx.registry
    run = reg.current(actions.ctx.session(request))
    snap = run.trainer.snapshot() if run else None  # one consistent copy per tick
    lang = actions.ctx.lang(request)
    d = V.status_dict(run, snap, reg.queue_position(run) if run else None, reg.pace(run) if run else None)
    out = {}
    sid = actions.ctx.session(request)
    pinned_at, writes = actions.ctx.pins.get(sid, d["run_id"])  # where the timeline stands (ctx.Pins: only scrubs set it)
    if lang != view.get("lang"):  # EN | 中文 switched: forget what the browser shows, so every text is re-sent
        view = {k: v for k, v in view.items() if k not in ("md", "counter", "label", "fam", "text", "shots", "curves")}
        view["lang"] = lang
        if chosen in kinds(view="train") and run is None:  # with a run, the run's family decides (below)
            plot_a, plot_b = V.plots(chosen)
            out.update(learn=learn_md(chosen, lang), formula_a=plot_a.markdown_in(lang), formula_b=plot_b.markdown_in(lang))
        if chosen in kinds(view="train") and preset in PRESETS:
            out["preset_note"] = P.note(chosen, preset, lang)
    new_run = view.get("run") != d["run_id"] or not view.get("init")
    if new_run:
        # what the plots and the boxes show survives a new run: the browser still shows it (see V.curve_update)
        view = {"init": True, "run": d["run_id"], "lang": view.get("lang"), "series_a": view.get("series_a"),
                "series_b": view.get("series_b"), "text": view.get("text"), "armed": view.get("armed")}
    text = modality(run.cfg.kind) == "text" if run else modality(chosen) == "text" if chosen in kinds(view="train") \
        else bool(view.get("text"))
    if text != view.get("text"):
        out.update(grid_box=gr.update(visible=not text), text_box=gr.update(visible=text),
                   quality_box=gr.update(visible=not text), caption=V.note(text, lang))
        view["text"] = text
    md = V.status_markdown(d, lang)
    if md != view.get("md"):
        out["status"] = view["md"] = md
    counter = V.progress_html(d["step"], d["total"], d["state"], lang)
    if counter != view.get("counter"):
        out["counter"] = view["counter"] = counter
    label = START_LABEL.get(d["state"], "train_btn_start")
    if run is not None and label == "train_btn_resume" and not resumes(run.cfg, {"model": chosen, "data": data, "seed": seed}):
        label = "walk_btn_start_new"  # the form no longer matches the paused run: Start begins a new one at step 0
    if label != view.get("label"):
        out["start"] = gr.Button(value=L(label))
        view["label"] = label
    armed = actions.reset_armed(request)
    if armed != bool(view.get("armed")):  # Reset waits for its second press, or no longer does
        out["reset"] = reset_button(armed)
        view["armed"] = armed
    if run is None and chosen in kinds(view="train") and chosen != view.get("chosen"):
        view["chosen"] = chosen  # no run yet: the formulas follow the chosen model (e.g. a lesson link's GAN)
        plot_a, plot_b = V.plots(chosen)
        out.update(learn=learn_md(chosen, lang), formula_a=plot_a.markdown_in(lang), formula_b=plot_b.markdown_in(lang))
    if run is None:
        if new_run:
            out.update(plot_a=None, plot_b=None, changes=gr.update(value="", visible=False), grid=None, caption=V.note(text, lang),
                       text=None, timeline=gr.Slider(minimum=0, maximum=1, value=0, interactive=False))
            view["series_a"] = view["series_b"] = None
        return _paced(_with_view(out, view, before), d["state"], pace)

    fam = family(run.cfg.kind).group
    plot_a, plot_b = V.plots(run.cfg.kind)
    if fam != view.get("fam"):
        out.update(formula_a=plot_a.markdown_in(lang), formula_b=plot_b.markdown_in(lang))
        view["fam"] = fam
    curves = (len(snap.history.get("step", [])), len(snap.evals.get("step", [])), snap.history.get("step", [0])[-1:])
    changed = new_run or curves != view.get("curves")
    if changed or _now() >= view.get("settle", float("inf")):
        view["curves"] = curves
        view.pop("settle", None)
        for name, plot, series in (("plot_a", plot_a, "series_a"), ("plot_b", plot_b, "series_b")):
            drawn = curve_view(plot, snap.history, snap.evals, snap.changes, lang)  # y title and range, held-out marks
            if drawn is not None:  # never an empty table: the plot would not draw lines after it
                frame, options = drawn
                if not changed:  # the settling re-send (SETTLE_S): the data alone, into the chart now drawn
                    out[name] = gr.update(value=frame)
                    continue
                shown = V.curve_update(view, series, frame)
                out[name] = None if shown is None else gr.update(value=shown, **options)
                view["settle"] = _now() + SETTLE_S
        note = changes_note(snap.changes, (snap.history.get("step") or [0])[-1], lang)  # names the plots' grey lines
        if note != view.get("changes"):  # hidden while empty: an empty block still took a line under the plot
            view["changes"] = note
            out["changes"] = gr.update(value=note, visible=bool(note))
    shots = (len(snap.previews), snap.previews[-1][0] if snap.previews else -1)
    if snap.previews and (new_run or shots != view.get("shots")):
        view["shots"] = shots
        last = snap.previews[-1][0]  # the timeline counts training steps, as the caption does
        if pinned_at is None:
            s, pic = snap.previews[-1]
            out["text" if text else "grid"] = _picture(pic, run.cfg.data, lang)
            out["caption"] = V.caption(s, live=True, text=text, lang=lang, corpus=run.cfg.data)
            out["timeline"] = gr.Slider(maximum=max(1, last), value=last, interactive=len(snap.previews) > 1)
        else:
            out["timeline"] = gr.Slider(maximum=max(1, last), interactive=True)
    if d["state"] == "failed" and view.get("warned") != run.id:
        view["warned"] = run.id
        warn(t("train_failed", lang, error=d["error"]), lang)
    if actions.ctx.pins.get(sid, d["run_id"])[1] != writes:  # a scrub ran meanwhile: its snapshot stays on screen
        out = {k: v for k, v in out.items() if k not in ("grid", "text", "caption", "timeline")}
        view["shots"] = before.get("shots")  # so the next tick sends the run's newest snapshot if it is live again
    return _paced(_with_view(out, view, before), d["state"], pace, settling="settle" in view)


def _paced(out: dict, state: str, pace: float | None, settling: bool = False) -> dict:
    """Poll fast while a run trains or waits, or while anything changed (a Step, a Pause, a new snapshot) or the
    curves wait for their settling re-send; slowly on an idle page. A run started elsewhere (Labs, a lesson link)
    shows within IDLE_S, then the poll speeds up."""
    return paced(out, bool(out) or settling or state in ("running", "queued"), pace, FAST_S, IDLE_S)


def _with_view(out: dict, view: dict, before: dict) -> dict:
    """The tick's outputs, plus the view state when it changed (an idle tick returns {})."""
    return {**out, "view": view} if view != before else out


def _picture(preview, data: str | None = None, lang: str = "en"):
    """What a snapshot box shows: the grid picture of an image preview, the tagged lines of a text one."""
    return V.text_html(preview, data, lang) if isinstance(preview, str) else V.grid_picture(preview)


def scrub(actions: TrainActions, at, request: gr.Request) -> dict:
    """Timeline moved (dragged, typed, or with the keyboard): show the snapshot of that training step —
    {"grid" or "text", "caption", "timeline"}; the end of the slider follows live again. The slider counts steps,
    but snapshots lie tens of steps apart: a small move (an arrow key) goes to the next snapshot that way. Where the
    timeline stands is kept in ctx.pins (not in the page's `view`, which only the tick writes: see context.Pins)."""
    run = actions._run(request, must_exist=False)
    snap = run.trainer.snapshot() if run else None
    lang = actions.ctx.lang(request)
    if not snap or not snap.previews:
        raise gr.Error(t("train_no_snapshots", lang))
    try:
        at = float(at or 0)
    except (TypeError, ValueError):
        at = 0.0
    steps = [s for s, _ in snap.previews]
    sid = actions.ctx.session(request)
    pinned_at = actions.ctx.pins.get(sid, run.id)[0]
    i = V.snapshot_at(steps, at, steps[-1] if pinned_at is None else pinned_at)  # from where the timeline stood
    s, pic = snap.previews[i]
    pinned = i < len(snap.previews) - 1
    actions.ctx.pins.set(sid, run.id, s if pinned else None)
    text = isinstance(pic, str)
    return {"text" if text else "grid": _picture(pic, run.cfg.data, lang),
            "caption": V.caption(s, live=not pinned, text=text, lang=lang, corpus=run.cfg.data),
            # the slider moves only to snap onto a snapshot: a late reply to an earlier move must not reset a value
            # the visitor has typed since (nor would re-sending the value they chose change anything)
            "timeline": gr.skip() if s == at else gr.Slider(value=s)}
