"""A text run's preview as the Train tab, the labs and the Next-token tab draw it: the sampled lines numbered in a
monospace box, each tagged new / memorised (copied from the training lines) / a real held-out line, with a count
below — memorising shows up as copies. Plain functions, no gradio.
"""
from __future__ import annotations

import html
import unicodedata

from ..data.text import corpus_info, novelty
from ..i18n import t

TEXT_BOX = ("list-style:none;margin:0;padding:10px 14px;columns:2;column-gap:28px;line-height:1.75;"
            "font-family:var(--font-mono,monospace);font-size:1.05rem;background:var(--block-background-fill);"
            "border:1px solid var(--block-border-color);border-radius:8px")
TEXT_NUM = "flex:none;width:2.6em;color:var(--body-text-color-subdued);font-size:.85em"
# a line: its number, then its text and tag, which wrap (inside the text, never away from the number) when too long
LINE, WRAP = "display:flex;align-items:baseline;break-inside:avoid", "min-width:0;overflow-wrap:anywhere"
WIDE_LINE = 14  # columns (a Chinese character takes two): a longer line with its number and tag overflows half the box


# a sampled line's relation to the corpus (data.text.novelty): the Next-token tab's words and badge colours
NOVEL = {"new": ("#dcfce7", "#14532d"), "memorised": ("#ffedd5", "#7c2d12"), "held-out": ("#e0f2fe", "#0c4a6e")}
NOVELTY_KEYS = {"new": "novelty_new", "memorised": "novelty_memorised", "held-out": "novelty_held_out"}  # catalogue
LINE_KEYS = {**NOVELTY_KEYS, "held-out": "novelty_held_out_line"}  # the poems: "real line, unseen"
TAG = ("white-space:nowrap;margin-left:.5em;padding:0 .4em;border-radius:4px;font-size:.72em;font-family:var(--font);"
       "background:{};color:{}")


def columns(line: str) -> int:
    """How wide a line is on screen, in monospace columns: full-width characters (Chinese) count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def text_html(preview, corpus: str | None = None, lang: str = "en") -> str | None:
    """A text preview (generated lines) → a numbered monospace box in two columns (None for image previews).

    With the run's corpus, each line (a name, a couplet) is tagged new / copied from the training lines / a real one
    the model never saw, and a line below counts them: memorising shows up as copies, next to the held-out curve.
    """
    if not isinstance(preview, str):
        return None
    info = corpus_info(corpus)  # a shipped corpus or a visitor's own text
    known = info is not None
    lines = known and info.unit == "line"  # the poems' words: lines, not names
    keys, summary_key = (LINE_KEYS, "text_summary_lines") if lines else (NOVELTY_KEYS, "text_summary")
    items, counts = [], dict.fromkeys(NOVEL, 0)
    # names fit two columns; verses (CJK: double width) and a visitor's own lines (up to 64 characters) get one, and
    # a line still too long for its column wraps inside it rather than running past the box's edge
    wide = max(map(columns, preview.split("\n"))) > WIDE_LINE
    style = TEXT_BOX.replace("columns:2", "columns:1") if wide else TEXT_BOX
    for i, line in enumerate(preview.split("\n"), 1):
        tag = ""
        if line.strip() and known:
            kind = novelty(line, corpus)
            counts[kind] += 1
            tag = f'<span class="novelty-{kind}" style="{TAG.format(*NOVEL[kind])}">{t(keys[kind], lang)}</span>'
        text = html.escape(line) if line.strip() else f"<i>{t('text_empty', lang)}</i>"
        items.append(f'<li style="{LINE}"><span style="{TEXT_NUM}">{i}</span><span style="{WRAP}">{text}{tag}</span></li>')
    box = f'<ol class="train-text" data-lines="{len(items)}" style="{style}">{"".join(items)}</ol>'
    if not known:
        return box
    summary = t(summary_key + ("_one" if counts["held-out"] == 1 else ""), lang, new=counts["new"],
                copied=counts["memorised"], held=counts["held-out"])
    return box + f'<div class="train-text-summary" style="margin-top:6px;font-size:.9rem">{summary}</div>'
