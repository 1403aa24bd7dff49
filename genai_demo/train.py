"""Train a model from the command line, on the very Trainer the app uses.

    python -m genai_demo.train --model gan --data mnist5k --steps 3000 --out checkpoints/gan_mnist5k.safetensors

A tqdm bar shows the live metrics (D loss / D accuracy / G loss for GANs, as the articles print them).
Ctrl-C stops the run and still saves what was learned so far.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time

from tqdm import tqdm

from .data.datasets import DataError, load_dataset
from .models import model_kinds
from .models.base import Hyper
from .training.checkpoints import CheckpointError, save_checkpoint
from .training.trainer import RunConfig, Trainer

# The figures each family reports on the bar, in the articles' order.
SHOWN = {"gan": ("d_loss", "d_acc", "g_loss"), "vae": ("loss", "recon", "kl"), "charlm": ("loss", "bpc")}


def shown_metrics(kind: str) -> tuple[str, ...]:
    family = "gan" if kind in ("gan", "cgan", "dcgan") else "vae" if kind in ("vae", "cvae") else kind
    return SHOWN.get(family, ())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m genai_demo.train", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=model_kinds(), help="model family")
    p.add_argument("--data", default="mnist5k", help="data set: mnist5k (embedded), fashion, mnist (download)")
    p.add_argument("--data-dir", default=None, help="folder holding the IDX .gz files (fashion / mnist)")
    p.add_argument("--download", action="store_true", help="download full MNIST into the cache if missing")
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--lr", type=float, default=None, help="Adam learning rate (default: the family's)")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    p.add_argument("--d-steps", type=int, default=1, help="GAN: D updates per G update")
    p.add_argument("--config", default=None, help='model config overrides as JSON, e.g. \'{"ngf": 16}\'')
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--out", required=True, help="where to write the .safetensors checkpoint")
    a = p.parse_args(argv)
    if not 1 <= a.steps <= 1_000_000:
        p.error("--steps must be between 1 and 1,000,000")
    if not 1 <= a.batch_size <= 4096:
        p.error("--batch-size must be between 1 and 4096")
    if a.lr is not None and not 0 < a.lr < 1:
        p.error("--lr must be in (0, 1)")
    try:
        a.config = json.loads(a.config) if a.config else None
    except ValueError as e:
        p.error(f"--config is not valid JSON: {e}")
    return a


def default_lr(kind: str) -> float:
    return 1e-3 if kind in ("vae", "cvae", "charlm") else 2e-4


def held_out(a: argparse.Namespace):
    """The test split, for held-out metrics at snapshots (models that define evaluate()); None if it is missing."""
    try:
        return load_dataset(a.data, "test", data_dir=a.data_dir)
    except DataError:
        return None


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    hp = Hyper(lr=a.lr or default_lr(a.model), batch_size=a.batch_size, beta=a.beta, d_steps=a.d_steps)
    cfg = RunConfig(kind=a.model, data=a.data, steps=a.steps, seed=a.seed, hp=hp, model_config=a.config, device=a.device)
    try:
        data = load_dataset(a.data, "train", data_dir=a.data_dir, download=a.download)
        trainer = Trainer(cfg, data, test_data=held_out(a))
    except (DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    names = shown_metrics(a.model)
    print(f"training {a.model} ({trainer.model.num_params():,} parameters) on {a.data} "
          f"({len(data):,} examples) on {trainer.device}", file=sys.stderr)
    t0 = time.perf_counter()
    trainer.start()
    bar = tqdm(total=a.steps, unit="step", dynamic_ncols=True, disable=None)
    try:
        while trainer.alive:
            trainer.join(0.25)
            s = trainer.snapshot()
            bar.update(s.step - bar.n)
            bar.set_postfix({k: f"{s.last[k]:.3f}" for k in names if k in s.last}, refresh=False)
    except KeyboardInterrupt:
        print("\ninterrupted: stopping and saving what was learned so far", file=sys.stderr)
        trainer.stop()
    s = trainer.snapshot()
    bar.update(s.step - bar.n)
    bar.close()
    if s.state == "failed":
        print(f"error: training failed: {s.error}", file=sys.stderr)
        return 1
    meta = {
        "data": a.data, "steps": s.model_step, "seed": a.seed, "hyper": dataclasses.asdict(s.hp),
        "final_metrics": {k: round(v, 5) for k, v in s.last.items() if k != "step"},
        "held_out": {k: round(v[-1], 5) for k, v in s.evals.items() if k != "step" and v},
        "seconds": round(time.perf_counter() - t0, 1), "device": s.device,
        "command": "python -m genai_demo.train " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    try:
        path = save_checkpoint(a.out, s.model, meta)
    except CheckpointError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    summary = ", ".join([f"{k}={s.last[k]:.3f}" for k in names if k in s.last] + [f"{k}={v:.3f}" for k, v in meta["held_out"].items()])
    print(f"saved {path} (step {s.model_step}, {summary}, {meta['seconds']} s, {s.steps_per_s:.1f} steps/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
