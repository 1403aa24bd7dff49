"""Labs tab: guided "break it" experiments. Pick a lab, predict, press Set up and run; a detector reading the run's
own numbers says when it happened, then whether the prediction was right and why (labs defined in explore/labs.py).

The lab's runs are ordinary runs of the visitor (the run registry: global training cap, queue; they show in the
Train tab too). Two timers, active only while this tab shows: a slow one (MEASURE_S) measures what is new in the
lab's snapshots (explore/labs_measure.py), runs the detector and starts the β lab's second run when the first
ended; the view tick (VIEW_S) only reads snapshots and the measured series. Below, "Compare two runs" (compare.py).
A link ``?lab=<id>`` opens this tab on that lab (link_lab); an unknown id gets a one-line note.
"""
from __future__ import annotations

import weakref

import gradio as gr

from ..explore.labs import LABS, LabDesk, lab
from ..explore.labs_measure import ENDED, LabMeter
from ..i18n import LANGS, t
from ..training.runs import RunError
from ..training.settings import checked
from . import compare
from . import labs_view as W
from . import train_view as V
from .common import paced_answer
from .context import UIContext
from .lang import L
from .messages import MAX_QUOTED, shown
from .outputs import Outputs
from .train_actions import said

VIEW_S = 1.0  # the view tick: reads only
MEASURE_S = 2.0  # the measuring timer: one classifier pass per new snapshot (GAN), 100 sampled names (tiny GPT)
# both ticks while the visitor's lab has nothing left to run: each tick is a queue round trip and a status update of
# every output in the page (an idle Labs tab polling at full speed cost 0.56 s of browser CPU a second here), and
# what can still change (a language switch, the last measurement) shows within these few seconds
IDLE_S = 3.0
FIRST = next(iter(LABS))
LINK_JS = "(lab) => lab ? location.origin + location.pathname + '?lab=' + encodeURIComponent(lab) : ''"


def link_lab(query_params) -> str | None:
    """The lab a page link asks for (``?lab=mode-collapse``), or None (no lab asked, or one that does not exist)."""
    name = (dict(query_params or {})).get("lab")
    return name if lab(name) is not None else None


def link_note(query_params, lang: str = "en") -> str:
    """One line for a ``?lab=`` that names no lab ("" when fine or absent): shown, never an error."""
    name = (dict(query_params or {})).get("lab")
    if name is None or lab(name) is not None:
        return ""
    return t("labs_unknown", lang, name=_name(name))


def _name(value) -> str:
    """A lab id a visitor sent, as a message quotes it: a string cut to MAX_QUOTED characters, anything else its repr."""
    return (value[:MAX_QUOTED] + "…" if len(value) > MAX_QUOTED else value) if isinstance(value, str) else shown(value)


class LabsActions:
    """The tab's handlers as plain methods (tests call them with a fake request)."""

    def __init__(self, ctx: UIContext):
        self.ctx, self.desk, self.meter = ctx, LabDesk(), LabMeter()

    # ---- helpers ------------------------------------------------------------------------------------------------
    def _runs(self, sid: str, session) -> list:
        """The lab's runs the registry still keeps (a run forgotten by a newer one drops out)."""
        kept = {r.id: r for r in self.ctx.registry.runs(sid)}
        return [kept[r] for r in session.runs if r in kept] if session else []

    def _start(self, sid: str, lab_obj, index: int, request):
        s = checked(lab_obj.runs[index], max_steps=self.ctx.registry.max_steps)
        return self.ctx.registry.start(sid, s, client=self.ctx.client(request))

    # ---- actions -------------------------------------------------------------------------------------------------
    def picked(self, lab_id, request: gr.Request) -> dict:
        """A lab chosen: its texts, the prediction cleared (Run waits for a new one)."""
        lang = self.ctx.lang(request)
        chosen = lab(lab_id) or LABS[FIRST]
        return {"intro": W.lab_markdown(chosen, lang), "watch": W.watch_markdown(chosen, lang),
                "choice": gr.Radio(choices=W.prediction_choices(chosen, lang), value=None),
                "run": gr.Button(interactive=False), "hint": t("labs_choose_first", lang)}

    def run(self, lab_id, choice, request: gr.Request) -> dict:
        """Set up and run: the prediction must be made first; the lab's first run starts (or queues)."""
        lang = self.ctx.lang(request)
        sid = self.ctx.session(request)
        chosen = lab(lab_id)
        if chosen is None:  # only a script sends this (the page's radio holds lab ids): say so, no "list shown" note
            raise gr.Error(t("labs_err_pick", lang) if lab_id in (None, "") else t("labs_err_unknown", lang, name=_name(lab_id)))
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < chosen.choices:
            raise gr.Error(t("labs_choose_first", lang))
        try:
            run = self._start(sid, chosen, 0, request)
        except (ValueError, RunError) as e:
            raise gr.Error(t("train_err_start", lang, error=said(e, lang))) from None
        self.desk.begin(sid, chosen.id, choice, run.id)
        return {"hint": t("labs_started", lang, run=run.id), "result": ""}

    def training(self, request: gr.Request) -> bool:
        """Whether the visitor's lab has a run left that is not over (queued, training, paused): its ticks stay fast."""
        sid = getattr(request, "session_hash", None)
        session = self.desk.get(sid) if sid else None
        runs = self._runs(sid, session) if session else []
        if not runs:
            return False
        last = runs[-1].trainer.state
        return not (last in ENDED and (session.started_all or last != "finished"))

    def measure(self, request: gr.Request) -> None:
        """The slow timer: measure new snapshots, run the detector, start the next run of a two-run lab."""
        sid = self.ctx.session(request)
        session = self.desk.get(sid)
        if session is None:
            return
        chosen = LABS[session.lab]
        runs = self._runs(sid, session)
        snaps = [r.trainer.snapshot() for r in runs]
        for r, snap in zip(runs, snaps, strict=True):
            self.meter.measure(r.id, snap, chosen.measure, r.cfg.data, r.cfg.seed)
        if session.detection is None and runs:
            session.detection = chosen.detect([self.meter.trace(r.id, s) for r, s in zip(runs, snaps, strict=True)])
        last = snaps[-1] if snaps else None
        if last is not None and last.state == "finished" and not session.started_all and len(runs) == len(session.runs):
            try:
                session.runs.append(self._start(sid, chosen, len(session.runs), request).id)
            except (ValueError, RunError):
                session.runs.append("")  # cannot start now (server full): the lab ends as it is

    def tick(self, lab_id, view: dict | None, request: gr.Request) -> dict:
        """The view tick: status, picture, curve and result of the visitor's lab — only what changed."""
        before, view = view or {}, dict(view or {})
        lang = self.ctx.lang(request)
        sid = getattr(request, "session_hash", None)
        shown_lab = lab(lab_id) or LABS[FIRST]
        out: dict = {}
        if view.get("lang") != lang or view.get("lab") != shown_lab.id:  # a switch: the lab's texts again
            view = {"lang": lang, "lab": shown_lab.id, "series": view.get("series")}  # the plot's legend stays shown
            out.update(intro=W.lab_markdown(shown_lab, lang), watch=W.watch_markdown(shown_lab, lang),
                       choice=gr.Radio(choices=W.prediction_choices(shown_lab, lang)))
        session = self.desk.get(sid) if sid else None
        mine = session is not None and session.lab == shown_lab.id
        runs = self._runs(sid, session) if mine else []
        if bool(runs) != view.get("body"):  # no empty picture and plot frames until this lab has a run to show
            view["body"] = bool(runs)
            out["body"] = gr.update(visible=view["body"])
        if not mine:
            line = t("labs_idle", lang)
            if line != view.get("status"):
                out["status"] = view["status"] = line
            if view.get("result") != "":  # another lab's result no longer shows
                out["result"] = view["result"] = ""
            return {**out, "view": view} if view != before else out
        chosen = LABS[session.lab]
        snaps = [r.trainer.snapshot() for r in runs]
        pos = self.ctx.registry.queue_position(runs[-1]) if runs else None
        line = W.status_line(chosen, runs, snaps, pos, session.detection, lang)
        if line != view.get("status"):
            out["status"] = view["status"] = line
        if snaps:
            kind, pic = W.picture(snaps[-1], runs[-1].cfg.data, lang)
            key = (runs[-1].id, snaps[-1].previews[-1][0] if snaps[-1].previews else -1)
            if kind and list(key) != view.get("pic"):
                view["pic"] = list(key)
                out.update(grid=pic if kind == "grid" else gr.skip(), text=pic if kind == "text" else gr.skip(),
                           grid_box=gr.update(visible=kind == "grid"), text_box=gr.update(visible=kind == "text"),
                           caption=t("labs_grid_caption" if kind == "grid" else "labs_names_caption", lang,
                                     step=f"{snaps[-1].previews[-1][0]:,}"))
            traces = [self.meter.trace(r.id, s) for r, s in zip(runs, snaps, strict=True)]
            sig = [r.id for r in runs] + [len(tr.history["step"]) + len(tr.evals["step"]) + len(tr.measured["step"])
                                          for tr in traces]
            if sig != view.get("curve"):
                frame = W.curve_frame(chosen, traces, lang)
                if frame is not None:
                    out["curve"] = V.curve_update(view, "series", frame)  # a new legend: cleared for a tick first
                    view["curve"] = sig if out["curve"] is not None else None
        # over: the last run ended, and it was the lab's last one or it did not finish (stopped, failed, replaced)
        ended = bool(snaps) and snaps[-1].state in ENDED and (session.started_all or snaps[-1].state != "finished")
        extra = self.meter.extra(runs[-1].id) if runs and chosen.measure == "memorise" else None
        result = W.result_markdown(chosen, session, ended, snaps[-1].step if snaps else 0,
                                   runs[-1].id if runs else "", extra, lang)
        if result != view.get("result"):
            out["result"] = view["result"] = result
        return {**out, "view": view} if view != before else out


def build(ctx: UIContext):
    """Lay out the tab inside the current gr.Tab and wire it; returns a handle for app.py's link and tab hooks."""
    a = LabsActions(ctx)
    view = gr.State({})
    first = LABS[FIRST]
    gr.Markdown(L("labs_intro"), elem_id="labs-intro")
    note = gr.Markdown("", elem_id="labs-note")
    with gr.Row(equal_height=False):
        with gr.Column(scale=5, min_width=320):
            pick = gr.Radio(W.lab_choices(), value=first.id, label=L("labs_pick"), elem_id="labs-pick")
            intro = gr.Markdown(W.lab_markdown(first), elem_id="labs-goal")
            choice = gr.Radio(W.prediction_choices(first), value=None, label=L("labs_prediction"), elem_id="labs-choice")
            run = gr.Button(L("labs_run"), variant="primary", interactive=False, elem_id="labs-run")
            hint = gr.Markdown(t("labs_choose_first"), elem_id="labs-hint")
            watch = gr.Markdown(W.watch_markdown(first), elem_id="labs-watch")
            link = gr.Textbox("", label=L("labs_link"), interactive=False, buttons=["copy"], elem_id="labs-link")
        with gr.Column(scale=7, min_width=340):
            status = gr.Markdown(t("labs_idle"), elem_id="labs-status", elem_classes="train-status")
            with gr.Column(visible=False, elem_id="labs-body") as body:  # shown by the tick once the lab has a run
                caption = gr.Markdown("", elem_id="labs-caption", elem_classes="grid-caption")
                with gr.Column(elem_id="labs-grid-box") as grid_box:
                    grid = gr.Image(type="numpy", format="png", image_mode="L", show_label=False, interactive=False,
                                    elem_id="labs-grid", elem_classes="crisp", height=320,
                                    buttons=["download", "fullscreen"])
                with gr.Column(visible=False, elem_id="labs-text-box") as text_box:
                    text = gr.HTML("", elem_id="labs-text")
                curve = gr.LinePlot(None, x="step", y="value", color="series", show_label=False, height=200,
                                    elem_id="labs-curve", x_title=t("labs_curve_step"), y_title=" ", color_title=" ")
                compare.step_axis(ctx, curve)
            result = gr.Markdown("", elem_id="labs-result")
    cmp = compare.build(ctx)

    _ACTIONS[id(ctx)] = a
    quick = {"concurrency_limit": None, "show_progress": "hidden", "api_visibility": "private"}
    ctx.translated(hint, lambda lang: t("labs_choose_first", lang))
    ctx.translated(pick, lambda lang: gr.Radio(choices=W.lab_choices(lang)))
    picked_out = Outputs(intro=intro, watch=watch, choice=choice, run=run, hint=hint)
    live = Outputs(intro=intro, watch=watch, choice=choice, status=status, body=body, grid=grid, text=text,
                   grid_box=grid_box, text_box=text_box, caption=caption, curve=curve, result=result, view=view)

    def on_pick(lab_id, request: gr.Request):
        return picked_out(a.picked(lab_id, request))

    def on_choice(value):
        return gr.Button(interactive=value is not None)

    def on_run(lab_id, value, request: gr.Request):
        out = Outputs(hint=hint, result=result)(a.run(lab_id, value, request))
        return {**out, view_timer: gr.Timer(value=VIEW_S), measure_timer: gr.Timer(value=MEASURE_S)}  # fast again

    def on_measure(pace, request: gr.Request):
        a.measure(request)
        return paced_answer({}, a.training(request), pace, MEASURE_S, IDLE_S, measure_timer)

    def on_tick(lab_id, v, pace, request: gr.Request):
        out = live(a.tick(lab_id, v, request))
        return paced_answer(out, a.training(request), pace, VIEW_S, IDLE_S, view_timer)

    pick.input(on_pick, pick, picked_out.blocks, **quick)
    pick.change(None, pick, link, js=LINK_JS)
    choice.change(on_choice, choice, run, **quick)
    measure_timer = gr.Timer(MEASURE_S, active=False)
    measure_timer.tick(on_measure, measure_timer, measure_timer, concurrency_limit=2, concurrency_id="labs-measure",
                       show_progress="hidden", api_visibility="private")
    view_timer = gr.Timer(VIEW_S, active=False)
    view_timer.tick(on_tick, [pick, view, view_timer], [*live.blocks, view_timer], **quick)
    run.click(on_run, [pick, choice], [hint, result, view_timer, measure_timer], concurrency_limit=2,
              api_visibility="private")
    return _Handle(a, pick, note, link, [measure_timer, view_timer, cmp.timer])


class _Handle:
    """What app.py wires: the ?lab= link on load and the timers that run only while the tab shows."""

    def __init__(self, actions, pick, note, link, timers):
        self.actions, self.pick, self.note, self.link, self.timers = actions, pick, note, link, timers

    def wire(self, demo: gr.Blocks, main_tabs: gr.Tabs) -> None:
        names = {t("tab_labs", lang) for lang in LANGS}  # the tab's name as the page shows it, in either language

        def opened(request: gr.Request):
            q = dict(getattr(request, "query_params", None) or {})
            lang = self.actions.ctx.lang(request)
            wanted, note = link_lab(q), link_note(q, lang)
            tab = q.get("tab")  # an explicit ?tab= wins: ?tab=gan&lab=x opens the GAN studio, the lab waits in its tab
            here = tab == "labs" or (tab in (None, "") and (wanted is not None or bool(note)))
            timers = [gr.Timer(active=here) for _ in self.timers]
            return [gr.update(selected="labs") if here else gr.skip(), wanted or gr.skip(), note, *timers]

        demo.load(opened, None, [main_tabs, self.pick, self.note, *self.timers], api_visibility="private",
                  show_progress="hidden")
        demo.load(None, self.pick, self.link, js=LINK_JS)

        def selected(evt: gr.SelectData):
            return [gr.Timer(active=evt.value in names) for _ in self.timers]

        main_tabs.select(selected, None, self.timers, queue=False, api_visibility="private", show_progress="hidden")


# ctx → its tab's handlers, for forget(); weak: a test's demo and its handlers go when the test drops them
_ACTIONS: weakref.WeakValueDictionary[int, LabsActions] = weakref.WeakValueDictionary()


def forget(ctx: UIContext, session: str) -> None:
    """Called by the app when a visitor leaves (their runs are released by the app): their lab and its measurements."""
    a = _ACTIONS.get(id(ctx))
    gone = a.desk.forget(session) if a is not None else None
    if gone is not None:
        a.meter.forget(gone.runs)
