"""A visitor's own images → a 28 × 28 greyscale data set the VAE, GAN and DCGAN can learn from.

Each image is checked from its header before a pixel is decoded (PNG or JPEG only, at most MAX_SIDE a side and
MAX_PIXELS for the whole upload: a decompression bomb is refused, not decoded), shrunk early (JPEG draft mode,
an area-average thumbnail) and then converted exactly as the preview shows:

1. grey: luma (ITU-R 601); a transparent image is read by its alpha (the strokes are where paint is);
2. invert: MNIST is white ink on black — "auto" flips images whose border (the paper) is light, "on" / "off" force it;
3. crop: the bounding box of the ink, padded to a square, scaled into a 20 × 20 box centred in 28 × 28 (MNIST's
   recipe); without crop the whole picture is padded to a square and scaled to 28 × 28;
4. threshold: 0 keeps the grey levels, t > 0 makes every pixel ink (1) or background (0) at t.

The result is uint8 (N, 28, 28): 2,000 images are 1.5 MB. Every HELD_OUT_EVERY-th image is held out (a fixed
split, so the held-out ELBO and the memorisation check compare like with like). No gradio here.
"""
from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image, ImageOps

from .datasets import DataError, ImageData
from .own_archive import MIN_IMAGES, read_uploads, shown_name

MAX_SIDE = 4096  # px a side, as for a single uploaded digit (data/user_image.py)
MAX_PIXELS = 200_000_000  # declared pixels of all images together: decoding more would take minutes of CPU
WORK_SIDE = 256  # images are shrunk to this before any pixel maths: the result is 28 px anyway
FORMATS = ("PNG", "JPEG")
INK = 0.1  # what counts as ink for the crop's bounding box (JPEG noise and paper texture stay below)
HELD_OUT_EVERY = 10  # image i is held out when i % 10 == 9 (at least 2 for a 20-image set)
CLASSES = ["image"]  # one class: own images carry no labels (the conditional models are not offered)
INVERT = ("auto", "on", "off")


@dataclass(frozen=True)
class Options:
    crop: bool = True  # crop to the ink and centre it in a 20 px box (MNIST); False: the whole picture
    invert: str = "auto"  # "auto" (light border → flip), "on", "off"
    threshold: float = 0.0  # 0 keeps grey levels; in (0, 1): binarise at this ink level

    def checked(self) -> Options:
        if not isinstance(self.crop, bool) or self.invert not in INVERT:
            raise DataError("unknown conversion options", "own_err_options")
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int | float) or not 0 <= t <= 0.95:
            raise DataError("the threshold must be between 0 and 0.95", "own_err_options")
        return self


def _header(name: str, data: bytes) -> Image.Image:
    """The image opened lazily (its header only: no pixel decoded) and checked: PNG / JPEG, at most MAX_SIDE a side."""
    bad = DataError(f"{shown_name(name)} is not a PNG or JPEG image", "own_err_not_image", name=shown_name(name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))  # reads the header only
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise DataError(f"{shown_name(name)} is far too large: at most {MAX_SIDE} px a side", "own_err_image_huge",
                        name=shown_name(name), max=MAX_SIDE) from None
    except (OSError, ValueError, SyntaxError, EOFError, Image.UnidentifiedImageError):
        raise bad from None
    if img.format not in FORMATS:
        raise bad
    w, h = img.size
    if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
        raise DataError(f"{shown_name(name)} is {w}x{h} px: at most {MAX_SIDE} px a side", "own_err_image_big",
                        name=shown_name(name), w=w, h=h, max=MAX_SIDE)
    return img


def _decode(name: str, img: Image.Image) -> Image.Image:
    """A header-checked image decoded, no larger than WORK_SIDE, as "L" or "RGBA"."""
    bad = DataError(f"{shown_name(name)} is not a PNG or JPEG image", "own_err_not_image", name=shown_name(name))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            if img.format == "JPEG":
                img.draft("L", (WORK_SIDE, WORK_SIDE))  # decode at 1/2, 1/4 or 1/8 scale: far less work
            img.load()
            has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
            img = img.convert("RGBA" if has_alpha else "L")
            img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)  # area average: thin strokes keep their ink
            return ImageOps.exif_transpose(img)  # a phone photo stands as it was taken (EXIF orientation)
    except (OSError, ValueError, SyntaxError, EOFError, MemoryError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # a truncated or corrupt file fails only while decoding
        raise bad from None


def grey(img: Image.Image, invert: str = "auto") -> np.ndarray:
    """An "L" or "RGBA" image → (H, W) float32 ink in [0, 1], white ink on black as MNIST."""
    a = np.asarray(img, np.float32) / 255
    if a.ndim == 3:  # RGBA
        if a[..., 3].min() < 0.99:  # a transparent background: the alpha is the drawing
            return np.clip(a[..., 3], 0, 1)
        a = a[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601 luma, as PIL's convert("L")
    border = np.concatenate([a[0], a[-1], a[:, 0], a[:, -1]])
    if invert == "on" or (invert == "auto" and np.median(border) > 0.5):
        a = 1 - a
    return a


def _square(a: np.ndarray) -> np.ndarray:
    """(h, w) → (s, s), s = max(h, w), the picture centred on black."""
    h, w = a.shape
    s = max(h, w)
    out = np.zeros((s, s), np.float32)
    out[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = a
    return out


def _resize(a: np.ndarray, side: int) -> np.ndarray:
    resample = Image.Resampling.BOX if a.shape[0] >= side else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(a).resize((side, side), resample), np.float32).clip(0, 1)


def to_28(ink: np.ndarray, opt: Options) -> np.ndarray:
    """(H, W) float ink → (28, 28) uint8 as the model will see it (see the module's steps 3 and 4)."""
    mask = ink > INK
    if opt.crop and mask.any():
        rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
        box = _resize(_square(ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]), 20)  # (20, 20)
        out = np.zeros((28, 28), np.float32)
        out[4:24, 4:24] = box  # a 4 px margin, as MNIST's 20 px digits in 28 px
    else:
        out = _resize(_square(ink), 28)
    if opt.threshold > 0:
        out = (out >= opt.threshold).astype(np.float32)
    return (out * 255 + 0.5).astype(np.uint8)


def convert(files: list[tuple[str, bytes]], opt: Options = Options()) -> np.ndarray:
    """[(name, bytes)] → (N, 28, 28) uint8, in upload order; DataError for the first bad file or a count out of
    [MIN_IMAGES, MAX_IMAGES]."""
    opt = opt.checked()
    if len(files) < MIN_IMAGES:
        raise DataError(f"{len(files)} image(s) is too few: upload at least {MIN_IMAGES}", "own_err_too_few",
                        n=len(files), min=MIN_IMAGES)
    heads = [_header(name, data) for name, data in files]  # every header first: no pixel decoded before all pass
    pixels = sum(img.size[0] * img.size[1] for img in heads)
    if pixels > MAX_PIXELS:
        raise DataError(f"the images hold more than {MAX_PIXELS // 1_000_000} million pixels together: "
                        "upload smaller ones", "own_err_pixels", mpx=MAX_PIXELS // 1_000_000)
    out = np.empty((len(files), 28, 28), np.uint8)
    for i, ((name, _), img) in enumerate(zip(files, heads, strict=True)):
        out[i] = to_28(grey(_decode(name, img), opt.invert), opt)
        heads[i] = None  # the decoded pixels go as soon as they are converted
    return out


def from_uploads(uploads, opt: Options = Options()) -> np.ndarray:
    """Uploaded paths / bytes (images, zips) → (N, 28, 28) uint8: own_archive.read_uploads, then convert()."""
    return convert(read_uploads(uploads), opt)


def split(x: np.ndarray, name: str) -> tuple[ImageData, ImageData]:
    """(N, 28, 28) uint8 → (train, held-out) ImageData; every HELD_OUT_EVERY-th image is held out."""
    held = np.arange(len(x)) % HELD_OUT_EVERY == HELD_OUT_EVERY - 1

    def data(a: np.ndarray) -> ImageData:
        return ImageData(name, torch.from_numpy(np.ascontiguousarray(a)), torch.zeros(len(a), dtype=torch.int64), list(CLASSES))

    return data(x[~held]), data(x[held])
