"""Sample quality for the app: a cheap readout of a training run's snapshot, and the GAN studio's full judgement.

Both are thin wrappers around genai_demo.quality.scores (the same scores the CLI prints), tuned for a server that
trains on the same 2 CPU cores:

- ``readout`` is what the Train tab measures every few seconds. quality.live_scores() would also reconstruct
  500 held-out images and take their SSIM in float64 (~1.2 s of CPU per VAE snapshot); the panel only shows
  confidence, classes covered, the histogram, the Fréchet distance and — for VAEs — the held-out negative
  ELBO, which cost ~0.1-0.3 s together.
- Both run on one CPU thread: the Trainer keeps n-1 cores for itself and leaves one for the server, so a
  measurement that spread over two threads would steal its time from the training thread.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from ..data import own_store
from ..i18n import t
from ..models import family
from ..models.base import GenerativeModel
from ..training.native_memory import give_memory_back
from . import scores as quality
from .metrics import neg_elbo
from .report import Report

log = logging.getLogger(__name__)

DATA_NAMES = {"mnist5k": "MNIST-5k", "mnist": "MNIST", "fashion": "Fashion-MNIST"}
# the "recognisable" mark (issue 16): most samples classified with confidence, nearly every class drawn. Real MNIST
# test digits score ~0.98 / 10; the class preset and bench/class.py aim for this mark.
RECOGNISABLE_CONFIDENCE, RECOGNISABLE_CLASSES = 0.8, 9


def recognisable(s: dict) -> bool:
    """Whether a readout() / score_images() result reaches the recognisable mark."""
    return s.get("confidence", 0.0) >= RECOGNISABLE_CONFIDENCE and s.get("classes_covered", 0) >= RECOGNISABLE_CLASSES


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch ops of the calling thread on one core (the setting is per thread: the trainer's is untouched)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def unsupported(data_name: str, lang: str = "en") -> str | None:
    """None when samples of this data set can be judged, else one sentence in `lang` saying why not (a visitor's own
    images: no classifier knows them)."""
    if own_store.is_own(data_name):
        return t("own_q_unjudgeable", lang)
    if data_name not in quality.CLASSIFIER_FOR:
        known = ", ".join(dict.fromkeys(DATA_NAMES[d] for d in quality.CLASSIFIER_FOR))
        return t("q_no_classifier", lang, known=known, data=repr(str(data_name)[:40]))
    try:
        quality.classifier_path(data_name)
    except FileNotFoundError:  # the operator's fix (scripts/train_classifiers.sh) is in the log, not for visitors
        log.warning("no classifier file for %s", data_name, exc_info=True)
        return t("q_unavailable", lang, name=f"classifier_{quality.CLASSIFIER_FOR[data_name]}.safetensors")
    return None


def readout(model: GenerativeModel, data_name: str, n: int = 200, seed: int = 0) -> dict:
    """Scores of n seeded samples of a frozen eval-mode model (quality.score_images without the nearest-neighbour
    search), plus neg_elbo / recon_nats / kl on the held-out images for a VAE or CVAE."""
    with one_thread():
        imgs, labels = quality.sample_images(model, n, seed)
        out = {"kind": model.kind, "seed": seed, **quality.score_images(imgs, data_name, labels, nearest=False)}
        if family(model.kind).group == "vae":  # an ELBO to report
            ref = quality.reference(data_name)
            y = ref.held_y if model.conditional else None
            out.update(neg_elbo(model, ref.held_x, y, torch.Generator(model.device).manual_seed(seed)))
    return out


@dataclass(frozen=True)
class Judgement:
    """What the GAN studio shows of a model's samples: the scores laid out, and the memorisation picture."""

    report: Report  # title, rows (each score beside real images'), class histogram
    nearest: np.ndarray  # (2·30+2, k·30+2) uint8: the k samples closest to a training image above those images


def judge(model: GenerativeModel, data_name: str, n: int = 500, seed: int = 0, k: int = 10, lang: str = "en") -> Judgement:
    """quality.judge() of n seeded samples as a Report, and the memorisation picture: the k samples closest to a
    training image (top row) above those training images (bottom row)."""
    try:
        with one_thread():
            s = quality.judge(model, data_name, n=n, seed=seed)
            return Judgement(Report.of(s, lang), quality.neighbour_pairs(s, s["samples"], k=k))
    finally:  # up to ~90 MB of temporaries at n = 2,000, else kept by this worker thread's malloc arena
        give_memory_back()
