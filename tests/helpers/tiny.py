"""Tiny stand-ins so tests spend milliseconds, not minutes: a linear autoencoder family with fault injection,
a 64-image data set, and small untrained checkpoints of the real image families."""
from __future__ import annotations

import dataclasses
import time

import torch
from torch import nn

from genai_demo.models.base import GenerativeModel


@dataclasses.dataclass
class TinyConfig:
    hidden: int = 8  # bottleneck width


class Tiny(GenerativeModel):
    """A linear autoencoder: enough to have a loss that goes down, nothing more.

    fail_at / nan_at: raise, or report a NaN loss, on that train_step call (1-based); delay: sleep per step (s)."""

    kind = "tiny"
    Config = TinyConfig

    def __init__(self, config=None, fail_at: int | None = None, nan_at: int | None = None, delay: float = 0.0):
        super().__init__(config or TinyConfig())
        self.enc = nn.Linear(16, self.config.hidden)
        self.dec = nn.Linear(self.config.hidden, 16)
        self.calls = 0
        self.fail_at, self.nan_at, self.delay = fail_at, nan_at, delay

    def make_optimizers(self, hp):
        return {"model": torch.optim.Adam(self.parameters(), lr=hp.lr)}

    def train_step(self, x, y, opts, hp, generator):
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        if self.fail_at == self.calls:
            raise RuntimeError("injected failure")
        x = x.flatten(1)  # (B, 16)
        loss = ((self.dec(self.enc(x)) - x) ** 2).mean()
        opts["model"].zero_grad()
        loss.backward()
        opts["model"].step()
        value = float("nan") if self.nan_at == self.calls else loss.item()
        return {"loss": value}

    @torch.no_grad()
    def evaluate(self, data, generator):
        x = data.x.flatten(1)  # (N, 16)
        return {"val_loss": ((self.dec(self.enc(x)) - x) ** 2).mean().item()}

    @torch.no_grad()
    def sample(self, n, generator=None, labels=None):
        z = torch.randn(n, self.config.hidden, generator=generator)  # (n, hidden)
        return torch.sigmoid(self.dec(z)).view(n, 1, 4, 4)


class TinyData:
    """Duck-typed like data.ImageData: 64 fixed 4×4 images."""

    modality = "image"

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.rand(64, 1, 4, 4, generator=g)  # (64, 1, 4, 4)
        self.y = torch.zeros(64, dtype=torch.long)

    def to(self, device):
        return self

    def __len__(self):
        return len(self.x)

    def batch(self, batch_size, generator):
        idx = torch.randint(len(self.x), (batch_size,), generator=generator)
        return self.x[idx], self.y[idx]


class TinyDigits(TinyData):
    """TinyData's draws at MNIST's shape, for the real MLP GAN: 64 fixed 28×28 images; moves to a GPU like ImageData."""

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.rand(64, 1, 28, 28, generator=g)  # (64, 1, 28, 28)
        self.y = torch.arange(64) % 10  # (64,) every class: a CGAN's labels matter

    def to(self, device):
        out = TinyDigits.__new__(TinyDigits)
        out.x, out.y = self.x.to(device), self.y.to(device)
        return out

    def batch(self, batch_size, generator):
        where = generator.device if generator is not None else self.x.device  # as ImageData.batch: the generator's
        idx = torch.randint(len(self.x), (batch_size,), generator=generator, device=where).to(self.x.device)
        return self.x[idx], self.y[idx]


def write_tiny_checkpoints(d, prefix: str) -> None:
    """Four small untrained image checkpoints in folder d: <prefix>_vae, _cvae, _gan, _cgan (tab handlers only
    need the shapes, not good digits)."""
    from genai_demo.models import build
    from genai_demo.training.checkpoints import save_checkpoint

    torch.manual_seed(0)
    for kind, cfg in (("vae", {"hidden1": 32, "hidden2": 16}), ("cvae", {"hidden1": 32, "hidden2": 16}),
                      ("gan", {"z_dim": 8}), ("cgan", {"z_dim": 8})):
        save_checkpoint(d / f"{prefix}_{kind}.safetensors", build(kind, cfg).eval(), {"data": "mnist5k", "steps": 0})
