"""Small untrained checkpoints for tab-handler tests (a plain module: "conftest" is ambiguous with tests/browser/)."""
from __future__ import annotations

import torch


def write_tiny_checkpoints(d, prefix: str) -> None:
    """Four small untrained image checkpoints in folder d: <prefix>_vae, _cvae, _gan, _cgan (tab handlers only
    need the shapes, not good digits)."""
    from genai_demo.models import build
    from genai_demo.training.checkpoints import save_checkpoint

    torch.manual_seed(0)
    for kind, cfg in (("vae", {"hidden1": 32, "hidden2": 16}), ("cvae", {"hidden1": 32, "hidden2": 16}),
                      ("gan", {"z_dim": 8}), ("cgan", {"z_dim": 8})):
        save_checkpoint(d / f"{prefix}_{kind}.safetensors", build(kind, cfg).eval(), {"data": "mnist5k", "steps": 0})
