"""Next token: a tiny GPT writes one character at a time; see the distribution it draws from, force a character.

Layout and wiring only; the handlers are text_actions.py, the sampling loop and the corpus check
genai_demo/explore/textgen.py, the maths models/charlm.py, the HTML text_view.py. The text so far lives in a
per-session gr.State {"text", "marks"} (marks[i] says who wrote character i: prompt, model or you), so
Generate / +1 / a click on a bar all continue the same text.
Public API: "generate" (stream from a prompt) and "next_token" (one more character).
"""
from __future__ import annotations

import re

import gradio as gr

from ..explore import textgen
from ..i18n import pick_language, t
from ..models import kinds
from .common import FAST, glossary_box, refresh_choices
from .context import UIContext
from .lang import L
from .learn_tab import learn_link
from .outputs import Outputs
from .text_actions import MAX_NEW, MAX_PROMPT, STEP_DELAY, TextActions  # noqa: F401 — the tab's handlers, re-exported
from .text_view import STYLE, render_lines, render_text

DEFAULT_MODEL = "pretrained:charlm_names"
TANG_MODEL = "pretrained:charlm_tang"  # the Tang-poem model: any handler or API call takes this key
EMPTY = {"text": "", "marks": ""}
LATEX = [{"left": "$$", "right": "$$", "display": True}, {"left": "$", "right": "$", "display": False}]
LEARN_LINK = re.compile(r"\[(.+?)\]\((#[\w-]+)\)")  # learn_link()'s Markdown link, written as HTML here
# the intro (text_intro) and the formula text (text_nll_md, LaTeX: written by Python, not gr.I18n) are catalogue messages


def intro_html(lang: str = "en") -> str:
    link = LEARN_LINK.sub(r'<a href="\2">\1</a>', learn_link("text", lang))
    return STYLE + f"<p>{t('text_intro', lang, link=link)}</p>"


def default_model(lang: str | None = None) -> str:
    """The model the tab opens with: the poem model for Chinese ("zh", "zh-CN", …), else the names model."""
    return TANG_MODEL if str(lang or "").lower().startswith("zh") else DEFAULT_MODEL


# ---------------------------------------------------------------------------------------------------
# layout


def build(ctx: UIContext, tab: gr.Tab | None = None) -> TextActions:
    """Lay out the tab (inside `tab`, whose selection refreshes the model list; None: only the ↻ button does)."""
    a = TextActions(ctx)
    ctx.translated(gr.HTML(intro_html("en"), elem_id="text-intro"), intro_html)
    with gr.Row(equal_height=False):
        with gr.Column(scale=4, min_width=340):
            with gr.Row():
                model = gr.Dropdown([], label=L("latent_model"), allow_custom_value=True, elem_id="text-model", scale=5)
                refresh = gr.Button("↻", size="sm", scale=0, min_width=44, elem_id="text-refresh")
            info = gr.Markdown(elem_id="text-model-info")
            prompt = gr.Textbox("", label=L("text_prompt"), max_lines=1,
                                placeholder=L("text_prompt_placeholder"), elem_id="text-prompt")
            # right under the prompt: type, then Generate — above the fold on a 1366 × 768 laptop; the knobs follow
            with gr.Row():
                gen_btn = gr.Button(L("text_generate"), variant="primary", elem_id="text-generate", scale=2)
                step_btn = gr.Button(L("text_step"), elem_id="text-step", scale=1, min_width=70)
                stop_btn = gr.Button(L("text_stop"), variant="stop", elem_id="text-stop", scale=1, min_width=70)
            temperature = gr.Slider(0, 2, value=0.8, step=0.05, label=L("text_temperature"), elem_id="text-temperature")
            top_k = gr.Slider(0, 60, value=0, step=1, label=L("text_topk"), elem_id="text-topk")
            with gr.Row():
                seed = gr.Number(0, label=L("train_seed"), precision=0, minimum=0, maximum=textgen.MAX_SEED, elem_id="text-seed",
                                 min_width=90)
                max_new = gr.Slider(1, MAX_NEW, value=60, step=1, label=L("text_max_new"), elem_id="text-max-new", min_width=140)
        with gr.Column(scale=5, min_width=360):
            out = gr.HTML(render_text(EMPTY), elem_id="text-output")
            status = gr.Markdown("", elem_id="text-status")
            legend = gr.Markdown(L("text_lines_head"), elem_id="text-legend")
            lines = gr.HTML(render_lines("", None), elem_id="text-lines")
        with gr.Column(scale=3, min_width=260):
            chart = gr.Label(label=L("text_chart"),
                             num_top_classes=10, show_heading=False, elem_id="text-probs")
    ctx.translated(gr.Markdown(t("text_nll_md"), latex_delimiters=LATEX, elem_id="text-formula"), lambda lang: t("text_nll_md", lang))
    # under the formula, not above the controls: Generate stays above the fold at 1366 × 768
    glossary_box(ctx, ["logits", "temperature", "nll", "nats", "bpc", "held_out", "memorised", "unigram", "classical_form"])
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

    def choices(current, request: gr.Request, default: str = DEFAULT_MODEL):
        return refresh_choices(ctx, current, request, kinds(view="text"), default)

    def initial(request: gr.Request):
        """The page opened: the poem model for a Chinese page, the names model otherwise. The language is read from
        the request as ui/app.py reads it (its own load event may not have run yet)."""
        headers = getattr(request, "headers", None) or {}
        lang = pick_language(dict(getattr(request, "query_params", None) or {}), headers.get("accept-language"))
        return choices(None, request, default_model(lang))

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
