"""The 2-D GAN game: a tiny generator G: z → (x, y) and discriminator D: (x, y) → logit, stepped one side at a time.

This is GAN Lab's game (Kahng et al., "GAN Lab: Understanding Complex Deep Generative Models using
Interactive Visual Experimentation", IEEE VIS 2018) on this app's engine: small MLPs, the losses of
Goodfellow et al. 2014 ("Generative Adversarial Nets", arXiv:1406.2661), Adam or SGD with a learning rate
per player, a D:G ratio, and the slow-motion controls — update D only, G only, or both.

Losses, from D's logit l (D(x) = sigmoid(l)), as in models/gan.py:
  L_D            = -log D(x) - log(1 - D(G(z)))     [Goo14 eq. 1]
  L_G non-sat.   = -log D(G(z))                     [Goo14 §3, the default: strong gradient when D wins]
  L_G minimax    =  log(1 - D(G(z)))                [Goo14 eq. 1 as written: its gradient vanishes when
                                                     D confidently rejects the fakes, so G stalls early]
The views of the game (heat-map, arrows, manifold) are computed here too; toy_run.py publishes them.
No gradio, no global RNG: every random draw comes from the game's own torch.Generators.
"""
from __future__ import annotations

import dataclasses
import math

import torch
import torch.nn.functional as F
from torch import nn

from ..models.gan import d_loss_fn
from .toy_data import EXTENT, ToyData, ToyDiverged, ToyError

LOSSES = ("nonsat", "minimax")
OPTIMIZERS = ("adam", "sgd")


@dataclasses.dataclass
class ToyConfig:
    noise_dim: int = 2  # size of z; 2 makes the manifold view a faithful picture of all of z-space
    hidden: int = 64  # width of every hidden layer of G and D
    layers: int = 2  # hidden layers in each network
    batch: int = 128  # real and fake points per update
    lr_d: float = 2e-3  # D's learning rate, twice G's so D keeps up (two time-scale rule, Heusel et al. 2017)
    lr_g: float = 1e-3  # G's learning rate (1e-3 for both lost the whole ring on 1 seed of 8: toy_presets.py)
    optimizer: str = "adam"  # "adam" (betas 0.5, 0.999 as in DCGAN, Radford et al. 2016) or "sgd" (plain)
    loss: str = "nonsat"  # G's loss: "nonsat" (-log D(G(z))) or "minimax" (log(1 - D(G(z))))
    d_steps: int = 1  # D updates per step …
    g_steps: int = 1  # … and G updates per step: the D:G ratio
    seed: int = 0  # seeds the weights, the batches and every fixed view sample

    def __post_init__(self):
        # the page's sliders and the CLI may hand over 2.0 or "0.001": coerce once, refuse what is not a number
        words = {"noise_dim": "noise dimension", "hidden": "hidden width", "layers": "number of hidden layers",
                 "batch": "batch size", "d_steps": "number of D steps", "g_steps": "number of G steps", "seed": "seed"}
        for name, word in words.items():
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v != int(v):
                raise ToyError(f"The {word} must be a whole number.", f"toy_err_whole_{name}")
            setattr(self, name, int(v))
        for name in ("lr_d", "lr_g"):
            try:
                setattr(self, name, float(getattr(self, name)))
            except (TypeError, ValueError):
                raise ToyError("Each learning rate must be a number.", "toy_err_lr_number") from None
        checks = [
            # (holds, the sentence, its catalogue key in i18n/*/toy.json)
            (1 <= self.noise_dim <= 8, "The noise dimension must be between 1 and 8.", "toy_err_noise_dim"),
            (4 <= self.hidden <= 256, "The hidden width must be between 4 and 256.", "toy_err_hidden"),
            (1 <= self.layers <= 4, "The number of hidden layers must be between 1 and 4.", "toy_err_layers"),
            (8 <= self.batch <= 1024, "The batch size must be between 8 and 1024.", "toy_err_batch"),
            (0 < self.lr_d <= 1 and 0 < self.lr_g <= 1, "Each learning rate must be above 0 and at most 1.", "toy_err_lr"),
            (self.optimizer in OPTIMIZERS, f"The optimiser must be one of {', '.join(OPTIMIZERS)}.", "toy_err_optimizer"),
            (self.loss in LOSSES, f"The loss must be one of {', '.join(LOSSES)}.", "toy_err_loss"),
            (1 <= self.d_steps <= 10 and 1 <= self.g_steps <= 10, "D and G steps per round must each be between 1 and 10.",
             "toy_err_ratio"),
            (0 <= self.seed < 2**31, "The seed must be between 0 and 2147483647.", "toy_err_seed"),
        ]
        for ok, msg, key in checks:
            if not ok:
                raise ToyError(msg, key)


def _mlp(n_in: int, hidden: int, layers: int, n_out: int, act: type[nn.Module], gen: torch.Generator) -> nn.Sequential:
    """n_in → hidden (× layers) → n_out, initialised from `gen` (PyTorch's default Linear init, seeded)."""
    mods: list[nn.Module] = []
    for i in range(layers + 1):
        lin = nn.Linear(n_in if i == 0 else hidden, hidden if i < layers else n_out)
        # nn.Linear's own init draws from the global RNG, shared by every thread; redo it from our generator
        bound = 1 / math.sqrt(lin.in_features)
        nn.init.uniform_(lin.weight, -bound, bound, generator=gen)
        nn.init.uniform_(lin.bias, -bound, bound, generator=gen)
        mods += [lin, act()] if i < layers else [lin]
    return nn.Sequential(*mods)


def g_loss_per_point(logits: torch.Tensor, loss: str) -> torch.Tensor:
    """G's loss for each fake point from D's logits (B,) → (B,); mean it for the update."""
    if loss == "minimax":
        return -F.softplus(logits)  # log(1 - sigmoid(l)) = -softplus(l): flat when l ≪ 0 (D sure it is fake)
    return F.softplus(-logits)  # -log sigmoid(l) = softplus(-l): steep when l ≪ 0


class ToyGAN:
    """G, D, their optimisers and generators; step_d / step_g / step (a full round) return the losses."""

    def __init__(self, cfg: ToyConfig, data: ToyData):
        self.cfg, self.data = cfg, data
        init = torch.Generator().manual_seed(cfg.seed)
        self.G = _mlp(cfg.noise_dim, cfg.hidden, cfg.layers, 2, nn.ReLU, init)  # z (B, nz) → x (B, 2)
        # LeakyReLU in D: its gradient w.r.t. x is what moves G's points, so it must not be zero anywhere
        self.D = _mlp(2, cfg.hidden, cfg.layers, 1, lambda: nn.LeakyReLU(0.2), init)  # x (B, 2) → logit (B, 1)
        self.gen = torch.Generator().manual_seed(cfg.seed + 1)  # batches: real draws and noise
        self.opt_d = self._optimizer(self.D, cfg.lr_d)
        self.opt_g = self._optimizer(self.G, cfg.lr_g)
        self.d_updates = self.g_updates = 0

    def _optimizer(self, net: nn.Module, lr: float) -> torch.optim.Optimizer:
        if self.cfg.optimizer == "sgd":
            return torch.optim.SGD(net.parameters(), lr=lr)
        return torch.optim.Adam(net.parameters(), lr=lr, betas=(0.5, 0.999), fused=True)  # fused: ~20 % off a toy step

    def configure(self, **changes) -> None:
        """Change lr_d, lr_g, optimizer, loss, d_steps or g_steps between steps (a new optimiser starts fresh)."""
        allowed = {"lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps"}
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"Only {', '.join(sorted(allowed))} can change during a run.")
        new = dataclasses.replace(self.cfg, **changes)  # validates
        if new.optimizer != self.cfg.optimizer:
            self.cfg = new
            self.opt_d, self.opt_g = self._optimizer(self.D, new.lr_d), self._optimizer(self.G, new.lr_g)
            return
        for opt, lr in ((self.opt_d, new.lr_d), (self.opt_g, new.lr_g)):
            for group in opt.param_groups:
                group["lr"] = lr
        self.cfg = new

    def noise(self, n: int, gen: torch.Generator) -> torch.Tensor:
        """z ~ Uniform[-1, 1]^nz (GAN Lab's choice: the manifold grid then covers all of z-space)."""
        return torch.rand(n, self.cfg.noise_dim, generator=gen) * 2 - 1  # (n, nz)

    # ---- updates --------------------------------------------------------------------------------
    def step_d(self) -> float:
        """One D update on a fresh real batch and a fresh fake batch; G is not touched."""
        B = self.cfg.batch
        real = self.data.sample(B, self.gen)  # (B, 2)
        with torch.no_grad():
            fake = self.G(self.noise(B, self.gen))  # (B, 2), no graph back into G
        logits = self.D(torch.cat([real, fake])).squeeze(1)  # (2B,) one pass: D has no batch statistics
        loss = d_loss_fn(logits[:B], logits[B:])
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        self.d_updates += 1
        return float(loss.detach())

    def step_g(self) -> float:
        """One G update through a frozen D: only G's parameters receive gradients."""
        fake = self.G(self.noise(self.cfg.batch, self.gen))  # (B, 2)
        loss = g_loss_per_point(self.D(fake).squeeze(1), self.cfg.loss).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss.backward(inputs=list(self.G.parameters()))  # D's weights get no .grad: D stays as it is
        self.opt_g.step()
        self.g_updates += 1
        return float(loss.detach())

    def step(self) -> tuple[float, float]:
        """A full round: d_steps D updates, then g_steps G updates → (last D loss, last G loss)."""
        for _ in range(self.cfg.d_steps):
            ld = self.step_d()
        for _ in range(self.cfg.g_steps):
            lg = self.step_g()
        return ld, lg

    # ---- views (no_grad except the arrows; never change the weights) ----------------------------------------
    @torch.no_grad()
    def fakes(self, z: torch.Tensor) -> torch.Tensor:
        return self.G(z)  # (n, nz) → (n, 2)

    @torch.no_grad()
    def heat(self, n: int = 48) -> torch.Tensor:
        """D's probability "real" at the centres of an n × n grid over the plane: (n, n), row 0 at the top (y = +EXTENT)."""
        c = (torch.arange(n) + 0.5) * (2 * EXTENT / n) - EXTENT  # (n,) cell centres, left → right
        ys, xs = torch.meshgrid(c.flip(0), c, indexing="ij")  # (n, n) each; y decreasing down the rows
        return torch.sigmoid(self.D(torch.stack([xs, ys], -1).view(-1, 2))).view(n, n)

    def arrows(self, x: torch.Tensor) -> torch.Tensor:
        """-∂ℓ_G/∂x at each fake point x (n, 2) → (n, 2): the direction and strength with which G is pushed there.

        Why it is D's gradient that moves G's points: G's loss depends on G's weights θ only through
        the points x = G(z), so by the chain rule ∂L_G/∂θ = Σ_i (∂x_i/∂θ)ᵀ ∂ℓ_G/∂x_i. The only thing
        that tells G *where* to move is ∂ℓ_G/∂x, and that is a function of D alone:
            non-saturating: ∂/∂x softplus(-l(x)) = -(1 - D(x)) ∇_x l(x)
            minimax:        ∂/∂x -softplus(l(x)) = -D(x) ∇_x l(x)   → 0 where D(x) ≈ 0 (the stall)
        So each arrow points up D's slope towards "real". G's update moves the points along the arrows as
        far as its weights allow: to first order an SGD step moves x_i by η Σ_j J_i J_jᵀ a_j (a_j the arrows,
        J = ∂x/∂θ), a positive semi-definite mix of the arrows, so neighbouring points move together and
        never against their arrows as a whole (Adam rescales per weight, same picture).
        """
        x = x.detach().clone().requires_grad_(True)
        ell = g_loss_per_point(self.D(x).squeeze(1), self.cfg.loss)  # (n,) per point, not the batch mean
        (grad,) = torch.autograd.grad(ell.sum(), x)  # ℓ_i depends on x_i only, so the sum's gradient is per point
        return -grad  # (n, 2)

    @torch.no_grad()
    def manifold(self, n: int = 13) -> torch.Tensor:
        """Where G maps an n × n grid over z's first two coordinates (others 0): (n, n, 2); (1, n², 2) when nz = 1."""
        c = torch.linspace(-1, 1, n)
        if self.cfg.noise_dim == 1:
            return self.G(torch.linspace(-1, 1, n * n).unsqueeze(1)).view(1, n * n, 2)
        z = torch.zeros(n * n, self.cfg.noise_dim)
        z2, z1 = torch.meshgrid(c, c, indexing="ij")  # row r: z2 fixed, z1 varies along the row
        z[:, 0], z[:, 1] = z1.reshape(-1), z2.reshape(-1)
        return self.G(z).view(n, n, 2)


def check_loss(loss: float) -> None:
    """NaN / inf: one readable sentence (toy runs use no clipping, so SGD with a huge lr can blow up)."""
    if not math.isfinite(loss):
        raise ToyDiverged("The losses stopped being numbers: lower the learning rates and reset.", "toy_err_nan")

