"""Small numpy/PIL helpers that turn image batches into pictures: grids, strips, crisp upscales, GIFs, MNIST centring.

Inputs are (N, 1, H, W) or (N, H, W) batches, as torch tensors or numpy arrays, float in [0, 1] or uint8. Torch is
never imported here: a tensor is only asked for `.detach().cpu().numpy()`.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image


def to_uint8(images) -> np.ndarray:
    """Any image tensor/array -> uint8 numpy array of the same shape (floats read as [0, 1] and clipped)."""
    a = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    if a.dtype == np.uint8:
        return a
    return (np.clip(a.astype(np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)  # round, don't truncate


def _batch(images) -> np.ndarray:
    """(N, 1, H, W), (N, H, W) or one (H, W) image -> (N, H, W) uint8."""
    a = to_uint8(images)
    if a.ndim == 4 and a.shape[1] == 1:
        a = a[:, 0]
    elif a.ndim == 2:
        a = a[None]
    if a.ndim != 3 or len(a) == 0:
        raise ValueError(f"expected (N, 1, H, W) or (N, H, W) grey images with N >= 1, got shape {a.shape}")
    return a


def make_grid(images, nrow: int = 8, pad: int = 2, pad_value: float = 0.5) -> np.ndarray:
    """Tile a batch into one (H, W) uint8 picture, `nrow` images per row, like torchvision.utils.make_grid.

    Output shape: (rows * (h + pad) + pad, cols * (w + pad) + pad) with cols = min(nrow, N), rows = ceil(N / cols).
    The default mid-grey padding keeps black-background digits visibly apart; empty cells keep the padding colour.
    """
    a = _batch(images)  # (N, h, w)
    n, h, w = a.shape
    cols = max(1, min(nrow, n))
    rows = -(-n // cols)
    fill = round(float(np.clip(pad_value, 0, 1)) * 255)
    grid = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad), fill, np.uint8)
    for i, img in enumerate(a):
        r, c = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        grid[top:top + h, left:left + w] = img
    return grid


def strip(images, pad: int = 2, pad_value: float = 0.5) -> np.ndarray:
    """All images side by side in one row (an interpolation strip): (h + 2 pad, N (w + pad) + pad) uint8."""
    return make_grid(images, nrow=len(_batch(images)), pad=pad, pad_value=pad_value)


def upscale(arr, factor: int) -> np.ndarray:
    """Nearest-neighbour upscale of the last two axes (..., H, W) -> (..., H f, W f): 28 px digits stay crisp."""
    if int(factor) != factor or factor < 1:
        raise ValueError(f"upscale factor must be a whole number >= 1, got {factor}")
    a = np.asarray(arr)
    return np.repeat(np.repeat(a, int(factor), axis=-2), int(factor), axis=-1)


def to_pil(images, factor: int = 1) -> Image.Image:
    """One image ((H, W), (1, H, W), (1, 1, H, W)) or a batch (tiled with make_grid) -> greyscale PIL image."""
    a = _batch(images)
    a = a[0] if len(a) == 1 else make_grid(a)  # (H, W) uint8
    return Image.fromarray(upscale(a, factor))


def save_gif(frames, path: str | os.PathLike, duration_ms: int = 100, loop: int = 0, factor: int = 1) -> Path:
    """Write frames (each anything to_pil takes, or a PIL image) as an animated GIF, atomically; returns the path.

    All frames must have the same size. GIF merges consecutive identical frames (adding their durations).
    `loop=0` repeats forever.
    """
    pics = [f.convert("L") if isinstance(f, Image.Image) else to_pil(f, factor) for f in frames]
    if not pics:
        raise ValueError("save_gif needs at least one frame")
    if len({p.size for p in pics}) != 1:
        raise ValueError(f"all GIF frames must have the same size, got {sorted({p.size for p in pics})}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            pics[0].save(f, format="GIF", save_all=True, append_images=pics[1:], duration=duration_ms, loop=loop)
        os.replace(tmp, path)  # a reader (the UI) never sees half a GIF
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return path


def ink_map(a: np.ndarray) -> np.ndarray:
    """An (H, W), (H, W, 3) or (H, W, 4) picture -> (H, W) float32 ink in [0, 1], white-on-black like MNIST.

    uint8 is read as 0-255, floats as [0, 1] unless they exceed 1. A partly transparent canvas (a sketchpad layer)
    is read by its alpha, whatever the paint colour; anything opaque by brightness, flipped when the border (the
    paper) is light, then stretched so the paper's colour becomes 0. Raises ValueError for non-numeric or NaN data.
    """
    if a.dtype.kind not in "buif":
        raise ValueError(f"not an image (dtype {a.dtype})")
    f = a.astype(np.float32)
    if not np.isfinite(f).all():
        raise ValueError("the image holds NaN or infinite values")
    if a.dtype == np.uint8 or f.max() > 1:  # floats may come as [0, 1] or as 0-255 numbers
        f /= 255
    if f.ndim == 3 and f.shape[-1] == 4:
        if f[..., 3].min() < 0.99:  # transparent canvas: the strokes are wherever paint was laid
            return np.clip(f[..., 3], 0, 1)
        f = f[..., :3]
    if f.ndim == 3:
        f = f @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 luma, as PIL's convert("L")
    border = np.concatenate([f[0], f[-1], f[:, 0], f[:, -1]])
    if np.median(border) > 0.5:  # light paper, dark ink -> MNIST's white-on-black
        f, border = 1 - f, 1 - border
    bg = float(np.median(border))  # grey paper or a dark-grey canvas: its colour becomes 0
    return np.clip((f - bg) / max(1 - bg, 1e-6), 0, 1)


MID = 80  # px: digits are first brought to 4x the final 20 px, where stroke width is measured in whole pixels
MIN_STROKE = 9  # px at MID: real MNIST strokes measure 7-16 (median 11) by the estimate below


def centre_digit(ink: np.ndarray, threshold: float = 0.1) -> np.ndarray:
    """MNIST's normalisation of a (H, W) float ink map (1 = ink): crop to the pixels above `threshold`, scale the
    longer side to 20 px keeping the aspect, paste into 28 x 28 with the centre of mass at the centre.
    Strokes thinner than MNIST's (a fine pen on a big canvas) are thickened first, since models trained on MNIST
    see a 1 px line as a different thing. Returns (28, 28) float32 in [0, 1] peaking at 1. The ink must not be
    empty (the caller checks)."""
    mask = ink > threshold
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    crop = np.ascontiguousarray(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1], np.float32)  # (h, w)
    mid = _resize_longer(crop, MID, Image.Resampling.BOX if max(crop.shape) > MID else Image.Resampling.BILINEAR)
    mid = mid / max(float(mid.max()), 1e-6)  # a fine line averages to faint grey: bring its peak back to 1
    m = mid > 0.3
    p = np.pad(m, 1)
    boundary = m & ~(p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:])  # ink pixels touching background
    width = 2 * m.sum() / max(1, boundary.sum())  # a stroke of length L, width W: area L W, boundary 2 L
    if width < MIN_STROKE:
        r = round((MIN_STROKE - width) / 2)  # a (2r+1)^2 max filter widens strokes by 2r
        win = np.lib.stride_tricks.sliding_window_view(np.pad(mid, 2 * r), (2 * r + 1, 2 * r + 1))
        mid = win.max(axis=(-2, -1))  # (h + 2r, w + 2r)
    small = _resize_longer(mid, 20, Image.Resampling.BOX)  # area average: MNIST's anti-aliased grey edges
    small = small / max(float(small.max()), 1e-6)  # MNIST strokes peak at 255
    h, w = small.shape
    ys, xs = np.indices(small.shape)
    cy, cx = (ys * small).sum() / small.sum(), (xs * small).sum() / small.sum()
    top = int(np.clip(round(13.5 - cy), 0, 28 - h))  # pixel centres: the 28 px field's middle is at 13.5
    left = int(np.clip(round(13.5 - cx), 0, 28 - w))
    out = np.zeros((28, 28), np.float32)
    out[top:top + h, left:left + w] = small
    return out


def _resize_longer(a: np.ndarray, side: int, resample) -> np.ndarray:
    """(h, w) float32 -> the longer side `side` px, aspect kept, values clipped at 0."""
    scale = side / max(a.shape)
    size = (max(1, round(a.shape[1] * scale)), max(1, round(a.shape[0] * scale)))  # PIL wants (w, h)
    return np.asarray(Image.fromarray(np.ascontiguousarray(a, np.float32)).resize(size, resample)).clip(0, None)
