"""Score a generative checkpoint's samples from the command line.

    python -m genai_demo.evaluate checkpoints/gan_mnist5k.safetensors --n 1000 --seed 0

Prints classifier confidence, classes covered, the class histogram, the Fréchet distance on classifier
features (beside the real-vs-real baseline), the nearest-training-image distance and, for VAEs, the
held-out negative ELBO and reconstruction MSE / SSIM. See genai_demo/quality/scores.py for the definitions.
"""
from __future__ import annotations

import argparse
import sys
import time

from .data.datasets import DataError
from .models import kinds
from .quality.report import Report, format_table
from .quality.scores import CLASSIFIER_FOR, judge
from .training.checkpoints import CheckpointError, load_checkpoint, read_metadata


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m genai_demo.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", help=f"a .safetensors checkpoint of a {', '.join(kinds(quality=True))}")
    p.add_argument("--n", type=int, default=1000, help="samples to draw and score (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling noise")
    p.add_argument("--data", default=None, help="data set to compare against (default: the one it was trained on)")
    p.add_argument("--no-nearest", action="store_true", help="skip the nearest-training-image search (slow on 60k images)")
    a = p.parse_args(argv)
    if not 20 <= a.n <= 20_000:
        p.error("--n must be between 20 and 20,000")
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    try:
        header = read_metadata(a.checkpoint)
        judged = kinds(quality=True)  # the image generators (each family's spec says whether it is one)
        if header["kind"] not in judged:
            raise CheckpointError(f"{a.checkpoint} holds a {header['kind']!r} model; "
                                  f"evaluate scores image generators only ({', '.join(judged)})")
        data = a.data or header["meta"].get("data", "mnist5k")
        if data not in CLASSIFIER_FOR:
            raise CheckpointError(f"no quality classifier for data set {data!r}; use --data {' or '.join(CLASSIFIER_FOR)}")
        model, _ = load_checkpoint(a.checkpoint, expected_kind=judged)
        t0 = time.perf_counter()
        scores = judge(model, data, n=a.n, seed=a.seed, nearest=not a.no_nearest)
    except (CheckpointError, DataError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    steps = header["meta"].get("steps", "?")
    print(f"{a.checkpoint} ({header['kind']}, {steps} steps, {model.num_params():,} parameters)")
    print(format_table(Report.of(scores)))
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
