"""The whole app: a header, then one tab per file under genai_demo/ui/ (Train, Latent explorer, GAN studio,
Next token, How it works), all sharing one UIContext (the per-visitor run registry).

A tab module exposes ``build(ctx)`` (the model tabs take their ``gr.Tab`` too, to refresh their model list when
it is selected), called inside its ``gr.Tab``. Tab modules may define ``forget(ctx, session)``; it runs when a
visitor closes the page, after their runs are released.

Gradio 6 takes theme / css / head in ``launch()``: use ``launch_kwargs()`` so app.py and the tests
launch the same-looking app.
"""
from __future__ import annotations

import os

import gradio as gr
from PIL import Image

from ..data.user_image import MAX_SIDE
from ..i18n import LANGS, pick_language, t
from . import (
    class_tab,
    class_view,
    fair,
    gan_tab,
    glossary,
    http_guard,
    labs_tab,
    latent_tab,
    learn_tab,
    lesson_ui,
    messages,
    text_tab,
    toy_tab,
    toy_view,
    train_tab,
)
from .context import UIContext
from .lang import LOCALE_HEAD_JS, SET_LOCALE_JS, SWITCH_CHOICES, L, gradio_i18n, page_words_head

# those defining forget() hear of leaving visitors
TAB_MODULES = [train_tab, latent_tab, gan_tab, text_tab, toy_tab, labs_tab, learn_tab]



def header_html(lang: str) -> str:
    """The page's title and pitch in the visitor's language (re-sent on load and by the EN | 中文 switch)."""
    return (f'<div class="app-header"><div class="app-title">genai-demo <span>— {t("app_subtitle", lang)}</span></div>'
            f'<div class="app-pitch">{t("app_pitch", lang)}</div></div>')


CSS = """
.app-header { padding: 4px 4px 0; }
.app-title { font-size: 1.55rem; font-weight: 700; }
.app-title span { font-weight: 400; color: var(--body-text-color-subdued); font-size: 1.1rem; }
.app-pitch { color: var(--body-text-color-subdued); margin-top: 2px; max-width: 70em; }
.train-status { padding: 8px 12px !important; border-radius: 8px; background: var(--block-background-fill);
  border: 1px solid var(--block-border-color); min-height: 2.6em; }
.step-counter { font-variant-numeric: tabular-nums; padding: 2px 2px 6px; }
.step-counter .step-label { color: var(--body-text-color-subdued); }
.step-counter .step-n { font-size: 1.7rem; font-weight: 700; }
.step-counter .step-total { color: var(--body-text-color-subdued); font-size: 1.1rem; }
.step-bar { height: 6px; border-radius: 3px; background: var(--border-color-primary); margin-top: 4px; overflow: hidden; }
.step-bar > div { height: 100%; background: var(--color-accent); transition: width .4s; }
#train-grid img, .crisp img { image-rendering: pixelated; }
#latent-decoded canvas { display: block; width: 224px; height: 224px; margin: 6px auto 2px; background: #000;
  image-rendering: pixelated; border-radius: 4px; }
#latent-map { position: relative; }
#latent-map .latent-cursor { display: none; position: absolute; left: -11px; top: -11px; width: 22px; height: 22px;
  box-sizing: border-box; border: 3px solid rgb(255, 64, 64); border-radius: 50%; box-shadow: 0 0 0 1.5px #000, inset 0 0 0 1px #000;
  pointer-events: none; z-index: 5; }
#latent-map .latent-cursor::before, #latent-map .latent-cursor::after { content: ""; position: absolute;
  background: linear-gradient(var(--dir), rgb(255, 64, 64) 30%, transparent 30% 70%, rgb(255, 64, 64) 70%); }
#latent-map .latent-cursor::before { --dir: to right; left: -10px; right: -10px; top: 7px; height: 2px; }
#latent-map .latent-cursor::after { --dir: to bottom; top: -10px; bottom: -10px; left: 7px; width: 2px; }
#latent-decoded .decoder-note { text-align: center; font-size: 0.78rem; color: var(--body-text-color-subdued); }
.formula { font-size: 0.92rem; padding: 0 6px; }
.formula .katex-display { margin: 0.3em 0 !important; }
/* a wide formula (the minimax game) scrolls sideways inside its box on a phone instead of being cut off */
.katex-display { overflow-x: auto; overflow-y: hidden; padding: 2px 0; }
.walk-label { font-size: 0.88rem; color: var(--body-text-color-subdued); }
/* the walk is as tall as its picture is at the page's width (a fixed height left a 10-step strip ~30 px of empty box
   above and below; ten class rows need 600): one row of 4-16 digits, or one row per class, at most 640 px */
#gan-walk, #gan-walk .image-container, #gan-walk .image-frame, #gan-walk .image-container > button { height: auto !important; }
#gan-walk img { width: 100%; height: auto !important; max-height: 640px; object-fit: contain; }
/* a model's name must fit its picker: smaller type, and the text stops before the ▾ instead of running under it */
#text-model input, #latent-model input, #gan-model input, #gan-vae-model input, #gan-gan-model input,
#compare-a input, #compare-b input, #zoo-code-model input, #zoo-open-model input, #class-pick input {
  font-size: 0.85em; text-overflow: ellipsis; margin-right: 23px !important; min-width: 0; }
.learn-link { font-size: 0.9rem; }
.learn-section { background: var(--background-fill-primary); border: 1px solid var(--border-color-primary);
  border-radius: 12px; padding: 10px 16px 12px; }
.learn-h { margin: 0.25em 0 0 0; font-size: 1.35rem; }
.arch svg { max-width: 100%; height: auto; }
.dot { display: inline-block; width: .7em; height: .7em; border-radius: 50%; margin-right: .45em;
  background: #9ca3af; vertical-align: baseline; }
.dot-running { background: #16a34a; } .dot-queued { background: #f59e0b; } .dot-paused { background: #6366f1; }
.dot-finished { background: #0ea5e9; } .dot-failed { background: #dc2626; } .dot-stopped { background: #6b7280; }
.train-buttons { gap: 8px !important; }
.train-buttons button { white-space: nowrap; padding-left: 6px !important; padding-right: 6px !important; }
.grid-caption { margin-bottom: -4px; }
/* the caption changes while the timeline is scrubbed: a fixed two-line box, so nothing below it (the slider
   under the pointer) ever moves */
#train-grid-caption { height: 3.1em; overflow: hidden; }
#train-grid-caption p { margin: 0; line-height: 1.5em; }
/* names the loss plots' grey change lines, under the loss plot (it wraps; the plot's legend cannot) */
.plot-changes { font-size: 0.85em; color: #4b5563; margin: -4px 0 2px; }
.plot-changes-line { display: inline-block; width: 2px; height: 1em; background: #6b7280; vertical-align: -0.15em;
  margin-right: 0.5em; }
.app-top { align-items: flex-start !important; }
#lang-switch { flex-grow: 0 !important; min-width: 11em !important; }
#lang-switch label { white-space: nowrap; }
#lang-switch .wrap { flex-wrap: nowrap; }
"""

# Links written by learn_link() ("#learn-gan") open the How-it-works tab, then scroll to the section.
HEAD = """<script>
document.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a[href^="#learn-"]');
  if (!a) return;
  ev.preventDefault();
  const id = a.getAttribute('href').slice(1);
  // by id, not by its label: the label is in the visitor's language
  const tab = document.getElementById('tab-learn-button')
    || [...document.querySelectorAll('button[role="tab"]')].find(b => /How it works|原理/.test(b.textContent));
  if (tab) tab.click();
  setTimeout(() => document.getElementById(id)?.scrollIntoView({behavior: 'smooth', block: 'start'}), 150);
}, true);
</script>"""


def launch_kwargs() -> dict:
    """Look and limits for demo.launch(...), shared by app.py and the tests."""
    # system fonts: the theme's default Google font cannot load offline and would delay the first paint
    fonts = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    theme = gr.themes.Soft(primary_hue="indigo", secondary_hue="pink", font=fonts, font_mono=mono)
    return {"theme": theme, "css": CSS + toy_view.CSS + class_view.CSS + glossary.CSS + lesson_ui.CSS,
            "head": LOCALE_HEAD_JS + HEAD + glossary.HEAD_JS + page_words_head(), "i18n": gradio_i18n(),
            "max_file_size": "10mb", "show_error": True,
            # Gradio keeps ~390 KB of state per session (a copy of every component's config), for up to 10,000
            # sessions: 3.9 GB for a script with fresh session ids. Keep the most recently active ones only.
            "state_session_capacity": session_capacity(), **hostile_input_kwargs()}


def session_capacity() -> int:
    """Sessions whose Gradio state is kept (the least recently active beyond go): as many as the visitors that may
    hold runs; ≈ 40 MB at most. A page in use polls twice a second, so it stays among the most recent."""
    return int(os.environ.get("GENAI_DEMO_GRADIO_SESSIONS", 100))


def hostile_input_kwargs() -> dict:
    """What a script may send is bounded before Gradio reads it: body size, protocol fields (ui/http_guard.py)."""
    return {"app_kwargs": http_guard.app_kwargs()}


def guard_process() -> None:
    """Process-wide bounds a public app needs, set when the app is built (never at import)."""
    # Pillow refuses images over 2 × MAX_IMAGE_PIXELS outright (default 179 Mpx): any image Gradio itself decodes is
    # then ≤ 33.5 Mpx; the Sketchpad and uploads check the header against tighter bounds first.
    Image.MAX_IMAGE_PIXELS = min(Image.MAX_IMAGE_PIXELS or MAX_SIDE * MAX_SIDE, MAX_SIDE * MAX_SIDE)
    messages.install()  # what an error tells a visitor: one sentence, no path, no class name (ui/messages.py)


def build_demo(ctx: UIContext | None = None) -> gr.Blocks:
    """The gr.Blocks app; a test passes its own ctx (e.g. a registry that allows one run)."""
    ctx = ctx or UIContext()
    ctx.lang_texts, ctx.lang_events = [], []  # filled by the tabs of this build (a second demo starts afresh)
    guard_process()
    messages.listen(ctx)  # the error net answers each visitor in their language
    # Gradio's queue re-summarises its last 10,000 events with pandas after *every* event (~10-16 ms of CPU once
    # full): with 30 pages polling at 2 Hz that is most of a core. Summarise every 1,000 events, keep 2,000.
    # Read when gr.Blocks() creates its queue, so set here; an operator's own values win.
    os.environ.setdefault("GRADIO_ANALYTICS_CACHE_FREQUENCY", "1000")
    os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "2000")
    # delete_cache: sample grids and GIFs are written to Gradio's cache; drop files older than 1 h every 10 min
    with gr.Blocks(title="genai-demo — watch generative models learn", delete_cache=(600, 3600)) as demo:
        with gr.Row(elem_classes="app-top"):
            header = gr.HTML(header_html("en"), elem_id="app-header")
            switch = gr.Radio(SWITCH_CHOICES, value="en", label="Language / 语言", show_label=False,
                              elem_id="lang-switch", container=False)
        lesson_note, lesson_style = lesson_ui.build_note()  # a lesson link's notes; its hidden controls
        # wrap: on a phone every tab stays one tap away (Gradio's default hides the ones that do not fit behind "⋯")
        with gr.Tabs(elem_id="main-tabs", overflow_behavior="wrap") as main_tabs:
            # labels are catalogue keys (the browser shows them in the visitor's language); ids / elem_ids for
            # gr.Tabs(selected=…), CSS, the tests and HEAD's script
            with gr.Tab(L("tab_train"), id="train", elem_id="tab-train") as train:
                trainer = train_tab.build(ctx)
            with gr.Tab(L("tab_latent"), id="latent", elem_id="tab-latent") as tab:
                latent_tab.build(ctx, tab)
            with gr.Tab(L("tab_gan"), id="gan", elem_id="tab-gan") as gan:
                gan_tab.build(ctx, gan)
            with gr.Tab(L("tab_text"), id="text", elem_id="tab-text") as text:
                text_tab.build(ctx, text)
            with gr.Tab(L("tab_toy"), id="toy", elem_id="tab-toy") as toy_block:
                toy = toy_tab.build(ctx, toy_block)
            with gr.Tab(L("tab_labs"), id="labs", elem_id="tab-labs") as labs_block:
                labs = labs_tab.build(ctx)
            with gr.Tab(L("tab_learn"), id="learn", elem_id="tab-learn") as learn:
                learn_tab.build(ctx)
            teacher = None  # the Class tab exists only when the operator set a teacher code (a Space secret)
            if class_tab.enabled():
                with gr.Tab(L("tab_class"), id="class", elem_id="tab-class") as class_block:
                    teacher = class_tab.build(ctx)
        tabs = {"tab_train": train, "tab_latent": tab, "tab_gan": gan, "tab_text": text, "tab_toy": toy_block,
                "tab_labs": labs_block, "tab_learn": learn, **({"tab_class": class_block} if teacher else {})}
        # Gradio 6.31 translates a tab's name once, when its panel first renders: names of tabs not yet opened would
        # stay in the first language, so the names are also sent as plain text on load and on every switch
        shell = [switch, header, *tabs.values(), *(c for c, _ in ctx.lang_texts)]

        def texts(lang: str) -> list:
            return [header_html(lang), *(gr.update(label=t(key, lang)) for key in tabs),
                    *(render(lang) for _, render in ctx.lang_texts)]

        def opened(request: gr.Request):
            """A page opened: its language from ?lang=, else Accept-Language, else English (kept per visitor)."""
            headers = getattr(request, "headers", None) or {}
            lang = pick_language(dict(getattr(request, "query_params", None) or {}), headers.get("accept-language"))
            lang = ctx.set_lang(getattr(request, "session_hash", None), lang)
            return [lang, *texts(lang)]

        def switched(lang, request: gr.Request):
            """EN | 中文 clicked: static texts now, per-visitor ones (ctx.on_language) right after, the rest from the next
            refresh; the run is untouched."""
            lang = ctx.set_lang(getattr(request, "session_hash", None), lang)
            return texts(lang)

        # the js= runs in the browser after Python answered: Gradio's component texts switch in place (no spinner
        # over ~40 texts; and a progress target costs the page on every later event: spare_the_page)
        loading = demo.load(opened, None, shell, api_visibility="private", concurrency_limit=None, show_progress="hidden")
        loading.then(None, switch, None, js=SET_LOCALE_JS)
        switching = switch.input(switched, switch, shell[1:], api_visibility="private", concurrency_limit=None,
                                 show_progress="hidden", js=SET_LOCALE_JS)
        for fn, inputs, outputs, kwargs in ctx.lang_events:  # per-visitor texts, drawn at once rather than next tick
            loading.then(fn, inputs, outputs, **kwargs)
            switching.then(fn, inputs, outputs, **kwargs)

        def release(request: gr.Request):
            """The visitor closed or reloaded the page: stop their runs, drop their files."""
            sid = getattr(request, "session_hash", None)
            if not sid:
                return
            ctx.registry.release(sid)
            ctx.langs.pop(sid, None)
            trainer.forget(sid)
            if teacher is not None:
                teacher.forget(sid)
            for m in TAB_MODULES:
                if hasattr(m, "forget"):
                    m.forget(ctx, sid)

        demo.unload(release)

        # a lesson link (?tab=gan&model=gan&lr=0.0005&hide=lr,advanced, ?tab=toy&preset=NAME): ui/lesson.py
        lesson_ui.wire_load(demo, ctx, main_tabs, trainer.form, trainer.lesson, lesson_note, lesson_style, toy,
                            trainer.datasets, switch)

        def toy_timer(evt: gr.SelectData):
            """The 2-D GAN view polls only while its tab shows (its game plays on in the background)."""
            return gr.Timer(active=evt.value in toy_names)

        toy_names = {t("tab_toy", lang) for lang in LANGS}  # the tab's name as the page shows it
        main_tabs.select(toy_timer, None, toy.timer, queue=False, api_visibility="private", show_progress="hidden")
        labs.wire(demo, main_tabs)  # ?lab=<id> opens the Labs tab on that lab; its timers run while it shows
    fair.install(demo)  # heavy jobs (judge, sample, walk, generate): a fair share per client address
    spare_the_page(demo)
    return demo


LAYOUTS = (gr.Tabs, gr.Tab, gr.Column, gr.Row, gr.Group, gr.Accordion)


def spare_the_page(demo: gr.Blocks) -> None:
    """Keep each event's progress targets (what Gradio's page tracks a loading status for) to what shows one.

    Gradio 6.31's page keeps a loading status for every component an event has ever had as a progress target (its
    outputs unless show_progress_on says otherwise) and, after *every* event, looks each of them up again — a search
    of the whole component tree through Svelte's reactive proxies — and re-reads its state, a layout block's with all
    its descendants. Profiled on an idle Train tab, that was nearly all of the ~0.45 s of a slow core each poll cost
    the visitor's browser. So: an event that shows no progress ("hidden": every poll) tracks none, and a layout block
    (the tabs, whose names the page load and the language switch set) is never a target; the spinner of an event
    that shows one stays on its other outputs."""
    for fn in demo.fns.values():
        if fn.show_progress_on is not None:
            continue
        if fn.show_progress == "hidden":
            fn.show_progress_on = []
        elif any(isinstance(b, LAYOUTS) for b in fn.outputs):
            fn.show_progress_on = [b for b in fn.outputs if not isinstance(b, LAYOUTS)]
