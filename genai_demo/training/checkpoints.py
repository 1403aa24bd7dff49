"""Checkpoints: safetensors only, metadata in the header, atomic writes, strict validation on load.

Why so strict: the app accepts uploads from strangers. A PyTorch .pt file is a pickle and can run code
when loaded, so we never call torch.load / pickle on anything; safetensors holds only raw tensors plus
a JSON header. On load we also check the format tag, the model kind, every tensor name, shape and dtype,
and a sha256 of the tensor bytes (so a file edited after saving is refused, not silently used).
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from safetensors import safe_open
from safetensors.torch import save_file

from ..models import build, model_kinds
from ..models.base import GenerativeModel

FORMAT = "genai-demo"
FORMAT_VERSION = 1
MAX_BYTES = 64 * 1024 * 1024  # shipped checkpoints are ≤ 23 MB (the wide Fashion GAN); anything far bigger is not ours


class CheckpointError(ValueError):
    """A one-line, user-facing reason why a file was refused."""


def _digest(tensors: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(tensors):
        t = tensors[name].detach().cpu().contiguous()
        h.update(name.encode())
        h.update(str(tuple(t.shape)).encode())
        h.update(t.reshape(-1).view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def save_checkpoint(path: str | os.PathLike, model: GenerativeModel, meta: dict[str, Any] | None = None) -> Path:
    """Write model weights + metadata atomically (temp file in the same folder, then os.replace)."""
    path = Path(path)
    tensors = {k: v.detach().cpu().contiguous().clone() for k, v in model.state_dict().items()}
    header = {
        "format": FORMAT,
        "format_version": str(FORMAT_VERSION),
        "kind": model.kind,
        "config": json.dumps(model.config_dict()),
        "meta": json.dumps(meta or {}, default=str),
        "sha256": _digest(tensors),
    }
    try:
        if path.exists() and not path.is_file():  # os.replace would swap out a device / FIFO (as root: /dev/full!)
            raise CheckpointError(f"could not save checkpoint to {path}: it exists and is not a regular file")
        path.parent.mkdir(parents=True, exist_ok=True)
        _sweep_orphans(path)
        # the writer's pid in the name: a later save can tell a temp file left by a killed process (kill -9)
        fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
        os.close(fd)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600; a checkpoint is meant to be shared and downloaded
    except OSError as e:
        raise CheckpointError(f"could not save checkpoint to {path}: {e.strerror or e}") from e
    try:
        save_file(tensors, tmp, metadata=header)
        with open(tmp, "rb") as f:  # the bytes must be on disk before the rename makes them visible
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except Exception as e:  # disk full, permission denied, … (safetensors wraps some OSErrors)
        Path(tmp).unlink(missing_ok=True)
        raise CheckpointError(f"could not save checkpoint to {path}: {getattr(e, 'strerror', None) or e}") from e
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _sweep_orphans(path: Path) -> None:
    """Delete temp files of earlier saves to `path` whose writer process is gone (killed mid-save)."""
    for tmp in path.parent.glob(f"{glob.escape(path.name)}.*.tmp"):
        pid = tmp.name[len(path.name) + 1:].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)  # signal 0: only asks whether the process exists
        except ProcessLookupError:
            tmp.unlink(missing_ok=True)
        except (PermissionError, OverflowError):  # alive under another user / not a real pid: leave it
            pass


def _sniff(path: Path) -> None:
    """Recognise common wrong files early, with a message that says what they are."""
    if not path.is_file():
        raise CheckpointError(f"no checkpoint file at {path}")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CheckpointError(f"{path.name} is {size / 2**20:.0f} MB — too big to be a genai-demo checkpoint")
    with open(path, "rb") as f:
        head = f.read(9)
    # safetensors = 8-byte little-endian header length, then a JSON object. Test that first: a valid header length
    # may well start with byte 0x80 (any length ≡ 128 mod 256), which must not be mistaken for a pickle.
    n = int.from_bytes(head[:8], "little")
    if len(head) == 9 and 2 <= n <= min(size - 8, 1 << 20) and head[8:9] == b"{":
        return
    if head[:2] == b"PK" or head[:1] == b"\x80":
        raise CheckpointError(
            f"{path.name} looks like a PyTorch pickle (.pt/.pth); genai-demo only loads .safetensors files, "
            "because unpickling can run arbitrary code"
        )
    raise CheckpointError(f"{path.name} is not a safetensors file (bad or truncated header)")


def read_metadata(path: str | os.PathLike) -> dict[str, Any]:
    """The header as a dict: kind, config (dict), meta (dict), format_version, sha256."""
    path = Path(path)
    _sniff(path)
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = f.metadata() or {}
    except Exception as e:  # safetensors raises its own error types for broken files
        raise CheckpointError(f"{path.name} is not a valid safetensors file ({e})") from e
    if raw.get("format") != FORMAT:
        raise CheckpointError(f"{path.name} is a safetensors file but not a genai-demo checkpoint (no format tag)")
    if raw.get("format_version") != str(FORMAT_VERSION):
        raise CheckpointError(f"{path.name} has format version {raw.get('format_version')}, expected {FORMAT_VERSION}")
    try:
        out = dict(raw, config=json.loads(raw["config"]), meta=json.loads(raw.get("meta", "{}")))
    except (KeyError, ValueError, TypeError, RecursionError) as e:  # RecursionError: "[[[[…" nested 100,000 deep
        raise CheckpointError(f"{path.name} has a damaged header ({e})") from e
    if not isinstance(out["config"], dict) or not isinstance(out["meta"], dict):  # callers do header["meta"].get(…)
        raise CheckpointError(f"{path.name} has a damaged header (config and meta must be JSON objects)")
    if out.get("kind") not in model_kinds():
        raise CheckpointError(f"{path.name} holds an unknown model kind {out.get('kind')!r}")
    return out


def load_checkpoint(
    path: str | os.PathLike, expected_kind: str | tuple[str, ...] | None = None, device: str = "cpu"
) -> tuple[GenerativeModel, dict[str, Any]]:
    """Rebuild the model from the header's config and load the weights; refuse anything that doesn't fit."""
    path = Path(path)
    header = read_metadata(path)
    kind = header["kind"]
    if expected_kind is not None:
        allowed = (expected_kind,) if isinstance(expected_kind, str) else tuple(expected_kind)
        if kind not in allowed:
            raise CheckpointError(f"{path.name} is a {kind.upper()} checkpoint; this needs {' or '.join(allowed).upper()}")
    try:
        with torch.device("meta"):  # shapes only, no memory: a crafted config must not make us allocate gigabytes
            expected = build(kind, header["config"]).state_dict()
    except (ValueError, TypeError, OverflowError, RuntimeError) as e:  # RuntimeError: e.g. a 2**62-wide layer
        reason = (str(e).splitlines() or [type(e).__name__])[0]  # torch appends a multi-line C++ trace
        raise CheckpointError(f"{path.name} has a config this version cannot build: {reason}") from e
    with safe_open(str(path), framework="pt") as f:
        tensors = {k: f.get_tensor(k) for k in f.keys()}  # at most MAX_BYTES
    missing, extra = set(expected) - set(tensors), set(tensors) - set(expected)
    if missing or extra:
        raise CheckpointError(f"{path.name} does not match a {kind} model (missing {sorted(missing)[:3]}, extra {sorted(extra)[:3]})")
    for k, t in tensors.items():
        if t.shape != expected[k].shape or t.dtype != expected[k].dtype:
            raise CheckpointError(
                f"{path.name}: tensor {k} is {tuple(t.shape)} {t.dtype}, expected {tuple(expected[k].shape)} {expected[k].dtype}"
            )
    if _digest(tensors) != header.get("sha256"):
        raise CheckpointError(f"{path.name} was modified after it was saved (checksum mismatch)")
    model = build(kind, header["config"])  # the real one, now known to be exactly the file's size
    model.load_state_dict(tensors, strict=True)
    return model.to(device).eval(), header
