"""Lesson links in the page: apply the link on load, say what was ignored, hide controls, "Copy lesson link".

The parsing and the link building are plain functions in ui/lesson.py; this file only wires them to components.
Inside a Hugging Face Space the Space hands the page's query string to the app, and Gradio's client sends the page's
query string with every event, so ``request.query_params`` in ``demo.load`` is all that is needed (as for ?lang=).
"""
from __future__ import annotations

import html

import gradio as gr

from ..explore.toy_presets import PRESETS
from ..i18n import pick_language, t
from ..models import kinds
from .lang import L
from .lesson import MAX_NOTES, MAX_VALUE, Env, Lesson, hide_css, parse, query_string

CSS = """
#lesson-note { border-left: 4px solid var(--color-accent); background: var(--block-background-fill); padding: 4px 12px !important;
  border-radius: 6px; }
#lesson-note p { margin: .15em 0 !important; }
#lesson-style { display: none !important; }
/* a phone: the header above the switch; the Train tab's columns stack, and Start and the live grid must not be a
   screen apart, so the controls' column dissolves into the row and its parts are ordered: what to train, the
   buttons, the live view, the rest */
@media (max-width: 720px) {
  .app-top { flex-wrap: wrap !important; }  /* the header gets the whole width, the tabs come up a screen */
  .app-top > #app-header { min-width: 100% !important; }
  .app-title { font-size: 1.25rem !important; }
  .app-title span { display: block; font-size: .95rem !important; }
  .app-pitch { font-size: .85rem; }
  #train-row { flex-wrap: wrap !important; }
  #train-row > .train-controls { display: contents !important; }
  #train-row > .train-controls > * { order: 3; flex: 1 1 100% !important; min-width: 100% !important; }
  #train-row > .train-controls > #train-what, #train-row > .train-controls > #train-main-buttons { order: 1; }
  #train-row > #train-live { order: 2; flex: 1 1 100% !important; min-width: 100% !important; }
}
"""

# The link box's text is the query string Python built; the browser makes it a whole link from the page's own address
# (behind a proxy or inside a Space's iframe only the browser knows it), copies it, and selects it as the fallback
# (navigator.clipboard is missing on plain-http pages, e.g. a school server: then execCommand, or the visitor's Ctrl+C).
COPY_JS = """(q) => {
  if (!q) return q;
  const url = location.origin + location.pathname + '?' + q;
  const select = () => {
    const box = document.querySelector('#lesson-link textarea, #lesson-link input');
    if (box) { box.focus(); box.select(); }
    return box;
  };
  const fallback = () => { if (select()) { try { document.execCommand('copy'); } catch (e) {} } };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(url).catch(fallback);
  setTimeout(() => { if (!(navigator.clipboard && window.isSecureContext)) fallback(); else select(); }, 150);
  return url;
}"""


def notes_markdown(lesson: Lesson | list, lang: str) -> str:
    """One line per ignored value, in the visitor's language (values are the visitor's own text: escaped).
    lesson: a Lesson, or its notes as kept in the page's state ([[key, values], …])."""
    notes = lesson.notes if isinstance(lesson, Lesson) else lesson
    lines = [t(key, lang, **{str(k): html.escape(str(v)[:MAX_VALUE]) for k, v in values.items()})
             for key, values in notes[:MAX_NOTES] if str(key).startswith("lesson_note_") and isinstance(values, dict)]
    return "\n\n".join(f"ⓘ {line}" for line in lines)


def state_of(value) -> dict:
    """The page's lesson state as a dict (a script may send anything in its place)."""
    return value if isinstance(value, dict) else {}


def tab_ids(tabs: gr.Tabs) -> list[str]:
    """The ids of the tabs built into the page (a tab added later is found too)."""
    return [str(c.id) for c in tabs.children if isinstance(c, gr.Tab) and c.id is not None]


def build_note() -> tuple[gr.Markdown, gr.HTML]:
    """The note line (above the tabs) and the invisible style that hides a lesson's controls."""
    note = gr.Markdown("", visible=False, elem_id="lesson-note", elem_classes="lesson-note")
    style = gr.HTML("", elem_id="lesson-style", padding=False, container=False)
    return note, style


def build_copy(ctx, form: dict, lesson_state: gr.State, tab: str = "train") -> None:
    """The "Copy lesson link" button and its box, for the Train tab (form: link control name → component)."""
    with gr.Row(elem_id="lesson-copy-row", equal_height=True):
        button = gr.Button(L("lesson_copy_btn"), size="sm", elem_id="lesson-copy", scale=0, min_width=160)
        box = gr.Textbox("", label=L("lesson_link_label"), info=L("lesson_link_info"), elem_id="lesson-link",
                         interactive=False, buttons=["copy"], visible=False, scale=4)

    def link(values: dict, request: gr.Request):
        """Gradio hands a set of inputs over as one {component: value} dict."""
        settings = {name: values[comp] for name, comp in form.items()}
        hide = state_of(values[lesson_state]).get("hide")
        return gr.Textbox(value=query_string(settings, tab=tab, hide=hide if isinstance(hide, list) else (),
                                             lang=ctx.lang(request)), visible=True)

    button.click(link, {*form.values(), lesson_state}, box, api_visibility="private", concurrency_limit=None,
                 show_progress="hidden").then(None, box, box, js=COPY_JS)


def wire_load(demo: gr.Blocks, ctx, main_tabs: gr.Tabs, form: dict, lesson_state: gr.State, note: gr.Markdown,
              style: gr.HTML, toy, datasets: list[str], switch: gr.Radio | None = None) -> None:
    """On load: read the link, set the Train controls, select the tab, hide controls, say what was ignored."""
    env = Env(tabs=tab_ids(main_tabs), kinds=kinds(view="train"), datasets=list(datasets),
              max_steps=ctx.registry.max_steps, presets=list(PRESETS))
    outputs = [main_tabs, *form.values(), lesson_state, note, style, toy.preset, toy.timer]
    first = env.kinds[0] if env.kinds else None  # the model the Train tab opens with

    def opened(request: gr.Request):
        query = dict(getattr(request, "query_params", None) or {})
        lang = pick_language(query, (getattr(request, "headers", None) or {}).get("accept-language"))
        lesson = parse(query, env)
        if lesson.empty and not lesson.notes:
            return [gr.skip()] * len(outputs)
        out = [gr.update(selected=lesson.tab) if lesson.tab else gr.skip()]
        # a new model's data sets are offered by its change handler, which takes the link's data (train_tab.model_changed)
        later = {"data"} if lesson.settings.get("model", first) != first else set()
        out += [lesson.settings[name] if name in lesson.settings and name not in later else gr.skip() for name in form]
        out.append({"settings": dict(lesson.settings), "hide": list(lesson.hide), "notes": lesson.notes})
        out.append(gr.Markdown(notes_markdown(lesson, lang), visible=bool(lesson.notes)))
        out.append(hide_css(lesson.hide))
        on_toy = lesson.preset is not None
        out += [lesson.preset if on_toy else gr.skip(), gr.Timer(active=True) if lesson.tab == "toy" else gr.skip()]
        return out

    demo.load(opened, None, outputs, api_visibility="private", show_progress="hidden", concurrency_limit=None)
    if switch is not None:  # EN | 中文: the note follows the language
        def switched(lang, state):
            notes = state_of(state).get("notes")
            return notes_markdown(notes, lang) if isinstance(notes, list) and notes else gr.skip()

        switch.input(switched, [switch, lesson_state], note, api_visibility="private", show_progress="hidden",
                     concurrency_limit=None)
