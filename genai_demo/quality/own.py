"""What can be measured on a model trained on a visitor's own images, where no classifier knows the images.

Confidence, class coverage and the Fréchet distance all need a classifier trained on the same kind of images, so
they do not apply. What does:

- memorisation: the mean L2 pixel distance from each sample to its nearest *training* image, beside what the
  visitor's *held-out* images score against the same training images. Samples far closer than held-out images
  are copies (a GAN or VAE that memorised its few dozen images); about as close means new images of the same kind.
- for VAEs, the held-out negative ELBO [KW14] on the visitor's held-out images (nats per image, lower is better),
  the same bound the Train tab's held-out curve shows.

[KW14] Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014. No gradio here.
"""
from __future__ import annotations

import torch

from ..data import own_store
from ..data.datasets import ImageData
from ..models import family
from ..models.base import GenerativeModel
from . import scores
from .live import one_thread
from .metrics import neg_elbo


def nearest_distance(x: torch.Tensor, train: ImageData) -> torch.Tensor:
    """(n, 1, 28, 28) images in [0, 1] → (n,) L2 pixel distance to the nearest training image (≤ 2,000 of them)."""
    g = x.reshape(len(x), -1).float().cpu()  # (n, 784)
    t = train.float_images().reshape(len(train), -1).cpu()  # (N, 784)
    return torch.cdist(g, t).min(1).values  # (n, N) distances → (n,)


def readout(model: GenerativeModel, data_name: str, n: int = 200, seed: int = 0) -> dict:
    """The own-images card's numbers for a frozen eval-mode model: nn_dist (samples) and nn_dist_real (held-out
    images), and for a VAE neg_elbo / recon_nats / kl on the held-out images. ValueError when the data set is gone."""
    e = own_store.STORE.get(data_name)
    if e is None or e.kind != "images":
        raise ValueError("your own images are gone (the page was closed or left idle): upload them again")
    with one_thread():
        imgs, _ = scores.sample_images(model, n, seed)  # (n, 1, 28, 28)
        held = e.test.float_images()  # (M, 1, 28, 28)
        out = {"kind": model.kind, "n": n, "train": len(e.train), "held": len(held),
               "nn_dist": float(nearest_distance(imgs, e.train).mean()),
               "nn_dist_real": float(nearest_distance(held, e.train).mean())}
        if family(model.kind).group == "vae":
            out.update(neg_elbo(model, held, None, torch.Generator(model.device).manual_seed(seed)))
    return out
