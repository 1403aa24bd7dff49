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


# Gradio picks its front end's first locale from navigator.language and hands each component a translator bound to
# that locale once, when the page is built: a later changeLocale (SET_LOCALE_JS) re-translates our L() texts but
# not Gradio's own words inside components (a File's "Drop File Here - or - Click to Upload" stayed English on a
# ?lang=zh page). This head script runs before Gradio's module: it tells Gradio the language the server picks
# (i18n.pick_language: ?lang= first, then the browser's languages in order, else English), so the page starts in it.
LOCALE_HEAD_JS = """<script>
(() => {
  const norm = (tag) => {
    const primary = String(tag || '').trim().replace('_', '-').split('-')[0].toLowerCase();
    return primary === 'zh' ? 'zh-CN' : primary === 'en' ? 'en' : null;
  };
  const asked = norm(new URLSearchParams(location.search).get('lang'));
  const lang = asked || (navigator.languages || [navigator.language]).map(norm).find(Boolean) || 'en';
  for (const [name, value] of [['language', lang], ['languages', Object.freeze([lang])]]) {
    try { Object.defineProperty(navigator, name, {get: () => value, configurable: true}); } catch (e) {}
  }
  document.documentElement.lang = lang;
})();
</script>"""


# Words Gradio 6.31 writes itself, in English whatever the language, that this head script rewrites in the page's
# language (<html lang>, set by LOCALE_HEAD_JS and SET_LOCALE_JS) when they appear or the language changes:
# - a toast's title: Gradio titles it with its type capitalised ("Error", "Warning", "Info"); the `title=` of
#   gr.Error / gr.Warning / gr.Info reaches the page but is not shown (its Toast groups messages by type);
# - an upload area's "Drop File Here - or - Click to Upload": each component keeps the translator of the locale it was
#   built under, so after a switch (or when Gradio's Chinese words load late) they stay in the other language.
# Svelte writes each of these text nodes once (it re-writes one only when its own value changes), so the words stay.
PAGE_WORDS_JS = """<script>
(() => {
  const TITLES = %s, UPLOAD = %s;
  const known = {};  // a word in any language → its key in UPLOAD
  for (const [key, words] of Object.entries(UPLOAD)) for (const w of Object.values(words)) known[w] = key;
  const put = (text, word) => {
    const want = text.nodeValue.replace(text.nodeValue.trim(), word);
    if (text.nodeValue !== want) text.nodeValue = want;
  };
  const rewrite = () => {
    const lang = document.documentElement.lang in TITLES.error ? document.documentElement.lang : 'en';
    for (const el of document.querySelectorAll('.toast-title')) {
      const type = Object.keys(TITLES).find(k => el.classList.contains(k));
      const text = el.firstChild;  // Gradio writes "Error " before the message count
      if (type && text && text.nodeType === Node.TEXT_NODE) put(text, TITLES[type][lang]);
    }
    for (const box of document.querySelectorAll('[data-testid="upload-text"]')) {
      const walk = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
      for (let text = walk.nextNode(); text; text = walk.nextNode()) {
        const key = known[text.nodeValue.trim()];
        if (key) put(text, UPLOAD[key][lang]);
      }
    }
  };
  new MutationObserver(rewrite).observe(document.documentElement,
    {childList: true, subtree: true, characterData: true, attributes: true, attributeFilter: ['lang']});
})();
</script>"""
UPLOAD_WORDS = ("gradio_drop_file", "gradio_drop_image", "gradio_or", "gradio_click_to_upload")  # catalogue keys


def page_words_head() -> str:
    """The head script above with its words in every language: {type or key: {lang: word}}."""
    def words(keys):
        return json.dumps({k: {lang: t(key, lang) for lang in LANGS} for k, key in keys}, ensure_ascii=False)

    return PAGE_WORDS_JS % (words(TITLES.items()), words((k, k) for k in UPLOAD_WORDS))


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
