"""A small CNN that names the class of a 28×28 image: the measuring instrument for sample quality.

It is not generative. It lives in the model registry (kind "classifier") only so that it trains on the
same Trainer / CLI and ships in the same safetensors checkpoint format as the generative families:

    python -m genai_demo.train --model classifier --data mnist5k --steps 1500 --lr 2e-3 --batch-size 128 \
        --out checkpoints/classifier_mnist5k.safetensors

genai_demo/quality/scores.py then reads its class probabilities (confidence, class coverage, mode collapse) and
its penultimate-layer features (a Fréchet distance, as FID does with Inception features [Heu17]).

References
  [LeC98] LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document Recognition",
          Proc. IEEE 1998 (conv → pool → conv → pool → fully connected).
  [HMD19] Hendrycks, Mazeika & Dietterich, "Deep Anomaly Detection with Outlier Exposure", ICLR 2019:
          train the classifier to be *uncertain* (uniform softmax) on images that are no class at all.
          Without it, a CNN calls uniform noise a "8" with 99.9 % confidence, and an untrained GAN's
          noise would score as well as real digits.
  [Heu17] Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
          Equilibrium", NeurIPS 2017 (the Fréchet Inception Distance).
"""
from __future__ import annotations

import dataclasses

import torch
import torch.nn.functional as F
from torch import nn

from .base import GenerativeModel, Hyper, randint
from .family import Family


@dataclasses.dataclass
class ClassifierConfig:
    channels1: int = 16  # filters of the first 3×3 conv (28×28 → pooled 14×14)
    channels2: int = 32  # filters of the second 3×3 conv (14×14 → pooled 7×7)
    features: int = 48  # width of the penultimate layer: the feature vector of the Fréchet distance
    num_classes: int = 10
    shift: int = 2  # training only: random translation of up to ± shift pixels (4,500 digits overfit without it)
    outliers: int = 32  # training only: noise images per batch taught to give a uniform softmax [HMD19]

    def __post_init__(self):
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            low = 0 if f.name in ("shift", "outliers") else 1
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"ClassifierConfig.{f.name} must be an integer ≥ {low}, got {value!r}")


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator | None) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift], filling with black.

    x: (B, 1, H, W). Pad by max_shift, then crop an H×W window at a random offset per image (one gather).
    """
    if max_shift == 0:
        return x
    b, _, h, w = x.shape
    s = max_shift
    padded = F.pad(x, (s, s, s, s))  # (B, 1, H + 2s, W + 2s)
    off = randint(2 * s + 1, 2 * b, generator, x.device).view(2, b)  # (2, B) crop offsets
    rows = (off[0][:, None] + torch.arange(h, device=x.device))  # (B, H)
    cols = (off[1][:, None] + torch.arange(w, device=x.device))  # (B, W)
    idx = rows[:, :, None] * (w + 2 * s) + cols[:, None, :]  # (B, H, W) flat index into the padded image
    return padded.flatten(1).gather(1, idx.flatten(1)).view(b, 1, h, w)


def outlier_images(n: int, generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    """(n, 1, 28, 28) images that belong to no class: a third each of uniform noise, blurry blobs (7×7 noise
    upscaled, contrast stretched: like an untrained VAE / GAN) and sparse specks."""
    where = generator.device if generator is not None else device
    u = torch.rand((n, 1, 28, 28), generator=generator, device=where).to(device)
    low = torch.rand((n, 1, 7, 7), generator=generator, device=where).to(device)
    blobs = ((F.interpolate(low, size=28, mode="bilinear", align_corners=False) - 0.5) * 3 + 0.5).clamp(0, 1)
    which = randint(3, n, generator, device).view(n, 1, 1, 1)
    return torch.where(which == 0, u, torch.where(which == 1, blobs, (u > 0.85).float()))


class Classifier(GenerativeModel):
    """conv3×3(16) → ReLU → pool → conv3×3(32) → ReLU → pool → linear(48) → ReLU → linear(10) [LeC98]."""

    kind = "classifier"
    Config = ClassifierConfig
    conditional = False
    output = "image"  # the modality it reads: the Trainer checks the data set against it
    family = Family("Classifier", group="classifier", data="mnist5k", lr=2e-4)  # CLI only: the quality meter's instrument

    def __init__(self, config: ClassifierConfig | None = None):
        super().__init__(config if config is not None else self.Config())
        c = self.config
        self.body = nn.Sequential(
            nn.Conv2d(1, c.channels1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # (B, 1, 28, 28) → (B, C1, 14, 14)
            nn.Conv2d(c.channels1, c.channels2, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # → (B, C2, 7, 7)
            nn.Flatten(),  # → (B, C2 * 49)
            nn.Linear(c.channels2 * 49, c.features), nn.ReLU(),  # → (B, F): the features
        )
        self.head = nn.Linear(c.features, c.num_classes)  # → (B, 10) logits

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    # ---- what quality.py reads ------------------------------------------------------------------
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 1, 28, 28) in [0, 1] → (N, num_classes) logits."""
        return self.head(self.body(x.reshape(-1, 1, 28, 28)))

    @torch.no_grad()
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 1, 28, 28) in [0, 1] → (N, features), the penultimate layer (post-ReLU)."""
        return self.body(x.reshape(-1, 1, 28, 28).to(self.device))

    @torch.no_grad()
    def probs(self, x: torch.Tensor) -> torch.Tensor:
        """x: (N, 1, 28, 28) in [0, 1] → (N, num_classes) softmax probabilities."""
        return F.softmax(self.logits(x.to(self.device)), dim=1)

    # ---- GenerativeModel contract (training only) ----------------------------------------------
    def make_optimizers(self, hp: Hyper) -> dict[str, torch.optim.Optimizer]:
        return {"model": torch.optim.Adam(self.parameters(), lr=hp.lr, fused=self.device.type in ("cpu", "cuda"))}

    def train_step(self, x, y, opts, hp: Hyper, generator) -> dict[str, float]:
        """Cross-entropy on a randomly shifted batch, plus cross-entropy to the uniform distribution on
        outlier images [HMD19 eq. 1, lambda = 0.5]; reports the loss and the batch accuracy on real images."""
        self.train()
        b, k = x.shape[0], self.config.outliers
        if k:
            x = torch.cat([x, outlier_images(k, generator, x.device)])
        logits = self.logits(random_shift(x, self.config.shift, generator))  # (B + k, C)
        loss = F.cross_entropy(logits[:b], y)
        if k:
            loss = loss - 0.5 * F.log_softmax(logits[b:], dim=1).mean()  # CE(uniform, p), averaged over outliers
        logits = logits[:b]
        opt = opts["model"]
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        acc = (logits.detach().argmax(1) == y).float().mean()
        loss_v, acc_v = torch.stack([loss.detach(), acc]).tolist()  # one device sync
        return {"loss": loss_v, "acc": acc_v}

    @torch.no_grad()
    def evaluate(self, data, generator: torch.Generator) -> dict[str, float]:
        """Held-out accuracy on (at most) 2,000 evenly spaced test images, at snapshot time."""
        idx = torch.linspace(0, len(data) - 1, min(len(data), 2000)).long()
        x, y = data.float_images(idx), data.y[idx]
        return {"val_acc": float((self.logits(x.to(self.device)).argmax(1).cpu() == y.cpu()).float().mean())}

    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError("a classifier cannot generate images: it only scores them (see genai_demo.quality.scores)")

    def preview(self, n: int, generator: torch.Generator) -> str:
        """The Trainer publishes a preview at every snapshot; a classifier has no images to show."""
        return ""
