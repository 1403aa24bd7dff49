"""Fair time-slicing on this machine: what sharing costs, whether anyone starves, and how good the estimate is.

    python bench/slicing.py [--n 1 8 30] [--steps 60] [--kind gan] [--slice 1.0]

For each N: N runs of the same family (real MNIST-5k, the app's live schedule) start at once in a RunRegistry with
the app's defaults (seats: one per two cores) and run to their last step, time-sliced. Printed from one run: the
total steps/s of all runs against one run alone (1.00 = sharing costs nothing; the difference is the slice
overhead: turn hand-overs, colder caches), the slowest run's time to its 10th step (every student sees progress
early, nobody waits for whole runs ahead), the spread of finish times, and the estimate: each run's predicted
finish (RunRegistry.pace, taken 3 s after the start) against the real one, and how much of the wall time the
seats spent computing steps (the runs' own compute, as their time budgets count it; the rest is the overhead of
sharing: hand-overs, previews, waits on a machine that others load too). Then `uptime`: the machine is shared.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from genai_demo.models.base import Hyper  # noqa: E402
from genai_demo.training import factory  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.trainer import RunConfig  # noqa: E402


def one_wave(n: int, steps: int, kind: str) -> dict:
    reg = RunRegistry(max_active=max(n, 1), max_steps=100_000, max_per_client=n, max_sessions=n + 1)
    cfg = RunConfig(kind=kind, steps=steps, hp=Hyper(lr=2e-4, batch_size=64), publish_every=10, snapshot_every=20,
                    device="cpu")
    try:
        trainers = [factory.make_trainer(RunConfig(**{**cfg.__dict__, "seed": i})) for i in range(n)]  # load first
        t0 = time.perf_counter()
        runs = [reg.start(f"s{i}", cfg, lambda c, t=t: t) for i, t in enumerate(trainers)]
        tenth, done, predicted = {}, {}, {}
        while len(done) < n:
            now = time.perf_counter() - t0
            for r in runs:
                k = r.trainer.step_count
                if k >= 10 and r.id not in tenth:
                    tenth[r.id] = now
                if not r.trainer.busy and r.id not in done and k >= steps:
                    done[r.id] = now
                if now >= 3 and r.id not in predicted and r.trainer.busy and (p := reg.pace(r)) and p["eta_s"]:
                    predicted[r.id] = now + p["eta_s"]
            time.sleep(0.05)
        wall = max(done.values())
        errors = [abs(predicted[i] - done[i]) / done[i] for i in predicted]
        busy = sum(r.trainer.budget.used_s for r in runs) / (wall * reg.max_running)  # seats computing steps
        return {"n": n, "rate": n * steps / wall, "busy": busy, "tenth": max(tenth.values()), "first": min(done.values()),
                "last": wall, "estimate": statistics.median(errors) if errors else None, "turns": reg.slicer.turns}
    finally:
        reg.shutdown()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, nargs="+", default=[1, 8, 30])
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--kind", default="gan")
    ap.add_argument("--slice", type=float, default=1.0, help="seconds per turn (GENAI_DEMO_SLICE_S)")
    a = ap.parse_args()
    os.environ["GENAI_DEMO_SLICE_S"] = str(a.slice)
    print(f"{a.kind}, {a.steps} steps per run, batch 64, {a.slice:g} s turns, {os.cpu_count()} cores")
    print(f"{'N':>4} {'total steps/s':>14} {'vs alone':>9} {'10th step (slowest)':>20} {'first done':>11} "
          f"{'last done':>10} {'estimate err':>13} {'turns':>6} {'seat busy':>10}")
    alone = None
    for n in a.n:
        r = one_wave(n, a.steps, a.kind)
        alone = alone or (r["rate"] if n == 1 else None)
        est = "–" if r["estimate"] is None else f"{100 * r['estimate']:.0f} %"
        vs = f"{r['rate'] / alone:.2f}" if alone else "–"
        print(f"{n:>4} {r['rate']:>14.1f} {vs:>9} {r['tenth']:>18.1f} s {r['first']:>9.1f} s {r['last']:>8.1f} s "
              f"{est:>13} {r['turns']:>6} {100 * r['busy']:>8.0f} %")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux → MiB
    print(f"peak RSS of this process (all waves, runs kept until each wave ends): {rss:.0f} MiB")
    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


if __name__ == "__main__":
    main()
