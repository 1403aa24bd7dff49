"""The contract every model family follows, so one Trainer, one checkpoint format and one UI serve all.

A model family is an ``nn.Module`` subclass of :class:`GenerativeModel` plus a config dataclass.
The Trainer only ever calls the methods below; it never knows whether it trains a GAN or a VAE.

Randomness: every random draw inside ``train_step`` / ``sample`` takes the ``generator`` argument
(``torch.randn(..., generator=g)``), never the global RNG, so two runs in two threads with the same
seed give the same numbers, and sampling with a seeded generator reproduces images exactly.
"""
from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import torch
from torch import nn

from .family import Family


def randn(shape: tuple[int, ...], generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """Normal noise drawn on the generator's own device, then moved: a CPU generator gives the same
    numbers whether the model sits on the CPU or a GPU (a CUDA generator draws directly on the GPU)."""
    where = generator.device if generator is not None else device
    return torch.randn(shape, generator=generator, device=where).to(device)


def randint(high: int, n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """(n,) uniform integers in [0, high), drawn like randn()."""
    where = generator.device if generator is not None else device
    return torch.randint(0, high, (n,), generator=generator, device=where).to(device)


@dataclasses.dataclass
class Hyper:
    """Hyper-parameters that may change while a run trains (applied between steps)."""

    lr: float = 2e-4  # Adam learning rate (the articles' 2e-4 for GANs)
    batch_size: int = 64  # images (or text windows) per optimisation step
    beta: float = 1.0  # VAE only: weight of the KL term (beta-VAE); 1.0 is the plain ELBO
    d_steps: int = 1  # GANs only: discriminator updates per generator update (D:G ratio)


class GenerativeModel(nn.Module):
    """Base class: subclasses set ``kind``, ``Config`` and implement the four methods."""

    kind: ClassVar[str] = ""  # registry key, e.g. "vae", "gan"; stored in checkpoints
    Config: ClassVar[type] = object  # the family's config dataclass
    conditional: ClassVar[bool] = False  # True when sample()/train_step use class labels
    output: ClassVar[str] = "image"  # "image" (N,1,28,28) in [0,1], or "text"
    family: ClassVar[Family]  # its facts for the CLI, the app and the API (models/family.py), declared by each family

    def __init__(self, config: Any):
        super().__init__()
        self.config = config

    # ---- training ----------------------------------------------------------------------------
    def make_optimizers(self, hp: Hyper) -> dict[str, torch.optim.Optimizer]:
        """One optimiser per player ("g", "d") or a single "model" one; lr is set from ``hp``."""
        raise NotImplementedError

    def train_step(
        self,
        x: torch.Tensor,
        y: torch.Tensor,
        opts: dict[str, torch.optim.Optimizer],
        hp: Hyper,
        generator: torch.Generator,
    ) -> dict[str, float]:
        """One optimisation step on a batch; returns the metrics to plot (python floats).

        x: (B, 1, 28, 28) float in [0, 1] for images; y: (B,) int64 labels (ignored if unconditional).
        Must leave the module in train mode. Metric names are stable (e.g. "d_loss", "d_acc", "g_loss").
        """
        raise NotImplementedError

    def examples_per_step(self, hp: Hyper) -> int:
        """Examples one train_step draws (a run's work budget counts them): one batch unless overridden."""
        return int(hp.batch_size)

    # ---- generation --------------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """n samples; images as (n, 1, 28, 28) float in [0, 1]. Call on an eval-mode copy."""
        raise NotImplementedError

    def preview_labels(self, n: int) -> torch.Tensor | None:
        """Labels for the fixed-noise preview grid (n = rows * 10): row r shows class r % num_classes."""
        if not self.conditional:
            return None
        return (torch.arange(n) // 10) % self.config.num_classes

    @torch.no_grad()
    def preview(self, n: int, generator: torch.Generator):
        """What the Trainer publishes as a snapshot: (n, 28, 28) uint8 images by default.

        Called on the frozen eval-mode copy with a generator re-seeded identically each time, so the
        same noise is decoded at every snapshot (the "fixed-noise grid" that sharpens over training).
        Text models override this to return a string.
        """
        imgs = self.sample(n, generator=generator, labels=self.preview_labels(n))  # (n, 1, 28, 28)
        return (imgs.clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].cpu().numpy()

    @torch.no_grad()
    def evaluate(self, data, generator: torch.Generator) -> dict[str, float]:
        """Held-out metrics on ``data`` (e.g. "val_loss"), computed on the frozen copy at snapshot time.

        Optional: the default reports nothing. Keep it cheap (a few batches): it runs on the training
        thread between steps.
        """
        return {}

    # ---- bookkeeping -------------------------------------------------------------------------
    def config_dict(self) -> dict:
        return dataclasses.asdict(self.config)

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())
