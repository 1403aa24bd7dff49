"""Batched ensemble vs separate runs: member-steps per second of N MLP GANs (issue 16 item 3).

    python bench/ensemble.py [--n 1 8 30] [--steps 10] [--batch 64] [--device cpu|cuda] [--threads 1]
    python bench/ensemble.py --through-app [--n 8 32] [--seconds 20] [--seats 8] [--preset class] [--batch 32]

--through-app: N GAN runs started through the app's own RunRegistry (the real Trainers, time-slicer, snapshots,
budgets off), first each in its own thread taking turns (GENAI_DEMO_ENSEMBLE=0), then stepping together
(training/cotrain.py, GENAI_DEMO_ENSEMBLE=1): member-steps/s over a --seconds window after a warm-up, the ratio, and
how many runs each group chunk held on average. No gradio: it runs on a machine with torch alone.

For each N: N GANs stepped one after another (what time-slicing does on one seat: each run's own train_step, N
small launch sequences), the same N stepped by N threads at once (N seats: what GENAI_DEMO_GPU_RUNS=N does), then
the same N as one GANEnsemble (training/ensemble.py: one batched launch sequence). Real MNIST-5k batches, the
articles' G and D sizes. Printed from one run: steps/s of all members together, and the ensemble's ratio to
separate. On a GPU, the "threads" column over growing N shows how many runs it sustains side by side: set
GENAI_DEMO_GPU_RUNS where the total stops growing. Then `uptime`: the machine is shared.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from genai_demo.data.datasets import load_dataset  # noqa: E402
from genai_demo.models.base import Hyper  # noqa: E402
from genai_demo.models.gan import GAN  # noqa: E402
from genai_demo.training.ensemble import GANEnsemble  # noqa: E402


def members(n: int, device: torch.device) -> list[GAN]:
    out = []
    for s in range(n):
        torch.manual_seed(s)
        out.append(GAN().to(device))
    return out


def timed(fn, steps: int, device: torch.device) -> float:
    fn()  # warm-up: allocations, vmap's first trace
    if device.type == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0


def through_app(n: int, together: bool, a) -> tuple[float, float]:
    """(member-steps/s, mean runs per chunk) of n GAN runs in a RunRegistry, over a.seconds after the warm-up."""
    from genai_demo.training import cotrain, factory
    from genai_demo.training.runs import RunRegistry
    from genai_demo.training.settings import preset_config, preset_values
    from genai_demo.training.trainer import RunConfig

    os.environ[cotrain.ENV] = "1" if together else "0"  # read when the registry takes a run in
    hp = Hyper(lr=preset_values("gan", a.preset)["lr"], batch_size=a.batch)
    reg = RunRegistry(max_running=a.seats, max_active=n, max_per_session=1, run_seconds=0, run_examples=0)
    runs = [reg.start(f"student{i}", RunConfig(kind="gan", steps=20_000, seed=i, hp=hp, device=a.device, publish_every=10,
                                               snapshot_every=200, model_config=preset_config("gan", a.preset)),
                      factory.make_trainer)
            for i in range(n)]
    try:
        deadline = time.perf_counter() + 120
        while min(r.trainer.step_count for r in runs) < 20 and time.perf_counter() < deadline:
            time.sleep(0.2)  # warm-up: every run measured its pace (first chunks, vmap's first trace)
        s0, t0 = sum(r.trainer.step_count for r in runs), time.perf_counter()
        c0 = reg.cotrain.group_chunks
        time.sleep(a.seconds)
        s1, t1 = sum(r.trainer.step_count for r in runs), time.perf_counter()
        held = [r.trainer.chunk_runner.together for r in runs if r.trainer.chunk_runner is not None]
        print(f"   {'together' if together else 'separate'}: {reg.cotrain.group_chunks - c0} group chunks, "
              f"{sum(held) / max(1, len(held)):.1f} runs in the latest chunk of each")
        return (s1 - s0) / (t1 - t0), sum(held) / max(1, len(held)) if held else 1.0
    finally:
        reg.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 8, 30])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=1, help="intra-op CPU threads (a training thread uses 1 on 2 cores)")
    ap.add_argument("--through-app", action="store_true", help="through the RunRegistry: separate turns vs together")
    ap.add_argument("--seconds", type=float, default=20.0, help="--through-app: the measured window per setting")
    ap.add_argument("--preset", default="class", choices=["class", "articles"],
                    help="--through-app: the GAN's lr and layer widths (class: 1e-3, the quarter-width G and D)")
    ap.add_argument("--seats", type=int, default=None, help="--through-app: chunks computing at once (default: the "
                    "registry's for the device: GENAI_DEMO_GPU_RUNS or 8 on CUDA, cores ÷ 2 on a CPU)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    if a.through_app:
        from genai_demo.training.capacity import default_max_running

        a.seats = a.seats or default_max_running(torch.device(a.device).type)
        print(f"through the app: device {a.device}, {a.preset} preset, batch {a.batch}, {a.seats} seat(s), "
              f"{a.seconds:g} s window")
        print(f"{'N':>4} {'separate member-steps/s':>24} {'together member-steps/s':>24} {'ratio':>6}")
        for n in a.n:
            sep, _ = through_app(n, False, a)
            tog, _ = through_app(n, True, a)
            print(f"{n:>4} {sep:>24.1f} {tog:>24.1f} {tog / sep:>6.2f}")
        print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
        return
    device = torch.device(a.device)
    data = load_dataset("mnist5k", "train").to(device)
    hp = Hyper(lr=2e-4, batch_size=a.batch)
    print(f"device {device}, batch {a.batch}, {a.steps} timed steps per member, {a.threads} CPU thread(s)")
    print(f"{'N':>4} {'separate steps/s':>17} {'threads steps/s':>16} {'ensemble steps/s':>17} {'ratio':>6}")
    for n in a.n:
        sep = members(n, device)
        opts = [m.make_optimizers(hp) for m in sep]
        gens = [torch.Generator().manual_seed(100 + i) for i in range(n)]

        def separate(sep=sep, opts=opts, gens=gens):
            for m, o, g in zip(sep, opts, gens, strict=True):
                m.train_step(*data.batch(hp.batch_size, g), o, hp, g)

        def threaded(sep=sep, opts=opts, gens=gens):
            def one(model, opt, gen):
                for _ in range(a.steps):
                    model.train_step(*data.batch(hp.batch_size, gen), opt, hp, gen)
            ts = [threading.Thread(target=one, args=x) for x in zip(sep, opts, gens, strict=True)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()

        ens = GANEnsemble(members(n, device), hp)
        egens = [torch.Generator().manual_seed(100 + i) for i in range(n)]
        s_rate = n * a.steps / timed(separate, a.steps, device)
        t_rate = n * a.steps / timed(threaded, 1, device)  # each thread runs a.steps steps (warm-up: one round too)
        e_rate = n * a.steps / timed(lambda ens=ens, egens=egens: ens.step(data, egens), a.steps, device)
        print(f"{n:>4} {s_rate:>17.1f} {t_rate:>16.1f} {e_rate:>17.1f} {e_rate / s_rate:>6.2f}")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
