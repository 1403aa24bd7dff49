"""Which models a visitor can play with: the shipped checkpoints plus their own runs.

Keys are strings so they fit in a gr.Dropdown and an API call: ``"pretrained:gan_mnist5k"`` names
``checkpoints/gan_mnist5k.safetensors``; ``"run:r3"`` names the caller's run r3 (its latest frozen
copy — the live model is never touched). Pretrained models load lazily, once, and are shared by all
visitors read-only (eval mode, no grad), which is safe because sampling never mutates them.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from ..data import own_store
from ..i18n import catalogue, t
from ..models import MODELS, family
from ..models.base import GenerativeModel
from .checkpoints import CheckpointError, load_checkpoint, read_metadata
from .runs import RunError, RunRegistry


def checkpoint_dir() -> Path:
    return Path(os.environ.get("GENAI_DEMO_CHECKPOINTS", Path(__file__).resolve().parents[2] / "checkpoints"))


@dataclass(frozen=True)
class Source:
    key: str  # "pretrained:<file stem>" or "run:<run id>"
    label: str  # what the dropdown shows
    kind: str  # model family
    data: str  # data set it was trained on


_cache: dict[str, tuple[GenerativeModel, dict]] = {}
_cache_lock = threading.Lock()


def pretrained(kinds: tuple[str, ...] | None = None, lang: str = "en") -> list[Source]:
    """Shipped checkpoints (sorted by name), optionally only some families; unreadable files are skipped."""
    out = []
    d = checkpoint_dir()
    for path in sorted(d.glob("*.safetensors")) if d.is_dir() else []:
        try:
            h = read_metadata(path)
        except CheckpointError:
            continue
        if kinds is None or h["kind"] in kinds:
            data = h["meta"].get("data", "?")
            steps = h["meta"].get("steps", "?")
            out.append(Source(f"pretrained:{path.stem}", t("zoo_pretrained", lang, model=short_name(h["kind"], lang), data=data,
                                                                 steps=steps), h["kind"], data))
    return out


def family_name(kind: str, lang: str = "en", short: bool = False) -> str:
    """A family's name in the visitor's language. short: the name in lists and status lines ("Tiny GPT" is "微型 GPT";
    VAE, GAN, DCGAN, … stay as they are in both); else its title in the Train tab ("Tiny GPT (next character)").
    The family's own English name where the catalogue has none; a kind no family has is shown as it is."""
    key = f"family_short_{kind}" if short else f"family_{kind}"
    if key in catalogue("en"):
        return t(key, lang)
    return (family(kind).name if short else family(kind).title) if kind in MODELS else kind


def short_name(kind: str, lang: str = "en") -> str:
    """family_name(kind, lang, short=True): the name in the zoo's lists."""
    return family_name(kind, lang, short=True)


def load_pretrained(stem: str) -> tuple[GenerativeModel, dict]:
    """Load checkpoints/<stem>.safetensors once; later calls share the same eval-mode model."""
    with _cache_lock:
        if stem not in _cache:
            if "/" in stem or "\\" in stem or stem.startswith("."):
                raise CheckpointError(f"bad checkpoint name {stem!r}")
            model, header = load_checkpoint(checkpoint_dir() / f"{stem}.safetensors")
            model.requires_grad_(False)
            _cache[stem] = (model, header)
        return _cache[stem]


def sources(session: str | None, registry: RunRegistry | None, kinds: tuple[str, ...] | None = None,
            lang: str = "en") -> list[Source]:
    """The dropdown choices: the visitor's runs that have weights (newest first), then pretrained."""
    mine = []
    if session and registry is not None:
        for run in reversed(registry.runs(session)):
            snap = run.trainer.snapshot()
            if snap.model is not None and snap.model_step > 0 and (kinds is None or run.cfg.kind in kinds):
                state = t(f"state_{snap.state}", lang) if f"state_{snap.state}" in catalogue("en") else snap.state
                data = data_name(run.cfg.data, lang)  # "your images" rather than a visitor's handle
                mine.append(Source(f"run:{run.id}", t("zoo_run", lang, model=short_name(run.cfg.kind, lang), data=data,
                                                      run=run.id, step=snap.model_step, state=state), run.cfg.kind, run.cfg.data))
    return mine + pretrained(kinds, lang)


def data_name(data: str, lang: str = "en") -> str:
    """How a run's data set is named in lists: as it is, or "your images" / "your text" for a visitor's own."""
    if own_store.is_own(data):
        return t("own_name_" + own_store.modality(data), lang)
    return data


def resolve(key: str, session: str | None = None, registry: RunRegistry | None = None) -> tuple[GenerativeModel, Source]:
    """Model + its description for a key; raises CheckpointError / RunError with a readable message."""
    if key.startswith("pretrained:"):
        model, h = load_pretrained(key.split(":", 1)[1])
        src = Source(key, key.split(":", 1)[1], h["kind"], h["meta"].get("data", "?"))
        return model, src
    if key.startswith("run:") and session and registry is not None:
        run = registry.get(session, key.split(":", 1)[1])
        snap = run.trainer.snapshot()
        if snap.model is None:
            raise RunError("that run has no weights yet — let it train a few steps", "run_no_weights")
        return snap.model, Source(key, run.label, run.cfg.kind, run.cfg.data)
    raise RunError(f"unknown model {key!r} — pick one from the list", "run_unknown_model", model=repr(str(key)[:40]))
