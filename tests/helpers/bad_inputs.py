"""Seeded bad-input cases shared by test_bad_input.py (engine) and test_bad_input_app.py (tab handlers, server):
the checkpoint-upload cases (built into files by test_bad_input._damaged) and the image cases (bytes, arrays,
editor dicts), the same few hundred every run, plus the pickle marker and the one-line-message check.
"""
from __future__ import annotations

import gzip
import io
import json
import pickle
import random
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

MARKER = Path("/tmp/genai_demo_bad_input_PWNED")  # a pickle payload would create it; it must never exist


class Evil:
    def __reduce__(self):  # the classic: unpickling calls open(MARKER, "w")
        return (open, (str(MARKER), "w"))


def one_line(msg: str) -> bool:
    return bool(msg) and "\n" not in msg and "Traceback" not in msg and len(msg) < 400


# ---- checkpoint uploads: (kind of damage, argument) ----------------------------------------------
KINDS = {"vae": None, "cvae": None, "gan": None, "cgan": None, "dcgan": {"ngf": 8, "ndf": 8}, "classifier": None}

_rng = random.Random(2024)
CKPT_CASES = (
    [("pickle", (proto, suffix)) for proto in range(pickle.HIGHEST_PROTOCOL + 1) for suffix in (".safetensors", ".pt", ".ckpt")]
    + [("torch_save", s) for s in (".pt", ".pth", ".safetensors")]
    + [("truncate", f) for f in [0.0, 1e-9, 0.5e-6, 0.999999] + sorted(_rng.random() for _ in range(22))]
    + [("flip", (_rng.random() ** 3, _rng.randrange(8))) for _ in range(30)]  # ** 3: most flips land in the header
    + [("random", n) for n in (0, 1, 7, 8, 9, 16, 100, 1000, 4096, 65536, 1_000_003)]
    + [("renamed", k) for k in ("png", "jpeg", "pdf", "zip", "gzip", "text", "json", "html", "elf", "npy")]
    + [("wrong_kind", (k, e)) for k in KINDS for e in KINDS if k != e and (k in ("vae", "gan") or e in ("vae", "gan"))]
    + [("wrong_shape", c) for c in ({"latent_dim": 3}, {"hidden1": 256}, {"hidden2": 128}, {"hidden1": 0}, {"latent_dim": -2},
                                    {"hidden1": "512"}, {"hidden1": 512.5}, {"hidden1": True}, {"__class__": 1}, {"z_dim": 64})]
    + [("bomb", c) for c in ({"hidden1": 10**9}, {"hidden2": 10**12}, {"latent_dim": 10**8}, {"hidden1": 2**62}, {"hidden2": 10**30})]
    + [("meta", m) for m in (
        {"kind": "os.system"}, {"kind": "../../etc/passwd"}, {"kind": "__class__"}, {"kind": ""}, {"kind": None},
        {"format": None}, {"format": "pickle"}, {"format_version": "2"}, {"format_version": None}, {"sha256": None},
        {"sha256": "0" * 64}, {"config": None}, {"config": "[]"}, {"config": "null"}, {"config": "5"}, {"config": "{"},
        {"config": "[" * 100_000}, {"meta": "[" * 100_000}, {"meta": "[1, 2]"}, {"meta": "\"text\""}, {"meta": "{"},
        {"config": json.dumps({"latent_dim": 2, "hidden1": 512, "hidden2": 256, "x": 1})},
    )]
    + [("raw", v) for v in (
        "len_past_end", "len_huge", "not_object", "list", "number", "deep", "offsets_past_end", "offsets_negative",
        "offsets_reversed", "bad_dtype", "shape_mismatch", "float64", "bfloat16", "int8", "meta_not_str", "empty_object",
        "bad_utf8", "duplicate_tensor",
    )]
    + [("size", v) for v in ("over_64mb", "directory", "missing", "nul_in_name")]
)


def renamed_bytes(what: str) -> bytes:
    if what in ("png", "jpeg"):
        buf = io.BytesIO()
        Image.new("L", (28, 28), 0).save(buf, what.upper())
        return buf.getvalue()
    if what == "zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("model.safetensors", b"x" * 100)
        return buf.getvalue()
    return {"pdf": b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "gzip": gzip.compress(b"{}" * 100),
            "text": b"just some notes, not weights\n" * 10, "json": b'{"__metadata__": {"format": "genai-demo"}}',
            "html": b"<!doctype html><script>alert(1)</script>", "elf": b"\x7fELF\x02\x01\x01" + b"\0" * 200,
            "npy": b"\x93NUMPY\x01\x00v\x00{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }" + b" " * 50}[what]


# ---- images: (name, value, expected outcome) -------------------------------------------------------
def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png_header_only(w: int, h: int, color_type: int = 0) -> bytes:
    """A PNG that claims w×h pixels with a few bytes of data: costs nothing unless someone decodes it."""
    ihdr = struct.pack(">IIBBBBB", w, h, 8, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\0" * 64)) + _chunk(b"IEND", b"")


def bmp_header_only(w: int, h: int) -> bytes:
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, 0, 2835, 2835, 0, 0)
    return b"BM" + struct.pack("<IHHI", 54 + 64, 0, 0, 54) + dib + b"\0" * 64


def gif_header_only(w: int, h: int) -> bytes:
    return b"GIF89a" + struct.pack("<HHBBB", w, h, 0, 0, 0) + b",\0\0\0\0" + struct.pack("<HH", w, h) + b"\0\x02\x02D\x01\0;"


def digit_png() -> bytes:
    im = Image.new("L", (200, 200), 255)
    ImageDraw.Draw(im).line([(100, 30), (100, 170)], fill=0, width=16)
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


_irng = np.random.default_rng(7)
HUGE = [(20000, 20000), (4097, 10), (10, 4097), (65535, 65535), (2**31 - 1, 1), (100_000, 3)]
EMPTY = ("empty",)  # these must say the drawing is empty
IMAGE_CASES = (
    [(f"png{w}x{h}", png_header_only(w, h), "large") for w, h in HUGE]
    + [(f"png{w}x{h}rgba", png_header_only(w, h, 6), "large") for w, h in HUGE[:3]]
    + [(f"bmp{w}x{h}", bmp_header_only(w, h), "large") for w, h in HUGE[:4]]
    + [(f"gif{w}x{h}", gif_header_only(w, h), "large") for w, h in HUGE[:4] if max(w, h) < 65536]
    + [("png0x0", png_header_only(0, 0), None), ("gif0x0", gif_header_only(0, 0), None)]
    + [(f"nonimage-{k}", renamed_bytes(k), None) for k in ("pdf", "zip", "gzip", "text", "json", "html", "elf", "npy")]
    + [("pickle", pickle.dumps(Evil()), None), ("empty-bytes", b"", None)]
    + [(f"random-{n}", random.Random(n).randbytes(n), None) for n in (1, 10, 100, 5000)]
    + [(f"truncated-png-{f}", digit_png()[: int(len(digit_png()) * f)], None) for f in (0.1, 0.3, 0.6, 0.9)]
    + [("png-without-IEND", digit_png()[:-12], "maybe")]  # every pixel is there: decoding it is fine too
    + [(f"transparent-{h}x{w}", np.zeros((h, w, 4), np.uint8), EMPTY) for h, w in ((280, 280), (1, 1), (28, 28), (600, 400))]
    + [("white-rgb", np.full((280, 280, 3), 255, np.uint8), EMPTY), ("white-L", np.full((50, 50), 255, np.uint8), EMPTY),
       ("editor-empty", {"background": None, "layers": [], "composite": None}, None),
       ("editor-transparent", {"background": None, "layers": [np.zeros((280, 280, 4), np.uint8)],
                               "composite": np.zeros((280, 280, 4), np.uint8)}, EMPTY),
       ("editor-no-composite", {"background": None, "layers": []}, None), ("dict-empty", {}, None),
       ("editor-garbage", {"composite": "not an image"}, None), ("editor-nested", {"composite": {"composite": None}}, None)]
    + [(f"shape-{s}", np.zeros(s, np.uint8), None) for s in ((0, 0), (0, 10, 4), (10,), (5, 5, 5, 5), (28, 28, 2), (28, 28, 5))]
    + [(f"dtype-{d}", np.zeros((28, 28), d), EMPTY) for d in (np.bool_, np.int64, np.float16, np.float64, np.uint16)]
    + [("dtype-object", np.full((28, 28), None, object), None), ("dtype-str", np.full((28, 28), "x"), None),
       ("dtype-complex", np.zeros((28, 28), np.complex64), None), ("nan", np.full((28, 28), np.nan, np.float32), None),
       ("inf", np.full((28, 28), np.inf, np.float32), None), ("neg", np.full((28, 28), -5.0, np.float32), None),
       ("int-huge", np.full((28, 28), 2**62, np.int64), None), ("noise", _irng.integers(0, 256, (64, 64), np.uint8), "ok")]
    + [("none", None, None), ("int", 123, None), ("list", [[0, 1], [1, 0]], None), ("str-missing", "/nonexistent/x.png", None),
       ("str-dir", "/tmp", None), ("pil-0x0", Image.new("L", (0, 0)), None), ("pil-huge", Image.new("1", (5000, 5000)), "large")]
)
