"""Model registry: a kind name ("vae", "gan", …) → its GenerativeModel class, and through it the family's facts.

Adding a family takes its own file (the class with its ``family = Family(...)``) plus one import and one line in
MODELS: the CLI, the Train tab, the API, the explorers and the checkpoint loader then find it through family() and
kinds(); build() validates its config the same way everywhere. Importing this package only defines classes.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from .base import GenerativeModel, Hyper
from .charlm import CharLM
from .classifier import Classifier
from .dcgan import DCGAN, DCGANConfig
from .family import Family
from .gan import CGAN, GAN, CGANConfig, GANConfig
from .vae import CVAE, VAE, CVAEConfig, VAEConfig

MODELS: dict[str, type[GenerativeModel]] = {
    "vae": VAE,
    "cvae": CVAE,
    "gan": GAN,
    "cgan": CGAN,
    "dcgan": DCGAN,
    "charlm": CharLM,
    "classifier": Classifier,  # not generative: the quality meter (genai_demo/quality/scores.py), trained the same way
}

__all__ = [
    "MODELS", "build", "family", "kinds", "make_config", "model_kinds", "modality", "Family", "GenerativeModel", "Hyper",
    "VAE", "CVAE", "GAN", "CGAN", "DCGAN", "VAEConfig", "CVAEConfig", "GANConfig", "CGANConfig", "DCGANConfig",
]


def model_kinds() -> list[str]:
    """The registered kinds, in registry order."""
    return list(MODELS)


def family(kind: str) -> Family:
    """The family's facts (models/family.py); ValueError for an unknown kind."""
    return _model_class(kind).family


def modality(kind: str) -> str:
    """What the family learns from and makes: "image" or "text" (the Trainer checks the data set against it)."""
    return _model_class(kind).output


def kinds(view: str | None = None, group: str | None = None, quality: bool | None = None) -> tuple[str, ...]:
    """Registered kinds, in registry order, offered in ``view`` / of ``group`` / judgeable by the quality meter.

    Read at call time, so a family registered later (a test's dummy) shows up everywhere."""
    return tuple(k for k, m in MODELS.items() if (view is None or view in m.family.views)
                 and (group is None or m.family.group == group) and (quality is None or m.family.quality == quality))


def _model_class(kind: str) -> type[GenerativeModel]:
    try:
        return MODELS[kind]
    except (KeyError, TypeError):
        raise ValueError(f"unknown model kind {kind!r}; valid choices: {', '.join(MODELS)}") from None


# Field annotations are strings (from __future__ import annotations); only these simple ones are checked.
_TYPE_CHECKS = {
    "bool": lambda v: isinstance(v, bool),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "str": lambda v: isinstance(v, str),
}


def make_config(kind: str, config: Mapping[str, Any] | Any | None = None) -> Any:
    """The family's config dataclass from a dict (e.g. a checkpoint header); missing fields take defaults.

    Unknown fields, wrongly typed values and out-of-range values raise a one-line ValueError.
    """
    Config = _model_class(kind).Config
    if config is None:
        return Config()
    if isinstance(config, Config):
        return config
    if not isinstance(config, Mapping):
        raise ValueError(f"{kind} config must be a dict or a {Config.__name__}, got {type(config).__name__}")
    fields = {f.name: f for f in dataclasses.fields(Config)}
    unknown = sorted(set(config) - set(fields))
    if unknown:
        raise ValueError(f"{kind} config has unknown field(s) {', '.join(map(str, unknown))}; valid fields: {', '.join(fields)}")
    for name, value in config.items():
        type_name = str(fields[name].type)
        check = _TYPE_CHECKS.get(type_name)
        if check is not None and not check(value):
            raise ValueError(f"{kind} config field {name} must be {type_name}, got {value!r}")
    kwargs = {k: float(v) if str(fields[k].type) == "float" else v for k, v in config.items()}
    return Config(**kwargs)  # __post_init__ raises ValueError on out-of-range values


def build(kind: str, config: Mapping[str, Any] | Any | None = None) -> GenerativeModel:
    """A fresh model of ``kind`` (weights from the global RNG: seed it first for reproducible init)."""
    return _model_class(kind)(make_config(kind, config))
