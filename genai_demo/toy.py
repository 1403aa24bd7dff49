"""Play the 2-D GAN game from the command line: the same engine as the tab, as fast as one core allows.

    python -m genai_demo.toy --dist ring8 --steps 5000 --seed 0
    python -m genai_demo.toy --preset collapse --png collapse.png
    python -m genai_demo.toy --dist custom --points my_points.json      (a JSON list of [x, y] pairs)
    python -m genai_demo.toy --list                                     (the presets and what they show)

Prints the modes covered, the binned JS divergence, the losses, G's gradient at the fakes and any
mode-collapse event at the end. Exit status: 0 done, 1 the game failed (e.g. the losses blew up),
2 bad arguments (one line on stderr).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time

from .explore.toy_data import DISTRIBUTIONS, make_data
from .explore.toy_gan import LOSSES, OPTIMIZERS, ToyConfig
from .explore.toy_presets import DEFAULT_PRESET, PRESETS, preset
from .explore.toy_run import ToyRun

OVERRIDES = ("noise_dim", "hidden", "layers", "batch", "lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m genai_demo.toy", description=__doc__.split("\n")[0])
    p.add_argument("--preset", choices=list(PRESETS), help=f"a ready-made lesson (default {DEFAULT_PRESET} when no --dist)")
    p.add_argument("--dist", choices=[*DISTRIBUTIONS, "custom"], help="the real data (default: the preset's)")
    p.add_argument("--points", help="for --dist custom: a JSON file holding a list of [x, y] pairs inside [-2, 2]²")
    p.add_argument("--steps", type=int, help="rounds to play (default: the preset's)")
    p.add_argument("--seed", type=int, help="seeds the weights, batches and views (default: the preset's, else 0)")
    p.add_argument("--noise-dim", type=int)
    p.add_argument("--hidden", type=int)
    p.add_argument("--layers", type=int)
    p.add_argument("--batch", type=int)
    p.add_argument("--lr-d", type=float)
    p.add_argument("--lr-g", type=float)
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--loss", choices=LOSSES)
    p.add_argument("--d-steps", type=int, help="D updates per round (the D:G ratio with --g-steps)")
    p.add_argument("--g-steps", type=int)
    p.add_argument("--png", help="write the final picture here")
    p.add_argument("--list", action="store_true", help="list the presets and exit")
    a = p.parse_args(argv)
    if a.steps is not None and not 1 <= a.steps <= 200_000:
        p.error("--steps must be between 1 and 200000")
    if (a.dist == "custom") != (a.points is not None):
        p.error("--points goes with --dist custom, and --dist custom needs --points")
    return a


def build(a: argparse.Namespace) -> tuple[ToyConfig, object, int, str]:
    """Preset defaults, then the explicit flags on top → (config, data, steps, label). ValueError if invalid."""
    name = a.preset or (None if a.dist else DEFAULT_PRESET)
    cfg, data, steps = preset(name, a.seed) if name else (ToyConfig(seed=a.seed or 0), None, 5000)
    if a.dist == "custom":
        try:
            with open(a.points, encoding="utf-8") as f:
                points = json.load(f)
        except (OSError, ValueError):
            raise ValueError("--points must name a readable JSON file holding a list of [x, y] pairs.") from None
        data = make_data("custom", points)
    elif a.dist:
        data = make_data(a.dist)
    changes = {k: getattr(a, k) for k in OVERRIDES if getattr(a, k) is not None}
    cfg = dataclasses.replace(cfg, **changes)  # validates: ValueError with one sentence
    label = f"{data.name}" + (f" · preset {name}" if name else "")
    return cfg, data, a.steps or steps, label


def summary(run: ToyRun, label: str, seconds: float) -> list[str]:
    f = run.frame()
    h = f["history"]
    tail = max(1, len(h["step"]) // 10)  # the last tenth of the frames: steadier than the very last one
    d = [v for v in h["d"][-tail:] if v is not None]
    g = [v for v in h["g"][-tail:] if v is not None]
    half = h["modes"][len(h["modes"]) // 2:] or [f["modes_covered"]]
    drift = [v for v in h["drift"][len(h["drift"]) // 2:] if v is not None]
    cfg = f["config"]
    lines = [
        f"{label} · seed {cfg['seed']} · {f['step']:,} steps in {seconds:.1f} s "
        f"({f['step'] / max(seconds, 1e-9):,.0f} steps/s, one thread)",
        f"  settings       {cfg['optimizer']}, loss {cfg['loss']}, lr D {cfg['lr_d']:g} / G {cfg['lr_g']:g}, "
        f"D:G {cfg['d_steps']}:{cfg['g_steps']}, noise {cfg['noise_dim']}-D, {cfg['layers']} × {cfg['hidden']} hidden, "
        f"batch {cfg['batch']}",
        f"  modes covered  {f['modes_covered']} of {f['modes']} ({f['on_data']:.0%} of the fakes near a mode); "
        f"over the last half {min(half)}-{max(half)}",
        f"  JS divergence  {f['js']:.3f} bits (two real samples score {run.scene()['js_floor']:.3f})",
        f"  losses         D {statistics.fmean(d) if d else float('nan'):.3f}  G {statistics.fmean(g) if g else float('nan'):.3f}"
        f" (mean over the last {tail} frames)",
        f"  G's gradient   {f['grad']:.3g} mean arrow length at the fakes; fakes drift "
        f"{statistics.fmean(drift) if drift else 0:.3f} per 100 steps over the last half",
        f"  mode collapse  {f['collapse'] or 'none detected'}",
    ]
    if f["error"]:
        lines.append(f"  failed         {f['error']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    if a.list:
        for p in PRESETS.values():
            print(f"{p.name:<12} {p.dist}, {p.steps:,} steps, {p.config or 'defaults'}\n{'':<12} {p.shows()}")
        return 0
    try:
        cfg, data, steps, label = build(a)
        run = ToyRun(cfg, data, max_steps=steps, steps_per_frame=100, fps=0, snapshot_every=100)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    run.start()
    run.join()
    print("\n".join(summary(run, label, time.perf_counter() - t0)))
    if a.png:
        from .explore.toy_render import render  # PIL only when a picture is asked for

        try:
            render(run.scene(), run.frame()).save(a.png)
        except (OSError, ValueError) as e:
            print(f"error: cannot write {a.png}: {e.strerror if isinstance(e, OSError) else e}", file=sys.stderr)
            return 2
        print(f"  picture        {a.png}")
    return 1 if run.state == "failed" else 0


if __name__ == "__main__":
    sys.exit(main())
