"""A gr.Sketchpad guarded so that every image's size is read from its header before Gradio decodes a pixel.

Gradio's ImageEditor decodes each image named in an event (background, composite and any number of layers) to a
full-size array before the handler runs: one 86 KB PNG of 9,400 × 9,400 px named five times took the server from
540 to 2,933 MB. The page sends one background, one layer and one composite, each the canvas size (280 × 280 here),
either as uploaded files in the event or as blobs posted beforehand to ``accept_blobs``. ``guard()`` refuses
anything beyond that, from the headers, and keeps few, small blobs.
"""
from __future__ import annotations

import io
import threading

import gradio as gr
from fastapi import HTTPException
from gradio.components.base import server
from gradio.components.image_editor import EditorDataBlobs
from PIL import Image

from ..i18n import t
from .messages import language

MAX_SIDE = 1024  # px a side for any image of a drawing (the canvas is 280; room for zoom / high-DPI screens)
MAX_LAYERS = 1  # the page sends one layer (layers=False)
MAX_BLOB_BYTES = 1 << 20  # a 280 × 280 RGBA PNG is at most ~310 KB
MAX_PENDING = 64  # drawings posted as blobs but not yet used by an event (each is used within milliseconds)
KINDS = ("background", "layer", "composite")
_BLOB_LOCK = threading.Lock()  # blob stores are touched from Gradio's worker threads


def _refusal(what: str, lang: str) -> str:
    return t("sketch_refusal", lang, what=t(f"sketch_part_{what}", lang), side=MAX_SIDE)


def _check_image(src, what: str) -> None:
    """Raise gr.Error unless `src` (a path or bytes) is an image at most MAX_SIDE px a side — from its header.
    The sentence is in the language of the visitor whose event this is (messages.language(); English otherwise)."""
    lang = language()
    try:
        with Image.open(io.BytesIO(src) if isinstance(src, bytes | bytearray) else src) as im:  # header only
            w, h = im.size
    except Image.DecompressionBombError:  # Pillow checks the header against MAX_IMAGE_PIXELS itself
        raise gr.Error(_refusal(what, lang)) from None
    except (OSError, ValueError):
        raise gr.Error(t("sketch_unreadable", lang, what=t(f"sketch_part_{what}", lang))) from None
    if not (0 < w <= MAX_SIDE and 0 < h <= MAX_SIDE):
        raise gr.Error(_refusal(what, lang))


def guard(sketch: gr.Sketchpad) -> gr.Sketchpad:
    """Give this Sketchpad checked ``preprocess`` and ``accept_blobs``. On the instance, not in a subclass: Gradio
    writes a .pyi file beside the source of every Component subclass it sees, and names the page's widget after it."""
    plain_preprocess = sketch.preprocess

    def preprocess(payload):
        if payload is not None:
            parts = _parts(sketch, payload)
            if sum(what == "layer" for what, _ in parts) > MAX_LAYERS:
                raise gr.Error(t("sketch_layers", language(), n=MAX_LAYERS))
            for what, src in parts:
                if src is not None:
                    _check_image(src, what)
        return plain_preprocess(payload)  # decodes: every image is now known to be small

    @server
    def accept_blobs(data):
        return _accept_blob(sketch, data)

    sketch.preprocess, sketch.accept_blobs = preprocess, accept_blobs
    return sketch


def _parts(sketch, payload) -> list[tuple[str, object]]:
    """(what, path or bytes) for every image the payload names: uploaded files, or blobs posted before."""
    if payload.id is not None:
        with _BLOB_LOCK:
            c = sketch.blob_storage.get(payload.id)
        return [] if c is None else [("background", c.background), ("composite", c.composite)] + [
            ("layer", x) for x in c.layers]
    path = lambda f: None if f is None else f.path  # noqa: E731
    return [("background", path(payload.background)), ("composite", path(payload.composite))] + [
        ("layer", path(x)) for x in payload.layers]


def _accept_blob(sketch, data) -> None:
    """The page posts a drawing's images here before the event that uses them. Replaces Gradio's version, which
    keeps any number of blobs of any size, at any layer index (``[None] * index``), until an event uses them."""
    d, files = data.data, data.files
    kind, index, blob_id = d.get("type"), d.get("index"), d.get("id")
    index = None if index in (None, "", "null") else str(index)
    if kind not in KINDS or not isinstance(blob_id, str) or not 0 < len(blob_id) <= 64 or len(files) != 1:
        raise HTTPException(400, "A drawing part must be one background, layer or composite image.")
    if (kind == "layer") != (index is not None) or (index is not None and index not in map(str, range(MAX_LAYERS))):
        raise HTTPException(400, f"A drawing has at most {MAX_LAYERS} layer here.")
    blob = files[0][1]
    if len(blob) > MAX_BLOB_BYTES:
        raise HTTPException(413, f"A drawing part is at most {MAX_BLOB_BYTES >> 10} KB.")
    try:
        _check_image(blob, kind)
    except gr.Error as e:
        raise HTTPException(400, e.message) from None
    store = sketch.blob_storage  # Gradio's dict, insertion-ordered: oldest first
    with _BLOB_LOCK:
        c = store.pop(blob_id, None) or EditorDataBlobs(background=None, layers=[], composite=None)
        if kind == "layer":
            c.layers = [blob]
        else:
            setattr(c, kind, blob)
        store[blob_id] = c  # newest last
        while len(store) > MAX_PENDING:
            del store[next(iter(store))]
