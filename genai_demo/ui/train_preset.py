"""Train tab: the preset choice ("Class preset — fast" or the articles' settings), what it changes, and the
student's nickname for the teacher's Class tab.

The preset only fills the form's fields (learning rate, batch size, steps, D:G, β) from the family's spec
(training.settings.preset_values): what the visitor then sees in the fields is exactly what trains, and the note
under the choice says, in the visitor's language, which settings differ from the articles'.
"""
from __future__ import annotations

import gradio as gr

from ..i18n import t
from ..models import kinds
from ..training.classroom import NICK_MAX
from ..training.settings import PRESETS, preset_differences, preset_values, space_preset
from ..training.zoo import short_name
from .lang import L

NAMES = {"lr": "train_lr", "batch_size": "train_batch", "steps": "train_steps", "d_steps": "train_dsteps",
         "beta": "train_beta",  # the fields' labels (core catalogue)
         "model_config.g_widths": "train_preset_g_widths", "model_config.d_widths": "train_preset_d_widths"}  # class


def _fmt(name: str, value) -> str:
    if isinstance(value, tuple | list):  # layer widths: 64–128–256
        return "–".join(str(v) for v in value)
    return f"{value:,}" if name in ("steps", "batch_size", "d_steps") else f"{value:g}"


def note(kind: str | None, preset: str | None, lang: str = "en") -> str:
    """What the class preset changes for this family, in words ("" for the articles' settings)."""
    if preset != "class" or kind not in kinds(view="train"):
        return ""
    changes = preset_differences(kind)
    if not changes:
        return t("train_preset_same", lang, model=short_name(kind, lang))
    words = [t("train_preset_change", lang, name=t(NAMES[k], lang) if k in NAMES else k, value=_fmt(k, fast),
               articles=_fmt(k, arts)) for k, fast, arts in changes]
    return t("train_preset_diff", lang, changes=("；" if lang == "zh-CN" else "; ").join(words))


def fields(kind: str | None, preset: str | None, lang: str = "en", max_steps: int | None = None) -> tuple:
    """(lr, steps, batch size, D:G, β, note) for the chosen family under the chosen preset; steps capped at the
    server's max_steps (a small Space may allow fewer than a preset's length)."""
    if kind not in kinds(view="train") or preset not in PRESETS:
        return (gr.skip(),) * 5 + (note(None, None),)
    v = preset_values(kind, preset)
    steps = min(v["steps"], max_steps) if max_steps else v["steps"]
    return v["lr"], steps, v["batch_size"], v["d_steps"], v["beta"], note(kind, preset, lang)


def controls(first: str) -> tuple[gr.Radio, gr.Markdown]:
    """The preset choice (the Space's default: env GENAI_DEMO_PRESET) and its note, laid out where called."""
    chosen = space_preset()
    radio = gr.Radio([(L("train_preset_class"), "class"), (L("train_preset_articles"), "articles")], value=chosen,
                     label=L("train_preset"), info=L("train_preset_info"), elem_id="train-preset")
    return radio, gr.Markdown(note(first, chosen), elem_id="train-preset-note", elem_classes="learn-link")


def nickname_box() -> gr.Textbox:
    return gr.Textbox("", label=L("train_nickname"), info=L("train_nickname_info"), max_length=NICK_MAX, max_lines=1,
                      elem_id="train-nickname")
