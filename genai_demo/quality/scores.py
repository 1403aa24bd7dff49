"""How good are generated images? Scores from a small classifier, a Fréchet distance, a memorisation check
and, for VAEs, the held-out negative ELBO. No gradio here: the CLI (genai_demo.evaluate), the app and the
benchmarks all call the same functions.

Every score comes with what *real* images of the same data set get, because a bare number means nothing
to a student: a Fréchet distance of 4 is only "good" next to the 1.5 that real-vs-real scores with the
same number of images.

References
  [Heu17] Heusel et al., "GANs Trained by a Two Time-Scale Update Rule Converge to a Local Nash
          Equilibrium", NeurIPS 2017 — the Fréchet distance between Gaussians fitted to features:
          FD = |mu1 - mu2|^2 + tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2).
  [Sal16] Salimans et al., "Improved Techniques for Training GANs", NeurIPS 2016 — judging samples
          with a pretrained classifier (confident predictions, all classes present).
  [KW14]  Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014 — the ELBO.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ..data.datasets import load_dataset
from ..models import MODELS, family, kinds
from ..models.base import GenerativeModel
from ..models.classifier import Classifier
from ..training.checkpoints import load_checkpoint
from .metrics import mse, neg_elbo, ssim

CLASS_SHARE = 0.05  # a class counts as "covered" when at least 5 % of the samples fall in it
REF_MAX = 2000  # held-out images in the Fréchet reference (Fashion's 10k test set is subsampled, fixed seed)
RECON_MAX = 500  # held-out images reconstructed for MSE / SSIM (the ELBO uses all REF_MAX)
CLASSIFIER_FOR = {"mnist5k": "mnist5k", "mnist": "mnist5k", "fashion": "fashion"}  # full MNIST reuses MNIST-5k's
_CACHE_SIZE = 4  # data sets kept warm at once (classifier + reference features); oldest evicted first


def classifier_path(data_name: str) -> Path:
    """checkpoints/classifier_<data>.safetensors, looked up in $GENAI_DEMO_CHECKPOINTS first, then the repo."""
    from ..training.zoo import checkpoint_dir  # read per call: tests point the env var at a temp dir

    if data_name not in CLASSIFIER_FOR:
        raise ValueError(f"no quality classifier for data set {data_name!r}; available: {', '.join(CLASSIFIER_FOR)}")
    name = f"classifier_{CLASSIFIER_FOR[data_name]}.safetensors"
    for d in (checkpoint_dir(), Path(__file__).resolve().parents[2] / "checkpoints"):
        if (d / name).is_file():
            return d / name
    raise FileNotFoundError(f"{name} not found in checkpoints/: train it with scripts/train_classifiers.sh")


# ---------------------------------------------------------------------------------------------------
# cached per data set: the classifier and everything computed once on real images


@dataclass
class Reference:
    """What real images of one data set score; built once per data set and shared read-only."""

    data: str
    classes: list[str]
    clf: Classifier
    train_x: torch.Tensor  # (N, 784) uint8: the training split, for the nearest-neighbour search
    train_sq: torch.Tensor  # (N,) float32 squared L2 norms of the training images in [0, 1]
    held_x: torch.Tensor  # (M, 1, 28, 28) float32, M ≤ REF_MAX held-out images
    held_y: torch.Tensor  # (M,) int64
    held_mu: np.ndarray  # (F,) mean of the held-out features
    held_cov: np.ndarray  # (F, F) covariance of the held-out features
    real: dict  # scores of the held-out images themselves (confidence, classes covered; nn distance when asked)
    baselines: dict  # n -> Fréchet distance of n training images vs the held-out reference


_refs: OrderedDict[str, Reference] = OrderedDict()
_refs_lock = threading.Lock()


def reference(data_name: str) -> Reference:
    """The cached Reference for a data set (lazy: first call loads data + classifier, ~1 s)."""
    with _refs_lock:
        if data_name in _refs:
            _refs.move_to_end(data_name)
            return _refs[data_name]
        clf, _ = load_checkpoint(classifier_path(data_name), expected_kind="classifier")
        clf.requires_grad_(False)
        train, test = load_dataset(data_name, "train"), load_dataset(data_name, "test")
        keep = torch.arange(len(test))
        if len(test) > REF_MAX:
            keep = torch.randperm(len(test), generator=torch.Generator().manual_seed(0))[:REF_MAX].sort().values
        held_x = test.float_images(keep)
        train_x = train.x.reshape(len(train), -1)
        train_sq = torch.cat([c.float().div_(255).pow_(2).sum(1) for c in train_x.split(8192)])
        feats = features(clf, held_x)
        ref = Reference(data_name, list(train.classes), clf, train_x, train_sq, held_x, test.y[keep],
                        *gaussian_stats(feats), {}, {})
        probs = clf.probs(held_x)
        ref.real = {**class_scores(probs), "acc": float((probs.argmax(1) == ref.held_y).float().mean())}
        _refs[data_name] = ref
        while len(_refs) > _CACHE_SIZE:
            _refs.popitem(last=False)
        return ref


def real_baseline(ref: Reference, n: int) -> float:
    """Fréchet distance of n real *training* images vs the held-out reference: what a perfect generator
    scores with the same sample size (FD is biased upwards for small n, so compare like with like)."""
    n = min(n, len(ref.train_x))
    if n not in ref.baselines:
        idx = torch.randperm(len(ref.train_x), generator=torch.Generator().manual_seed(1))[:n]
        x = ref.train_x[idx].float().div_(255).view(-1, 1, 28, 28)
        ref.baselines[n] = frechet_distance(*gaussian_stats(features(ref.clf, x)), ref.held_mu, ref.held_cov)
    return ref.baselines[n]


# ---------------------------------------------------------------------------------------------------
# the measurements (plain functions: tests and benchmarks call them directly)


def features(clf: Classifier, x: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """(N, 1, 28, 28) → (N, F) penultimate-layer features, in batches to bound memory."""
    return torch.cat([clf.features(c) for c in x.split(batch)]).cpu()


def gaussian_stats(f: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Mean (F,) and covariance (F, F) of (N, F) features, in float64."""
    a = f.double().numpy()
    return a.mean(0), np.cov(a, rowvar=False)


def _sqrt_psd(m: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((m + m.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1: np.ndarray, cov1: np.ndarray, mu2: np.ndarray, cov2: np.ndarray) -> float:
    """FD between N(mu1, cov1) and N(mu2, cov2) [Heu17]; tr((S1 S2)^1/2) taken as tr((S1^1/2 S2 S1^1/2)^1/2),
    which is symmetric PSD, so a symmetric eigendecomposition is enough (no scipy.linalg.sqrtm)."""
    s1 = _sqrt_psd(cov1)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(s1 @ cov2 @ s1), 0, None)).sum()
    return float(max(((mu1 - mu2) ** 2).sum() + np.trace(cov1) + np.trace(cov2) - 2 * cross, 0.0))


def class_scores(probs: torch.Tensor) -> dict:
    """Classifier confidence and class coverage of (N, C) probabilities [Sal16]."""
    pred = probs.argmax(1)
    hist = torch.bincount(pred, minlength=probs.shape[1])
    return {"confidence": float(probs.max(1).values.mean()), "histogram": hist.tolist(),
            "classes_covered": int((hist >= CLASS_SHARE * len(pred)).sum())}


def _nearest(ref: Reference, x: torch.Tensor, chunk: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
    """L2 pixel distance from each image to its nearest training image, and that image's index."""
    g = x.reshape(len(x), -1).float().cpu()  # (n, 784)
    best_d = torch.full((len(g),), float("inf"))
    best_i = torch.zeros(len(g), dtype=torch.long)
    g_sq = g.pow(2).sum(1, keepdim=True)  # (n, 1)
    for start in range(0, len(ref.train_x), chunk):
        t = ref.train_x[start:start + chunk].float().div_(255)  # (c, 784)
        d2 = g_sq + ref.train_sq[start:start + chunk] - 2 * g @ t.T  # (n, c): |g|^2 + |t|^2 - 2 g.t
        d, i = d2.min(1)
        better = d < best_d
        best_d[better], best_i[better] = d[better], i[better] + start
    # the expansion above cancels badly near 0: recompute the winners exactly (a copy then scores 0.0)
    exact = (g - ref.train_x[best_i].float().div_(255)).norm(dim=1)
    return exact, best_i


def nearest_training(x: torch.Tensor, data_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(n,) distances and (n,) indices of each image's nearest training image; show them with training_images()."""
    return _nearest(reference(data_name), x)


def training_images(data_name: str, idx) -> np.ndarray:
    """(k, 28, 28) uint8 training images at `idx` (e.g. the nearest neighbours), for display."""
    return reference(data_name).train_x[torch.as_tensor(idx).long()].view(-1, 28, 28).numpy()


def vae_scores(model: GenerativeModel, data_name: str, seed: int = 0) -> dict[str, float]:
    """Held-out negative ELBO (nats, up to REF_MAX images) and reconstruction MSE / SSIM through the posterior
    mean (first RECON_MAX of them)."""
    ref = reference(data_name)
    x, y = ref.held_x, ref.held_y if model.conditional else None
    out = neg_elbo(model, x, y, torch.Generator(model.device).manual_seed(seed))
    x, y = x[:RECON_MAX], None if y is None else y[:RECON_MAX]  # SSIM runs in float64: bound its cost
    dev = model.device
    with torch.no_grad():  # posterior mean, no noise: the reconstruction the Latent tab shows
        rec = torch.cat([model.reconstruct(x[i:i + 1000].to(dev), None if y is None else y[i:i + 1000].to(dev)).cpu()
                         for i in range(0, len(x), 1000)])
    return {**out, "recon_mse": mse(rec, x), "recon_ssim": ssim(rec, x)}


def score_images(images: torch.Tensor, data_name: str, labels: torch.Tensor | None = None,
                 nearest: bool = True) -> dict:
    """All image scores for (N, 1, 28, 28) images in [0, 1] (e.g. a grid the UI already shows)."""
    ref = reference(data_name)
    x = torch.as_tensor(images).float().reshape(-1, 1, 28, 28).clamp(0, 1).cpu()
    probs = ref.clf.probs(x)
    out = {"data": data_name, "n": len(x), "class_names": ref.classes, **class_scores(probs),
           "real_confidence": ref.real["confidence"], "real_classes_covered": ref.real["classes_covered"]}
    if len(x) > ref.held_mu.shape[0]:  # a covariance needs more samples than feature dimensions
        out["frechet"] = frechet_distance(*gaussian_stats(features(ref.clf, x)), ref.held_mu, ref.held_cov)
        out["frechet_real"] = real_baseline(ref, len(x))
    if labels is not None:  # conditional models: does the classifier agree with the requested class?
        out["label_acc"] = float((probs.argmax(1) == torch.as_tensor(labels).cpu()).float().mean())
    if nearest:
        if "nn_dist" not in ref.real:  # what new real images score: held-out vs train (lazy: 60k images is slow)
            ref.real["nn_dist"] = float(_nearest(ref, ref.held_x[:500])[0].mean())
        d, i = _nearest(ref, x)
        out.update(nn_dist=float(d.mean()), nn_dist_min=float(d.min()), nn_index=i.tolist(), nn_dists=d.tolist(),
                   nn_dist_real=ref.real["nn_dist"])
    return out


def _check_model(model: GenerativeModel) -> None:
    if getattr(model, "kind", None) not in MODELS or not family(model.kind).quality:  # its spec: models/<family>.py
        raise ValueError(f"quality scores need an image generator ({', '.join(kinds(quality=True))}), "
                         f"not a {getattr(model, 'kind', type(model).__name__)!r} model")
    if model.training:  # sampling a train-mode model would also update BatchNorm statistics
        raise ValueError("judge an eval-mode copy (Trainer.snapshot().model or a loaded checkpoint), not the live model")


def sample_images(model: GenerativeModel, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor | None]:
    """n samples (N, 1, 28, 28) on the CPU; conditional models get balanced labels 0, 1, …, 9, 0, …"""
    _check_model(model)
    g = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % model.config.num_classes if model.conditional else None
    with torch.no_grad():
        return model.sample(n, generator=g, labels=None if labels is None else labels.to(model.device)).cpu(), labels


def judge(model: GenerativeModel, data_name: str, n: int = 500, seed: int = 0, nearest: bool = True) -> dict:
    """Sample n images with a seeded generator and score them; VAEs also get held-out ELBO and reconstructions."""
    imgs, labels = sample_images(model, n, seed)
    out = {"kind": model.kind, "seed": seed, **score_images(imgs, data_name, labels, nearest=nearest)}
    if family(model.kind).group == "vae":  # an ELBO to report
        out.update(vae_scores(model, data_name, seed))
    out["samples"] = (imgs[:, 0] * 255).round().to(torch.uint8).numpy()  # (n, 28, 28) for display
    return out


_live: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_live_lock = threading.Lock()


def live_scores(model: GenerativeModel, data_name: str, n: int = 200, seed: int = 0) -> dict:
    """Cheap scores of a frozen snapshot copy for a live readout (no nearest-neighbour search), memoised per
    model object: a UI tick can call it every time and only pays (~0.1 s) when a new snapshot appears."""
    with _live_lock:
        hit = _live.get(model)
    if hit is not None and hit[0] == (data_name, n, seed):
        return hit[1]
    out = judge(model, data_name, n=n, seed=seed, nearest=False)
    out.pop("samples")
    with _live_lock:
        _live[model] = ((data_name, n, seed), out)
    return out


# ---------------------------------------------------------------------------------------------------
# the memorisation picture (the scores as a table: genai_demo/quality/report.py)


def neighbour_pairs(s: dict, images: torch.Tensor | np.ndarray, k: int = 10) -> np.ndarray:
    """A uint8 picture for the memorisation check: the k samples closest to a training image (top row) above
    those training images (bottom row). `images` are the scored samples; needs score_images(nearest=True)."""
    from ..data.images import make_grid, to_uint8

    order = sorted(range(len(s["nn_index"])), key=lambda j: s["nn_dists"][j])[:k]
    samples = to_uint8(images).reshape(-1, 28, 28)[order]  # (k, 28, 28)
    return make_grid(np.concatenate([samples, training_images(s["data"], [s["nn_index"][j] for j in order])]), nrow=len(order))
