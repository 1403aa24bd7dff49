"""What an exported script runs besides the model classes: data loading, the training loop, sampling, a PNG writer.

These are real functions of the package (tests call them), and ``script.py`` copies their source into the exported
file, so the export cannot drift from them. Rules for this file: only torch, numpy and the standard library, no
imports from the package (but mnist5k_held_out, whose source is copied too), and every name a function needs is a
parameter or another function listed in ``script.HELPERS`` — except ``main()``, which reads the settings the
exported script writes above it (``RUN``, ``MODEL_CLASS``, ``CONFIG_CLASS``, ``Hyper``, ``DEFAULT_DATA``, and
``prepare`` / ``show``: the image or the text versions below).

Faithful to the app's Trainer (training/trainer.py): the initial weights come from the global RNG seeded with the run's
seed; one torch.Generator seeded the same way draws every batch (indices with replacement, as ImageData.batch does)
and every noise vector; the metrics are averaged over windows of steps like the app's curves.
"""
from __future__ import annotations

import argparse
import gzip
import random
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..data.datasets import mnist5k_held_out  # the exported script gets these names' own source instead
from ..data.text import BLOCK_SIZE, HELD_OUT_EVERY, SHUFFLE_SEED, TextData

# filled in by the exported script (see script.py); here only so this file reads as Python on its own
RUN: dict[str, Any] = {}
MODEL_CLASS: Any = None
CONFIG_CLASS: Any = None
DEFAULT_DATA = ""
Hyper: Any = None
prepare: Any = None  # prepare_images or prepare_text
show: Any = None  # show_images or show_text


def read_idx(path: str) -> np.ndarray:
    """LeCun's IDX format (MNIST, Fashion-MNIST), gzipped or raw: 0, 0, dtype, ndim, then ndim big-endian sizes."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    ndim = raw[3]
    dims = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(dims)  # uint8 images (N, 28, 28) or labels (N,)


def load_images(data: str, path: str, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 images and (N,) labels of one split, as the app loads them (genai_demo/data/datasets.py).

    mnist5k: the .npz of 5,000 digits shipped in genai_demo/assets; 50 per class are held out with a fixed seed,
    4,500 train. fashion / mnist: a folder holding the four IDX files (train-*, t10k-*)."""
    if data == "mnist5k":
        with np.load(path) as z:  # plain arrays only: allow_pickle stays False
            images, labels = z["images"], z["labels"]  # (5000, 28, 28) uint8, (5000,) uint8
        held_out = np.zeros(len(labels), bool)
        held_out[mnist5k_held_out(labels)] = True
        keep = held_out if split == "test" else ~held_out
        return images[keep], labels[keep]
    prefix = "train" if split == "train" else "t10k"
    folder = Path(path)
    pick = [folder / f"{prefix}-{what}-idx{n}-ubyte{gz}" for what, n in (("images", 3), ("labels", 1)) for gz in (".gz", "")]
    images = read_idx(str(next(p for p in pick[:2] if p.exists())))
    labels = read_idx(str(next(p for p in pick[2:] if p.exists())))
    return images, labels


def load_text(path: str, split: str = "train", verse: bool = False) -> TextData:
    """One split of a text corpus as the app loads it (genai_demo/data/text.py): one example per non-empty line,
    every HELD_OUT_EVERY-th line held out, the vocabulary from all lines ("\\n" first), the lines in a fixed shuffled
    order, each line "\\n" + its characters. verse: windows start at line starts (the Tang poems)."""
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    vocab = "\n" + "".join(sorted(set("".join(lines)) - {"\n"}))  # index = token id
    held = split == "test"
    lines = [line for i, line in enumerate(lines) if (i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1) == held]
    random.Random(SHUFFLE_SEED).shuffle(lines)  # stable across Python versions
    stoi = {c: i for i, c in enumerate(vocab)}
    ids = [[stoi[c] for c in "\n" + line] for line in lines]
    units = torch.zeros(len(ids), max(map(len, ids)), dtype=torch.int64)  # (L, U): row i = line i, padded with "\n"
    for i, u in enumerate(ids):
        units[i, : len(u)] = torch.tensor(u)
    stream = torch.tensor([t for u in ids for t in u] + [0], dtype=torch.int64)  # (N,) the lines one after another
    lens = torch.tensor([len(u) for u in ids], dtype=torch.int64)  # (L,)
    return TextData(Path(path).stem, stream, units, lens, vocab, BLOCK_SIZE, aligned=verse)


def draw_batch(x: torch.Tensor, y: torch.Tensor, batch_size: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """B random images, drawn with replacement like the app's ImageData.batch: x (B, 1, 28, 28) float in [0, 1], y (B,)."""
    idx = torch.randint(len(x), (batch_size,), generator=gen)  # (B,) indices from the run's generator
    return x[idx].reshape(-1, 1, 28, 28).float().div_(255), y[idx]


def train(model, batch, hp, steps: int, gen: torch.Generator, log_every: int = 100, log=print) -> list[dict[str, float]]:
    """The app's training loop: one train_step per step on a fresh batch(batch_size, gen); returns the metrics
    averaged over each window of log_every steps."""
    opts = model.make_optimizers(hp)  # Adam per player, lr and betas as in the package
    windows, acc = [], {}
    for step in range(1, steps + 1):
        xb, yb = batch(hp.batch_size, gen)  # images (B, 1, 28, 28) and labels (B,), or text windows (B, T) twice
        metrics = model.train_step(xb, yb, opts, hp, gen)  # one optimisation step; python floats
        for k, v in metrics.items():
            acc[k] = acc.get(k, 0.0) + v
        if step % log_every == 0 or step == steps:
            n = log_every if step % log_every == 0 else step % log_every
            windows.append({"step": step, **{k: v / n for k, v in acc.items()}})
            acc = {}
            log(f"step {step:>6}  " + "  ".join(f"{k} {v:.4f}" for k, v in windows[-1].items() if k != "step"))
    return windows


def make_grid(images: np.ndarray, nrow: int = 10, pad: int = 2) -> np.ndarray:
    """(N, 28, 28) uint8 → one (H, W) uint8 picture, nrow images per row on a mid-grey background."""
    n, h, w = images.shape
    rows = -(-n // nrow)
    grid = np.full((rows * (h + pad) + pad, nrow * (w + pad) + pad), 128, np.uint8)
    for i, img in enumerate(images):
        r, c = divmod(i, nrow)
        grid[pad + r * (h + pad):pad + r * (h + pad) + h, pad + c * (w + pad):pad + c * (w + pad) + w] = img
    return grid


def write_png(path: str, img: np.ndarray) -> None:
    """A greyscale (H, W) uint8 array as a PNG file, with zlib from the standard library (no Pillow needed)."""
    h, w = img.shape
    rows = b"".join(b"\x00" + img[r].tobytes() for r in range(h))  # filter byte 0 (none) before each row

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
    Path(path).write_bytes(png + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


@torch.no_grad()
def sample_images(model, n: int, seed: int) -> np.ndarray:
    """n samples as (n, 28, 28) uint8, from an eval-mode model and its own seeded generator (the app's preview:
    a conditional model draws row r as class r)."""
    model.eval()
    g = torch.Generator().manual_seed(seed)
    imgs = model.sample(n, generator=g, labels=model.preview_labels(n))  # (n, 1, 28, 28) in [0, 1]
    return (imgs.clamp(0, 1) * 255).round().to(torch.uint8)[:, 0].numpy()


def prepare_images(path: str):
    """The training images as (N, 28, 28) uint8 and their labels; a batch draws B of them (draw_batch)."""
    images, labels = load_images(RUN["data"], path, "train")
    x, y = torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64))  # (N, 28, 28) uint8, (N,)

    def batch(batch_size: int, gen: torch.Generator):
        return draw_batch(x, y, batch_size, gen)
    return batch, f"{len(x):,} training images"


def show_images(model, seed: int, out: str | None, npy: str | None) -> str:
    """A 10 x 10 grid of samples as a PNG (and the raw samples as .npy when asked); returns the PNG's path."""
    samples = sample_images(model, 100, seed)  # (100, 28, 28) uint8
    write_png(out or "samples.png", make_grid(samples))
    if npy:
        np.save(npy, samples)
    return out or "samples.png"


def prepare_text(path: str):
    """The training lines; a batch is B random windows of T + 1 characters (TextData.batch)."""
    data = load_text(path, "train", RUN["verse"])
    return data.batch, f"{data.lines:,} training lines"


def show_text(model, seed: int, out: str | None, npy: str | None) -> str:
    """12 generated lines, printed and written to a text file; returns its path."""
    lines = model.sample_lines(12, torch.Generator().manual_seed(seed))
    print("\n".join(lines))
    Path(out or "samples.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return out or "samples.txt"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--steps", type=int, default=RUN["steps"], help="optimisation steps (default: the run's)")
    p.add_argument("--seed", type=int, default=RUN["seed"], help="seeds the weights, the batches and the noise")
    p.add_argument("--data", default=DEFAULT_DATA, help="the data file or folder (default: the package's)")
    p.add_argument("--out", default=None, help="where to write the samples (default samples.png: a 10 x 10 grid; "
                   "samples.txt: 12 lines for a text model)")
    p.add_argument("--npy", default=None, help="also save the samples as a (100, 28, 28) uint8 .npy file")
    p.add_argument("--log-every", type=int, default=100, help="print the averaged metrics every this many steps")
    p.add_argument("--threads", type=int, default=None, help="CPU threads for torch (default: torch's choice)")
    a = p.parse_args(argv)
    if a.threads:
        torch.set_num_threads(a.threads)
    batch, what = prepare(a.data)  # batch(batch_size, gen) → (x, y): this kind of data, as the app draws it
    torch.manual_seed(a.seed)  # the initial weights come from the global RNG, seeded as the app seeds it
    model = MODEL_CLASS(CONFIG_CLASS(**RUN["config"])).train()
    gen = torch.Generator().manual_seed(a.seed)  # every batch and every noise vector: one generator, as in the app
    print(f"{MODEL_CLASS.__name__}: {sum(p.numel() for p in model.parameters()):,} parameters, {what}, {a.steps:,} steps")
    train(model, batch, Hyper(**RUN["hyper"]), a.steps, gen, a.log_every)
    out = show(model.eval(), a.seed + 1, a.out, a.npy)  # seed + 1: the noise of the app's preview
    print(f"wrote {out}")
