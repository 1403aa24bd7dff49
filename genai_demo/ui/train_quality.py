"""Train tab: the "Sample quality" card — a small classifier judges the run's newest frozen snapshot.

Measuring costs ~0.1-0.3 s of CPU, so it never happens in the 0.5 s status tick (a tick only reads). It has
its own slower gr.Timer (every QUALITY_EVERY_S) and a "Measure now" button, both in one concurrency group of
2 so a classroom cannot pile measurements up. A measurement runs only when the snapshot's model_step changed
since this visitor's last one, on that frozen copy (Snapshot.model, never the live model), on one CPU thread,
and its result is cached per (session, run, model_step). With at most one run training per 2 cores, at most
one snapshot is new at a time: the others are cache hits or skipped outright. The tick hides the card for
the tiny GPT (text, no classifier); this file never measures a text run.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

import gradio as gr

from ..data import own_store
from ..i18n import t
from ..models import family, modality
from ..quality import live as live_quality
from ..quality import own as own_quality
from ..training.classroom import ENDED
from ..training.zoo import short_name
from . import owndata_view as own_view
from .common import glossary_box, paced
from .context import UIContext
from .lang import L
from .messages import inform, visitor_message
from .quality_view import note_html, readout_html

SAMPLES = 200  # per measurement: enough for a Fréchet distance (> 48 features), ~0.1 s to sample and classify
CACHE_SIZE = 256  # measurements kept (a few hundred small dicts): old runs' entries fall out first
DEFAULT_EVERY_S = 6.0
IDLE_EVERY_S = 20.0  # no run, or an ended one already on the card: only an event (Start, Reset, EN | 中文) changes it
IDLE = "q_idle"  # catalogue key of the card's text while there is no run
QUALITY_TERMS = ["confidence", "classes_covered", "frechet", "mode_collapse", "elbo", "own_nearest", "held_out"]


def quality_every_s() -> float:
    """Seconds between automatic measurements (env GENAI_DEMO_QUALITY_EVERY; 0 = only the button)."""
    try:
        return max(0.0, float(os.environ.get("GENAI_DEMO_QUALITY_EVERY", DEFAULT_EVERY_S)))
    except ValueError:
        return DEFAULT_EVERY_S


class QualityReadout:
    """The card's handler; one per app (its cache is keyed by session, so visitors never see each other's)."""

    def __init__(self, ctx: UIContext, n: int = SAMPLES):
        self.ctx, self.n = ctx, n
        self._cache: OrderedDict[tuple[str, str, int], dict] = OrderedDict()
        self._lock = threading.Lock()
        self.measured = 0  # measurements actually computed (cache misses), for tests and curious operators
        self.after = lambda event: event  # build_panel wires it: chain a redraw of the card after `event`

    def scores(self, session: str, run, snap) -> dict:
        """live_quality.readout() of the snapshot's frozen model, computed once per (session, run, model_step)."""
        key = (session, run.id, snap.model_step)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        readout = own_quality.readout if own_store.is_own(run.cfg.data) else live_quality.readout  # own images: no classifier
        s = readout(snap.model, run.cfg.data, self.n, seed=run.cfg.seed)  # outside the lock: slow
        with self._lock:
            self._cache[key] = s
            self.measured += 1
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        # the teacher's Class tab shows the last reading with the run (it never measures itself); own images have no
        # classifier reading (quality/own.py measures memorisation instead)
        if "confidence" in s:
            run.quality = {"step": snap.model_step, "confidence": s["confidence"], "classes": s["classes_covered"],
                           "of": len(s["histogram"]), "recognisable": live_quality.recognisable(s)}
        return s

    def measure(self, view: dict | None, request: gr.Request, force: bool = False) -> tuple:
        """(card HTML or gr.skip(), view): the newest snapshot's scores when its step is new to this visitor.
        `view` (per-visitor gr.State) remembers what the card shows, so an unchanged run costs nothing."""
        view = dict(view or {})
        sid = self.ctx.session(request)
        lang = self.ctx.lang(request)
        if view.get("lang") != lang:  # EN | 中文 switched: the card is drawn again in the new language
            view = {"lang": lang}
        run = self.ctx.registry.current(sid)
        if run is None:
            return self._show(view, "idle", note_html(t(IDLE, lang), lang=lang))
        if modality(run.cfg.kind) == "text":
            return gr.skip(), view  # the card is hidden for text runs: nothing to measure
        if not family(run.cfg.kind).quality:  # an image family the classifier cannot judge (its spec says so)
            return self._show(view, f"unjudged:{run.id}", note_html(t("q_not_applicable", lang, model=short_name(run.cfg.kind, lang)),
                                                                    "unsupported", lang))
        own = own_store.is_own(run.cfg.data)  # a visitor's own images: memorisation and ELBO only (quality/own.py)
        problem = None if own else live_quality.unsupported(run.cfg.data, lang)
        if problem:
            return self._show(view, f"unsupported:{run.id}", note_html(problem, "unsupported", lang))
        snap = run.trainer.snapshot()
        if snap.model is None:
            return self._show(view, f"waiting:{run.id}", note_html(t("q_waiting", lang), "waiting", lang))
        shown = f"{run.id}@{snap.model_step}"
        if view.get("shown") == shown:
            if force:
                inform(t("q_already", lang, step=f"{snap.model_step:,}"), lang)
            return gr.skip(), view
        try:
            s = self.scores(sid, run, snap)
        except (ValueError, FileNotFoundError) as e:  # e.g. a classifier file that went missing
            return self._show(view, f"failed:{shown}", note_html(visitor_message(t("q_failed", lang, error=e)), "failed", lang))
        if self.ctx.registry.current(sid) is not run:  # Reset (or a new run) while it measured: these scores belong
            return self.measure(view, request)  # to no run on the page now; draw what is there instead of them
        return self._show(view, shown, (own_view.readout_html if own else readout_html)(s, snap.model_step, lang))

    def busy(self, view: dict, request: gr.Request) -> bool:
        """Whether the card may change without an event: the visitor's run is not over, or its last snapshot is not
        on the card yet. Otherwise the timer slows to IDLE_EVERY_S (an idle page used to ask every 6 s forever)."""
        run = self.ctx.registry.current(self.ctx.session(request))
        if run is None:
            return False
        if run.trainer.state not in ENDED:
            return True
        return view.get("shown") != f"{run.id}@{run.trainer.snapshot().model_step}"

    @staticmethod
    def _show(view: dict, shown: str, card: str) -> tuple:
        if view.get("shown") == shown:
            return gr.skip(), view
        view["shown"] = shown
        return card, view


def build_panel(ctx: UIContext) -> tuple[QualityReadout, gr.Column]:
    """Lay out the card (inside the current column) and wire its timer and button; returns the handler and the
    column the Train tab's tick shows for image runs and hides for text runs."""
    q = QualityReadout(ctx)
    view = gr.State({})
    with gr.Column(elem_id="train-quality-box") as box:
        card = gr.HTML(note_html(t(IDLE)), elem_id="train-quality")
        now = gr.Button(L("q_measure_now"), size="sm", elem_id="train-quality-now")
        # every term either card shows: the classifier's (digits, Fashion) and the memorisation / ELBO card of own images
        glossary_box(ctx, QUALITY_TERMS, short=True)  # a narrow column: "−ELBO", not its expansion
    heavy = {"concurrency_limit": 2, "concurrency_id": "train-quality", "api_visibility": "private"}
    every = quality_every_s()
    timer = gr.Timer(every or DEFAULT_EVERY_S, active=every > 0)  # inactive: only the button measures

    def on_timer(v, pace, request: gr.Request):
        card_html, v = q.measure(v, request)
        out = {card: card_html, view: v}
        return paced(out, q.busy(v, request), pace if every > 0 else None, every, IDLE_EVERY_S, timer=timer)

    def on_now(v, request: gr.Request):
        return q.measure(v, request, force=True)

    now.click(on_now, view, [card, view], show_progress="minimal", **heavy)
    # an event that changes which run is shown (Start, Reset) redraws the card at once, not at the next timer tick,
    # and sets the timer's pace for what it shows
    q.after = lambda event: event.then(on_timer, [view, timer], [card, view, timer], show_progress="hidden", **heavy)
    timer.tick(on_timer, [view, timer], [card, view, timer], show_progress="hidden", **heavy)
    # EN | 中文: the card is redrawn in the new language at once (the view remembers its language, so measure() redraws
    # it; the scores come from the cache unless the run has a newer snapshot), not on the next tick 6 s later
    ctx.on_language(on_timer, [view, timer], [card, view, timer], show_progress="hidden", **heavy)
    return q, box
