"""How the Next token tab draws text (HTML strings; no gradio, no maths): the text so far, coloured by who wrote
each character, and the finished lines tagged new / memorised / a real line (a name, a couplet) the model never saw."""
from __future__ import annotations

import html

from ..data.own_store import is_own
from ..data.text import CORPORA
from ..explore import textgen
from ..i18n import t

# a line's tag: new / memorised / held-out, or why none (catalogue keys; "…" is shown as it is)
NOVELTY = {"new": "novelty_new", "memorised": "novelty_memorised", "held-out": "novelty_held_out", "?": "novelty_unknown"}
VERSE_NOVELTY = {**NOVELTY, "held-out": "novelty_held_out_line"}  # "real line, unseen" for the poems
# corpus -> catalogue keys of the prompt box's label and placeholder and of the tags' legend (names: the tab's own)
PROMPT_KEYS = {"tang": ("text_prompt_tang", "text_prompt_placeholder_tang", "text_lines_head_tang")}
NAMES_KEYS = ("text_prompt", "text_prompt_placeholder", "text_lines_head")
OWN_KEYS = ("own_text_prompt", "own_text_prompt_placeholder", "own_text_lines_head")  # a visitor's own text
STYLE = """<style>
#text-output .tok-text { font-family: var(--font-mono); font-size: 1.15rem; line-height: 1.7; white-space: pre-wrap;
  min-height: 9.5em; padding: 10px 14px; border: 1px solid var(--border-color-primary); border-radius: 10px;
  background: var(--background-fill-primary); }
#text-output .tok-p { font-weight: 700; } #text-output .tok-m { color: var(--color-accent); }
#text-output .tok-y { background: #fbcfe8; color: #831843; border-radius: 3px; font-weight: 700; }
#text-output .tok-nl { color: var(--body-text-color-subdued); opacity: .55; font-size: .85em; }
#text-output .tok-nl.tok-y { opacity: 1; }
#text-output .tok-caret { color: var(--color-accent); animation: tokblink 1s steps(1) infinite; }
@keyframes tokblink { 50% { opacity: 0; } }
#text-lines .chip { display: inline-block; margin: 2px 4px 2px 0; padding: 1px 9px; border-radius: 999px;
  font-family: var(--font-mono); border: 1px solid var(--border-color-primary); }
#text-lines .chip b { font-family: var(--font); font-weight: 600; font-size: .8em; margin-left: 6px; }
#text-lines .new { background: #dcfce7; color: #14532d; } #text-lines .memorised { background: #ffedd5; color: #7c2d12; }
#text-lines .held-out { background: #e0f2fe; color: #0c4a6e; }
</style>"""


def render_text(state: dict, caret: bool = True) -> str:
    """The text so far; state["marks"][i] says who wrote character i: p(rompt), m(odel) or y(ou)."""
    parts, cls = [], {"p": "tok-p", "m": "tok-m", "y": "tok-y"}
    for ch, mark in zip(state["text"], state["marks"], strict=True):
        if ch == "\n":
            parts.append(f'<span class="tok-nl{" tok-y" if mark == "y" else ""}">⏎</span>\n')
        else:
            parts.append(f'<span class="{cls.get(mark, "tok-m")}">{html.escape(ch)}</span>')
    if caret:
        parts.append('<span class="tok-caret">▌</span>')
    return f'<div class="tok-text">{"".join(parts)}</div>'


def render_lines(text: str, corpus: str | None, lang: str = "en") -> str:
    """Each finished line as a chip tagged with its relation to the corpus."""
    rows = textgen.line_report(text, corpus)
    if not rows:
        return f"<i>{t('text_nothing_yet', lang)}</i>"
    tags = VERSE_NOVELTY if textgen.aligned(corpus) else NOVELTY
    chips = [f'<span class="chip {s}">{html.escape(line)}<b>{html.escape(t(tags[s], lang) if s in tags else s)}</b></span>'
             for line, s in rows]
    return "".join(chips)


def prompt_keys(corpus: str | None) -> tuple[str, str, str]:
    """Catalogue keys of the prompt's label and placeholder ("e.g. 床前明月光" for the poems) and of the tags' legend,
    for a model trained on `corpus` (a visitor's run on the poems gets the poems' keys)."""
    if is_own(corpus):
        return OWN_KEYS
    return PROMPT_KEYS.get(corpus or "", NAMES_KEYS) if corpus in CORPORA else NAMES_KEYS
