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

from .data.datasets import DataError
from .models import family, model_kinds
from .training import curves_io
from .training.checkpoints import CheckpointError, save_checkpoint
from .training.factory import make_trainer
from .training.settings import HYPER, LIMITS, checked, known_datasets

STEPS = 3000  # --steps when omitted: offline runs default longer than the Train tab's (the family's steps)
DEFAULTS = (f"Defaults: --steps {STEPS}; --data, --lr and --batch-size the family's (its spec in models/<family>.py); "
            "--beta 1, --d-steps 1, --seed 0.")


def _number(text: str) -> int | float | str:
    """A number as typed; anything else stays text, so the settings check words the error like the app does."""
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m genai_demo.train", description=__doc__.split("\n")[0], epilog=DEFAULTS)
    p.add_argument("--model", required=True, choices=model_kinds(), help="model family")
    p.add_argument("--data", default=None, help=f"data set: {', '.join(known_datasets())} (default: the family's; "
                   "mnist5k is embedded, fashion / mnist need their files or --download)")
    p.add_argument("--data-dir", default=None, help="folder holding the IDX .gz files (fashion / mnist)")
    p.add_argument("--download", action="store_true", help="download full MNIST into the cache if missing")
    for name in ("steps", "seed", *HYPER):  # one option per row of the limits table (training/settings.py)
        lim, default = LIMITS[name], STEPS if name == "steps" else None
        p.add_argument(f"--{name.replace('_', '-')}", type=_number, default=default,
                       help=f"{lim.label}, {lim.fmt(lim.low)} … {lim.fmt(lim.top(offline=True))}")
    p.add_argument("--config", default=None, help='model config overrides as JSON, e.g. \'{"ngf": 16}\'')
    p.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    p.add_argument("--out", required=True, help="where to write the .safetensors checkpoint")
    a = p.parse_args(argv)
    try:
        a.config = json.loads(a.config) if a.config else None
    except ValueError as e:
        p.error(f"--config is not valid JSON: {e}")
    form = {name: getattr(a, name) for name in ("model", "data", "steps", "seed", *HYPER) if getattr(a, name) is not None}
    try:  # the same check and the same sentences as the Train tab and the API, with the CLI's wider caps
        a.settings = checked({**form, "model_config": a.config, "device": a.device}, offline=True)
    except ValueError as e:
        p.error(str(e))
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    run = a.settings
    try:
        trainer = make_trainer(run, live=False, data_dir=a.data_dir, download=a.download)
    except (DataError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    names = family(run.model).metrics
    print(f"training {run.model} ({trainer.model.num_params():,} parameters) on {run.data} "
          f"({len(trainer.data):,} examples) on {trainer.device}", file=sys.stderr)
    t0 = time.perf_counter()
    trainer.start()
    bar = tqdm(total=run.steps, unit="step", dynamic_ncols=True, disable=None)
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
        "data": run.data, "steps": s.model_step, "seed": run.seed, "hyper": dataclasses.asdict(s.hp),
        "final_metrics": {k: round(v, 5) for k, v in s.last.items() if k != "step"},
        "held_out": {k: round(v[-1], 5) for k, v in s.evals.items() if k != "step" and v},
        "curves": curves_io.pack(s.history, s.evals, s.model_step),
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
