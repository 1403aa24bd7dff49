"""Bad input, generated from seeded lists (the same few hundred cases every run): checkpoint uploads that are
pickles, truncated, bit-flipped, renamed or crafted; images that are huge, empty or not images at all; and
hyper-parameters out of range or of the wrong type sent to the Train handlers. Each must be refused with a
clear, one-line error of the expected type; nothing is executed, nothing else escapes, and afterwards a normal
request still works on an unchanged registry.

The same barrage through a launched server (gradio_client) is in test_bad_input_api below.
"""
from __future__ import annotations

import gzip
import io
import json
import math
import pickle
import random
import re
import struct
import time
import zipfile
import zlib
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
import torch
from PIL import Image, ImageDraw

from genai_demo.checkpoints import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from genai_demo.data import DataError, load_user_image
from genai_demo.models import build
from genai_demo.runs import RunRegistry

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


def test_a_large_allowed_upload_is_shrunk_first_and_reads_the_same(monkeypatch):
    """A 38 KB PNG can claim 4,000 x 4,000 px: its pixel maths would cost ~1 s of CPU. It is shrunk to
    data.WORK_SIDE first (area average), which must not change the digit the model sees."""
    import genai_demo.data as data

    def drawing(side: int, mode: str) -> bytes:
        im = Image.new(mode, (side, side), 255 if mode == "L" else (0, 0, 0, 0))
        ink, w = (0 if mode == "L" else (0, 0, 0, 255)), max(1, side // 100)
        ImageDraw.Draw(im).line([(side * 0.3, side * 0.2), (side * 0.6, side * 0.8), (side * 0.7, side * 0.3)], fill=ink, width=w)
        buf = io.BytesIO()
        im.save(buf, "PNG")
        return buf.getvalue()

    for mode in ("L", "RGBA"):  # an upload, and a transparent canvas
        shrunk = load_user_image(drawing(4000, mode))
        with monkeypatch.context() as m:
            m.setattr(data, "WORK_SIDE", 10**6)
            full = load_user_image(drawing(4000, mode))
        assert torch.corrcoef(torch.stack([shrunk.flatten(), full.flatten()]))[0, 1] > 0.95


def test_a_real_drawing_still_encodes_after_the_barrage():
    x = load_user_image(_digit_png())
    assert x.shape == (1, 28, 28) and x.max() > 0.5


# ---------------------------------------------------------------------------------------------------
# hyper-parameters through the Train handlers (plain methods; the same ones the API endpoints call)

GOOD = {"model": "vae", "data": "mnist5k", "steps": 20, "lr": 1e-3, "batch_size": 16, "beta": 1.0, "d_steps": 1, "seed": 0}
WRONG_TYPE = ["abc", "", None, [], {}, [1], {"a": 1}, b"1", float("nan"), float("inf"), -float("inf")]
BAD = {
    "model": ["VAE", "gan ", "../../etc/passwd", "charlm", "classifier", "tiny", 0, True, "vae\0"],
    "data": ["mnist60k", "../data", "FASHION", "text", 5, "mnist5k "],
    "steps": [0, -5, 10**12, 20_001, 1.5, "100", True, 1e30, -1e30],
    "lr": [0, -1e-3, 1e6, 0.11, "1e-3", 1e-9, 1e30, True],
    "batch_size": [0, -1, 1025, 10**9, 1.5, "64", 1e30],
    "beta": [-0.1, 21, "1", 1e30, -1e30],
    "d_steps": [0, 11, 1.5, -1, 1e30],
    "seed": [-1, 2**31, 1.5, "0", 1e30],
}
HYPER_CASES = [(f, v) for f, vs in BAD.items() for v in vs] + [
    (f, v) for f in BAD for v in WRONG_TYPE if not (f in ("lr", "data") and v is None)  # None: the model's default
]


class Req:
    def __init__(self, sid: str):
        self.session_hash = sid


@pytest.fixture(scope="module")
def actions():
    from genai_demo.ui.context import UIContext
    from genai_demo.ui.train_actions import TrainActions

    ctx = UIContext(RunRegistry(max_running=1, max_steps=20_000))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


@pytest.mark.parametrize("field,value", HYPER_CASES, ids=[f"{f}={v!r}"[:40] for f, v in HYPER_CASES])
def test_bad_hyper_parameter_is_refused_clearly(field, value, actions):
    sid = f"bad-{field}-{value!r}"
    with pytest.raises(gr.Error) as e:
        actions.train(**dict(GOOD, **{field: value}), request=Req(sid))
    assert one_line(e.value.message) and e.value.message.startswith("Cannot start"), e.value.message
    assert actions.ctx.registry.runs(sid) == []  # nothing was created


STEP_CASES = [0, -1, 1001, 10**12, 1.5, "3", None, float("nan"), float("inf"), True, [], {}]


def test_bad_controls_and_then_a_normal_run_still_works(actions):
    reg = actions.ctx.registry
    with pytest.raises(gr.Error, match="no training run yet"):
        actions.pause(request=Req("nobody"))
    d = actions.train(**GOOD, request=Req("alice"))
    assert d["state"] in ("running", "queued", "finished") and d["model"] == "vae"
    before = reg.get("alice")
    for n in STEP_CASES:
        with pytest.raises(gr.Error) as e:
            actions.step(n, request=Req("alice"))
        assert one_line(e.value.message), n
    for bad_request in (None, Req(""), Req(None)):
        with pytest.raises(gr.Error, match="session"):
            actions.status(request=bad_request)
    end = time.monotonic() + 120  # polling also schedules: a queued run starts when a slot frees
    while (d := actions.status(request=Req("alice")))["state"] != "finished" and time.monotonic() < end:
        time.sleep(0.1)
    assert d["state"] == "finished" and d["step"] == GOOD["steps"] and d["error"] is None
    # the registry holds alice's one run and nothing from the barrage
    assert [r.id for r in reg.runs("alice")] == [before.id] and reg.running_count() == 0 and reg.sessions() == 1
    assert not MARKER.exists()


def test_case_count():
    n = len(CKPT_CASES) + len(IMAGE_CASES) + len(HYPER_CASES) + len(STEP_CASES) + len(HANDLER_CASES) + len(API_CASES) + len(RAW_CASES)
    assert n >= 200, n


# ---------------------------------------------------------------------------------------------------
# the Latent explorer and GAN studio handlers (the "decode" and "sample" API endpoints and their buttons)

NAN, INF = float("nan"), float("inf")
V, CV, G, CG = "pretrained:bad_vae", "pretrained:bad_cvae", "pretrained:bad_gan", "pretrained:bad_cgan"
T = "pretrained:bad_charlm"
BAD_KEYS = [None, "", 5, [], {}, "bogus", "pretrained:", "pretrained:nope", "pretrained:../bad_vae", "pretrained:/etc/passwd",
            "pretrained:.hidden", "pretrained:bad\0vae", "run:", "run:r1", "run:../x"]
BAD_NUMBERS = ["abc", "", None, [], {}, NAN, INF, -INF, 1e30, -1e30]
# (handler, args, must fail): "decode"/"map" take (key, z1, z2, digit); "sample" (key, n, seed, label);
# "walk" (key, seed_a, seed_b, steps, mode, label); "interpolate" (key, digit, steps); "encode" (key, digit, image)
HANDLER_CASES = (
    [("decode", (k, 0.0, 0.0, 0), True) for k in BAD_KEYS + [G]]
    + [("decode", (V, z, 0.0, 0), True) for z in BAD_NUMBERS + [4.01, -5]]
    + [("decode", (CV, 0.0, 0.0, d), True) for d in [-1, 10, 99, "x", None, NAN, INF, -INF, 1e30, [], {}]]
    + [("map", (V, 0.0, z, 0), True) for z in BAD_NUMBERS]
    + [("sample", (k, 16, 0, "random"), True) for k in BAD_KEYS]
    + [("sample", (G, n, 0, "random"), True) for n in BAD_NUMBERS + [0, 15, 101, 10**9, 1.5, True, "16"]]
    + [("sample", (G, 16, s, "random"), True) for s in BAD_NUMBERS + [-1, 2**31, 2**63, 1.5]]
    + [("sample", (CG, 16, 0, c), True) for c in ["bogus", -1, 10, 99, NAN, INF, 1e30, [], {}]]
    + [("walk", (G, 0, 1, st, "lerp", "random"), True) for st in BAD_NUMBERS + [1, 33, 10**9]]
    + [("walk", (G, 0, 1, 8, m, "random"), True) for m in ["bogus", None, "", 5, "LERP"]]
    + [("walk", (G, a, 1, 8, "slerp", "random"), True) for a in [NAN, INF, -1, "x", None]]
    + [("interpolate", (V, 0, st), True) for st in BAD_NUMBERS + [0, 1, 10**9]]
    + [("encode", (V, 0, value), expect not in ("ok", "maybe")) for name, value, expect in IMAGE_CASES
       if not isinstance(value, str)]  # paths never reach this handler: Gradio hands it arrays or its own files
    # the Next-token tab: (key, prompt, temperature, top_k, seed, max_new)
    + [("generate", (k, "Ma", 1.0, 0, 0, 5), True) for k in BAD_KEYS + [V]]
    + [("generate", (T, "Ma", t, 0, 0, 5), True) for t in BAD_NUMBERS + [-0.1, 5.1]]
    + [("generate", (T, "Ma", 1.0, k, 0, 5), True) for k in BAD_NUMBERS + [-1, 1.5, 10**6]]
    + [("generate", (T, "Ma", 1.0, 0, s, 5), True) for s in BAD_NUMBERS + [-1, 2**40, 1.5]]
    + [("generate", (T, "Ma", 1.0, 0, 0, m), True) for m in BAD_NUMBERS + [0, 10**6, 1.5]]
    + [("generate", (T, p, 1.0, 0, 0, 5), True) for p in ["M" * 100_000, "€uro", "a\0b", "🙂", "<script>", [1], {"a": 1}]]
    + [("next_token", (T, "Ma", t, 0, 0), True) for t in (NAN, INF, -1, "x")]
)


@pytest.fixture(scope="module")
def tabs(tmp_path_factory):
    """Latent / GAN / Next-token handlers on small untrained checkpoints (shapes are all these checks need)."""
    from genai_demo.text_data import corpus_vocab
    from genai_demo.ui.context import UIContext
    from genai_demo.ui.gan_tab import GanActions
    from genai_demo.ui.latent_tab import LatentActions
    from genai_demo.ui.text_tab import TextActions

    d = tmp_path_factory.mktemp("tab_ckpts")
    torch.manual_seed(0)
    for stem, kind, cfg in (("bad_vae", "vae", {"hidden1": 32, "hidden2": 16}), ("bad_cvae", "cvae", {"hidden1": 32, "hidden2": 16}),
                            ("bad_gan", "gan", {"z_dim": 8}), ("bad_cgan", "cgan", {"z_dim": 8})):
        save_checkpoint(d / f"{stem}.safetensors", build(kind, cfg).eval(), {"data": "mnist5k", "steps": 0})
    charlm = build("charlm", {"vocab": corpus_vocab("names"), "n_layer": 1, "n_embd": 16, "n_head": 2}).eval()
    save_checkpoint(d / "bad_charlm.safetensors", charlm, {"data": "names", "steps": 0})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_DEMO_CHECKPOINTS", str(d))
        ctx = UIContext(RunRegistry(max_running=1))
        yield LatentActions(ctx), GanActions(ctx), TextActions(ctx, delay=0)
        ctx.registry.shutdown()


def _call(tabs, name, args):
    latent, gan, text = tabs
    r = Req("tab-visitor")
    pts = {"a": [0.0, 0.0], "b": [1.0, 1.0], "drawn": None}
    if name == "decode":
        return latent.decode(*args, request=r)
    if name == "map":
        return latent.map_image(*args, True, pts, request=r)
    if name == "sample":
        return gan.sample(*args, request=r)
    if name == "walk":
        return gan.walk(*args, request=r)
    if name == "interpolate":
        return latent.interpolate(*args, pts, request=r)
    if name == "generate":
        return list(text.generate(*args, request=r))  # a stream: run it to the end
    if name == "next_token":
        return text.next_token(*args, request=r)
    return latent.encode(*args, True, pts, request=r)


@pytest.mark.parametrize("name,args,must_fail", HANDLER_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(HANDLER_CASES)])
def test_bad_tab_input_is_refused_clearly(name, args, must_fail, tabs):
    try:
        _call(tabs, name, args)
    except gr.Error as e:
        assert one_line(e.message), e.message
    else:
        assert not must_fail, f"{name}{args!r} was accepted"
    assert not MARKER.exists()


def test_the_tabs_still_work_after_the_barrage(tabs):
    assert _call(tabs, "decode", (V, 0.5, -0.5, 0)).shape == (224, 224)
    assert _call(tabs, "sample", (CG, 16, 3, "rows")).ndim == 2
    assert len(_call(tabs, "encode", (V, 0, _digit_png()))) == 7
    assert len(_call(tabs, "generate", (T, "Ma", 1.0, 0, 3, 4))) == 5


# ---------------------------------------------------------------------------------------------------
# the same barrage from outside: gradio_client, and plain HTTP for what gradio_client refuses to send (NaN, inf)

_arng = random.Random(11)
API_CASES = (
    [("/train", (), dict(GOOD, **{f: v})) for f, v in _arng.sample(HYPER_CASES, 40)
     if not (isinstance(v, float) and not math.isfinite(v)) and not isinstance(v, bytes)]
    + [("/step", (n,), {}) for n in (0, -1, 1001, 1.5, "3", None, True, [], {})]
    + [("/decode", (k, 0.0, 0.0, 0), {}) for k in (None, "", "bogus", "pretrained:../x", "run:r1", G)]
    + [("/decode", (V, z, 0.0, 0), {}) for z in (5.0, -4.5, "abc", None)] + [("/decode", (CV, 0.0, 0.0, 99), {})]
    + [("/sample", (G, n, 0, "random"), {}) for n in (0, 101, "x", None)]
    + [("/sample", (G, 16, s, "random"), {}) for s in (-1, 2**40, "x")] + [("/sample", (CG, 16, 0, "99"), {})]
    + [("/stop", (), {}), ("/pause", (), {}), ("/resume", (), {})]  # this visitor has no run
)
RAW_CASES = [  # (api, data): JSON with NaN / Infinity literals, as a hand-written client could send
    ("train", ["vae", "mnist5k", NAN, 1e-3, 16, 1.0, 1, 0, False]), ("train", ["vae", "mnist5k", 20, INF, 16, 1.0, 1, 0, False]),
    ("train", ["vae", "mnist5k", 20, 1e-3, NAN, 1.0, 1, 0, False]), ("train", ["vae", "mnist5k", 20, 1e-3, 16, -INF, 1, 0, False]),
    ("train", ["vae", "mnist5k", 20, 1e-3, 16, 1.0, 1, NAN, False]), ("step", [NAN]), ("step", [INF]),
    ("decode", [V, NAN, 0.0, 0]), ("decode", [V, 0.0, INF, 0]), ("sample", [G, NAN, 0, "random"]),
    ("sample", [G, 16, NAN, "random"]), ("sample", [G, 16, INF, "random"]), ("sample", [CG, 16, 0, NAN]),
]


@pytest.fixture(scope="module")
def server(tabs):
    from served import serve_app

    with serve_app(max_running=1, max_steps=20_000) as served:
        yield served


def final_exceptions(log: str) -> list[str]:
    """The last line of every traceback printed in a log (for a chained one, the exception finally raised)."""
    finals, last, lines = [], None, log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            before = next((x for x in reversed(lines[:i]) if x.strip()), "")
            if last and not before.startswith(("The above exception", "During handling")):
                finals.append(last)
                last = None
        elif re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", line):
            last = line
    return finals + ([last] if last else [])


def _raw_call(url: str, api: str, data: list, session: str) -> str:
    """Gradio's plain HTTP API: POST the inputs, read the event stream; returns the event type."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as h:
        body = json.dumps({"data": data, "session_hash": session})  # allow_nan: NaN / Infinity literals
        r = h.post(f"gradio_api/call/{api}", content=body, headers={"content-type": "application/json"})
        if r.status_code >= 400:
            return f"http {r.status_code}"
        with h.stream("GET", f"gradio_api/call/{api}/{r.json()['event_id']}") as s:
            for line in s.iter_lines():
                if line.startswith("event:") and line.split(":", 1)[1].strip() in ("complete", "error"):
                    return line.split(":", 1)[1].strip()
    return "no event"


def test_bad_input_through_the_api_is_refused_clearly(server, capfd):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, ctx = server
    c = Client(url, verbose=False, analytics_enabled=False)
    accepted = []
    for api, args, kwargs in API_CASES:
        try:
            c.predict(*args, **kwargs, api_name=api)
            accepted.append((api, args, kwargs))
        except AppError as e:  # ours are one line; Gradio's own input checks ("Could not preprocess …") take a few
            assert str(e) and "Traceback" not in str(e) and len(str(e)) < 800, str(e)
    assert accepted == []
    raw = [(api, data, _raw_call(url, api, data, "raw-visitor")) for api, data in RAW_CASES]
    assert [r for r in raw if r[2] == "complete"] == []  # every one refused (an error event or a 4xx)
    assert ctx.registry.runs(c.session_hash) == [] and ctx.registry.runs("raw-visitor") == []
    # nothing but gr.Error (ours, or Gradio's own input checks) came out of a handler: anything else is a crash
    crashes = [e for e in final_exceptions(capfd.readouterr().err) if not e.startswith("gradio.exceptions.")]
    assert crashes == [], "\n".join(crashes)
    # and the app still works for this very visitor
    c.predict(model="vae", data="mnist5k", steps=20, batch_size=16, api_name="/train")
    end = time.monotonic() + 120
    while (s := c.predict(api_name="/status"))["state"] != "finished" and time.monotonic() < end:
        time.sleep(0.2)
    assert (s["state"], s["step"], s["error"]) == ("finished", 20, None)
    assert c.predict(V, 0.5, -0.5, 0, api_name="/decode")
    assert [r.session for rs in [ctx.registry.runs(c.session_hash)] for r in rs] == [c.session_hash]


def test_uploads_over_the_size_limit_are_refused_by_the_server(server):
    import httpx

    url, _ = server
    small = httpx.post(f"{url}gradio_api/upload", files={"files": ("ok.png", _digit_png(), "image/png")}, timeout=60)
    big = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.png", b"\0" * (6 * 2**20), "image/png")}, timeout=60)
    assert small.status_code == 200 and big.status_code == 413 and "maximum allowed size" in big.text
