"""2-D VAE and its label-conditioned sibling, the CVAE.

References
  [KW14]  Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014 (arXiv:1312.6114).
  [SLY15] Sohn, Lee & Yan, "Learning Structured Output Representation using Deep Conditional
          Generative Models", NeurIPS 2015 (the CVAE).
  [Hig17] Higgins et al., "beta-VAE: Learning Basic Visual Concepts with a Constrained Variational
          Framework", ICLR 2017 (the beta weight on the KL term).

The latent space is 2-D on purpose: the UI draws it as a plane you can click on and walk through.
"""
from __future__ import annotations

import dataclasses
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from .base import GenerativeModel, Hyper, randint, randn
from .family import Family

N_PIXELS = 28 * 28


# ---------------------------------------------------------------------------------------------------
# config


@dataclasses.dataclass
class VAEConfig:
    latent_dim: int = 2  # size of z; 2 so the whole latent space can be shown as a plane
    hidden1: int = 512  # width of the encoder's first layer (and of the decoder's last hidden layer)
    hidden2: int = 256  # width of the encoder's second layer (and of the decoder's first layer)

    def __post_init__(self):
        _check_positive(self)


@dataclasses.dataclass
class CVAEConfig(VAEConfig):
    num_classes: int = 10  # one-hot label size, concatenated to the encoder input and to z [SLY15]


def _check_positive(config) -> None:
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{type(config).__name__}.{f.name} must be a positive integer, got {value!r}")


# ---------------------------------------------------------------------------------------------------
# the two terms of the negative ELBO, as plain functions so tests can check them by hand


def recon_bce(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """-log p(x|z) of a Bernoulli decoder [KW14, App. C.1]: BCE summed over pixels, mean over batch.

    Taken from logits (log-sum-exp inside) rather than from sigmoid outputs, because log(sigmoid)
    underflows to -inf once the decoder is confident. Result in nats per image.
    """
    return F.binary_cross_entropy_with_logits(logits.flatten(1), x.flatten(1), reduction="sum") / x.shape[0]


def kl_to_standard_normal(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, sigma^2) || N(0, I)) in closed form [KW14, App. B], nats per image (mean over batch).

    KL = -0.5 * sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
    """
    return -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / mu.shape[0]


class VAELoss(NamedTuple):
    loss: torch.Tensor  # recon + beta * kl: the negative ELBO when beta = 1 [KW14 eq. 10]
    recon: torch.Tensor  # reconstruction term, nats per image
    kl: torch.Tensor  # KL term (not multiplied by beta), nats per image


# ---------------------------------------------------------------------------------------------------
# models


class VAE(GenerativeModel):
    """MLP VAE: 784 → 512 → 256 → (mu, logvar) ; z → 256 → 512 → 784 Bernoulli logits [KW14]."""

    kind = "vae"
    Config = VAEConfig
    conditional = False
    family = Family("VAE", group="vae", data="mnist5k", lr=1e-3, knobs=("beta",), metrics=("loss", "recon", "kl"),
                    views=("train", "latent", "studio"), quality=True, learn="vae")

    def __init__(self, config: VAEConfig | None = None):
        super().__init__(config if config is not None else self.Config())
        c, k = self.config, self.cond_dim
        self.encoder = nn.Sequential(
            nn.Linear(N_PIXELS + k, c.hidden1), nn.ReLU(),  # (B, 784 + K) → (B, hidden1)
            nn.Linear(c.hidden1, c.hidden2), nn.ReLU(),  # → (B, hidden2)
        )
        # Two heads: the encoder outputs a whole Gaussian q(z|x) = N(mu, diag(exp(logvar))) [KW14 §3].
        # log-variance rather than sigma keeps the variance positive without a constraint.
        self.to_mu = nn.Linear(c.hidden2, c.latent_dim)  # (B, latent_dim)
        self.to_logvar = nn.Linear(c.hidden2, c.latent_dim)  # (B, latent_dim)
        self.decoder = nn.Sequential(  # mirrors the encoder
            nn.Linear(c.latent_dim + k, c.hidden2), nn.ReLU(),  # (B, latent + K) → (B, hidden2)
            nn.Linear(c.hidden2, c.hidden1), nn.ReLU(),  # → (B, hidden1)
            nn.Linear(c.hidden1, N_PIXELS),  # → (B, 784) logits; sigmoid only when images are asked for
        )

    @property
    def cond_dim(self) -> int:
        """Width of the one-hot label that conditions the model (0 for the plain VAE)."""
        return self.config.num_classes if self.conditional else 0

    @property
    def device(self) -> torch.device:
        return self.to_mu.weight.device

    def _with_label(self, h: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """(B, D) → (B, D + K): append the one-hot label for the CVAE [SLY15 §4]; VAE: unchanged."""
        if not self.conditional:
            return h
        if y is None:
            raise ValueError(f"{self.kind} is label-conditioned: pass labels y of shape ({h.shape[0]},)")
        y = torch.as_tensor(y, device=h.device).long().reshape(-1)
        if y.shape[0] != h.shape[0]:
            raise ValueError(f"labels must have shape ({h.shape[0]},), got {tuple(y.shape)}")
        return torch.cat([h, F.one_hot(y, self.config.num_classes).to(h.dtype)], dim=1)

    # ---- the three pieces ------------------------------------------------------------------------
    def encode(self, x: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, 1, 28, 28) or (B, 784) in [0, 1] → (mu, logvar), each (B, latent_dim)."""
        h = self.encoder(self._with_label(x.flatten(1), y))  # (B, hidden2)
        return self.to_mu(h), self.to_logvar(h)

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I) [KW14 §2.4]: the noise sits outside the graph, so
        gradients flow through mu and sigma."""
        eps = randn(tuple(mu.shape), generator, mu.device)  # (B, latent_dim)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode_logits(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z: (B, latent_dim) → Bernoulli logits (B, 784)."""
        return self.decoder(self._with_label(z, y))

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """z: (B, latent_dim) → images (B, 1, 28, 28) in [0, 1] (the Bernoulli means)."""
        return torch.sigmoid(self.decode_logits(z, y)).view(-1, 1, 28, 28)

    def reconstruct(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """Deterministic reconstruction through the posterior mean (no noise): (B, 1, 28, 28)."""
        mu, _ = self.encode(x, y)
        return self.decode(mu, y)

    def loss(
        self, x: torch.Tensor, y: torch.Tensor | None = None, beta: float = 1.0, generator: torch.Generator | None = None
    ) -> VAELoss:
        """Negative ELBO with a beta weight on the KL [KW14 eq. 10; Hig17 eq. 4], nats per image."""
        mu, logvar = self.encode(x, y)  # (B, latent_dim) each
        z = self.reparameterize(mu, logvar, generator)  # (B, latent_dim)
        recon = recon_bce(self.decode_logits(z, y), x)
        kl = kl_to_standard_normal(mu, logvar)
        return VAELoss(recon + beta * kl, recon, kl)

    # ---- GenerativeModel contract --------------------------------------------------------------
    def make_optimizers(self, hp: Hyper) -> dict[str, torch.optim.Optimizer]:
        # fused: one kernel per update instead of ~10 elementwise passes over the weights; the optimiser step was
        # ~45 % of a CPU training step (torch.profiler, bench/RESULTS.md) and fusing makes a step ~1.5x cheaper
        return {"model": torch.optim.Adam(self.parameters(), lr=hp.lr, fused=self.device.type in ("cpu", "cuda"))}

    def train_step(self, x, y, opts, hp: Hyper, generator) -> dict[str, float]:
        self.train()
        parts = self.loss(x, y if self.conditional else None, hp.beta, generator)
        opt = opts["model"]
        opt.zero_grad(set_to_none=True)
        parts.loss.backward()
        opt.step()
        loss, recon, kl = torch.stack([p.detach() for p in parts]).tolist()  # one device sync, not three
        return {"loss": loss, "recon": recon, "kl": kl}

    @torch.no_grad()
    def evaluate(self, data, generator) -> dict[str, float]:
        """Held-out negative ELBO at beta = 1 (nats per image) on up to 500 evenly spaced test images, so the
        Trainer can plot "val_loss" beside the training loss; the same images at every snapshot."""
        idx = torch.linspace(0, len(data) - 1, min(len(data), 500)).long()  # evenly spaced: every class
        x, y = data.float_images(idx).to(self.device), data.y[idx].to(self.device)
        parts = self.loss(x, y if self.conditional else None, 1.0, generator)
        return {"val_loss": float(parts.loss), "val_recon": float(parts.recon), "val_kl": float(parts.kl)}

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """Decode n draws from the prior N(0, I): (n, 1, 28, 28) in [0, 1].

        z is drawn before any labels, so a seed gives the same z whether labels are passed or not.
        """
        z = randn((n, self.config.latent_dim), generator, self.device)  # (n, latent_dim)
        if self.conditional and labels is None:
            labels = randint(self.config.num_classes, n, generator, self.device)  # (n,) uniform classes
        return self.decode(z, labels if self.conditional else None)


class CVAE(VAE):
    """Label-conditioned VAE [SLY15]: q(z|x, y) and p(x|z, y) both see the one-hot label."""

    kind = "cvae"
    Config = CVAEConfig
    conditional = True
    family = dataclasses.replace(VAE.family, name="CVAE", learn="cvae")
