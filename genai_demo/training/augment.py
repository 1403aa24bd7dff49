"""Random translations for the offline recipe (training/recipe.py), to get more out of 4,500 training digits.

Two uses, both switchable so their effect can be measured:
  * ``shift(x, k, gen)``: move each image by up to k pixels (zero fill). As data augmentation for a VAE it is
    plain extra data: digits drawn a little off-centre.
  * ``AugmentedD``: differentiable augmentation [Zha20] — D sees every image, real and fake alike, shifted at
    random, so it cannot memorise the few thousand real digits pixel by pixel, and since the same shifts apply to
    G's samples, G is not pushed to draw shifted digits. The losses are unchanged; only D's view of the images.
    With ``cutout`` > 0 each image also loses a random square (side = cutout × the image side, black fill), the
    paper's strongest single augmentation on small data sets.

[Zha20] Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020 (arXiv:2006.10738).
No gradio; no state beyond the generator the caller passes.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def shift(x: torch.Tensor, k: int, gen: torch.Generator) -> torch.Tensor:
    """x (B, C, H, W) → each image translated by its own (dy, dx) in [-k, k]², zero fill; differentiable in x."""
    if k <= 0:
        return x
    B, _, H, W = x.shape
    d = torch.randint(-k, k + 1, (2, B, 1, 1), generator=gen, device=gen.device).to(x.device)  # (2, B, 1, 1)
    rows = (torch.arange(H, device=x.device).view(1, H, 1) - d[0]).clamp(-1, H)  # (B, H, 1) source row per pixel
    cols = (torch.arange(W, device=x.device).view(1, 1, W) - d[1]).clamp(-1, W)  # (B, 1, W)
    padded = F.pad(x, (1, 1, 1, 1))  # (B, C, H+2, W+2): index -1 and H land on the zero border
    b = torch.arange(B, device=x.device).view(B, 1, 1)
    out = padded.permute(0, 2, 3, 1)[b, rows + 1, cols + 1]  # (B, H, W, C): gather, so gradients flow back to x
    return out.permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float, gen: torch.Generator) -> torch.Tensor:
    """x (B, C, H, W) → each image with one square of side ≈ ratio·H set to 0, centred anywhere [Zha20]."""
    if ratio <= 0:
        return x
    B, _, H, W = x.shape
    sh, sw = max(1, int(H * ratio + 0.5)), max(1, int(W * ratio + 0.5))
    top = torch.randint(-(sh // 2), H - sh // 2, (B, 1, 1), generator=gen, device=gen.device).to(x.device)  # (B, 1, 1)
    left = torch.randint(-(sw // 2), W - sw // 2, (B, 1, 1), generator=gen, device=gen.device).to(x.device)
    rows = torch.arange(H, device=x.device).view(1, H, 1)  # (1, H, 1)
    cols = torch.arange(W, device=x.device).view(1, 1, W)  # (1, 1, W)
    hole = (rows >= top) & (rows < top + sh) & (cols >= left) & (cols < left + sw)  # (B, H, W); may overhang edges
    return x * (~hole).unsqueeze(1).to(x.dtype)  # (B, 1, H, W) mask broadcast over channels; differentiable in x


class AugmentedD(nn.Module):
    """Wraps a GAN's D(x, cond): D(shift(x), cond). Hold it as model.D while training; unwrap (``.d``) to save.
    Images arrive in [-1, 1], so the zero fill is mid-grey; fill with -1 (black, the MNIST background) instead."""

    def __init__(self, d: nn.Module, k: int, gen: torch.Generator, cut: float = 0.0):
        super().__init__()
        self.d, self.k, self.gen, self.cut = d, k, gen, cut

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        x = cutout(shift(x + 1, self.k, self.gen), self.cut, self.gen) - 1  # in [0, 2] so both fills are black
        return self.d(x, cond)


class TopKD(nn.Module):
    """Wraps a GAN's D for top-k training [Sin20]: in G's step only the k fakes D finds most real push G, so G is not
    pulled towards the worst samples of its batch; D's own step is unchanged. k starts at the batch size and decays by
    ``gamma`` per epoch down to ``nu`` × the batch. The loss keeps its form (−log D(G(z))): the other fakes' logits
    are detached, and the kept ones scaled so the gradient is that of the mean over the k alone.

    G's step is told apart by its input: the fakes there carry G's graph; D's step sees detached fakes and reals.
    [Sin20] Sinha et al., "Top-k Training of GANs: Improving GAN Performance by Throwing Away Bad Samples",
    NeurIPS 2020 (arXiv:2002.06224)."""

    def __init__(self, d: nn.Module, nu: float, gamma: float = 0.99):
        super().__init__()
        self.d, self.nu, self.gamma, self.keep = d, nu, gamma, 1.0

    def set_epoch(self, epoch: float) -> None:
        self.keep = max(self.nu, self.gamma ** epoch)  # share of the batch kept

    def forward(self, x: torch.Tensor, cond: torch.Tensor | None = None) -> torch.Tensor:
        logits = self.d(x, cond)  # (B,)
        if not x.requires_grad or self.keep >= 1.0:
            return logits
        B = logits.shape[0]
        k = max(1, int(round(self.keep * B)))
        kept = torch.zeros(B, dtype=torch.bool, device=logits.device)
        kept[logits.detach().topk(k).indices] = True  # the k fakes D scores highest
        scale = B / k  # mean over B of the kept terms ×B/k = their mean over k, in gradient; the value stays the same
        return torch.where(kept, logits * scale - logits.detach() * (scale - 1), logits.detach())
