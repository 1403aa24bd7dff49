"""MLP GAN and its label-conditioned sibling, the CGAN, with the articles' losses.

References
  [Goo14] Goodfellow et al., "Generative Adversarial Nets", NeurIPS 2014 (arXiv:1406.2661).
  [MO14]  Mirza & Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784 (the CGAN).
  [Rad16] Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
          GANs", ICLR 2016 (Adam betas, LeakyReLU 0.2, Tanh output; used by dcgan.py too).
  The MLP sizes (G: 100 → 256 → 512 → 1024 → 784, D: 784 → 512 → 256 → 1) follow the widely read
  Keras / PyTorch "GAN on MNIST" articles.

D outputs logits; every loss is written from logits with softplus, so it stays finite when D is sure:
  log D(x) = log sigmoid(l) = -softplus(-l)        log(1 - D(x)) = log sigmoid(-l) = -softplus(l)
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from .base import GenerativeModel, Hyper, randint, randn
from .family import Family

N_PIXELS = 28 * 28


# ---------------------------------------------------------------------------------------------------
# config


@dataclasses.dataclass
class GANConfig:
    z_dim: int = 100  # size of the noise vector z, as in the articles
    batchnorm: bool = True  # BatchNorm1d after G's hidden layers (the Keras article's G); False: plain MLP
    leak: float = 0.2  # LeakyReLU negative slope in G and D [Rad16 §3]
    g_widths: tuple[int, ...] = (256, 512, 1024)  # G's hidden layers, as the articles; the class preset narrows them
    d_widths: tuple[int, ...] = (512, 256)  # D's hidden layers

    def __post_init__(self):
        # a checkpoint's JSON header gives lists back: keep tuples, so configs compare and hash alike
        self.g_widths, self.d_widths = tuple(self.g_widths), tuple(self.d_widths)
        for name in ("g_widths", "d_widths"):
            widths = getattr(self, name)
            if not 1 <= len(widths) <= 4 or any(isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 4096
                                                for w in widths):
                raise ValueError(f"{type(self).__name__}.{name} must be 1-4 layer widths in 1..4096, got {widths!r}")
        if self.z_dim < 1:
            raise ValueError(f"{type(self).__name__}.z_dim must be >= 1, got {self.z_dim}")
        if not 0 <= self.leak < 1:
            raise ValueError(f"{type(self).__name__}.leak must be in [0, 1), got {self.leak}")


@dataclasses.dataclass
class CGANConfig(GANConfig):
    num_classes: int = 10  # one-hot label size, concatenated to z and to D's input [MO14 §3.2]

    def __post_init__(self):
        super().__post_init__()
        if self.num_classes < 2:
            raise ValueError(f"CGANConfig.num_classes must be >= 2, got {self.num_classes}")


# ---------------------------------------------------------------------------------------------------
# losses and D accuracy, as the articles print them (module-level so tests can check them by hand)


def d_loss_fn(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """L_D = -[log D(x) + log(1 - D(G(z)))], mean over the batch [Goo14 eq. 1]."""
    return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


def g_loss_fn(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating L_G = -log D(G(z)) [Goo14 §3]: strong gradients early, when D rejects G easily."""
    return F.softplus(-fake_logits).mean()


def d_accuracy(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Share of both halves D gets right at threshold 0.5: real iff D > 0.5, i.e. logit > 0.

    D = 0.5 exactly counts as "fake", like Keras' binary accuracy.
    """
    right = (real_logits > 0).sum() + (fake_logits <= 0).sum()
    return right.float() / (real_logits.numel() + fake_logits.numel())


# ---------------------------------------------------------------------------------------------------
# networks


class MLPGenerator(nn.Module):
    """z (+ one-hot label) → 256 → 512 → 1024 → 784 (widths: the config's), LeakyReLU(0.2), Tanh output."""

    def __init__(self, z_dim: int, cond_dim: int, batchnorm: bool, leak: float, widths=(256, 512, 1024)):
        super().__init__()
        layers: list[nn.Module] = []
        width = z_dim + cond_dim
        for h in widths:
            # BatchNorm's own shift makes the Linear bias redundant, so drop it when BN follows
            layers.append(nn.Linear(width, h, bias=not batchnorm))
            if batchnorm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.LeakyReLU(leak))
            width = h
        # Tanh: pixels live in [-1, 1], a symmetric range that suits the last layer [Rad16 §3]
        layers += [nn.Linear(width, N_PIXELS), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = z if cond is None else torch.cat([z, cond], dim=1)  # (B, z_dim + K)
        return self.net(h).view(-1, 1, 28, 28)  # (B, 1, 28, 28) in [-1, 1]


class MLPDiscriminator(nn.Module):
    """image (+ one-hot label) → 512 → 256 → 1 logit (widths: the config's), LeakyReLU(0.2) so D passes gradient
    everywhere."""

    def __init__(self, cond_dim: int, leak: float, widths=(512, 256)):
        super().__init__()
        layers: list[nn.Module] = []
        width = N_PIXELS + cond_dim
        for h in widths:  # (B, 784 + K) → (B, 512) → (B, 256)
            layers += [nn.Linear(width, h), nn.LeakyReLU(leak)]
            width = h
        layers.append(nn.Linear(width, 1))  # → (B, 1) logit; the sigmoid lives inside the losses
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        h = x.flatten(1)  # (B, 784)
        if cond is not None:
            h = torch.cat([h, cond], dim=1)  # (B, 784 + K)
        return self.net(h).squeeze(1)  # (B,)


# ---------------------------------------------------------------------------------------------------
# models


class GAN(GenerativeModel):
    """Two players, G and D, one Adam each. Subclasses swap the networks via build_networks()."""

    kind = "gan"
    Config = GANConfig
    conditional = False
    # class preset: quarter-width G and D (a step costs ~1/4 of the CPU), a 5× larger lr on half the batch: recognisable
    # digits in ~9 CPU-s instead of ~23 (seeds 0-2, bench/class.py --preset gan); same losses, same Adam betas
    family = Family("GAN", group="gan", data="mnist5k", lr=2e-4, knobs=("d_steps",), metrics=("d_loss", "d_acc", "g_loss"),
                    views=("train", "studio"), quality=True, learn="gan",
                    class_preset={"lr": 1e-3, "batch_size": 32, "steps": 6000,
                                  "model_config": {"g_widths": (64, 128, 256), "d_widths": (128, 64)}})

    def __init__(self, config=None):
        super().__init__(config if config is not None else self.Config())
        self.G, self.D = self.build_networks()
        # A D without BatchNorm scores each image on its own, so real and fake can share one forward pass
        # (one (2B, 784) matmul per layer instead of two (B, 784) ones: ~25 % less D-step time on a CPU).
        # With BatchNorm (DCGAN) they must stay separate batches, or the batch statistics would mix them [Rad16].
        self._joint_d = not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in self.D.modules())

    def build_networks(self) -> tuple[nn.Module, nn.Module]:
        """(G, D): G(z (B, z_dim), cond) → (B, 1, 28, 28) in [-1, 1]; D(x, cond) → (B,) logits."""
        c = self.config
        return (MLPGenerator(c.z_dim, self.cond_dim, c.batchnorm, c.leak, c.g_widths),
                MLPDiscriminator(self.cond_dim, c.leak, c.d_widths))

    @property
    def cond_dim(self) -> int:
        """Width of the one-hot label given to G and D (0 when unconditional)."""
        return self.config.num_classes if self.conditional else 0

    @property
    def device(self) -> torch.device:
        return next(self.D.parameters()).device

    def _one_hot(self, y: torch.Tensor | None, n: int) -> torch.Tensor | None:
        """(n,) labels → (n, K) one-hot floats [MO14 §3.2]; None when unconditional."""
        if not self.conditional:
            return None
        y = torch.as_tensor(y, device=self.device).long().reshape(-1)
        if y.shape[0] != n:
            raise ValueError(f"labels must have shape ({n},), got {tuple(y.shape)}")
        return F.one_hot(y, self.config.num_classes).float()

    # ---- GenerativeModel contract --------------------------------------------------------------
    def examples_per_step(self, hp: Hyper) -> int:
        return int(hp.batch_size) * (max(1, int(hp.d_steps)) + 1)  # one batch per update: k for D, one for G

    def make_optimizers(self, hp: Hyper) -> dict[str, torch.optim.Optimizer]:
        # beta1 = 0.5: the default 0.9 made GAN training oscillate and go unstable [Rad16 §4]
        betas = (0.5, 0.999)
        # fused: one kernel per update; the optimiser step was ~45 % of a CPU GAN step (bench/RESULTS.md)
        fused = self.device.type in ("cpu", "cuda")
        return {
            "g": torch.optim.Adam(self.G.parameters(), lr=hp.lr, betas=betas, fused=fused),
            "d": torch.optim.Adam(self.D.parameters(), lr=hp.lr, betas=betas, fused=fused),
        }

    def train_step(self, x, y, opts, hp: Hyper, generator) -> dict[str, float]:
        self.train()
        B = x.shape[0]
        real = x * 2 - 1  # (B, 1, 28, 28) from [0, 1] to [-1, 1], the range of G's Tanh
        # Fakes are drawn with the batch's own labels, so the label mix never tells D real from fake.
        cond = self._one_hot(y, B) if self.conditional else None  # (B, K) or None
        opt_d, opt_g = opts["d"], opts["g"]
        n_d = max(1, int(hp.d_steps))

        # ---- D: k updates per G update [Goo14 Alg. 1]; one real batch per call, fresh noise each time
        for i in range(n_d):
            last = i == n_d - 1
            z = randn((B, self.config.z_dim), generator, x.device)  # (B, z_dim)
            with torch.set_grad_enabled(last):  # only the last fakes keep a graph: the G step reuses them
                fake = self.G(z, cond)  # (B, 1, 28, 28)
            if self._joint_d:
                both = self.D(torch.cat([real, fake.detach()]), None if cond is None else torch.cat([cond, cond]))  # (2B,)
                real_logits, fake_logits = both[:B], both[B:]  # (B,), (B,)
            else:  # separate batches, so D's BatchNorm never mixes real and fake statistics [Rad16]
                real_logits = self.D(real, cond)  # (B,)
                fake_logits = self.D(fake.detach(), cond)  # (B,)
            d_loss = d_loss_fn(real_logits, fake_logits)
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

        # ---- G: non-saturating loss on the last fakes, scored by the freshly updated D
        self.D.requires_grad_(False)  # D's weights need no gradient here: saves a third of D's backward
        try:
            g_loss = g_loss_fn(self.D(fake, cond))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
        finally:
            self.D.requires_grad_(True)

        with torch.no_grad():
            vals = torch.stack([
                d_loss.detach(),
                g_loss.detach(),
                d_accuracy(real_logits, fake_logits),
                torch.sigmoid(real_logits).mean(),  # mean D(x)
                torch.sigmoid(fake_logits).mean(),  # mean D(G(z))
            ]).tolist()  # one device sync, not five
        return dict(zip(("d_loss", "g_loss", "d_acc", "d_real", "d_fake"), vals, strict=True))

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """n images G(z), z ~ N(0, I): (n, 1, 28, 28) in [0, 1].

        z is drawn before any labels, so a seed gives the same z whether labels are passed or not.
        """
        z = randn((n, self.config.z_dim), generator, self.device)  # (n, z_dim)
        cond = None
        if self.conditional:
            if labels is None:
                labels = randint(self.config.num_classes, n, generator, self.device)  # (n,) uniform classes
            cond = self._one_hot(labels, n)  # (n, K)
        return ((self.G(z, cond) + 1) / 2).clamp(0, 1)  # (n, 1, 28, 28) from [-1, 1] to [0, 1]


class CGAN(GAN):
    """Label-conditioned GAN [MO14]: G(z, y) and D(x, y) both see the one-hot label."""

    kind = "cgan"
    Config = CGANConfig
    conditional = True
    family = dataclasses.replace(GAN.family, name="CGAN", learn="cgan")
