"""R1 gradient penalty for the offline recipe (training/recipe.py): (γ/2)·E‖∇ₓ D(x)‖² over real images [Mes18].

A D that grows steep around the real digits gives G gradients that swing from step to step; R1 keeps D flat on the
data, which Mescheder et al. show makes the game converge locally (and StyleGAN uses it for that). It is a
regulariser on D alone: the articles' losses stay as they are. It runs lazily [Kar20]: every ``every`` steps one
extra D step on the penalty alone, scaled by ``every`` so the average strength is γ.

[Mes18] Mescheder, Geiger & Nowozin, "Which Training Methods for GANs do actually Converge?", ICML 2018
        (arXiv:1801.04406).
[Kar20] Karras et al., "Analyzing and Improving the Image Quality of StyleGAN", CVPR 2020 (arXiv:1912.04958) §B.
No gradio; no state.
"""
from __future__ import annotations

import torch
from torch import nn


def r1_penalty(d: nn.Module, real: torch.Tensor, cond: torch.Tensor | None) -> torch.Tensor:
    """E over the batch of ‖∂D(x)/∂x‖² at the real images x (B, C, H, W), on D's logits; differentiable in D."""
    x = real.detach().requires_grad_(True)
    logits = d(x, cond)  # (B,)
    (grad,) = torch.autograd.grad(logits.sum(), x, create_graph=True)  # (B, C, H, W): each logit's own input gradient
    return grad.pow(2).flatten(1).sum(1).mean()


def r1_step(d: nn.Module, real: torch.Tensor, cond: torch.Tensor | None, gamma: float, every: int,
            opt: torch.optim.Optimizer) -> float:
    """One lazy R1 step on D: minimise every·(γ/2)·R1. Returns the penalty's value (before the step)."""
    penalty = r1_penalty(d, real, cond)
    opt.zero_grad(set_to_none=True)
    (penalty * (gamma / 2 * every)).backward()
    opt.step()
    opt.zero_grad(set_to_none=True)
    return float(penalty.detach())
