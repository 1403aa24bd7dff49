"""A run's settings, checked once: the one table of limits and the RunSettings every entry point builds.

The Train tab, the ``/train`` API and the CLI each build a :class:`RunSettings` with :func:`checked` and hand it
whole to the run registry (or the CLI's factory call); the Trainer's mid-run ``set_hyper`` checks with
:func:`check`. One table, one sentence per bad value, wherever it comes from. No gradio here.
"""
from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from ..data import own_store
from ..data.datasets import dataset_names
from ..data.text import corpus_names
from ..models import MODELS, family, modality
from ..models.base import Hyper


@dataclasses.dataclass(frozen=True)
class Limit:
    label: str  # how messages and the Train tab name it
    low: float
    high: float  # the bound for the app, the API and mid-run changes
    whole: bool = False  # a whole number (steps, batch size, …)
    offline: float | None = None  # the CLI's wider bound for long offline runs (steps only); None = high

    def top(self, high: float | None = None, offline: bool = False) -> float:
        """The upper bound at an entry point: its own cap if it has one, else the CLI's or the app's."""
        return high if high is not None else self.offline if offline and self.offline is not None else self.high

    def fmt(self, value: float) -> str:
        return f"{value:,}" if self.whole else f"{value:g}"


LIMITS: dict[str, Limit] = {
    "steps": Limit("steps", 1, 20_000, whole=True, offline=1_000_000),  # the app's cap: RunRegistry.max_steps
    "lr": Limit("learning rate", 1e-6, 0.1),
    "batch_size": Limit("batch size", 1, 1024, whole=True),
    "beta": Limit("β", 0.0, 20.0),
    "d_steps": Limit("D:G ratio", 1, 10, whole=True),
    "seed": Limit("seed", 0, 2**31 - 1, whole=True),
}
HYPER = tuple(f.name for f in dataclasses.fields(Hyper))  # the settings a run may change while it trains
MODALITY_WORDS = {"image": "images", "text": "text (it predicts the next character)"}  # for the mismatch sentence


class SettingError(ValueError):
    """A setting out of bounds: the English sentence, plus a catalogue key and its values so the UI can say it in the
    visitor's language (genai_demo/i18n: setting_* keys; ``name`` is the setting)."""

    def __init__(self, sentence: str, key: str, **values):
        super().__init__(sentence)
        self.key, self.values = key, values


def check(name: str, value: Any, high: float | None = None, offline: bool = False) -> int | float:
    """``value`` for setting ``name`` as an int or float, or a ValueError with one sentence for a person.

    high: a tighter cap for this entry point (the app's RunRegistry.max_steps); offline: the CLI's wider bound."""
    limit = LIMITS[name]
    top = limit.top(high, offline)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SettingError(f"{limit.label} must be a {'whole ' if limit.whole else ''}number, got {value!r}",
                           "setting_whole" if limit.whole else "setting_number", name=name, got=repr(value)[:40])
    if limit.whole and (not math.isfinite(value) or value != int(value)):
        raise SettingError(f"{limit.label} must be a whole number, got {value:g}", "setting_whole", name=name, got=f"{value:g}")
    if not math.isfinite(value) or not limit.low <= value <= top:
        raise SettingError(f"{limit.label} must be between {limit.fmt(limit.low)} and {limit.fmt(top)}, got {value:g}",
                           "setting_range", name=name, low=limit.fmt(limit.low), high=limit.fmt(top), got=f"{value:g}")
    return int(value) if limit.whole else float(value)


def data_modality(data: str) -> str:
    """"text" for the text corpora (data/text.py) and a visitor's own text, "image" for the image data sets."""
    if own_store.is_own(data):
        return own_store.modality(data)
    return "text" if data in corpus_names() else "image"


def datasets_for(kind: str, datasets: Sequence[str]) -> list[str]:
    """The data sets among ``datasets`` a family can learn from: text corpora for text models, images for the rest
    (a visitor's own images carry no labels: not for the conditional families)."""
    labelled = getattr(MODELS.get(kind), "conditional", False)
    return [d for d in datasets if data_modality(d) == modality(kind) and not (labelled and own_store.is_own(d))]


def known_datasets() -> list[str]:
    """Every data set name load_dataset accepts (the CLI's choices; the app offers those on disk)."""
    return dataset_names() + [c for c in corpus_names() if c not in dataset_names()]


# ---- presets: the articles' settings, or the class preset (models/family.py) ------------------------
PRESETS = ("articles", "class")  # the Train tab's choice; env GENAI_DEMO_PRESET picks the Space's default


def space_preset() -> str:
    """The preset the Train tab opens with: env GENAI_DEMO_PRESET ("class" for a lesson), else the articles'."""
    chosen = os.environ.get("GENAI_DEMO_PRESET", "").strip().lower()
    return chosen if chosen in PRESETS else "articles"


def preset_values(kind: str, preset: str) -> dict[str, int | float]:
    """lr, batch_size, steps, d_steps, beta of a family under a preset: the family's own defaults (the articles'),
    overridden by its class_preset when preset is "class" and the family declares one."""
    spec = family(kind)
    values = {"lr": spec.lr, "batch_size": spec.batch_size, "steps": spec.steps, "d_steps": 1, "beta": 1.0}
    if preset == "class" and spec.class_preset:
        values.update({k: v for k, v in spec.class_preset.items() if k in values})
    return values


def preset_config(kind: str, preset: str) -> dict | None:
    """The model config overrides a preset trains (the class preset's narrower layers), or None: the family's own."""
    spec = family(kind)
    chosen = (spec.class_preset or {}).get("model_config") if preset == "class" else None
    return dict(chosen) if chosen else None


def preset_differences(kind: str) -> list[tuple[str, Any, Any]]:
    """(setting, class value, articles' value) for each setting the class preset changes; [] when none. Config
    fields the preset overrides come as ("model_config.<field>", class value, the family's default)."""
    arts, fast = preset_values(kind, "articles"), preset_values(kind, "class")
    rows = [(k, fast[k], arts[k]) for k in arts if fast[k] != arts[k]]
    default = dataclasses.asdict(MODELS[kind].Config())
    for name, value in (preset_config(kind, "class") or {}).items():
        rows.append((f"model_config.{name}", value, default.get(name)))
    return rows


# ---- the settings object ---------------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class RunSettings:
    """One run's checked settings (build it with checked()); training.factory turns it into a Trainer."""

    model: str  # a registered kind, e.g. "vae"
    data: str  # a data set that model learns from, e.g. "mnist5k"
    steps: int  # optimisation steps to run
    seed: int  # seeds the weights, the batches and the noise
    hp: Hyper  # lr, batch size, β, D:G: the settings that may change mid-run
    model_config: Mapping | None = None  # overrides of the family's config: the app's light preset, the CLI's --config
    device: str = "auto"


def checked(form: Mapping[str, Any], kinds: Sequence[str] | None = None, datasets: Sequence[str] | None = None,
            max_steps: int | None = None, offline: bool = False) -> RunSettings:
    """The settings of a form, a request or a command line → RunSettings, or a ValueError naming what is wrong.

    form: "model" plus any of "data", "steps", "seed", "full_size", "model_config", "device", "preset" and the HYPER
    names; a missing one takes the family's default (its class preset's with "preset": "class"), and so do data / lr
    None (the API's defaults).
    kinds / datasets: what this entry point offers (default: every registered family / every known data set).
    max_steps: the app's cap on steps; offline: the CLI's wider bounds (and the full-size model by default).
    """
    model, data = form.get("model"), form.get("data")
    if not isinstance(model, str) or not isinstance(data, str | None):  # an API caller may send a list or a number
        raise SettingError(f"model and data must be names such as 'vae' and 'mnist5k', got {model!r}, {data!r}",
                           "setting_names", model=repr(model)[:40], data=repr(data)[:40])
    kinds = list(MODELS) if kinds is None else list(kinds)
    if model not in kinds:
        raise SettingError(f"unknown model {model!r}: choose one of {', '.join(kinds)}", "setting_unknown_model",
                           model=repr(model)[:40], kinds=", ".join(kinds))
    spec = family(model)
    datasets = known_datasets() if datasets is None else list(datasets)
    fits = datasets_for(model, datasets)
    if data is None:
        data = spec.data if spec.data in fits else fits[0] if fits else spec.data
    if data not in datasets:
        raise SettingError(f"data set {data!r} is not available here: choose one of {', '.join(datasets)}",
                           "setting_no_data", data=repr(data)[:40], datasets=", ".join(datasets))
    if data not in fits:
        raise SettingError(f"{spec.title} learns from {MODALITY_WORDS[modality(model)]}, and {data!r} is not such a "
                           f"data set: choose {' or '.join(repr(d) for d in fits)}", f"setting_mismatch_{modality(model)}",
                           model=spec.title, data=repr(data), fits=" / ".join(repr(d) for d in fits))

    def value(name: str, default: Any, high: float | None = None) -> Any:
        v = form.get(name, default)
        return check(name, default if v is None and name in HYPER else v, high, offline)  # None: the default

    preset = form.get("preset") or "articles"
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {', '.join(PRESETS)}, got {str(preset)[:40]!r}")
    base = preset_values(model, preset)  # the family's defaults: lr, batch size, steps (β 1, D:G 1 unless a preset says)
    defaults = dataclasses.replace(Hyper(), **{k: base[k] for k in HYPER})
    hp = Hyper(**{name: value(name, getattr(defaults, name)) for name in HYPER})
    config = form.get("model_config")
    if config is None and not form.get("full_size", offline):
        config = preset_config(model, preset)  # the class preset's narrower layers (None: the family's own)
    if config is None and spec.light is not None and not form.get("full_size", offline):
        config = dict(spec.light)  # the app trains the light preset unless the visitor asks for the full size
    return RunSettings(model=model, data=data, steps=value("steps", base["steps"], max_steps), seed=value("seed", 0),
                       hp=hp, model_config=config, device=form.get("device") or "auto")
