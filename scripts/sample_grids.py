"""Write docs/samples/<checkpoint>.png: a 10×10 sample grid of every shipped image checkpoint.

    python scripts/sample_grids.py
"""
from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from PIL import Image  # noqa: E402

from genai_demo.data.images import make_grid, upscale  # noqa: E402
from genai_demo.models import family  # noqa: E402
from genai_demo.training.checkpoints import load_checkpoint, read_metadata  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    out = ROOT / "docs" / "samples"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted((ROOT / "checkpoints").glob("*.safetensors")):
        if not family(read_metadata(path)["kind"]).quality:  # image generators only (their spec says so)
            continue
        model, _ = load_checkpoint(path)
        g = torch.Generator().manual_seed(0)
        imgs = model.sample(100, generator=g, labels=model.preview_labels(100))  # (100, 1, 28, 28)
        Image.fromarray(upscale(make_grid(imgs, nrow=10), 2)).save(out / f"{path.stem}.png")
        print("wrote", out / f"{path.stem}.png")


if __name__ == "__main__":
    main()
