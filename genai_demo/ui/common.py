"""Helpers the model tabs share (Latent explorer, GAN studio, Next token): model lookup, dropdown refresh,
GIF files, whole-number checks, and the event settings for interactive controls."""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import numpy as np

from ..data import images
from ..i18n import t
from ..training.checkpoints import CheckpointError
from ..training.runs import RunError
from ..training.zoo import resolve
from .context import UIContext
from .glossary import terms_line
from .messages import shown, told, visitor_message

# Controls that fire while dragging: only the last of a burst runs, no concurrency limit, no spinner
FAST = dict(trigger_mode="always_last", concurrency_limit=None, show_progress="hidden")
GIF_DIR = Path(tempfile.gettempdir()) / "genai_demo_gifs"
INLINE_MATH = [{"left": "$", "right": "$", "display": False}]  # $…$ in a tab's Markdown is KaTeX inline maths


def resolve_model(ctx: UIContext, key, request: gr.Request | None, kinds: tuple[str, ...]):
    """(model, Source) for a dropdown key, or a gr.Error a visitor can act on."""
    lang = ctx.lang(request)
    if not key or not isinstance(key, str):
        raise gr.Error(t("err_choose_model", lang))
    sid = getattr(request, "session_hash", None)
    try:
        model, src = resolve(key, sid, ctx.registry)
    except (CheckpointError, RunError) as e:  # a checkpoint's reason names file internals: said plainly outside English
        why = told(e, lang) if lang == "en" or getattr(e, "key", None) else t("err_checkpoint_unusable", lang)
        raise gr.Error(visitor_message(t("err_cannot_use_model", lang, key=shown(key), error=why))) from None
    if src.kind not in kinds:
        raise gr.Error(t("err_wrong_kind", lang, key=shown(key), kind=src.kind.upper(), kinds=", ".join(k.upper() for k in kinds)))
    return model, src


def refresh_choices(ctx: UIContext, current, request: gr.Request | None, kinds: tuple[str, ...], default: str):
    """The dropdown with fresh choices (the visitor's runs appear once they have weights); keeps a valid pick."""
    return fresh_choices(ctx.model_choices(request, kinds), current, default)


def fresh_choices(choices: list[tuple[str, str]], current, default: str | None = None) -> gr.Dropdown:
    """New choices for a picker. A valid pick is kept by not sending a value at all: `current` is what the picker
    held when the refresh was asked for, and a visitor who picks meanwhile (a panel opened, then a quick pick while
    the lists load) would have their pick reset by it. Otherwise the default, or the first choice."""
    keys = [k for _, k in choices]
    if current in keys:
        return gr.Dropdown(choices=choices)
    return gr.Dropdown(choices=choices, value=default if default in keys else (keys[0] if keys else None))


def write_gif(frames, prefix: str, factor: int = 4, duration_ms: int = 120) -> str:
    """Frames → a GIF in a temp folder Gradio then copies into its cache; our copies older than 10 min go."""
    GIF_DIR.mkdir(exist_ok=True)
    now = time.time()
    for old in GIF_DIR.glob("*.gif"):
        with contextlib.suppress(FileNotFoundError):  # a concurrent walk may have removed it already
            if now - old.stat().st_mtime > 600:
                old.unlink(missing_ok=True)
    fd, path = tempfile.mkstemp(prefix=prefix, suffix=".gif", dir=GIF_DIR)
    os.close(fd)
    return str(images.save_gif(frames, path, duration_ms=duration_ms, factor=factor))


def whole(v, what: str, lo: int, hi: int, lang: str = "en") -> int:
    """A whole number in [lo, hi] from a slider / API value, or a gr.Error (never int(nan)'s ValueError)."""
    if isinstance(v, bool) or not isinstance(v, int | float) or not np.isfinite(v) or v != int(v) or not lo <= v <= hi:
        raise gr.Error(t("err_whole", lang, what=what, lo=lo, hi=hi, got=shown(v)))
    return int(v)


def paced(out: dict, busy: bool, pace: float | None, fast: float, idle: float, timer="timer") -> dict:
    """A poll's outputs, plus its own gr.Timer under the key `timer` (a name, or the component itself): every `fast` s
    while busy, every `idle` s otherwise; sent only when the page's interval `pace` (the timer, an input of its own
    tick) differs, so a steady poll sends nothing more."""
    want = fast if busy else idle
    number = isinstance(pace, int | float) and not isinstance(pace, bool)  # the page sends one; a script, anything
    if pace is not None and (not number or float(pace) != want):
        out = {**out, timer: gr.Timer(value=want)}
    return out


def paced_answer(out, busy: bool, pace, fast: float, idle: float, timer) -> dict:
    """paced() for a tick's whole answer keyed by components: `out` may be gr.skip() (nothing changed), and an
    answer with nothing in it is gr.skip() (Gradio refuses an empty dict)."""
    return paced(out if isinstance(out, dict) else {}, busy, pace, fast, idle, timer=timer) or gr.skip()


def glossary_box(ctx: UIContext, gloss_ids: list[str], short: bool = False) -> gr.HTML:
    """A tab's "Terms here: … ⓘ" line (ui/glossary.py), re-sent in the visitor's language; short: the terms without
    their bracketed expansions (a narrow column)."""
    box = gr.HTML(terms_line(gloss_ids, short=short), elem_classes="gloss-terms-box", padding=False)
    return ctx.translated(box, lambda lang: terms_line(gloss_ids, lang, short))
