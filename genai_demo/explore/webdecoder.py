"""A 2-D VAE's decoder as a small binary file the Latent explorer's page runs itself (genai_demo/ui/decoder.js).

Why: a slider move decoded on the server costs a round trip (≈ 10 ms idle, 20–40 ms while a run trains on
2 cores) plus an image download, and a classroom of 30 dragging sliders would queue on a free Space's two
vCPUs. The decoder is three small dense layers (2 (+10) → 256 → 512 → 784, ≈ 535k weights), which the
browser evaluates in about a millisecond, so the page decodes locally and the server is asked only for the
file, once per model (and again when a live run publishes new weights).

File layout (little-endian):
    b"GDWD" · uint32 n · n bytes of JSON header (space-padded to a multiple of 4) · float16 weights
    header = {"format": "genai-demo web decoder", "version": 1, "num_classes": K (0 = plain VAE),
              "layers": [[n_in, n_out], ...], "activations": ["relu", "relu", "sigmoid"]}
    weights, layer after layer: W (n_out, n_in) row-major, then b (n_out,)
float16 halves the download (≈ 1.1 MB); the decoded pixels stay within 1/255 of the float32 ones
(tests/test_webdecoder.py checks it against model.decode).
"""
from __future__ import annotations

import hashlib
import json
import struct
import tempfile
import time
from pathlib import Path

import numpy as np
from torch import nn

from .latent import cached, require_2d_vae

MAGIC = b"GDWD"
FORMAT = "genai-demo web decoder"
VERSION = 1
OUT_DIR = Path(tempfile.gettempdir()) / "genai_demo_decoders"
KEEP_S = 3600  # files older than this (and not in use by the cache) are pruned when a new one is written


def export(model) -> bytes:
    """The decoder of a 2-D VAE / CVAE as the bytes above; ValueError for anything else."""
    require_2d_vae(model)
    mods = list(model.decoder)
    linears = [m for m in mods if isinstance(m, nn.Linear)]
    # the layout the page evaluates: Linear (ReLU Linear)*; anything else would be decoded wrongly
    if not linears or [type(m) for m in mods] != [nn.Linear] + [nn.ReLU, nn.Linear] * (len(linears) - 1):
        raise ValueError(f"cannot export a {type(model).__name__} decoder of this shape: {[type(m).__name__ for m in mods]}")
    header = {"format": FORMAT, "version": VERSION, "num_classes": model.cond_dim,
              "layers": [[m.in_features, m.out_features] for m in linears],
              "activations": ["relu"] * (len(linears) - 1) + ["sigmoid"]}
    head = json.dumps(header).encode()
    head += b" " * (-len(head) % 4)  # so the float16 block starts 2-byte aligned for a Uint16Array view
    parts = []
    for m in linears:
        parts.append(m.weight.detach().cpu().numpy().astype("<f2").ravel())  # (n_out, n_in) row-major
        parts.append(m.bias.detach().cpu().numpy().astype("<f2"))  # (n_out,)
    return MAGIC + struct.pack("<I", len(head)) + head + np.concatenate(parts).tobytes()


def parse(blob: bytes) -> tuple[dict, list[tuple[np.ndarray, np.ndarray]]]:
    """(header, [(W, b), ...]) as float32 from export()'s bytes: what decoder.js does, for tests and tools."""
    if blob[:4] != MAGIC:
        raise ValueError("not a genai-demo web decoder file")
    (n,) = struct.unpack("<I", blob[4:8])
    header = json.loads(blob[8:8 + n])
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ValueError(f"unsupported web decoder header: {header}")
    flat = np.frombuffer(blob, dtype="<f2", offset=8 + n).astype(np.float32)
    layers, at = [], 0
    for n_in, n_out in header["layers"]:
        w = flat[at:at + n_in * n_out].reshape(n_out, n_in)
        at += n_in * n_out
        layers.append((w, flat[at:at + n_out]))
        at += n_out
    if at != flat.size:
        raise ValueError(f"web decoder file has {flat.size} weights, the header describes {at}")
    return header, layers


def forward(header: dict, layers, z1: float, z2: float, label: int | None = None) -> np.ndarray:
    """The page's forward pass in numpy: (28, 28) uint8 pixels, rounded like images.to_uint8."""
    k = header["num_classes"]
    h = np.zeros(2 + k, np.float32)
    h[:2] = z1, z2
    if k:
        h[2 + int(label)] = 1.0  # one-hot label after z, as VAE._with_label concatenates it
    for (w, b), act in zip(layers, header["activations"], strict=True):
        h = w @ h + b
        # the sigmoid on clipped logits: exp(-h) overflows float32 past h ≈ -88 (a black pixel), with a warning
        h = np.maximum(h, 0) if act == "relu" else 1 / (1 + np.exp(-np.clip(h, -80, 80)))
    return (np.clip(h, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(28, 28)


def decoder_file(model, step: int = 0) -> str:
    """Path of the model's exported decoder, written once per (model object, step); named by content hash,
    so every visitor of a shipped model gets the same file (and Gradio the same cached URL)."""

    def write() -> str:
        blob = export(model)
        OUT_DIR.mkdir(exist_ok=True)
        path = OUT_DIR / f"decoder_{hashlib.sha256(blob).hexdigest()[:16]}.bin"
        if not path.exists():
            _prune()
            tmp = path.with_suffix(f".{time.time_ns()}.tmp")
            tmp.write_bytes(blob)
            tmp.replace(path)  # atomic: a concurrent reader never sees half a file
        return str(path)

    path = cached(model, step, ("web_decoder",), write)
    try:
        Path(path).touch()  # in use: keep it out of _prune's reach
    except FileNotFoundError:  # pruned while its model stayed cached (an idle hour): write it again
        path = write()
    return path


def _prune() -> None:
    """Drop exported decoders nobody wrote for an hour (live runs publish a new one every few hundred steps)."""
    now = time.time()
    for old in OUT_DIR.glob("decoder_*"):
        try:
            if now - old.stat().st_mtime > KEEP_S:
                old.unlink()
        except OSError:  # a concurrent prune got there first
            pass
