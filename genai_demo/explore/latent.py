"""Latent-space maths behind the Latent explorer and GAN studio tabs: decode, encode, walk, sample.

Pure torch, no gradio: the tabs only lay out components and call these. Every function takes a frozen,
eval-mode model (a shipped checkpoint or a run's published copy) and never changes its mode or weights.
Images come back as (N, 1, 28, 28) float tensors in [0, 1], the models' own output format.

Expensive per-model results (the held-out latent means, the decoded manifold) are cached in a small
bounded dict keyed by (what, id(model), model step, parameters), so dragging a slider never recomputes
them. An entry also keeps a weak reference to its model and counts only if that very object is still
alive: Python reuses the ids of freed objects, and a run publishes a fresh copy every few hundred steps.

References
  [KW14] Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014 — Fig. 4 decodes a regular
         grid of z through the inverse Normal CDF; the Keras "Variational AutoEncoder" example draws
         the same 2-D manifold next to the scatter of encoded test digits.
  [Sho85] Shoemake, "Animating Rotation with Quaternion Curves", SIGGRAPH 1985 (slerp);
  [Whi16] White, "Sampling Generative Networks", arXiv:1609.04468 — why slerp suits Gaussian latents:
          a straight line between two draws passes through low-norm z a Gaussian rarely produces.
"""
from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..data import images
from ..data.datasets import load_dataset
from ..data.own_store import is_own
from ..models import MODELS, family
from ..quality.metrics import mse, ssim
from . import plots

CACHE_SIZE = 16  # entries; a latent map is 500x2 floats and a manifold 225 small images: a few MB in all

_cache: OrderedDict[tuple, tuple[weakref.ref, Any]] = OrderedDict()
_cache_lock = threading.Lock()


def cached(model, step: int, what: tuple, compute: Callable[[], Any]) -> Any:
    """compute() once per (what, model object, step); later calls return the very same object (don't mutate it)."""
    key = (what, id(model), int(step))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0]() is model:
            _cache.move_to_end(key)
            return hit[1]
    value = compute()  # outside the lock: two visitors may compute the same thing once each, never block each other
    with _cache_lock:
        _cache[key] = (weakref.ref(model), value)
        _cache.move_to_end(key)
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)  # least recently used
    return value


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


# ---------------------------------------------------------------------------------------------------
# checks and small conversions


def is_vae(model) -> bool:
    """A VAE or CVAE (its family's spec says so): a decoder from z and an encoder to it."""
    kind = getattr(model, "kind", None)
    return kind in MODELS and family(kind).group == "vae"


def z_dim(model) -> int:
    """Size of the model's latent/noise vector: VAE latent_dim or GAN z_dim."""
    c = model.config
    return int(getattr(c, "latent_dim", None) or c.z_dim)


def require_2d_vae(model) -> None:
    if not is_vae(model) or z_dim(model) != 2:
        raise ValueError(f"the latent explorer needs a VAE or CVAE with a 2-D latent space, not a {model.kind}")


def _labels(model, labels, n: int) -> torch.Tensor | None:
    """None for unconditional models; else (n,) int64 labels from an int or a sequence (an int is repeated)."""
    if not model.conditional:
        return None
    if labels is None:
        raise ValueError(f"the {model.kind.upper()} is class-conditioned: choose a class")
    y = torch.as_tensor(labels, dtype=torch.long).reshape(-1)
    if y.numel() == 1:
        y = y.expand(n)
    k = model.config.num_classes
    if y.shape != (n,) or y.min() < 0 or y.max() >= k:
        raise ValueError(f"labels must be {n} class numbers in 0..{k - 1}, got {labels!r}")
    return y


@torch.no_grad()
def generate(model, z: torch.Tensor, labels=None) -> torch.Tensor:
    """Images for given latents/noise z (N, D), for a VAE/CVAE decoder or a GAN/CGAN/DCGAN generator."""
    z = torch.as_tensor(z, dtype=torch.float32).reshape(-1, z_dim(model))  # (N, D)
    y = _labels(model, labels, len(z))
    if is_vae(model):
        return model.decode(z, y)  # (N, 1, 28, 28) Bernoulli means in [0, 1]
    cond = None if y is None else F.one_hot(y, model.config.num_classes).float()  # (N, K) as in training [MO14]
    return ((model.G(z, cond) + 1) / 2).clamp(0, 1)  # G's Tanh range [-1, 1] → [0, 1]


def decode(model, z, labels=None) -> torch.Tensor:
    """Decode latent points z (N, 2) (any array-like) → (N, 1, 28, 28) images in [0, 1]."""
    require_2d_vae(model)
    return generate(model, z, labels)


@torch.no_grad()
def encode_image(model, img, label=None) -> torch.Tensor:
    """One image (1, 28, 28) or (28, 28) in [0, 1] → its posterior mean mu (2,) (no sampling noise)."""
    require_2d_vae(model)
    x = torch.as_tensor(img, dtype=torch.float32).reshape(1, 1, 28, 28)
    mu, _ = model.encode(x, _labels(model, label, 1))  # (1, 2)
    return mu[0]


def reconstruct(model, img, label=None) -> tuple[torch.Tensor, float, float]:
    """Encode to mu, decode back: (recon (1, 28, 28), MSE, SSIM) — how well the 2-D bottleneck keeps the image."""
    x = torch.as_tensor(img, dtype=torch.float32).reshape(1, 28, 28)
    recon = decode(model, encode_image(model, x, label)[None], label)[0]  # (1, 28, 28)
    return recon, mse(recon, x), ssim(recon, x)


# ---------------------------------------------------------------------------------------------------
# the latent plane: held-out means and the decoded manifold


def latent_map(model, data, n: int = 500, step: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Posterior means of the first n held-out images: (mu (N, 2) float32, labels (N,) int64), cached.

    data: an ImageData split. The CVAE encodes each image with its true label, so its map shows
    style only (the class lives in the label), a nice contrast to the VAE's clustered classes.
    """
    require_2d_vae(model)

    @torch.no_grad()
    def compute():
        x, y = data.float_images(slice(0, n)), data.y[:n].cpu()  # (N, 1, 28, 28), (N,)
        mu, _ = model.encode(x, y if model.conditional else None)  # (N, 2)
        out = mu.cpu().numpy().astype(np.float32), y.numpy().astype(np.int64)
        for a in out:
            a.flags.writeable = False  # shared by every visitor
        return out

    return cached(model, step, ("latent_map", data.name, len(data), n), compute)


def grid_axis(grid: int, span: float, spacing: str = "linear") -> torch.Tensor:
    """(grid,) latent coordinates from -span to +span.

    "linear": evenly spaced (pixels map linearly to z, so a scatter can be drawn on top);
    "quantile": Normal quantiles Phi^-1(p) for p evenly spaced between Phi(-span) and Phi(span) [KW14
    Fig. 4], so each row/column covers the same prior probability and the dense centre gets more cells.
    """
    if spacing == "linear":
        return torch.linspace(-span, span, grid)
    if spacing == "quantile":
        p = torch.special.ndtr(torch.tensor(float(span), dtype=torch.float64))  # Phi(span)
        return torch.special.ndtri(torch.linspace(1 - float(p), float(p), grid, dtype=torch.float64)).float()
    raise ValueError(f"spacing must be 'linear' or 'quantile', got {spacing!r}")


def manifold_extent(grid: int, span: float) -> float:
    """Half-width in z of a linear manifold picture: cell centres sit at ±span, the picture edges half a cell out."""
    return span * grid / (grid - 1) if grid > 1 else span


def manifold(model, grid: int = 15, span: float = 3.0, label=None, spacing: str = "linear", step: int = 0) -> torch.Tensor:
    """Decode a grid x grid lattice of z: (grid², 1, 28, 28), row-major, top row z2 = +span, left column z1 = -span.

    make_grid(result, nrow=grid, pad=0) is then the picture of the latent plane (z2 pointing up). Cached.
    """
    require_2d_vae(model)
    if not 2 <= grid <= 40 or not 0 < span <= 10:
        raise ValueError(f"manifold grid must be 2..40 and span in (0, 10], got {grid}, {span}")

    def compute():
        axis = grid_axis(grid, span, spacing)  # (grid,)
        z1, z2 = torch.meshgrid(axis, axis.flip(0), indexing="xy")  # (grid, grid) each; row i has z2 = axis[-1-i]
        z = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)  # (grid², 2)
        return generate(model, z, label)

    return cached(model, step, ("manifold", grid, float(span), spacing, label), compute)


def held_out(name: str):
    """The held-out split of a data set (the map's dots come from images the model never trained on); a visitor's
    own images come from their store each time (tiny, and never kept here after they leave)."""
    return load_dataset(name, "test") if is_own(name) else _held_out(name)


@functools.lru_cache(maxsize=4)
def _held_out(name: str):
    return load_dataset(name, "test")


def map_picture(model, data, label=None, show_points: bool = True, grid: int = 20, extent: float = 4.0, step: int = 0,
                classes: list[str] | None = None):
    """The latent plane as a picture: decoded manifold covering z in [-extent, extent]^2, held-out means on top.
    classes: the legend's names (default the data set's; the UI passes them in the visitor's language).

    Returns (PIL image, plots.MapGeometry), cached; draw markers on a copy with plots.with_markers.
    """
    span = extent * (grid - 1) / grid  # cell centres at ±span put the picture's edges at ±extent

    def compute():
        pic = images.make_grid(manifold(model, grid, span, label, step=step), nrow=grid, pad=0)  # (28 grid, 28 grid)
        mu, y = latent_map(model, data, step=step) if show_points else (None, None)
        return plots.map_base(pic, extent, mu, y, names)

    names = list(classes or data.classes)
    return cached(model, step, ("map_picture", data.name, label, show_points, grid, float(extent), tuple(names)), compute)


# ---------------------------------------------------------------------------------------------------
# interpolation


def lerp(a: torch.Tensor, b: torch.Tensor, t: float | torch.Tensor) -> torch.Tensor:
    """Straight line (1 - t) a + t b."""
    return torch.lerp(a, b, torch.as_tensor(t, dtype=a.dtype))


def slerp(a: torch.Tensor, b: torch.Tensor, t: float, eps: float = 1e-6) -> torch.Tensor:
    """Spherical interpolation [Sho85]: along the great circle from a to b (vectors (D,)).

    sin((1-t) W)/sin W a + sin(t W)/sin W b, W the angle between a and b. Keeps the norm when |a| = |b|,
    so a walk between two Gaussian draws stays where the prior has its mass [Whi16]. Falls back to lerp
    for (anti)parallel vectors, where the great circle is undefined.
    """
    a64, b64 = a.double(), b.double()
    cos = torch.dot(a64, b64) / (a64.norm() * b64.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1, 1))
    so = torch.sin(omega)
    if so.abs() < eps:
        return lerp(a, b, t)
    return ((torch.sin((1 - t) * omega) / so) * a64 + (torch.sin(t * omega) / so) * b64).to(a.dtype)


def interpolate(a, b, steps: int, mode: str = "lerp") -> torch.Tensor:
    """steps points from a to b inclusive: (steps, D)."""
    if mode not in ("lerp", "slerp"):
        raise ValueError(f"mode must be 'lerp' or 'slerp', got {mode!r}")
    if not 2 <= steps <= 64:
        raise ValueError(f"steps must be between 2 and 64, got {steps}")
    a, b = torch.as_tensor(a, dtype=torch.float32).reshape(-1), torch.as_tensor(b, dtype=torch.float32).reshape(-1)
    f = lerp if mode == "lerp" else slerp
    return torch.stack([f(a, b, float(t)) for t in torch.linspace(0, 1, steps)])


def seed_noise(model, seed: int) -> torch.Tensor:
    """The noise vector a seed names, (D,): one draw of N(0, I) from torch.Generator().manual_seed(seed)."""
    g = torch.Generator().manual_seed(int(seed))
    return torch.randn(1, z_dim(model), generator=g)[0]


def latent_walk(model, seed_a: int, seed_b: int, steps: int = 10, mode: str = "lerp", label=None) -> torch.Tensor:
    """Images along the path between the noise of two seeds: (steps, 1, 28, 28). Works for GANs and VAEs."""
    z = interpolate(seed_noise(model, seed_a), seed_noise(model, seed_b), steps, mode)  # (steps, D)
    return generate(model, z, label)


# ---------------------------------------------------------------------------------------------------
# sampling


def class_rows(per_class: int, num_classes: int = 10) -> torch.Tensor:
    """Labels for a grid with one row per class: [0]*per_class + [1]*per_class + …, (num_classes * per_class,)."""
    return torch.arange(num_classes).repeat_interleave(per_class)


def samples(model, n: int, seed: int, labels: int | Sequence[int] | torch.Tensor | None = None) -> torch.Tensor:
    """n samples from the prior with a seeded generator (reproducible): (n, 1, 28, 28) in [0, 1].

    labels: a class (int, repeated), n classes, or None (a conditional model then draws classes uniformly).
    """
    if not 1 <= n <= 400:
        raise ValueError(f"n must be between 1 and 400, got {n}")
    y = _labels(model, labels, n) if labels is not None else None
    return model.sample(n, generator=torch.Generator().manual_seed(int(seed)), labels=y)
