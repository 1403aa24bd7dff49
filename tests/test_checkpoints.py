"""Checkpoints: round trip, atomic writes, and refusal of anything that is not exactly ours."""
from __future__ import annotations

import json
import os
import pickle
import struct
import zipfile

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file

from genai_demo.models import build
from genai_demo.training.checkpoints import CheckpointError, load_checkpoint, read_metadata, save_checkpoint


@pytest.fixture
def vae_file(tmp_path):
    torch.manual_seed(0)
    model = build("vae")
    path = save_checkpoint(tmp_path / "vae.safetensors", model, {"data": "mnist5k", "steps": 7, "seed": 0})
    return model, path


def test_round_trip_restores_weights_and_metadata(vae_file):
    model, path = vae_file
    loaded, header = load_checkpoint(path, expected_kind="vae")
    assert header["kind"] == "vae" and header["meta"]["steps"] == 7 and header["format_version"] == "1"
    assert header["config"] == model.config_dict()
    for k, v in model.state_dict().items():
        assert torch.equal(v, loaded.state_dict()[k]), k
    g1, g2 = torch.Generator().manual_seed(5), torch.Generator().manual_seed(5)
    assert torch.equal(model.eval().sample(4, generator=g1), loaded.sample(4, generator=g2))
    assert not loaded.training


def test_every_family_round_trips(tmp_path):
    from genai_demo.models import model_kinds

    for kind in model_kinds():
        if kind == "charlm":
            continue  # covered by test_charlm (needs a vocabulary)
        model = build(kind)
        loaded, _ = load_checkpoint(save_checkpoint(tmp_path / f"{kind}.safetensors", model), expected_kind=kind)
        assert set(loaded.state_dict()) == set(model.state_dict())


def test_atomic_write_leaves_no_temp_files_and_replaces(vae_file, tmp_path):
    model, path = vae_file
    save_checkpoint(path, model, {"steps": 8})
    assert read_metadata(path)["meta"]["steps"] == 8
    assert sorted(os.listdir(tmp_path)) == ["vae.safetensors"]


def test_a_save_sweeps_temp_files_left_by_a_killed_writer(vae_file, tmp_path):
    import subprocess
    import sys

    model, path = vae_file
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)  # a process that has exited: its half-written file is an orphan
    orphan = tmp_path / f"vae.safetensors.{dead_pid}.k3j2.tmp"
    live = tmp_path / f"vae.safetensors.{os.getppid()}.x9.tmp"  # a running process's save in progress: not ours to touch
    other = tmp_path / "notes.txt.123.tmp"
    for f in (orphan, live, other):
        f.write_bytes(b"half")
    save_checkpoint(path, model, {"steps": 9})
    assert not orphan.exists() and live.exists() and other.exists()
    assert read_metadata(path)["meta"]["steps"] == 9


def test_wrong_kind_is_refused(vae_file):
    _, path = vae_file
    with pytest.raises(CheckpointError, match="VAE checkpoint; this needs GAN"):
        load_checkpoint(path, expected_kind="gan")


def test_pickle_files_are_refused_without_unpickling(tmp_path):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    p = tmp_path / "evil.safetensors"
    p.write_bytes(pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(p)
    z = tmp_path / "model.pt"  # torch.save's zip format
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("archive/data.pkl", pickle.dumps(Evil()))
    with pytest.raises(CheckpointError, match="pickle"):
        load_checkpoint(z)
    assert not marker.exists()


def test_tampered_weights_are_refused(vae_file):
    _, path = vae_file
    raw = bytearray(path.read_bytes())
    raw[-5] ^= 0xFF  # flip bits inside the last tensor's data; header unchanged
    path.write_bytes(bytes(raw))
    with pytest.raises(CheckpointError, match="modified after it was saved"):
        load_checkpoint(path)


def test_truncated_and_garbage_files_are_refused(vae_file, tmp_path):
    _, path = vae_file
    cut = tmp_path / "cut.safetensors"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(CheckpointError):
        load_checkpoint(cut)
    for i, junk in enumerate([b"", b"abc", b"\x00" * 8, os.urandom(4096), struct.pack("<Q", 2**40) + b"{}"]):
        p = tmp_path / f"junk{i}.safetensors"
        p.write_bytes(junk)
        with pytest.raises(CheckpointError):
            load_checkpoint(p)
    with pytest.raises(CheckpointError, match="no checkpoint file"):
        load_checkpoint(tmp_path / "missing.safetensors")


def test_foreign_safetensors_and_bad_headers_are_refused(vae_file, tmp_path):
    model, path = vae_file
    tensors = {k: v.contiguous() for k, v in model.state_dict().items()}
    foreign = tmp_path / "foreign.safetensors"
    save_file(tensors, str(foreign))  # a valid safetensors file without our header
    with pytest.raises(CheckpointError, match="not a genai-demo checkpoint"):
        load_checkpoint(foreign)
    with safe_open(str(path), framework="pt") as f:
        header = f.metadata()
    cases = {
        "kind": dict(header, kind="os.system"),
        "version": dict(header, format_version="99"),
        "config": dict(header, config="{not json"),
        "shape": dict(header, config=json.dumps(dict(model.config_dict(), latent_dim=3))),
    }
    for name, meta in cases.items():
        p = tmp_path / f"{name}.safetensors"
        save_file(tensors, str(p), metadata=meta)
        with pytest.raises(CheckpointError):
            load_checkpoint(p)
    extra = tmp_path / "extra.safetensors"
    save_file(dict(tensors, evil=torch.zeros(1)), str(extra), metadata=header)
    with pytest.raises(CheckpointError, match="does not match"):
        load_checkpoint(extra)


def test_save_to_an_unwritable_place_gives_a_clear_message(vae_file, tmp_path):
    model, _ = vae_file
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(CheckpointError, match="could not save|Not a directory|exists"):
        save_checkpoint(blocker / "sub" / "vae.safetensors", model)
