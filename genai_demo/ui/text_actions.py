"""Next token's handlers: plain methods, testable without a browser (pass any object with a session_hash as
request), and the validation of their settings. The tab's layout and wiring are text_tab.py; the sampling loop
genai_demo/explore/textgen.py, the HTML text_view.py.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict

import gradio as gr

from ..data.text import CorpusError
from ..explore import textgen
from ..i18n import t
from ..models import kinds
from ..training.zoo import data_name
from . import text_view
from .common import resolve_model
from .context import UIContext
from .lang import L
from .messages import shown
from .text_view import render_lines, render_text

STEP_DELAY = 0.05  # seconds between streamed characters, so the eye can follow (tests set 0)
MAX_NEW, MAX_PROMPT = 200, 200
MAX_SESSIONS = 1000  # stream counters kept (oldest dropped first; a dropped one only loses Stop for that stream)


# ---------------------------------------------------------------------------------------------------
# validation (the rendering is text_view.py)


def _number(v, name: str, lo: float, hi: float, whole: bool = False, lang: str = "en"):
    """v as a number in [lo, hi], or a gr.Error in `lang` naming the setting (its catalogue key text_what_<name>)."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        x = None
    if x is None or not lo <= x <= hi or (whole and x != int(x)):
        raise gr.Error(t("err_whole" if whole else "err_number", lang, what=t(f"text_what_{name}", lang), lo=f"{lo:g}",
                         hi=f"{hi:g}", got=shown(v)))
    return int(x) if whole else x


def _settings(temperature, top_k, seed, max_new=1, lang: str = "en"):
    return (_number(temperature, "temperature", 0, 5, lang=lang), _number(top_k, "topk", 0, 10_000, True, lang),
            _number(seed, "seed", 0, textgen.MAX_SEED, True, lang), _number(max_new, "max_new", 1, MAX_NEW, True, lang))


# ---------------------------------------------------------------------------------------------------
# handlers: plain methods, testable without a browser


class TextActions:
    def __init__(self, ctx: UIContext, delay: float = STEP_DELAY):
        self.ctx = ctx
        self.delay = delay
        # Per session, a counter bumped by every new stream, Step and Stop: a stream whose number is no longer the
        # newest ends at its next character. Gradio's `cancels=` would do it too, but it marks the cancelled
        # stream's outputs "Error" and races the new one; this way a click on a bar simply takes over.
        self._epochs: OrderedDict[str, int] = OrderedDict()
        self._lock = threading.Lock()

    def _begin(self, request) -> tuple[str | None, int]:
        sid = getattr(request, "session_hash", None)
        if not sid:
            return None, 0
        with self._lock:
            n = self._epochs.pop(sid, 0) + 1
            self._epochs[sid] = n  # most recent last
            while len(self._epochs) > MAX_SESSIONS:
                self._epochs.popitem(last=False)
            return sid, n

    def _live(self, run: tuple[str | None, int]) -> bool:
        sid, n = run
        with self._lock:
            return sid is None or self._epochs.get(sid) == n

    def stop(self, request: gr.Request = None) -> None:
        """End the caller's running stream (at its next character)."""
        self._begin(request)

    def _model(self, key, request):
        return resolve_model(self.ctx, key, request, kinds(view="text"))

    @staticmethod
    def _check(model, text: str, lang: str = "en") -> None:
        try:
            textgen.context_ids(model, text)
        except (ValueError, CorpusError) as e:
            unknown = sorted({ch for ch in text if ch not in model.vocab})  # the usual reason: say it in `lang`
            if unknown:
                raise gr.Error(t("text_err_unknown_chars", lang, chars=" ".join(map(repr, unknown[:8])))) from None
            raise gr.Error(f"{str(e)[:1].upper()}{str(e)[1:]}.") from None

    def _start(self, model, prompt, lang: str = "en") -> dict:
        prompt = "" if prompt is None else str(prompt)
        if len(prompt) > MAX_PROMPT:
            raise gr.Error(t("text_err_prompt_long", lang, n=len(prompt), most=MAX_PROMPT))
        self._check(model, prompt, lang)
        return {"text": prompt, "marks": "p" * len(prompt)}

    def _frame(self, model, src, state, temperature, top_k, status, probs=None, caret=True, lang: str = "en") -> dict:
        """What every handler shows, by output name (the text's state goes to the next call, not to the page)."""
        if probs is None:
            probs = textgen.distribution(model, state["text"], temperature, top_k or None, line_start=textgen.aligned(src.data))
        return {"text": render_text(state, caret), "chart": probs, "status": status,
                "lines": render_lines(state["text"], src.data, lang), "state": state}

    def info(self, key, request: gr.Request = None) -> str:
        """One line about the chosen model: size, corpus, held-out bits per character against the baselines."""
        model, src = self._model(key, request)
        s = textgen.score(model, src.data)
        lang = self.ctx.lang(request)
        tail = t("text_score", lang, val=f"{s.val_bpc:.2f}", unigram=f"{s.unigram_bpc:.2f}", uniform=f"{s.uniform_bpc:.2f}") \
            if s else t("text_no_held_out", lang)
        return t("text_info", lang, params=f"{model.num_params():,}", data=data_name(src.data, lang), tail=tail)

    def hints(self, key, prompt, request: gr.Request = None) -> dict:
        """The prompt box and the tags' legend for the chosen model's corpus ("e.g. 床前明月光" for the poems); a
        prompt the model cannot read (Latin letters for the poem model) is cleared instead of raising an error."""
        model, src = self._model(key, request)
        label, placeholder, legend = (L(k) for k in text_view.prompt_keys(src.data))  # translated in the browser
        try:
            textgen.context_ids(model, "" if prompt is None else str(prompt))
            box = gr.Textbox(label=label, placeholder=placeholder)
        except (ValueError, CorpusError):
            box = gr.Textbox("", label=label, placeholder=placeholder)
        return {"prompt": box, "legend": gr.Markdown(legend)}

    def peek(self, key, prompt, temperature, top_k, request: gr.Request = None):
        """Start over from the prompt without generating: the chart shows what would come next."""
        lang = self.ctx.lang(request)
        temperature, top_k, *_ = _settings(temperature, top_k, 0, lang=lang)
        model, src = self._model(key, request)
        state = self._start(model, prompt, lang)
        self._begin(request)  # a running stream of this visitor stops: its text was replaced
        return self._frame(model, src, state, temperature, top_k, t("text_status_ready", lang), lang=lang)

    def redraw(self, key, prompt, temperature, top_k, state, request: gr.Request = None):
        """New temperature / top-k: the same text, its next-character chart recomputed."""
        lang = self.ctx.lang(request)
        temperature, top_k, *_ = _settings(temperature, top_k, 0, lang=lang)
        model, src = self._model(key, request)
        state = self._current(model, prompt, state, lang)
        self._begin(request)  # a running stream stops; the next one uses the new settings
        return self._frame(model, src, state, temperature, top_k, t("text_status_retuned", lang, tau=f"{temperature:g}",
                           k=top_k or t("text_all", lang)), lang=lang)

    def _run(self, model, src, state, temperature, top_k, seed, max_new, until_newline, first_status, request, prefix=""):
        run, lang = self._begin(request), self.ctx.lang(request)
        yield self._frame(model, src, state, temperature, top_k, first_status, lang=lang)
        n = 0
        for step in textgen.stream(model, state["text"], max_new, temperature, top_k or None, seed, until_newline,
                                   line_start=textgen.aligned(src.data)):
            if not self._live(run):
                return  # Stop, or a newer stream of the same visitor took over
            n += 1
            state = {"text": state["text"] + step.char, "marks": state["marks"] + "m"}
            status = prefix + t("text_status_drew", lang, n=n, char=textgen.show_char(step.char), p=f"{step.p:.2f}")
            if self.delay:
                time.sleep(self.delay)
            yield self._frame(model, src, state, temperature, top_k, status, step.next_probs, lang=lang)

    def generate(self, key, prompt, temperature, top_k, seed, max_new, request: gr.Request = None):
        """Stream max_new characters after the prompt, one frame per character. API: "generate"."""
        lang = self.ctx.lang(request)
        temperature, top_k, seed, max_new = _settings(temperature, top_k, seed, max_new, lang)
        model, src = self._model(key, request)
        state = self._start(model, prompt, lang)
        first = t("text_status_generating", lang)
        yield from self._run(model, src, state, temperature, top_k, seed, max_new, False, first, request)

    def next_token(self, key, prompt, temperature, top_k, seed, state=None, request: gr.Request = None):
        """One more character: continue the current text (or start from the prompt). API: "next_token"."""
        lang = self.ctx.lang(request)
        temperature, top_k, seed, _ = _settings(temperature, top_k, seed, lang=lang)
        model, src = self._model(key, request)
        state = self._current(model, prompt, state, lang)
        *_, last = self._run(model, src, state, temperature, top_k, seed, 1, False, "", request)
        return last

    def _current(self, model, prompt, state, lang: str = "en") -> dict:
        """The text being continued: the session's, unless it no longer starts with the prompt (then restart)."""
        prompt = "" if prompt is None else str(prompt)
        ok = isinstance(state, dict) and isinstance(state.get("text"), str) and len(state.get("marks", "")) == len(state["text"])
        if not ok or not state["text"].startswith(prompt):
            return self._start(model, prompt, lang)
        self._check(model, state["text"], lang)
        return state

    def force(self, key, prompt, temperature, top_k, seed, state, evt: gr.SelectData, request: gr.Request = None):
        """A bar was clicked: append that character as if the model had drawn it, then let it finish the line."""
        lang = self.ctx.lang(request)
        temperature, top_k, seed, _ = _settings(temperature, top_k, seed, lang=lang)
        model, src = self._model(key, request)
        label = evt.value if isinstance(evt.value, str) else None
        ch = textgen.char_of(label) if label else None
        if not ch or len(ch) != 1 or ch not in model.vocab:
            raise gr.Error(t("text_err_click_bar", lang))
        state = self._current(model, prompt, state, lang)
        state = {"text": state["text"] + ch, "marks": state["marks"] + "y"}
        chose = t("text_you_chose", lang, char=textgen.show_char(ch))
        first = t("text_continues", lang, chose=chose)
        yield from self._run(model, src, state, temperature, top_k, seed, 40, True, first, request, f"{chose} · ")
