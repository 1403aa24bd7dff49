"""The visitor's language in the page: Gradio's own translation of component texts, driven by the visitor's
choice rather than only the browser's locale, and the EN | 中文 switch.

Two halves, one catalogue (genai_demo/i18n/<lang>/*.json):
- component texts (labels, info, placeholders, buttons, tab names, static Markdown) are ``L(key)``: Gradio sends
  the key, the browser shows it in the current locale from ``launch(i18n=gradio_i18n())``. Gradio picks that locale
  from the browser; ``SET_LOCALE_JS`` sets it to the visitor's choice on load and on every switch, in place (no
  reload, so a running training keeps running and the page keeps its state).
- what Python writes (status, Markdown built from numbers, errors) is ``i18n.t(key, ctx.lang(request))``: the
  choice is kept per visitor in the UIContext (set on load from ?lang= / Accept-Language and by the switch).
  API callers never load the page, so they get English.
Messages given to L() must not contain braces: the browser formats them as ICU messages.
"""
from __future__ import annotations

import json
from functools import cache

import gradio as gr
from gradio.i18n import I18nData

from ..i18n import LANGS, catalogue, t
from .messages import TITLES

SWITCH_CHOICES = [("EN", "en"), ("中文", "zh-CN")]  # each written in its own language: no translation

# Gradio 6.31's front end exports changeLocale from its core module; importing the module the page already loaded
# (same URL) gives the same instance, hence the same locale store. Unknown build → nothing happens (English stays).
SET_LOCALE_JS = """(lang) => {
  const url = performance.getEntriesByType('resource').map(e => e.name)
    .find(n => /\\/assets\\/core-[^/]+\\.js$/.test(n));
  if (url && (lang === 'en' || lang === 'zh-CN')) {
    import(url).then(m => m.changeLocale && m.changeLocale(lang)).catch(() => {});
  }
  document.documentElement.lang = lang;
  return lang;
}"""


# Gradio 6.31 titles a toast with its type capitalised ("Error", "Warning", "Info", "Success"), hard-coded English:
# the `title=` of gr.Error / gr.Warning / gr.Info reaches the page but is not shown (its Toast groups messages by type
# and writes `type[0].toUpperCase() + type.slice(1)`). This head script writes the catalogue's word for the page's
# language (<html lang>, set by SET_LOCALE_JS) into each .toast-title's text, when a toast appears or the language
# changes. Svelte sets that text once per toast (it re-sets it only when the type changes), so the word stays.
TOAST_TITLES_JS = """<script>
(() => {
  const TITLES = %s;
  const retitle = () => {
    const lang = document.documentElement.lang in TITLES.error ? document.documentElement.lang : 'en';
    for (const el of document.querySelectorAll('.toast-title')) {
      const type = Object.keys(TITLES).find(k => el.classList.contains(k));
      const text = el.firstChild;
      if (!type || !text || text.nodeType !== Node.TEXT_NODE) continue;
      const want = TITLES[type][lang] + ' ';  // Gradio writes "Error " before the message count
      if (text.nodeValue !== want) text.nodeValue = want;
    }
  };
  new MutationObserver(retitle).observe(document.documentElement,
    {childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['lang']});
})();
</script>"""


def toast_titles_head() -> str:
    """The head script above with the toast titles of every language: {type: {lang: word}}."""
    words = {kind: {lang: t(key, lang) for lang in LANGS} for kind, key in TITLES.items()}
    return TOAST_TITLES_JS % json.dumps(words, ensure_ascii=False)


def L(key: str) -> I18nData:  # noqa: N802 — reads like a label in the layout code
    """A component text translated in the browser (must be a key of the catalogues)."""
    return I18nData(key)


def L_or(key: str, fallback: str):  # noqa: N802
    """L(key) when the catalogues have it, else the plain text (a new data set or family before it is translated)."""
    return I18nData(key) if key in catalogue("en") else fallback


@cache
def gradio_i18n() -> gr.I18n:
    """The catalogues as Gradio's gr.I18n, for demo.launch(i18n=...)."""
    return gr.I18n(**{lang: catalogue(lang) for lang in LANGS})


def in_language(text, lang: str = "en") -> str:
    """A component text as a visitor in `lang` reads it: an L(key) (or its serialised form, as in a choice's label)
    looked up, a plain string as it is. For tests."""
    if isinstance(text, str) and text.startswith("__i18n__"):
        text = I18nData(json.loads(text[len("__i18n__"):])["key"])
    return t(text.key, lang) if isinstance(text, I18nData) else text
