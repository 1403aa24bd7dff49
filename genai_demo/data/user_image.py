"""A visitor's drawing or upload → a (1, 28, 28) digit the models understand, or a DataError saying what to fix.

Hostile input is expected here (it comes from any web visitor): sizes are checked from the image header before a
pixel is decoded, decompression bombs are refused, and big photos are shrunk before any pixel maths.
"""
from __future__ import annotations

import io
import os
import warnings

import numpy as np
import torch
from PIL import Image

from .datasets import DataError
from .images import centre_digit, ink_map

MAX_SIDE = 4096  # user images larger than this on a side are refused
WORK_SIDE = 1024  # larger uploads are shrunk to this before any pixel maths (area average)
INK_THRESHOLD = 0.1  # ink below this is noise (JPEG artefacts, paper texture)
UNREADABLE = "not a readable image: upload a PNG or JPEG, or draw a digit"  # the reason (class, path) is no help to a visitor


def load_user_image(img) -> torch.Tensor:
    """A drawing or upload -> (1, 28, 28) float32 in [0, 1], a white digit on black centred the way MNIST was.

    Accepts a PIL image, a numpy array (H, W), (H, W, 3) or (H, W, 4), image file bytes or a path, or a Gradio
    ImageEditor value (a dict with "composite"). MNIST recipe: crop to the ink, scale the longer side to 20 px
    keeping the aspect, then paste into 28 x 28 with the centre of mass at the centre (see images.centre_digit,
    which also thickens fine-pen strokes to MNIST's width).
    """
    ink = _ink(img)  # (H, W) float32, 1 = full ink, background 0
    if not (ink > INK_THRESHOLD).any():
        raise DataError("the drawing is empty — draw a digit first", "data_empty")
    return torch.from_numpy(centre_digit(ink, INK_THRESHOLD))[None]  # (1, 28, 28)


def _check_size(w: int, h: int) -> None:
    if w > MAX_SIDE or h > MAX_SIDE:
        raise DataError(f"the image is {w}x{h} px, too large (at most {MAX_SIDE} px a side): resize it first", "data_too_large",
                        max=MAX_SIDE)
    if w == 0 or h == 0:
        raise DataError("the image has no pixels — draw a digit first", "data_empty")


def _ink(img) -> np.ndarray:
    """Any accepted input -> (H, W) float32 ink map in [0, 1] (white-on-black, like MNIST)."""
    if isinstance(img, dict):  # gr.ImageEditor / Sketchpad value: {"background", "layers", "composite"}
        img = img.get("composite")
    if isinstance(img, (bytes, bytearray, str, os.PathLike)):
        img = io.BytesIO(img) if isinstance(img, (bytes, bytearray)) else img
        try:
            with warnings.catch_warnings():  # PIL only warns between 89 and 179 Mpixels: make that an error too
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                img = Image.open(img)
                _check_size(*img.size)  # before decoding a single pixel
                img.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise DataError(f"the image is too large (at most {MAX_SIDE} px a side): resize it first", "data_too_large",
                            max=MAX_SIDE) from None
        except (OSError, ValueError, SyntaxError):
            raise DataError(UNREADABLE, "data_unreadable") from None
    if isinstance(img, Image.Image):
        _check_size(*img.size)
        has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in img.info
        try:
            img = img.convert("RGBA" if has_alpha else "L")
            if max(img.size) > WORK_SIDE:  # the digit ends up 20 px tall: a 4,096 px photo would cost 16x the CPU
                img.thumbnail((WORK_SIDE, WORK_SIDE), Image.Resampling.BOX)  # area average: thin strokes keep their ink
            img = np.asarray(img)
        except (OSError, ValueError):  # a lazily opened, truncated file fails only here
            raise DataError(UNREADABLE, "data_unreadable") from None
    if not isinstance(img, np.ndarray):
        raise DataError("not an image: upload a PNG or JPEG, or draw a digit", "data_unreadable")
    a = img[..., 0] if img.ndim == 3 and img.shape[-1] == 1 else img
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[-1] not in (3, 4)):
        raise DataError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {a.shape}: upload a PNG or JPEG")
    _check_size(a.shape[1], a.shape[0])
    try:
        return ink_map(a)
    except ValueError as e:
        raise DataError(f"{e}: upload a PNG or JPEG, or draw a digit") from None
