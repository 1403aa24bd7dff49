"""The 2-D GAN game's costs: rounds per second on one core, one frame's cost, one playing visitor, a class of 30.

    python bench/toy.py [--steps 3000] [--seconds 10] [--class-size 30]

1. One core, as fast as it goes: a ToyGAN (the default preset's settings) plays `--steps` rounds on one
   torch thread; reported as rounds per wall-second and per CPU-second of this thread.
2. One frame: what a playing run computes for every refresh (coverage + JS on 2,000 fakes, heat-map,
   arrows, manifold) and the JSON encoding of it, and the frame's size.
3. One visitor playing at 20 rounds per frame and 5 frames/s (a ToyRun in its own thread, as in the tab)
   for `--seconds`: its CPU per second (this process's CPU time: nothing else runs in it meanwhile) and
   the frames it published.
4. A class: `--class-size` runs playing at once under one ToyBudget(cores=1): the process's CPU per
   second, the frames per second each run got, and the rounds per frame the budget gave them.
5. The image-training slot: an MLP GAN Trainer's steps/s alone, then beside the class of 4 (same process,
   as in the app), beside one full-speed toy run in the same process and in another process: if the GIL
   (the toys' Python between their small ops) cost the Trainer more than the CPU they take, the same-process
   figure would fall below the other-process one.
Runs 3 and 4 read process CPU time (time.process_time), which other processes barely disturb.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genai_demo.explore.toy_budget import ToyBudget  # noqa: E402
from genai_demo.explore.toy_gan import ToyGAN  # noqa: E402
from genai_demo.explore.toy_presets import preset  # noqa: E402
from genai_demo.explore.toy_run import ToyRun  # noqa: E402
from genai_demo.explore.toy_views import ToyViews  # noqa: E402


def load() -> str:
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def one_core(steps: int) -> tuple[float, float, float]:
    """(rounds per wall-s, rounds per CPU-s, ms per round) for `steps` rounds of the default preset."""
    cfg, data, _ = preset("healthy")
    gan = ToyGAN(cfg, data)
    for _ in range(50):  # warm-up: first calls allocate
        gan.step()
    t0, c0 = time.perf_counter(), time.thread_time()
    for _ in range(steps):
        gan.step()
    wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
    return steps / wall, steps / cpu, 1e3 * cpu / steps


def one_frame(repeats: int = 100) -> dict:
    cfg, data, _ = preset("healthy")
    gan = ToyGAN(cfg, data)
    for _ in range(500):
        gan.step()
    views = ToyViews(data, cfg.noise_dim, cfg.seed)
    times = {"measure (coverage + JS, 2,000 fakes)": [], "views (heat 48², arrows, manifold)": [], "JSON encode": []}
    for _ in range(repeats):
        c0 = time.thread_time()
        cov, js = views.measure(gan)
        c1 = time.thread_time()
        frame = views.frame(gan, 500, cov, js)
        c2 = time.thread_time()
        text = json.dumps(frame, separators=(",", ":"))
        c3 = time.thread_time()
        for k, dt in zip(times, (c1 - c0, c2 - c1, c3 - c2), strict=True):
            times[k].append(1e3 * dt)
    out = {k: statistics.median(v) for k, v in times.items()}
    out["bytes"] = len(text)
    return out


def play(runs: int, seconds: float, budget: ToyBudget | None) -> tuple[float, list[float], list[int]]:
    """(process CPU-s per s, frames/s of each run, rounds per frame of each run) for `runs` runs playing at 20 × 5."""
    cfg, data, _ = preset("healthy")
    toys = [ToyRun(cfg, data, max_steps=200_000, steps_per_frame=20, fps=5, budget=budget) for _ in range(runs)]
    for t in toys:
        t.start()
    time.sleep(1.0)  # let every thread reach its pace
    start = [(t.frame()["step"], len(t.frame()["history"]["step"])) for t in toys]
    t0, c0 = time.perf_counter(), time.process_time()
    time.sleep(seconds)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    end = [(t.frame()["step"], len(t.frame()["history"]["step"])) for t in toys]
    for t in toys:
        t.stop()
    fps = [(e[1] - s[1]) / wall for s, e in zip(start, end, strict=True)]
    spf = [round((e[0] - s[0]) / max(1, e[1] - s[1])) for s, e in zip(start, end, strict=True)]
    return cpu / wall, fps, spf


TOY_PROCESS = ("import sys; sys.path.insert(0, sys.argv[1]); from genai_demo.explore.toy_presets import preset; "
               "from genai_demo.explore.toy_run import ToyRun; c, d, _ = preset('healthy'); "
               "r = ToyRun(c, d, max_steps=200_000, steps_per_frame=20, fps=0); r.start(); r.join()")


def trainer_rate(seconds: float, beside: str, class_size: int) -> float:
    """GAN Trainer steps per second over `seconds` with, meanwhile: nothing ("alone"), `class_size` toy runs
    playing under ToyBudget(cores=1) ("class"), one toy run at full speed in this process ("thread") or in
    another process ("process"). thread vs process tells the GIL's share of any slowdown from the CPU's."""
    import subprocess

    from genai_demo.data.datasets import load_dataset
    from genai_demo.training.trainer import RunConfig, Trainer

    trainer = Trainer(RunConfig(kind="gan", data="mnist5k", steps=10**7, seed=0), load_dataset("mnist5k", "train"))
    cfg, data, _ = preset("healthy")
    budget = ToyBudget(cores=1.0)
    runs, proc = [], None
    if beside == "class":
        runs = [ToyRun(cfg, data, max_steps=200_000, steps_per_frame=20, fps=5, budget=budget) for _ in range(class_size)]
    elif beside == "thread":
        runs = [ToyRun(cfg, data, max_steps=200_000, steps_per_frame=20, fps=0)]
    elif beside == "process":
        proc = subprocess.Popen([sys.executable, "-c", TOY_PROCESS, str(Path(__file__).resolve().parent.parent)])
    trainer.start()
    for r in runs:
        r.start()
    time.sleep(3.0)
    s0, t0 = trainer.snapshot().step, time.perf_counter()
    time.sleep(seconds)
    rate = (trainer.snapshot().step - s0) / (time.perf_counter() - t0)
    for r in runs:
        r.stop()
    if proc:
        proc.kill()
        proc.wait()
    trainer.stop()
    return rate


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--class-size", type=int, default=30)
    a = p.parse_args()
    torch.set_num_threads(1)
    print(f"# toy · torch {torch.__version__} · 1 torch thread per run · {os.cpu_count()} cores · load avg {load()}")
    wall_rate, cpu_rate, ms = one_core(a.steps)
    print(f"| what | value |\n|---|---:|\n| rounds/s on one core (wall, {a.steps:,} rounds, default preset) | {wall_rate:,.0f} |")
    print(f"| rounds per CPU-second | {cpu_rate:,.0f} |\n| CPU per round (1 D + 1 G update, batch 128) | {ms:.3f} ms |")
    fr = one_frame()
    for k, v in fr.items():
        if k != "bytes":
            print(f"| frame: {k}, median of 100 | {v:.2f} ms |")
    frame_ms = sum(v for k, v in fr.items() if k != "bytes")
    print(f"| frame: total | {frame_ms:.2f} ms |\n| frame: JSON size | {fr['bytes']:,} B |")
    model = 5 * (20 * ms + frame_ms) / 1e3
    print(f"| model: one visitor at 20 rounds/frame × 5 frames/s = 5 × (20 × round + frame) | {model:.3f} CPU-s/s |")
    cpu, fps, _ = play(1, a.seconds, None)
    print(f"| measured: one visitor playing at 20 × 5 for {a.seconds:g} s | {cpu:.3f} CPU-s/s, {fps[0]:.2f} frames/s |")
    print(f"| visitors 2 cores sustain at that pace (2 / measured) | {2 / cpu:.0f} |")
    print(f"| visitors 1 core (the toy budget) sustains at that pace | {1 / cpu:.0f} |")
    budget = ToyBudget(cores=1.0)
    cpu, fps, spf = play(a.class_size, a.seconds, budget)
    print(f"| measured: {a.class_size} visitors playing under ToyBudget(cores=1) for {a.seconds:g} s | {cpu:.2f} CPU-s/s |")
    print(f"| … frames/s per visitor (min / median / max) | {min(fps):.2f} / {statistics.median(fps):.2f} / {max(fps):.2f} |")
    print(f"| … rounds per frame the budget gave (median) | {statistics.median(spf):.0f} |")
    alone = trainer_rate(a.seconds, "alone", a.class_size)
    for beside, what in (("class", f"{a.class_size} toy runs playing under the budget"),
                         ("thread", "one toy run at full speed, same process"),
                         ("process", "one toy run at full speed, another process")):
        r = trainer_rate(a.seconds, beside, a.class_size)
        print(f"| MLP GAN Trainer steps/s: alone → beside {what} | {alone:.1f} → {r:.1f} ({r / alone:.0%}) |")
    print(f"load avg after: {load()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
