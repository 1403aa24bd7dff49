"""The exponential moving average of the weights that the recipe samples from [Yaz19] (training/recipe.py):
w_ema ← d·w_ema + (1 − d)·w after every step. For GANs only G is averaged (D never draws a sample; the saved D is the
live one, so training can go on); G's BatchNorm statistics are re-estimated for the averaged weights, since running
means collected under the live weights do not match the averaged ones.

[Yaz19] Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019 (arXiv:1806.04498).
"""
from __future__ import annotations

import copy

import torch
from torch import nn


def _averaged_part(model: nn.Module) -> nn.Module:
    """What the average covers: G for a GAN (D never draws a sample), the whole model otherwise."""
    return model.G if hasattr(model, "G") else model


@torch.no_grad()
def refresh_batchnorm(g: nn.Module, model, n_batches: int = 50, batch: int = 256, seed: int = 0) -> None:
    """Re-estimate BatchNorm running statistics for G's (averaged) weights: a cumulative mean over fresh noise."""
    bns = [m for m in g.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # None = cumulative average over the batches below
    g.train()
    gen = torch.Generator().manual_seed(seed)
    dev = next(g.parameters()).device
    z_dim = model.config.z_dim
    k = model.config.num_classes if model.conditional else 0
    for _ in range(n_batches):
        z = torch.randn(batch, z_dim, generator=gen).to(dev)  # (batch, z_dim)
        cond = None
        if k:
            cond = torch.nn.functional.one_hot(torch.randint(k, (batch,), generator=gen), k).float().to(dev)  # (batch, K)
        g(z, cond)
    for m, mom in zip(bns, saved, strict=True):
        m.momentum = mom
    g.eval()


def sampler(model, ema_part: nn.Module | None):
    """The model to sample from: a frozen copy whose averaged part holds the EMA weights."""
    out = copy.deepcopy(model)
    if ema_part is not None:
        _averaged_part(out).load_state_dict(ema_part.state_dict())
        refresh_batchnorm(_averaged_part(out), out)
    return out.cpu().eval()


def new_average(model: nn.Module) -> nn.Module:
    """The average starts as a copy of the averaged part's current weights (no gradients of its own)."""
    return copy.deepcopy(_averaged_part(model)).requires_grad_(False)


@torch.no_grad()
def update_average(ema: nn.Module, model: nn.Module, decay: float) -> None:
    """One step of the average; buffers (BatchNorm's running statistics) are copied, not averaged."""
    live = _averaged_part(model)
    for pe, p in zip(ema.parameters(), live.parameters(), strict=True):
        pe.lerp_(p, 1 - decay)  # pe ← decay·pe + (1 − decay)·p
    for be, b in zip(ema.buffers(), live.buffers(), strict=True):
        be.copy_(b)
