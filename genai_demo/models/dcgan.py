"""DCGAN: the GAN game with convolutional players.

References
  [Rad16] Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
          GANs", ICLR 2016 (arXiv:1511.06434). The architecture guidelines of §3: strided
          convolutions instead of pooling, BatchNorm in both players except G's output and D's input,
          ReLU in G with a Tanh output, LeakyReLU(0.2) in D; weights from N(0, 0.02) (§4).

Only the two networks differ from the MLP GAN: the training step, the losses of [Goo14] and the
Adam settings are inherited from gan.py. Sized for 28x28 MNIST: 7x7 → 14x14 → 28x28.
"""
from __future__ import annotations

import dataclasses

import torch
from torch import nn

from .gan import GAN

# ---------------------------------------------------------------------------------------------------
# config


@dataclasses.dataclass
class DCGANConfig:
    z_dim: int = 100  # size of the noise vector z [Rad16 §4]
    ngf: int = 64  # G width: ngf*4 channels at 7x7, ngf*2 at 14x14 (64 → 256 / 128, the articles' size)
    ndf: int = 64  # D width: ndf channels at 14x14, ndf*2 at 7x7
    leak: float = 0.2  # LeakyReLU negative slope in D [Rad16 §3]
    init_std: float = 0.02  # std of the N(0, std) weight init [Rad16 §4]

    def __post_init__(self):
        for name in ("z_dim", "ngf", "ndf"):
            if getattr(self, name) < 1:
                raise ValueError(f"DCGANConfig.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 <= self.leak < 1:
            raise ValueError(f"DCGANConfig.leak must be in [0, 1), got {self.leak}")

    @classmethod
    def paper(cls) -> DCGANConfig:
        """The articles' size (~1.8M parameters in G); a few steps/s on 2 CPU cores, fine on a GPU."""
        return cls()

    @classmethod
    def light(cls) -> DCGANConfig:
        """A quarter of the width (~16x fewer multiply-adds): trains at a usable pace on 2 CPU cores."""
        return cls(ngf=16, ndf=16)


# ---------------------------------------------------------------------------------------------------
# networks


class ConvGenerator(nn.Module):
    """z → (ngf*4, 7, 7) → (ngf*2, 14, 14) → (1, 28, 28): transposed convs, BatchNorm + ReLU, Tanh."""

    def __init__(self, z_dim: int, ngf: int):
        super().__init__()
        self.net = nn.Sequential(
            # project-and-reshape as one transposed conv on a 1x1 "image" [Rad16 Fig. 1]
            nn.ConvTranspose2d(z_dim, ngf * 4, 7, 1, 0, bias=False),  # (B, z, 1, 1) → (B, 4ngf, 7, 7)
            nn.BatchNorm2d(ngf * 4), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),  # → (B, 2ngf, 14, 14)
            nn.BatchNorm2d(ngf * 2), nn.ReLU(True),
            nn.ConvTranspose2d(ngf * 2, 1, 4, 2, 1),  # → (B, 1, 28, 28); no BN on G's output [Rad16 §3]
            nn.Tanh(),
        )
        # bias=False above: the BatchNorm right after shifts anyway

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z[:, :, None, None])  # (B, z_dim) → (B, 1, 28, 28) in [-1, 1]


class ConvDiscriminator(nn.Module):
    """(1, 28, 28) → (ndf, 14, 14) → (2ndf, 7, 7) → 1 logit: strided convs instead of pooling [Rad16 §3]."""

    def __init__(self, ndf: int, leak: float):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, ndf, 4, 2, 1),  # (B, 1, 28, 28) → (B, ndf, 14, 14); no BN on D's input [Rad16 §3]
            nn.LeakyReLU(leak, True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),  # → (B, 2ndf, 7, 7)
            nn.BatchNorm2d(ndf * 2), nn.LeakyReLU(leak, True),
            nn.Conv2d(ndf * 2, 1, 7, 1, 0),  # → (B, 1, 1, 1): a 7x7 conv is the dense read-out, kept convolutional
        )

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x).flatten()  # (B,) logits


# ---------------------------------------------------------------------------------------------------
# model


class DCGAN(GAN):
    """Unconditional DCGAN; training step, losses (d_loss_fn, g_loss_fn, d_accuracy) come from GAN."""

    kind = "dcgan"
    Config = DCGANConfig
    conditional = False
    # the app trains the light preset by default (DCGANConfig.light(): usable on 2 CPU cores), 1,500 steps
    family = dataclasses.replace(GAN.family, name="DCGAN", steps=1500, light={"ngf": 16, "ndf": 16}, learn="dcgan",
                                 class_preset=None)  # not searched: the class keeps the articles' settings

    def build_networks(self) -> tuple[nn.Module, nn.Module]:
        c = self.config
        G, D = ConvGenerator(c.z_dim, c.ngf), ConvDiscriminator(c.ndf, c.leak)
        for m in (*G.modules(), *D.modules()):
            # N(0, 0.02) weights; BatchNorm scales around 1 [Rad16 §4]. Uses the global RNG, so a
            # torch.manual_seed before build() fixes the initial weights.
            if isinstance(m, nn.Conv2d | nn.ConvTranspose2d):
                nn.init.normal_(m.weight, 0.0, c.init_std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.normal_(m.weight, 1.0, c.init_std)
                nn.init.zeros_(m.bias)
        return G, D
