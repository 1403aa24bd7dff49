"""The visitor's language: one message catalogue per language (``en/*.json``, ``zh-CN/*.json``, keys shared) and the
two functions everything else uses. No gradio here: the UI layer turns the same catalogues into Gradio's
``gr.I18n`` for component texts (labels, info, buttons; translated in the browser) and calls ``t()`` for what
Python writes (Markdown, status lines, errors).

    t("status_step", "zh-CN", step="120", total="1,500")   → "第 120 / 1,500 步"
    pick_language({"lang": "zh"}, "en-US,en;q=0.9")       → "zh-CN"  (?lang= wins, then Accept-Language, else en)

A key missing from a language falls back to English, and a key missing everywhere shows itself (a test checks
both files have the same keys and the same ``{placeholders}``, so neither happens in a release). Two keys with a dot
(``common.complete``, ``image_editor.select_draw_tool``) are Gradio's own, missing from its zh-CN: the catalogue fills
them in. What stays English: model names (VAE, GAN, DCGAN, CGAN, CVAE, GPT), layer names, units, formulas, API values.
"""
from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

LANGS = ("en", "zh-CN")  # English first: the fallback
DEFAULT = "en"
_DIR = Path(__file__).parent


@cache
def catalogue(lang: str) -> dict[str, str]:
    """key → message for one language (read once; the files are part of the package). A language's catalogue is
    the folder ``i18n/<lang>/``: one JSON file per area of the app (core.json, labs.json, …), so a new feature adds
    its own file instead of editing one long one. A key defined in two files of one language is a mistake."""
    merged: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.json")):
        with open(path, encoding="utf-8") as f:
            part = json.load(f)
        twice = merged.keys() & part.keys()
        if twice:
            raise ValueError(f"{lang}/{path.name} repeats keys already defined: {sorted(twice)[:5]}")
        merged.update(part)
    return merged


def normalise(lang) -> str | None:
    """'zh', 'zh-CN', 'zh_cn', 'zh-Hans-CN' → 'zh-CN'; 'en', 'en-GB' → 'en'; anything else → None."""
    if not isinstance(lang, str):
        return None
    primary = lang.strip().replace("_", "-").split("-")[0].lower()
    return "zh-CN" if primary == "zh" else "en" if primary == "en" else None


def t(key: str, lang: str | None = DEFAULT, /, **kw) -> str:
    """The message for `key` in `lang` (English if that language lacks it), with {placeholders} filled from kw."""
    lang = normalise(lang) or DEFAULT
    msg = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return msg.format(**kw) if kw else msg


def placeholders(msg: str) -> set[str]:
    """The {names} a message expects (what t()'s kw must supply). Only plain names count: a long text with LaTeX
    (``\\sum_{t=1}``) is never formatted (t() formats only when given values), so its braces are not placeholders."""
    return set(re.findall(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}(?!\})", msg))


def pick_language(query_params=None, accept_language: str | None = None) -> str:
    """The visitor's language: ``?lang=zh|zh-CN|en`` first, then the browser's Accept-Language
    ("fr;q=0.9, zh-CN;q=0.8" → the best-weighted language we have), else English."""
    chosen = normalise((query_params or {}).get("lang"))
    if chosen:
        return chosen
    ranked = []
    for i, part in enumerate((accept_language or "")[:500].split(",")):  # a header is short; a hostile one is cut
        tag, _, q = part.strip().partition(";")
        try:
            weight = float(q.strip()[2:]) if q.strip().startswith("q=") else 1.0
        except ValueError:
            weight = 0.0
        if normalise(tag) and weight > 0:
            ranked.append((-weight, i, normalise(tag)))
    return min(ranked)[2] if ranked else DEFAULT
