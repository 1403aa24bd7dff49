"""Bad input, generated from seeded lists (the same few hundred cases every run): checkpoint uploads that are
pickles, truncated, bit-flipped, renamed or crafted; images that are huge, empty or not images at all (the lists:
tests/helpers/bad_inputs.py). Each must be refused with a clear, one-line error of the expected type; nothing is
executed and nothing else escapes.

Hyper-parameters, tab handlers and the same barrage through a launched server: test_bad_input_app.py.
"""
from __future__ import annotations

import json
import pickle
import random
import struct
from pathlib import Path

import pytest
import torch

from genai_demo.data.datasets import DataError
from genai_demo.data.user_image import load_user_image
from genai_demo.models import build
from genai_demo.training.checkpoints import CheckpointError, load_checkpoint, read_metadata, save_checkpoint
from tests.helpers.bad_inputs import CKPT_CASES, EMPTY, IMAGE_CASES, KINDS, MARKER, Evil, digit_png, one_line, renamed_bytes

# ---------------------------------------------------------------------------------------------------
# checkpoints


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
        p.write_bytes(renamed_bytes(arg))
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
    x = load_user_image(digit_png())
    assert x.shape == (1, 28, 28) and x.max() > 0.5
