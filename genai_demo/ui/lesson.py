"""Lesson links: the page's query string → the settings a lesson needs, and back (no gradio here).

A teacher hands the class one link, e.g. ``?tab=train&model=gan&lr=0.0005&seed=5&hide=lr,advanced``; the app reads it
on load (ui/lesson_ui.py) and applies what is valid. Every value is checked with the same rules as a Start
(training/settings.py's LIMITS and ``check``, the model registry, the data sets offered): one source of truth. What
is not valid is ignored with a note (a catalogue key and its values, said in the visitor's language by the UI).

Adding a setting to lessons is one line of ``PARAMS``: its link name → how to read it and which Train control it sets.
A query string is what anyone can type, so everything is bounded: keys and values are cut, ``hide`` reads at most
``MAX_HIDE`` entries, and at most ``MAX_NOTES`` notes are kept.
"""
from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from ..models import MODELS, family
from ..training.settings import LIMITS, PRESETS, SettingError, check, datasets_for

MAX_KEYS = 40  # distinct keys read from one query string
MAX_VALUE = 120  # characters of a value read (and quoted back in a note)
MAX_HIDE = 30  # entries of hide= read
MAX_TEXT = 2000  # characters of a value parsed at all (a hide= list of MAX_HIDE names fits)
MAX_NOTES = 4  # notes kept (then one "and n more")

# hide= name → the elem_ids it hides on the page (ui/train_tab.py); "advanced" is the hyper-parameter accordion
HIDEABLE: dict[str, tuple[str, ...]] = {
    "model": ("train-model",), "data": ("train-data",), "steps": ("train-steps",), "seed": ("train-seed",),
    "lr": ("train-lr",), "batch": ("train-batch",), "beta": ("train-beta",), "dg": ("train-dsteps",),
    "advanced": ("train-hyper",), "step": ("train-step", "train-step-n"), "save": ("train-save",),
    "timeline": ("train-timeline",), "reset": ("train-reset",),
}


class LinkNote(ValueError):
    """A value the link cannot use: a catalogue key (lesson_note_*) and its values."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values


@dataclass(frozen=True)
class Env:
    """What this app offers, read from the built page and the registries (never a hard-coded list)."""

    tabs: Sequence[str]  # tab ids of the built page ("train", "latent", …)
    kinds: Sequence[str]  # model kinds the Train tab offers
    datasets: Sequence[str]  # data sets the Train tab offers
    max_steps: int | None = None  # the app's cap on steps (RunRegistry.max_steps)
    presets: Sequence[str] = ()  # the 2-D GAN game's presets


@dataclass
class Lesson:
    """What a link asks for, every value valid; ``notes`` says what was ignored and why."""

    tab: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # Train form name ("lr", "batch_size", …) → value
    hide: tuple[str, ...] = ()
    preset: str | None = None  # the 2-D GAN game's preset
    notes: list[tuple[str, dict]] = field(default_factory=list)  # (catalogue key, values)

    @property
    def empty(self) -> bool:
        return not (self.tab or self.settings or self.hide or self.preset)


# ---- readers: (text, env) → value, or a LinkNote -------------------------------------------------------------
def _number(name: str) -> Callable[[str, Env], Any]:
    limit = LIMITS[name]

    def read(text: str, env: Env):
        try:
            if "_" in text:  # float() accepts "1_000"; a typed link never needs it
                raise ValueError(text)
            value = float(text)
        except ValueError:
            raise LinkNote("lesson_note_number", value=text) from None
        if not math.isfinite(value):
            raise LinkNote("lesson_note_number", value=text)
        try:
            return check(name, int(value) if limit.whole and value == int(value) else value,
                         env.max_steps if name == "steps" else None)
        except SettingError as e:
            if e.key == "setting_range":
                raise LinkNote("lesson_note_range", value=text, low=e.values["low"], high=e.values["high"]) from None
            raise LinkNote("lesson_note_whole", value=text) from None
    return read


def _one_of(choices: Callable[[Env], Sequence[str]], key: str) -> Callable[[str, Env], str]:
    def read(text: str, env: Env) -> str:
        offered = list(choices(env))
        if text not in offered:
            raise LinkNote(key, value=text, choices=", ".join(offered))
        return text
    return read


def _hide(text: str, env: Env) -> tuple[str, ...]:
    names = [n.strip() for n in text.split(",")[:MAX_HIDE] if n.strip()]
    unknown = [n for n in names if n not in HIDEABLE]
    if unknown:  # the known ones still apply; one note names the others
        raise LinkNote("lesson_note_hide", value=",".join(unknown)[:MAX_VALUE], choices=", ".join(HIDEABLE),
                       keep=tuple(dict.fromkeys(n for n in names if n in HIDEABLE)))
    return tuple(dict.fromkeys(names))


@dataclass(frozen=True)
class Param:
    read: Callable[[str, Env], Any] | None  # None: the app reads it elsewhere (lang) or another part owns it (lab)
    control: str | None = None  # the Train form name it sets (ui/train_tab.py's form), if any


TRAIN_PRESETS = tuple(PRESETS)  # the Train tab's "Class preset — fast" / "Articles' settings" (training/settings.py)
PARAMS: dict[str, Param] = {
    "tab": Param(_one_of(lambda env: env.tabs, "lesson_note_tab")),
    "model": Param(_one_of(lambda env: env.kinds, "lesson_note_model"), "model"),
    "data": Param(_one_of(lambda env: env.datasets, "lesson_note_data"), "data"),
    "lr": Param(_number("lr"), "lr"),
    "batch": Param(_number("batch_size"), "batch_size"),
    "beta": Param(_number("beta"), "beta"),
    "dg": Param(_number("d_steps"), "d_steps"),
    "seed": Param(_number("seed"), "seed"),
    "steps": Param(_number("steps"), "steps"),
    "hide": Param(_hide),
    "preset": Param(_one_of(lambda env: env.presets, "lesson_note_preset")),
    "train_preset": Param(_one_of(lambda env: TRAIN_PRESETS, "lesson_note_train_preset"), "preset"),  # class | articles
    "lang": Param(None),  # the language: i18n.pick_language reads it (ui/app.py)
    "lab": Param(None),  # a guided lab: the Labs tab reads it
}
LINK_NAME = {p.control: name for name, p in PARAMS.items() if p.control}  # form name → link name


def parse(query: Mapping[str, Any] | None, env: Env) -> Lesson:
    """A page's query parameters (``dict(request.query_params)``) → the Lesson they ask for."""
    lesson = Lesson()
    notes: list[tuple[str, dict]] = []
    items = list((query or {}).items())
    if len(items) > MAX_KEYS:
        notes.append(("lesson_note_too_many", {"n": MAX_KEYS}))
    for key, raw in items[:MAX_KEYS]:
        key, text = str(key)[:40], (raw if isinstance(raw, str) else str(raw))[:MAX_TEXT].strip()
        param = PARAMS.get(key)
        if param is None:
            notes.append(("lesson_note_unknown", {"key": key[:MAX_VALUE]}))
            continue
        if param.read is None:
            continue
        try:
            value = param.read(text, env)
        except LinkNote as e:
            notes.append((e.key, {"key": key, **{k: v[:MAX_VALUE] if isinstance(v, str) else v
                                                 for k, v in e.values.items() if k != "keep"}}))
            value = e.values.get("keep")
            if not value:
                continue
        if key == "tab":
            lesson.tab = value
        elif key == "hide":
            lesson.hide = value
        elif key == "preset":
            lesson.preset = value
        else:
            lesson.settings[param.control] = value
    _fit_data(lesson, env, notes)
    if lesson.preset and lesson.tab is None and "toy" in env.tabs:
        lesson.tab = "toy"  # a preset belongs to the 2-D GAN game
    if len(notes) > MAX_NOTES:
        notes = notes[:MAX_NOTES - 1] + [("lesson_note_more", {"n": len(notes) - MAX_NOTES + 1})]
    lesson.notes = notes
    return lesson


def _fit_data(lesson: Lesson, env: Env, notes: list) -> None:
    """data= must suit the model (the link's, else the Train tab's first): an image model cannot read poems."""
    data = lesson.settings.get("data")
    kind = lesson.settings.get("model") or (env.kinds[0] if env.kinds else None)
    if data is None or kind is None:
        return
    fits = datasets_for(kind, env.datasets)
    if data not in fits:
        del lesson.settings["data"]
        notes.append(("lesson_note_data_fit", {"key": "data", "value": data, "model": family(kind).title,
                                               "choices": ", ".join(fits)}))


# ---- the other way: settings → link ----------------------------------------------------------------------------
def query_string(settings: Mapping[str, Any], tab: str | None = None, hide: Sequence[str] = (), lang: str | None = None,
                 knobs: Sequence[str] | None = None) -> str:
    """The query string ("tab=train&model=gan&lr=0.0005…") that parse() reads back into these settings.

    settings: Train form names → values (invalid ones are left out); knobs: the hyper-parameters the model uses
    (β only for VAEs, D:G only for GANs; default: the model's family)."""
    kind = settings.get("model")
    if knobs is None:
        knobs = family(kind).knobs if isinstance(kind, str) and kind in MODELS else ()
    pairs: list[tuple[str, str]] = [("tab", tab)] if tab else []
    for control, name in LINK_NAME.items():
        value = settings.get(control)
        if value is None or (control in ("beta", "d_steps") and control not in knobs):
            continue
        if control in LIMITS:
            try:
                value = check(control, value)
            except ValueError:
                continue
            text = f"{value:d}" if isinstance(value, int) else f"{value:.6g}"
        elif isinstance(value, str) and (value in MODELS if control == "model" else len(value) <= 40):
            text = value  # a registered model; a data set's short name
        else:
            continue
        pairs.append((name, text))
    hidden = [h for h in dict.fromkeys(h for h in hide if isinstance(h, str)) if h in HIDEABLE]
    if hidden:
        pairs.append(("hide", ",".join(hidden)))
    if lang and lang != "en":
        pairs.append(("lang", "zh" if lang == "zh-CN" else lang))
    return urlencode(pairs, safe=",")


def hide_css(hide: Sequence[str]) -> str:
    """CSS that hides the named controls (a hidden control keeps its value: a Start still uses it)."""
    ids = [i for h in hide if h in HIDEABLE for i in HIDEABLE[h]]
    return f"<style>{', '.join('#' + i for i in ids)} {{ display: none !important; }}</style>" if ids else ""
