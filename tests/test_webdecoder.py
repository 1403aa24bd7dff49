"""The Latent explorer's in-page decoder file (genai_demo/explore/webdecoder.py): its bytes decode what the model decodes.

webdecoder.forward is the numpy twin of genai_demo/ui/decoder.js (the browser test compares the page's
canvas with the server's /decode too).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from genai_demo.data import images
from genai_demo.explore import latent as explore
from genai_demo.explore import webdecoder
from genai_demo.models import build
from genai_demo.training.zoo import checkpoint_dir, load_pretrained


def _model(kind: str, **cfg):
    torch.manual_seed(0)
    return build(kind, cfg or {"hidden1": 32, "hidden2": 16}).eval().requires_grad_(False)


def _agree(model, n: int = 50) -> int:
    """Largest pixel difference (0..255) between the exported file's decode and the model's, over n random z."""
    header, layers = webdecoder.parse(webdecoder.export(model))
    rng, worst = np.random.default_rng(0), 0
    for _ in range(n):
        z = rng.uniform(-4, 4, 2)
        label = int(rng.integers(10)) if model.conditional else None
        ref = images.to_uint8(explore.decode(model, [z.tolist()], label)[0, 0]).astype(int)  # (28, 28)
        worst = max(worst, int(np.abs(ref - webdecoder.forward(header, layers, z[0], z[1], label)).max()))
    return worst


@pytest.mark.parametrize("kind", ["vae", "cvae"])
def test_the_file_decodes_like_the_model(kind):
    assert _agree(_model(kind)) <= 1  # float16 weights: at most one grey level off


def test_the_shipped_vae_decodes_the_same_in_the_page():
    path = checkpoint_dir() / "vae_mnist5k.safetensors"
    assert path.is_file(), f"shipped checkpoint missing: {path}"
    model, _ = load_pretrained("vae_mnist5k")
    assert _agree(model, 100) <= 1
    blob = webdecoder.export(model)
    header, layers = webdecoder.parse(blob)
    assert header["layers"] == [[2, 256], [256, 512], [512, 784]] and header["num_classes"] == 0
    assert len(blob) < 1.2e6  # float16: about half of the float32 weights


def test_only_2d_vaes_with_the_plain_mlp_decoder_export():
    with pytest.raises(ValueError, match="2-D latent"):
        webdecoder.export(_model("gan", z_dim=8))
    with pytest.raises(ValueError, match="2-D latent"):
        webdecoder.export(_model("vae", latent_dim=3, hidden1=32, hidden2=16))
    odd = _model("vae")
    odd.decoder = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 784))  # not what the page evaluates
    with pytest.raises(ValueError, match="cannot export"):
        webdecoder.export(odd)


def test_broken_files_are_refused():
    blob = webdecoder.export(_model("vae"))
    with pytest.raises(ValueError, match="not a genai-demo"):
        webdecoder.parse(b"PK" + blob[2:])
    with pytest.raises(ValueError, match="weights"):
        webdecoder.parse(blob[:-6])


def test_decoder_file_is_named_by_content_shared_and_rewritten_if_pruned(tmp_path, monkeypatch):
    monkeypatch.setattr(webdecoder, "OUT_DIR", tmp_path)
    model = _model("vae")
    p1 = webdecoder.decoder_file(model)
    assert Path(p1).read_bytes() == webdecoder.export(model) and Path(p1).parent == tmp_path
    assert webdecoder.decoder_file(model) == p1  # cached per model object
    twin = _model("vae")  # same seed, same weights, another object: same file (the same URL for every visitor)
    assert webdecoder.decoder_file(twin) == p1
    other = _model("vae", hidden1=32, hidden2=8)
    assert webdecoder.decoder_file(other) != p1
    os.unlink(p1)  # pruned while the model stayed cached
    assert Path(webdecoder.decoder_file(model)).is_file()


def test_old_files_are_pruned_when_a_new_one_is_written(tmp_path, monkeypatch):
    monkeypatch.setattr(webdecoder, "OUT_DIR", tmp_path)
    old = tmp_path / "decoder_0123456789abcdef.bin"
    old.write_bytes(b"GDWD")
    hour_ago = time.time() - webdecoder.KEEP_S - 10
    os.utime(old, (hour_ago, hour_ago))
    webdecoder.decoder_file(_model("vae"))
    assert not old.exists()
