"""Score a generative checkpoint's samples from the command line.

    python -m genai_demo.evaluate checkpoints/gan_mnist5k.safetensors --n 1000 --seed 0

Prints classifier confidence, classes covered, the class histogram, the Fréchet distance on classifier
features (beside the real-vs-real baseline), the nearest-training-image distance and, for VAEs, the
held-out negative ELBO and reconstruction MSE / SSIM. See genai_demo/quality/scores.py for the definitions.

One 1,000-sample draw is noisy (a Fréchet distance moves by ±2 from one sampling seed to the next, and a class near
the 5 % bar can fall under it at one seed only), so ``--seeds 0,2-5`` scores several draws instead: one line per seed
and the mean ± standard deviation (the figures the README gives as "sampling seeds 2–5").
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time

from .data.datasets import DataError
from .models import kinds
from .quality.report import Report, format_table
from .quality.scores import CLASSIFIER_FOR, judge
from .training.checkpoints import CheckpointError, load_checkpoint, read_metadata

MAX_SEEDS = 20


def seed_list(text: str) -> list[int]:
    """'0,2-5' → [0, 2, 3, 4, 5]: seeds ≥ 0, at most MAX_SEEDS of them, each once."""
    seeds: list[int] = []
    try:
        for part in text.split(","):
            lo, _, hi = part.strip().partition("-")
            first, last = int(lo), int(hi or lo)
            if first < 0 or last < first or last - first >= MAX_SEEDS:
                raise ValueError
            seeds += [s for s in range(first, last + 1) if s not in seeds]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give seeds like 0,2-5 (whole numbers ≥ 0, ranges low-high)") from None
    if len(seeds) > MAX_SEEDS:
        raise argparse.ArgumentTypeError(f"{text!r}: at most {MAX_SEEDS} seeds")
    return seeds


def spread_table(results: dict[int, dict]) -> str:
    """One line per sampling seed (confidence, classes over the bar, the rarest class, Fréchet, −ELBO for VAEs) and
    the mean ± standard deviation over the seeds."""
    first = next(iter(results.values()))
    k, names = len(first["histogram"]), Report.of(first).class_names  # the report's names: "0".."9" where none are given
    cols = [("confidence", "confidence", "{:.3f}")] + [(key, head, "{:.2f}") for key, head in
                                                       (("frechet", "Fréchet"), ("neg_elbo", "-ELBO")) if key in first]
    lines = ["seed  " + "  ".join(f"{head:>10}" for _, head, _ in cols) + "  classes  rarest class"]
    for seed, s in results.items():
        hist = s["histogram"]
        rare = min(range(k), key=hist.__getitem__)
        lines.append(f"{seed:>4}  " + "  ".join(f"{fmt.format(s[key]):>10}" for key, _, fmt in cols)
                     + f"  {s['classes_covered']:>4}/{k}  {hist[rare]} {names[rare]}")
    if len(results) > 1:
        spread = [f"{head} {fmt.format(statistics.mean(v))} ± {fmt.format(statistics.pstdev(v))}" for key, head, fmt in cols
                  for v in [[s[key] for s in results.values()]]]
        full = sum(s["classes_covered"] == k for s in results.values())
        lines.append(f"mean ± sd over {len(results)} seeds: {', '.join(spread)}; {k}/{k} classes at {full} of them")
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m genai_demo.evaluate", description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", help=f"a .safetensors checkpoint of a {', '.join(kinds(quality=True))}")
    p.add_argument("--n", type=int, default=1000, help="samples to draw and score (default 1000)")
    p.add_argument("--seed", type=int, default=None, help="seed of the sampling noise (default 0)")
    p.add_argument("--data", default=None, help="data set to compare against (default: the one it was trained on)")
    p.add_argument("--seeds", type=seed_list, default=None,
                   help="score several sampling seeds, e.g. 0,2-5: one line each and their spread (no nearest-image search)")
    p.add_argument("--no-nearest", action="store_true", help="skip the nearest-training-image search (slow on 60k images)")
    a = p.parse_args(argv)
    if not 20 <= a.n <= 20_000:
        p.error("--n must be between 20 and 20,000")
    if a.seed is not None and a.seeds:
        p.error("give --seed or --seeds, not both")
    a.seed = 0 if a.seed is None else a.seed
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
        if a.seeds:
            results = {s: judge(model, data, n=a.n, seed=s, nearest=False) for s in a.seeds}
        else:
            scores = judge(model, data, n=a.n, seed=a.seed, nearest=not a.no_nearest)
    except (CheckpointError, DataError, FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    steps = header["meta"].get("steps", "?")
    print(f"{a.checkpoint} ({header['kind']}, {steps} steps, {model.num_params():,} parameters)")
    print(spread_table(results) if a.seeds else format_table(Report.of(scores)))
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
