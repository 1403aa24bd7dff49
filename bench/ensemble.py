"""Batched ensemble vs separate runs: member-steps per second of N MLP GANs (issue 16 item 3).

    python bench/ensemble.py [--n 1 8 30] [--steps 10] [--batch 64] [--device cpu|cuda] [--threads 1]

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 8, 30])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--threads", type=int, default=1, help="intra-op CPU threads (a training thread uses 1 on 2 cores)")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
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
