"""A model family's facts, declared once beside its class: ``VAE.family = Family(...)``.

The CLI, the Train tab, the API, the explorers, the quality meter and the checkpoint loader read these through
the registry (``models.family(kind)``, ``models.kinds(...)``) instead of keeping their own lists of kinds.
The texts drawn for a group (curve titles, formulas) stay in the UI, keyed by ``group``; a group it does not
know gets a plain loss curve, so a new family shows up in the Train tab without touching the UI.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType

VIEWS = ("train", "latent", "studio", "text")  # Train tab, Latent explorer (2-D VAEs), GAN studio, Next token
KNOBS = ("beta", "d_steps")  # family-specific hyper-parameters (models.base.Hyper); lr and batch size are everyone's
# what a class preset may set (training/settings.py): hyper-parameters, and model_config (overrides of the family's
# config, e.g. narrower layers: a step then costs less CPU; the Train tab names every difference)
PRESET_KEYS = ("lr", "batch_size", "steps", "d_steps", "beta", "model_config")


@dataclasses.dataclass(frozen=True)
class Family:
    name: str  # short name in lists and status lines: "VAE", "Tiny GPT"
    group: str  # "vae", "gan", "text", "classifier", …: the Train tab's curves and formulas ("vae": an ELBO exists)
    data: str  # default data set: the CLI's --data and the API's data=None
    lr: float  # default Adam learning rate
    steps: int = 3000  # default length of a run in the Train tab
    batch_size: int = 64  # default images (or text windows) per step
    knobs: tuple[str, ...] = ()  # which of KNOBS apply: the Train tab shows only these, mid-run changes skip the rest
    metrics: tuple[str, ...] = ()  # train_step metrics the CLI's progress bar shows, in this order
    views: tuple[str, ...] = ()  # where the app offers it (VIEWS); () = CLI only
    quality: bool = False  # an image generator the sample-quality meter (classifier, Fréchet) can judge
    light: Mapping | None = None  # the app's model config on 2 CPU cores; the Train tab offers the full size too
    learn: str = ""  # its section in the How-it-works tab ("" = none)
    label: str = ""  # the Train tab's longer name ("" = name; see title)
    # the class preset: settings that reach recognisable samples in the least CPU time, same losses (a class of 30
    # shares 2 cores); None = the articles' settings above are also the class's. Keys from PRESET_KEYS.
    class_preset: Mapping | None = None

    def __post_init__(self):
        # misspelt names would silently hide a family from a tab: refuse them when the model file is imported
        for what, values, allowed in (("knobs", self.knobs, KNOBS), ("views", self.views, VIEWS)):
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(f"Family {self.name!r}: unknown {what} {bad}; choose from {', '.join(allowed)}")
        if self.light is not None:
            object.__setattr__(self, "light", MappingProxyType(dict(self.light)))  # frozen means frozen
        if self.class_preset is not None:
            bad = [k for k in self.class_preset if k not in PRESET_KEYS]
            if bad:
                raise ValueError(f"Family {self.name!r}: unknown class_preset keys {bad}; choose from {', '.join(PRESET_KEYS)}")
            object.__setattr__(self, "class_preset", MappingProxyType(dict(self.class_preset)))

    @property
    def title(self) -> str:
        """The name the Train tab shows: e.g. "Tiny GPT (next character)"."""
        return self.label or self.name
