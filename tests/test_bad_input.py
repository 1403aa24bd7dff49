"""Bad input, generated from seeded lists (the same few hundred cases every run): checkpoint uploads that are
pickles, truncated, bit-flipped, renamed or crafted; images that are huge, empty or not images at all.
Each must be refused with a
clear, one-line error of the expected type; nothing is executed and nothing else escapes.

Hyper-parameters, tab handlers and the same barrage through a launched server: test_bad_input_app.py.
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
import pytest
import torch
from PIL import Image, ImageDraw

from genai_demo.data.datasets import DataError
from genai_demo.data.user_image import load_user_image
from genai_demo.models import build
from genai_demo.training.checkpoints import CheckpointError, load_checkpoint, read_metadata, save_checkpoint

MARKER = Path("/tmp/genai_demo_bad_input_PWNED")  # a pickle payload would create it; it must never exist


class Evil:
    def __reduce__(self):  # the classic: unpickling calls open(MARKER, "w")
        return (open, (str(MARKER), "w"))


def one_line(msg: str) -> bool:
    return bool(msg) and "\n" not in msg and "Traceback" not in msg and len(msg) < 400


# ---------------------------------------------------------------------------------------------------
# checkpoints

KINDS = {"vae": None, "cvae": None, "gan": None, "cgan": None, "dcgan": {"ngf": 8, "ndf": 8}, "classifier": None}


@pytest.fixture(scope="module")
def ckpts(tmp_path_factory):
    """One small valid checkpoint per kind, saved once; tests copy and damage the bytes."""
    d = tmp_path_factory.mktemp("ckpts")
    torch.manual_seed(0)
    out = {k: save_checkpoint(d / f"{k}.safetensors", build(k, cfg), {"data": "mnist5k", "steps": 1}) for k, cfg in KINDS.items()}
    return {k: p.read_bytes() for k, p in out.items()}


def _raw_safetensors(header: dict | bytes, data: bytes = b"") -> bytes:
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(h)) + h + data


def _vae_header(ckpts) -> tuple[dict, bytes]:
    raw = ckpts["vae"]
    n = struct.unpack("<Q", raw[:8])[0]
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def _with_header(ckpts, **changes) -> bytes:
    """The VAE file with some __metadata__ fields replaced (None deletes one)."""
    header, data = _vae_header(ckpts)
    meta = dict(header["__metadata__"])
    for k, v in changes.items():
        meta.pop(k) if v is None else meta.__setitem__(k, v)
    return _raw_safetensors(dict(header, __metadata__=meta), data)


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


def _damaged(kind: str, arg, ckpts, tmp: Path) -> Path:
    good = ckpts["vae"]
    p = tmp / "upload.safetensors"
    if kind == "pickle":
        proto, suffix = arg
        p = tmp / f"upload{suffix}"
        p.write_bytes(pickle.dumps({"state_dict": Evil()}, protocol=proto))
    elif kind == "torch_save":
        p = tmp / f"upload{arg}"
        torch.save({"w": torch.zeros(2), "evil": Evil()}, p)  # the zip format a .pt download has
    elif kind == "truncate":
        p.write_bytes(good[: int(len(good) * arg)])
    elif kind == "flip":
        raw = bytearray(good)
        raw[min(len(raw) - 1, int(len(raw) * arg[0]))] ^= 1 << arg[1]
        p.write_bytes(bytes(raw))
    elif kind == "random":
        p.write_bytes(random.Random(arg).randbytes(arg))
    elif kind == "renamed":
        p.write_bytes(_renamed(arg))
    elif kind == "wrong_kind":
        p.write_bytes(ckpts[arg[0]])
    elif kind in ("wrong_shape", "bomb"):
        config = json.loads(_vae_header(ckpts)[0]["__metadata__"]["config"])
        p.write_bytes(_with_header(ckpts, config=json.dumps(dict(config, **arg))))
    elif kind == "meta":
        p.write_bytes(_with_header(ckpts, **arg))
    elif kind == "raw":
        p.write_bytes(_raw_variant(arg, ckpts))
    elif kind == "size":
        if arg == "over_64mb":
            with open(p, "wb") as f:  # sparse: costs no disk
                f.write(good[:64])
                f.truncate(65 * 2**20)
        elif arg == "directory":
            p = tmp / "dir.safetensors"
            p.mkdir()
        elif arg == "missing":
            p = tmp / "missing.safetensors"
        else:
            p = Path(str(tmp / "a") + "\0b.safetensors")
    return p


def _renamed(what: str) -> bytes:
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


def _raw_variant(v: str, ckpts) -> bytes:
    header, data = _vae_header(ckpts)
    name = next(k for k in header if k != "__metadata__")
    entry = header[name]
    lo, hi = entry["data_offsets"]
    if v == "len_past_end":
        return struct.pack("<Q", 10_000) + b"{}"
    if v == "len_huge":
        return struct.pack("<Q", 2**63) + b"{" + b" " * 100
    if v == "not_object":
        return _raw_safetensors(b'"a string header"', data)
    if v == "list":
        return _raw_safetensors(b"[1, 2, 3]", data)
    if v == "number":
        return _raw_safetensors(b"12345", data)
    if v == "deep":
        return _raw_safetensors(b"{\"a\":" + b"[" * 200_000, data)
    if v == "empty_object":
        return _raw_safetensors({}, b"")
    if v == "bad_utf8":
        return _raw_safetensors(b'{"\xff\xfe": 1}', data)
    if v == "meta_not_str":
        return _raw_safetensors(dict(header, __metadata__={"format": 1, "kind": ["vae"]}), data)
    changed = dict(entry)
    if v == "offsets_past_end":
        changed["data_offsets"] = [lo, len(data) + 4096]
    elif v == "offsets_negative":
        changed["data_offsets"] = [-8, hi]
    elif v == "offsets_reversed":
        changed["data_offsets"] = [hi, lo]
    elif v == "bad_dtype":
        changed["dtype"] = "X99"
    elif v == "shape_mismatch":
        changed["shape"] = [s + 1 for s in entry["shape"]]
    elif v in ("float64", "bfloat16", "int8"):
        dtype, size = {"float64": ("F64", 8), "bfloat16": ("BF16", 2), "int8": ("I8", 1)}[v]
        changed["dtype"] = dtype
        changed["shape"] = [(hi - lo) // size]
    elif v == "duplicate_tensor":
        text = json.dumps(header)
        dup = text.replace("{", "{" + json.dumps(name) + ": " + json.dumps(entry) + ", ", 1)
        return _raw_safetensors(dup.encode(), data)
    return _raw_safetensors(dict(header, **{name: changed}), data)


@pytest.mark.parametrize("kind,arg", CKPT_CASES, ids=[f"{k}-{i}" for i, (k, _) in enumerate(CKPT_CASES)])
def test_bad_checkpoint_upload_is_refused_clearly(kind, arg, ckpts, tmp_path):
    path = _damaged(kind, arg, ckpts, tmp_path)
    expected = arg[1] if kind == "wrong_kind" else None
    try:
        model, header = load_checkpoint(path, expected_kind=expected)
    except CheckpointError as e:
        assert one_line(str(e)), str(e)
    else:
        # only a flip inside free-text metadata (or a JSON key repeated with the same value) may still load — and
        # then the weights are exactly the saved ones
        assert kind == "flip" or arg == "duplicate_tensor", f"{kind} {arg!r} was accepted"
        original, _ = load_checkpoint(_ok(ckpts, tmp_path))
        assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), original.state_dict().values(), strict=True))
    assert not MARKER.exists(), "a pickle payload ran"


def _ok(ckpts, tmp: Path) -> Path:
    p = tmp / "original.safetensors"
    p.write_bytes(ckpts["vae"])
    return p


def test_valid_headers_whose_length_starts_with_0x80_still_load(tmp_path):
    """A header length ≡ 128 (mod 256) begins with byte 0x80, like a pickle: once 1 checkpoint in 32 was refused."""
    model = build("classifier")
    hits = 0
    for pad in range(0, 512, 8):
        p = save_checkpoint(tmp_path / "c.safetensors", model, {"pad": "x" * pad})
        if p.read_bytes()[0] == 0x80:
            hits += 1
            assert read_metadata(p)["meta"]["pad"] == "x" * pad
            load_checkpoint(p, expected_kind="classifier")
    assert hits >= 1


def test_a_memory_bomb_config_is_refused_before_any_allocation(ckpts, tmp_path):
    """A header asking for a 10^12-wide layer is compared on the meta device: refused in milliseconds, no RAM."""
    p = _damaged("bomb", {"hidden1": 10**12, "hidden2": 10**12}, ckpts, tmp_path)
    with pytest.raises(CheckpointError, match="cannot build|expected"):
        load_checkpoint(p)


# ---------------------------------------------------------------------------------------------------
# images (uploads and sketches)


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


def _digit_png() -> bytes:
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
    + [(f"nonimage-{k}", _renamed(k), None) for k in ("pdf", "zip", "gzip", "text", "json", "html", "elf", "npy")]
    + [("pickle", pickle.dumps(Evil()), None), ("empty-bytes", b"", None)]
    + [(f"random-{n}", random.Random(n).randbytes(n), None) for n in (1, 10, 100, 5000)]
    + [(f"truncated-png-{f}", _digit_png()[: int(len(_digit_png()) * f)], None) for f in (0.1, 0.3, 0.6, 0.9)]
    + [("png-without-IEND", _digit_png()[:-12], "maybe")]  # every pixel is there: decoding it is fine too
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


@pytest.mark.parametrize("name,value,expect", IMAGE_CASES, ids=[c[0] for c in IMAGE_CASES])
def test_bad_image_is_refused_clearly(name, value, expect):
    try:
        x = load_user_image(value)
    except DataError as e:
        assert one_line(str(e)), str(e)
        assert expect != "ok", f"{name}: {e}"
        if expect == "large":
            assert "too large" in str(e)
        if expect == EMPTY:
            assert "empty" in str(e)
    else:
        assert expect in ("ok", "maybe"), f"{name} was accepted"
        assert x.shape == (1, 28, 28) and torch.isfinite(x).all() and 0 <= x.min() and x.max() <= 1
    assert not MARKER.exists()


def test_a_real_drawing_still_encodes_after_the_barrage():
    x = load_user_image(_digit_png())
    assert x.shape == (1, 28, 28) and x.max() > 0.5
