"""Next token: a tiny GPT writes one character at a time; see the distribution it draws from, force a character.

Layout and callbacks only; the sampling loop and the corpus check are genai_demo/explore/textgen.py, the maths
models/charlm.py, the HTML text_view.py. The text so far lives in a per-session gr.State {"text", "marks"}
(marks[i] says who wrote character i: prompt, model or you), so Generate / +1 / a click on a bar all continue
the same text.
Public API: "generate" (stream from a prompt) and "next_token" (one more character).
"""
from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict

import gradio as gr

from ..data.text import CorpusError
from ..explore import textgen
from ..models import kinds
from . import text_view
from .common import FAST, refresh_choices, resolve_model
from .context import UIContext
from .learn_tab import learn_link
from .outputs import Outputs
from .text_view import STYLE, render_lines, render_text

DEFAULT_MODEL = "pretrained:charlm_names"
TANG_MODEL = "pretrained:charlm_tang"  # the Tang-poem model: any handler or API call takes this key
STEP_DELAY = 0.05  # seconds between streamed characters, so the eye can follow (tests set 0)
MAX_NEW, MAX_PROMPT = 200, 200
MAX_SESSIONS = 1000  # stream counters kept (oldest dropped first; a dropped one only loses Stop for that stream)
EMPTY = {"text": "", "marks": ""}
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
INTRO = """<p><b>A language model writes one character at a time.</b> At every step it gives each possible next character
a probability (the bars), then draws one at random with those odds. One tiny GPT learned first names, another the 300 Tang
poems (choose it under <i>Model</i>): type the start of a name or of a verse, or <b>click a bar</b> to pick the next character
yourself. {link}</p>"""
LEARN_LINK = re.compile(r"\[(.+?)\]\((#[\w-]+)\)")  # learn_link()'s Markdown link, written as HTML here
NLL_MD = r"""
**What the model learned to minimise** — the average negative log-likelihood of the true next character:

$$\mathcal{L} = -\frac{1}{T}\sum_{t=1}^{T} \log p_\theta(x_t \mid x_{<t})$$

- $x_{<t}$ — the characters before position $t$: all the model may look at (its causal mask hides the future).
- $p_\theta(x_t \mid x_{<t})$ — the probability the network with weights $\theta$ gave the character that really came
  next: one bar of the chart above.
- $-\log$ — a confident right guess costs almost nothing, a surprise costs a lot ($-\ln 0.01 \approx 4.6$).
- $\frac{1}{T}\sum_t$ — averaged over every position of every training window: nats per character; divided by
  $\ln 2$ it is *bits per character* (bpc), the number shown under the model.

**Sampling:** $p_i = \dfrac{e^{z_i/\tau}}{\sum_j e^{z_j/\tau}}$ over the logits $z$: temperature $\tau < 1$ sharpens the
bars (safer names), $\tau > 1$ flattens them (wilder ones), $\tau = 0$ always takes the tallest bar (greedy). Top-$k$
keeps only the $k$ tallest bars and renormalises. Then the next character is drawn at random with those odds.
"""


def default_model(lang: str | None = None) -> str:
    """The model the tab opens with: the poem model for Chinese ("zh", "zh-CN", …), else the names model."""
    return TANG_MODEL if str(lang or "").lower().startswith("zh") else DEFAULT_MODEL


# ---------------------------------------------------------------------------------------------------
# validation (the rendering is text_view.py)


def _number(v, name: str, lo: float, hi: float, whole: bool = False):
    try:
        x = float(v)
    except (TypeError, ValueError):
        raise gr.Error(f"{name} must be a number between {lo:g} and {hi:g}, got {v!r}.") from None
    if not lo <= x <= hi or (whole and x != int(x)):
        raise gr.Error(f"{name} must be a {'whole ' if whole else ''}number between {lo:g} and {hi:g}, got {v!r}.")
    return int(x) if whole else x


def _settings(temperature, top_k, seed, max_new=1):
    return (_number(temperature, "Temperature", 0, 5), _number(top_k, "Top-k", 0, 10_000, True),
            _number(seed, "The seed", 0, textgen.MAX_SEED, True), _number(max_new, "Characters", 1, MAX_NEW, True))


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
    def _check(model, text: str) -> None:
        try:
            textgen.context_ids(model, text)
        except (ValueError, CorpusError) as e:
            raise gr.Error(f"{str(e)[:1].upper()}{str(e)[1:]}.") from None

    def _start(self, model, prompt) -> dict:
        prompt = "" if prompt is None else str(prompt)
        if len(prompt) > MAX_PROMPT:
            raise gr.Error(f"The prompt is {len(prompt)} characters long; keep it under {MAX_PROMPT}.")
        self._check(model, prompt)
        return {"text": prompt, "marks": "p" * len(prompt)}

    def _frame(self, model, src, state, temperature, top_k, status, probs=None, caret=True) -> dict:
        """What every handler shows, by output name (the text's state goes to the next call, not to the page)."""
        if probs is None:
            probs = textgen.distribution(model, state["text"], temperature, top_k or None, line_start=textgen.aligned(src.data))
        return {"text": render_text(state, caret), "chart": probs, "status": status,
                "lines": render_lines(state["text"], src.data), "state": state}

    def info(self, key, request: gr.Request = None) -> str:
        """One line about the chosen model: size, corpus, held-out bits per character against the baselines."""
        model, src = self._model(key, request)
        s = textgen.score(model, src.data)
        tail = s.sentence() if s else "no held-out text to score it on"
        return f"**Tiny GPT** · {model.num_params():,} parameters · trained on *{src.data}* · {tail}."

    def hints(self, key, prompt, request: gr.Request = None) -> dict:
        """The prompt box and the tags' legend for the chosen model's corpus ("e.g. 床前明月光" for the poems); a
        prompt the model cannot read (Latin letters for the poem model) is cleared instead of raising an error."""
        model, src = self._model(key, request)
        label, placeholder = text_view.prompt_hint(src.data)
        fits = True
        try:
            textgen.context_ids(model, "" if prompt is None else str(prompt))
        except (ValueError, CorpusError):
            fits = False
        box = gr.Textbox(label=label, placeholder=placeholder) if fits else gr.Textbox("", label=label, placeholder=placeholder)
        return {"prompt": box, "legend": text_view.legend(src.data)}

    def peek(self, key, prompt, temperature, top_k, request: gr.Request = None):
        """Start over from the prompt without generating: the chart shows what would come next."""
        temperature, top_k, *_ = _settings(temperature, top_k, 0)
        model, src = self._model(key, request)
        state = self._start(model, prompt)
        self._begin(request)  # a running stream of this visitor stops: its text was replaced
        return self._frame(model, src, state, temperature, top_k, "Press **Generate**, or click a bar to choose the next character.")

    def redraw(self, key, prompt, temperature, top_k, state, request: gr.Request = None):
        """New temperature / top-k: the same text, its next-character chart recomputed."""
        temperature, top_k, *_ = _settings(temperature, top_k, 0)
        model, src = self._model(key, request)
        state = self._current(model, prompt, state)
        self._begin(request)  # a running stream stops; the next one uses the new settings
        return self._frame(model, src, state, temperature, top_k, f"τ = {temperature:g}, top-k = {top_k or 'all'}: "
                           "the bars now show the odds the next draw would use.")

    def _run(self, model, src, state, temperature, top_k, seed, max_new, until_newline, first_status, request, prefix=""):
        run = self._begin(request)
        yield self._frame(model, src, state, temperature, top_k, first_status)
        n = 0
        for step in textgen.stream(model, state["text"], max_new, temperature, top_k or None, seed, until_newline,
                                   line_start=textgen.aligned(src.data)):
            if not self._live(run):
                return  # Stop, or a newer stream of the same visitor took over
            n += 1
            state = {"text": state["text"] + step.char, "marks": state["marks"] + "m"}
            status = f"{prefix}Step {n}: drew **“{textgen.show_char(step.char)}”**, which had p = {step.p:.2f}."
            if self.delay:
                time.sleep(self.delay)
            yield self._frame(model, src, state, temperature, top_k, status, step.next_probs)

    def generate(self, key, prompt, temperature, top_k, seed, max_new, request: gr.Request = None):
        """Stream max_new characters after the prompt, one frame per character. API: "generate"."""
        temperature, top_k, seed, max_new = _settings(temperature, top_k, seed, max_new)
        model, src = self._model(key, request)
        state = self._start(model, prompt)
        yield from self._run(model, src, state, temperature, top_k, seed, max_new, False, "Generating…", request)

    def next_token(self, key, prompt, temperature, top_k, seed, state=None, request: gr.Request = None):
        """One more character: continue the current text (or start from the prompt). API: "next_token"."""
        temperature, top_k, seed, _ = _settings(temperature, top_k, seed)
        model, src = self._model(key, request)
        state = self._current(model, prompt, state)
        *_, last = self._run(model, src, state, temperature, top_k, seed, 1, False, "", request)
        return last

    def _current(self, model, prompt, state) -> dict:
        """The text being continued: the session's, unless it no longer starts with the prompt (then restart)."""
        prompt = "" if prompt is None else str(prompt)
        ok = isinstance(state, dict) and isinstance(state.get("text"), str) and len(state.get("marks", "")) == len(state["text"])
        if not ok or not state["text"].startswith(prompt):
            return self._start(model, prompt)
        self._check(model, state["text"])
        return state

    def force(self, key, prompt, temperature, top_k, seed, state, evt: gr.SelectData, request: gr.Request = None):
        """A bar was clicked: append that character as if the model had drawn it, then let it finish the line."""
        temperature, top_k, seed, _ = _settings(temperature, top_k, seed)
        model, src = self._model(key, request)
        label = evt.value if isinstance(evt.value, str) else None
        ch = textgen.char_of(label) if label else None
        if not ch or len(ch) != 1 or ch not in model.vocab:
            raise gr.Error("Click one of the bars to choose the next character.")
        state = self._current(model, prompt, state)
        state = {"text": state["text"] + ch, "marks": state["marks"] + "y"}
        chose = f"You chose **“{textgen.show_char(ch)}”**"
        first = f"{chose}; the model continues to the end of the line."
        yield from self._run(model, src, state, temperature, top_k, seed, 40, True, first, request, f"{chose} · ")


# ---------------------------------------------------------------------------------------------------
# layout


def build(ctx: UIContext, tab: gr.Tab | None = None) -> TextActions:
    """Lay out the tab (inside `tab`, whose selection refreshes the model list; None: only the ↻ button does)."""
    a = TextActions(ctx)
    gr.HTML(STYLE + INTRO.format(link=LEARN_LINK.sub(r'<a href="\2">\1</a>', learn_link("text"))), elem_id="text-intro")
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=340):
            with gr.Row():
                model = gr.Dropdown([], label="Model", allow_custom_value=True, elem_id="text-model", scale=5)
                refresh = gr.Button("↻", size="sm", scale=0, min_width=44, elem_id="text-refresh")
            info = gr.Markdown(elem_id="text-model-info")
            label, placeholder = text_view.prompt_hint("names")
            prompt = gr.Textbox("", label=label, max_lines=1, placeholder=placeholder, elem_id="text-prompt")
            temperature = gr.Slider(0, 2, value=0.8, step=0.05, label="Temperature τ (0 = greedy)", elem_id="text-temperature")
            top_k = gr.Slider(0, 60, value=0, step=1, label="Top-k (0 = all characters)", elem_id="text-topk")
            with gr.Row():
                seed = gr.Number(0, label="Seed", precision=0, minimum=0, maximum=textgen.MAX_SEED, elem_id="text-seed",
                                 min_width=90)
                max_new = gr.Slider(1, MAX_NEW, value=60, step=1, label="New characters", elem_id="text-max-new", min_width=140)
            with gr.Row():
                gen_btn = gr.Button("Generate", variant="primary", elem_id="text-generate", scale=2)
                step_btn = gr.Button("Step", elem_id="text-step", scale=1, min_width=70)
                stop_btn = gr.Button("Stop", variant="stop", elem_id="text-stop", scale=1, min_width=70)
        with gr.Column(scale=5, min_width=360):
            out = gr.HTML(render_text(EMPTY), elem_id="text-output")
            status = gr.Markdown("", elem_id="text-status")
            legend = gr.Markdown(text_view.legend("names"), elem_id="text-legend")
            lines = gr.HTML(render_lines("", None), elem_id="text-lines")
        with gr.Column(scale=3, min_width=260):
            chart = gr.Label(label="Next character: its odds (after τ and top-k) — click a bar to force it",
                             num_top_classes=10, show_heading=False, elem_id="text-probs")
    gr.Markdown(NLL_MD, latex_delimiters=LATEX, elem_id="text-formula")
    state = gr.State(dict(EMPTY))

    # ---- wiring ------------------------------------------------------------------------------------
    # the API's outputs keep this order: text, chart, status, lines (the state is never sent)
    frame = Outputs(text=out, chart=chart, status=status, lines=lines, state=state)
    settings = [model, prompt, temperature, top_k, seed]
    gen_btn.click(frame.wrap(a.generate), [*settings, max_new], frame.blocks, api_name="generate", concurrency_limit=8,
                  show_progress="hidden")
    step_btn.click(frame.wrap(a.next_token), [*settings, state], frame.blocks, api_name="next_token", concurrency_limit=8,
                   show_progress="hidden")
    private = dict(api_visibility="private")
    chart.select(frame.wrap(a.force), [*settings, state], frame.blocks, concurrency_limit=8, show_progress="hidden", **private)
    stop_btn.click(a.stop, None, None, concurrency_limit=None, **private)

    def choices(current, request: gr.Request):
        return refresh_choices(ctx, current, request, kinds(view="text"), default_model())

    def initial(request: gr.Request):
        return choices(None, request)

    show = dict(fn=frame.wrap(a.peek), inputs=[model, prompt, temperature, top_k], outputs=frame.blocks, **FAST, **private)
    describe = dict(fn=a.info, inputs=model, outputs=info, concurrency_limit=4, **private)
    hint = dict(fn=Outputs(prompt=prompt, legend=legend).wrap(a.hints), inputs=[model, prompt],
                outputs=[prompt, legend], **FAST, **private)
    gr.on(None, initial, None, model, **private).then(**hint).then(**show).then(**describe)
    gr.on([refresh.click] + ([tab.select] if tab is not None else []), choices, model, model,
          **private).then(**hint).then(**describe)
    model.input(**hint).then(**show).then(**describe)
    prompt.change(**show)  # .change, not .input: pasted or autofilled prompts count too
    gr.on([temperature.release, top_k.release], frame.wrap(a.redraw), [model, prompt, temperature, top_k, state], frame.blocks,
          **FAST, **private)
    return a
