"""The glossary: every term the app shows, in plain words, and the ⓘ that leads to it.

Entries are catalogue pairs ``gloss_<id>_term`` / ``gloss_<id>_text`` in any area file (i18n/<lang>/*.json): this file
lists every pair it finds, so a term another part of the app adds shows up by itself. ``info("kl", lang)`` is the ⓘ
to put beside a term (its hover title is the explanation; a click or a tap opens the entry in How it works), and
``terms_line([...], lang)`` a one-line "Terms here:" list for a tab whose terms are component labels (ui/common.py's
``glossary_box`` makes it a component). No gradio here: plain HTML strings, testable without a page.
The page's head script (HEAD_JS) opens the How-it-works tab on a click, scrolls to the entry and filters the search.
"""
from __future__ import annotations

import html
import re

from ..i18n import LANGS, catalogue, t

_KEY = re.compile(r"^gloss_([a-z0-9_]+)_term$")

# a click on an ⓘ (href="#gloss-ID") opens How it works and scrolls to the entry; typing in the search box filters
HEAD_JS = """<script>
document.addEventListener('click', (ev) => {
  const a = ev.target.closest && ev.target.closest('a[href^="#gloss-"]');
  if (!a) return;
  ev.preventDefault();
  const id = a.getAttribute('href').slice(1);
  const tab = document.getElementById('tab-learn-button');
  if (tab) tab.click();
  const show = (tries) => {
    const el = document.getElementById(id);
    if (!el) { if (tries > 0) setTimeout(() => show(tries - 1), 150); return; }
    document.querySelectorAll('.gloss-entry.gloss-hit').forEach(e => e.classList.remove('gloss-hit'));
    el.classList.add('gloss-hit');
    el.open = true;
    el.scrollIntoView({behavior: 'smooth', block: 'center'});
  };
  setTimeout(() => show(20), 150);
}, true);
document.addEventListener('input', (ev) => {
  if (!ev.target.matches || !ev.target.matches('#gloss-search')) return;
  const q = ev.target.value.trim().toLowerCase();
  let shown = 0;
  document.querySelectorAll('.gloss-entry').forEach(e => {
    const hit = !q || e.dataset.search.includes(q);
    e.style.display = hit ? '' : 'none';
    shown += hit;
  });
  const none = document.getElementById('gloss-none');
  if (none) none.style.display = shown ? 'none' : '';
});
</script>"""

CSS = """
a.gloss-i { text-decoration: none !important; color: var(--color-accent) !important; font-size: .95em; padding: 0 .15em;
  cursor: help; }
.gloss-terms { font-size: .88rem; color: var(--body-text-color-subdued); }
.gloss-list { columns: 2 22em; column-gap: 2em; }
.gloss-entry { break-inside: avoid; margin: 0 0 .35em; padding: 2px 6px; border-radius: 6px; }
.gloss-entry summary { cursor: pointer; font-weight: 600; }
.gloss-entry p { margin: .15em 0 .4em 1.1em; }
.gloss-entry.gloss-hit { background: var(--color-accent-soft); }
#gloss-search { width: 100%; max-width: 28em; padding: 6px 10px; margin: 4px 0 10px; border-radius: 8px;
  border: 1px solid var(--border-color-primary); background: var(--background-fill-primary); color: inherit; }
"""


def ids() -> list[str]:
    """Every glossary id found in the (English) catalogue: a ``gloss_<id>_term`` key."""
    return sorted(m.group(1) for key in catalogue("en") if (m := _KEY.match(key)))


def entries(lang: str = "en") -> list[tuple[str, str, str]]:
    """(id, term, explanation) in the visitor's language, in alphabetical order of the term as it reads there."""
    found = [(i, t(f"gloss_{i}_term", lang), t(f"gloss_{i}_text", lang)) for i in ids()]
    return sorted(found, key=lambda e: (e[1].lstrip("−-").casefold(), e[0]))


def info(gloss_id: str, lang: str = "en") -> str:
    """The ⓘ beside a term: hover shows the explanation, a click or a tap opens the glossary entry."""
    if f"gloss_{gloss_id}_term" not in catalogue("en"):
        raise ValueError(f"no glossary entry {gloss_id!r}: add gloss_{gloss_id}_term / _text to a catalogue")
    colon = "：" if lang == "zh-CN" else ": "
    tip = html.escape(f"{t(f'gloss_{gloss_id}_term', lang)}{colon}{t(f'gloss_{gloss_id}_text', lang)}", quote=True)
    return f'<a class="gloss-i" href="#gloss-{gloss_id}" title="{tip}" aria-label="{tip}">ⓘ</a>'


def term(gloss_id: str, lang: str = "en", short: bool = False) -> str:
    """The term in the visitor's language followed by its ⓘ; short: without its bracketed expansion
    ("BCE (binary cross-entropy)" → "BCE"), for a plot's title line."""
    name = t(f"gloss_{gloss_id}_term", lang)
    if short:
        name = re.split(r" \(|（", name)[0]
    return f"{html.escape(name)}{info(gloss_id, lang)}"


def terms_line(gloss_ids: list[str], lang: str = "en", short: bool = False) -> str:
    """One line for a tab: "Terms here: learning rate ⓘ · batch size ⓘ · …"."""
    items = " · ".join(term(i, lang, short) for i in gloss_ids)
    return f'<div class="gloss-terms">{t("glossary_terms", lang)} {items}</div>'


def section_html(lang: str = "en") -> str:
    """The Glossary section (in How it works): a search box and every entry, alphabetical in the visitor's language."""
    rows = []
    for i, name, text in entries(lang):
        # searchable in both languages: a Chinese page still finds "KL" or "Fréchet"
        words = " ".join(t(f"gloss_{i}_term", other) for other in LANGS) + " " + text
        rows.append(f'<details class="gloss-entry" id="gloss-{i}" data-search="{html.escape(words.casefold(), quote=True)}">'
                    f"<summary>{html.escape(name)}</summary><p>{html.escape(text)}</p></details>")
    return (f'<h2 id="learn-glossary" class="learn-h">{t("glossary_title", lang)}</h2>'
            f'<p>{t("glossary_intro", lang)}</p>'
            f'<input id="gloss-search" type="search" placeholder="{html.escape(t("glossary_search", lang), quote=True)}"'
            f' aria-label="{html.escape(t("glossary_search", lang), quote=True)}">'
            f'<p id="gloss-none" style="display:none">{t("glossary_none", lang)}</p>'
            f'<div class="gloss-list">{"".join(rows)}</div>')

