"""Image-quality numbers shown beside generated and reconstructed digits.

Reconstruction error (this part): ``mse`` and ``ssim`` on images in [0, 1], for the Latent explorer's
"how well does the VAE reproduce your drawing" readout.

References
  [Wan04] Wang, Bovik, Sheikh & Simoncelli, "Image Quality Assessment: From Error Visibility to
          Structural Similarity", IEEE TIP 13(4), 2004 — SSIM with an 11x11 Gaussian window
          (sigma 1.5), K1 = 0.01, K2 = 0.03, dynamic range L = 1 for [0, 1] images.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

# ---------------------------------------------------------------------------------------------------
# reconstruction error: MSE and SSIM


def _as_batch(img) -> torch.Tensor:
    """(H, W), (1, H, W), (N, 1, H, W) tensor or numpy array → (N, 1, H, W) float64 (uint8 read as /255)."""
    t = torch.as_tensor(img.detach().cpu() if hasattr(img, "detach") else img)
    t = t.double() / 255 if t.dtype == torch.uint8 else t.double()
    if t.ndim == 2:
        t = t[None, None]
    elif t.ndim == 3:
        t = t[:, None]
    if t.ndim != 4 or t.shape[1] != 1:
        raise ValueError(f"expected grey images (H, W), (N, H, W) or (N, 1, H, W), got shape {tuple(t.shape)}")
    return t


def _pair(a, b) -> tuple[torch.Tensor, torch.Tensor]:
    a, b = _as_batch(a), _as_batch(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {tuple(a.shape)} vs {tuple(b.shape)}")
    return a, b


def mse(a, b) -> float:
    """Mean squared pixel error between two images (or batches) in [0, 1]: 0 = identical, 1 = inverted."""
    a, b = _pair(a, b)
    return float(((a - b) ** 2).mean())


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """(1, 1, size, size) normalised Gaussian, the weighting window of [Wan04 §III-C]."""
    x = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]


def ssim(a, b, data_range: float = 1.0) -> float:
    """Mean structural similarity [Wan04 eq. 13] of two images (or batches) in [0, data_range].

    SSIM = (2 mu_a mu_b + C1)(2 s_ab + C2) / ((mu_a^2 + mu_b^2 + C1)(s_a^2 + s_b^2 + C2)), local statistics
    under an 11x11 Gaussian window (sigma 1.5) at every position where it fits ("valid", as in the paper's
    reference code), C1 = (0.01 L)^2, C2 = (0.03 L)^2; averaged over positions and images. 1 = identical.
    """
    a, b = _pair(a, b)
    w = _gaussian_window()
    if min(a.shape[-2:]) < w.shape[-1]:
        raise ValueError(f"images must be at least {w.shape[-1]} px a side for SSIM, got {tuple(a.shape[-2:])}")
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2

    def blur(t):
        return F.conv2d(t, w)  # (N, 1, H - 10, W - 10)

    mu_a, mu_b = blur(a), blur(b)
    var_a = blur(a * a) - mu_a**2  # local variances and covariance, E[x^2] - E[x]^2 under the window
    var_b = blur(b * b) - mu_b**2
    cov = blur(a * b) - mu_a * mu_b
    s = ((2 * mu_a * mu_b + c1) * (2 * cov + c2)) / ((mu_a**2 + mu_b**2 + c1) * (var_a + var_b + c2))
    return float(s.mean())


# ---------------------------------------------------------------------------------------------------
# likelihood: the VAE's held-out negative ELBO (sample scores live in genai_demo/quality/scores.py)


def neg_elbo(model, x: torch.Tensor, y: torch.Tensor | None = None, generator: torch.Generator | None = None,
             batch: int = 1000) -> dict[str, float]:
    """Negative ELBO = recon + KL at beta = 1 (Kingma & Welling 2014, eq. 10), nats per image, averaged over
    x (N, 1, 28, 28) with one z draw per image, using the VAE's own ``loss``; a CVAE bounds -log p(x|y).
    Returns {"neg_elbo", "recon_nats", "kl"}. Call on an eval-mode copy, never the live training model."""
    tot = {"neg_elbo": 0.0, "recon_nats": 0.0, "kl": 0.0}
    with torch.no_grad():
        for i in range(0, len(x), batch):
            xb = x[i:i + batch].to(model.device)
            yb = y[i:i + batch].to(model.device) if y is not None and model.conditional else None
            for k, v in zip(tot, model.loss(xb, yb, beta=1.0, generator=generator), strict=True):
                tot[k] += float(v) * len(xb)
    return {k: v / len(x) for k, v in tot.items()}
