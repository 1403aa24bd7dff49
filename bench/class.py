"""A class of students on one server: how long until every student's samples are recognisable (issue 16).

    python bench/class.py [--students 30] [--timeout 900] [--model gan] [--poll 2]
    python bench/class.py --preset gan [--seeds 0,1,2] [--budget 60]

Class mode starts the real app in this process (build_demo + app.py's launch settings, loopback only) with the
environment the README tells a teacher to set (GENAI_DEMO_PRESET=class; GENAI_DEMO_SESSIONS_PER_CLIENT and
GENAI_DEMO_MAX_SESSIONS at least the class size, since a classroom reaches a Space through one NAT address). Each
student is a thread with its own session, all from one client address: it presses Start once — the public
"train" endpoint through Gradio's queue protocol, with the family's class preset — then polls "status" every
--poll seconds as the page does. A monitor thread plays the students' quality meters: it judges each run's newest
frozen snapshot (quality.live.readout, 200 samples, one CPU thread — what the Train tab's meter does, only once per
snapshot for everybody) and notes when it first reaches the recognisable mark (confidence ≥ 0.8, ≥ 9 classes).
Printed: per student, seconds from Start to the first recognisable snapshot; the first, the median, the last and
the spread; how many within 2 minutes; server RSS (peak). Goal on 2 cores: last ≤ 10 min, each ≤ 2 min.

Preset mode (--preset KIND) trains the family's class preset on this thread (one torch thread: CPU-seconds are
thread time, the judging excluded) for each seed, judging every 100 steps, and prints the CPU-seconds and step at
which each seed first reached the mark, with the confidence and classes then.
"""
from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TWO_MINUTES = 120.0


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


# ---- preset mode --------------------------------------------------------------------------------------
def check_preset(kind: str, seeds: list[int], budget: float, every: int = 100) -> list[dict]:
    import torch

    from genai_demo.data.datasets import load_dataset
    from genai_demo.models import build
    from genai_demo.models.base import Hyper
    from genai_demo.quality import live
    from genai_demo.training.settings import preset_config, preset_values

    torch.set_num_threads(1)
    v = preset_values(kind, "class")
    data = load_dataset("mnist5k", "train")
    rows = []
    for seed in seeds:
        torch.manual_seed(seed)
        model = build(kind, preset_config(kind, "class"))  # the preset's narrower layers, where it has them
        hp = Hyper(lr=v["lr"], batch_size=v["batch_size"], d_steps=v["d_steps"], beta=v["beta"])
        opts, g = model.make_optimizers(hp), torch.Generator().manual_seed(seed)
        cpu, step, hit, last = 0.0, 0, None, None
        while cpu < budget and step < v["steps"]:
            t0 = time.thread_time()
            for _ in range(every):
                x, y = data.batch(hp.batch_size, g)
                model.train_step(x, y, opts, hp, g)
            step += every
            cpu += time.thread_time() - t0
            last = live.readout(copy.deepcopy(model).eval().requires_grad_(False), "mnist5k", 200, seed=seed)
            last = {"step": step, "cpu_s": cpu, "confidence": last["confidence"], "classes": last["classes_covered"],
                    "ok": live.recognisable(last)}
            print(f"  seed {seed}: step {step:,} · {cpu:.1f} CPU-s · confidence {last['confidence']:.3f} · "
                  f"{last['classes']} classes", flush=True)
            if last["ok"]:
                hit = last
                break
        rows.append({"seed": seed, "hit": hit, "last": last})
    print(f"\n| {kind} class preset {dict(v)} | seed | recognisable at (CPU-s) | step | confidence | classes |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        p = r["hit"] or r["last"]
        when = f"{p['cpu_s']:.1f}" if r["hit"] else f"not in {budget:g} (last shown)"
        print(f"| | {r['seed']} | {when} | {p['step']:,} | {p['confidence']:.3f} | {p['classes']} |")
    return rows


# ---- class mode ---------------------------------------------------------------------------------------
class Monitor(threading.Thread):
    """The students' quality meters: judge each run's newest snapshot once, note its first recognisable one."""

    def __init__(self, registry):
        super().__init__(daemon=True)
        self.registry, self.first, self.seen, self.peak_rss = registry, {}, {}, 0.0
        self.stopping = threading.Event()

    def run(self) -> None:
        from genai_demo.quality import live

        while not self.stopping.is_set():
            self.peak_rss = max(self.peak_rss, rss_mib())
            for r in self.registry.all_runs():
                snap = r.trainer.snapshot()
                if r.id in self.first or snap.model is None or self.seen.get(r.id) == snap.model_step:
                    continue
                self.seen[r.id] = snap.model_step
                s = live.readout(snap.model, r.cfg.data, 200, seed=r.cfg.seed)
                if live.recognisable(s):
                    self.first[r.id] = (time.monotonic(), snap.model_step)
            self.stopping.wait(0.5)


def student(url: str, fn: dict, i: int, form: list, poll: float, client: str, until: float, out: dict) -> None:
    from tests.helpers.attack import call, new_session

    session = new_session()
    t0 = time.monotonic()
    # the Start form in train_tab's order: model … d_steps, seed, full size, preset, nickname
    r = call(url, fn["train"], [*form[:7], i, False, "class", f"student {i}"], session=session, client=client,
             timeout=300)
    out[i] = {"session": session, "pressed": t0, "started": time.monotonic(), "ok": r.ok,
              "error": None if r.ok else str(r.output)[:120], "polls": 0, "poll_errors": 0}
    while r.ok and time.monotonic() < until and not out.get("stop"):
        p = call(url, fn["status"], [], session=session, client=client, timeout=60)
        out[i]["polls"] += 1
        out[i]["poll_errors"] += 0 if p.ok else 1
        time.sleep(poll)


def run_class(students: int, timeout: float, model: str, poll: float) -> dict:
    # what the README's "school server / ZeroGPU / CPU Space" sections tell a teacher to set for a class
    os.environ.setdefault("GENAI_DEMO_PRESET", "class")
    os.environ["GENAI_DEMO_SESSIONS_PER_CLIENT"] = str(max(students, int(os.environ.get("GENAI_DEMO_SESSIONS_PER_CLIENT", 3))))
    os.environ["GENAI_DEMO_MAX_SESSIONS"] = str(max(students, int(os.environ.get("GENAI_DEMO_MAX_SESSIONS", 100))))
    from genai_demo.quality import scores
    from genai_demo.training.runs import RunRegistry
    from genai_demo.training.settings import preset_values
    from genai_demo.ui.context import UIContext
    from tests.helpers import serve_app
    from tests.helpers.attack import fn_indices

    v = preset_values(model, "class")
    form = [model, "mnist5k", v["steps"], v["lr"], v["batch_size"], v["beta"], v["d_steps"]]
    scores.reference("mnist5k")  # the meter's classifier, loaded before any clock starts
    ctx = UIContext(registry=RunRegistry())
    with serve_app(ctx=ctx) as (url, _):
        fn = fn_indices(url)
        print(f"# class of {students} · {model} class preset {dict(v)} · training cap {ctx.registry.max_running} · "
              f"{os.cpu_count()} cores · load {os.getloadavg()[0]:.1f}", flush=True)
        monitor = Monitor(ctx.registry)
        monitor.start()
        out: dict = {}
        until = time.monotonic() + timeout
        threads = [threading.Thread(target=student, args=(url, fn, i, form, poll, "100.64.30.1", until, out), daemon=True)
                   for i in range(students)]
        for th in threads:
            th.start()
            time.sleep(0.2)  # a class presses Start within a few seconds, not in the same millisecond
        while time.monotonic() < until:
            runs = ctx.registry.all_runs()
            if len(runs) == students and all(r.id in monitor.first or r.trainer.state in ("finished", "stopped", "failed")
                                             for r in runs):
                break
            time.sleep(1)
        out["stop"] = True
        monitor.stopping.set()
        monitor.join(30)
        for th in threads:
            th.join(70)
        by_session = {r.session: r for r in ctx.registry.all_runs()}
        rows = []
        for i in range(students):
            s = out.get(i, {})
            run = by_session.get(s.get("session"))
            hit = monitor.first.get(run.id) if run else None
            rows.append({"student": i, "ok": s.get("ok"), "error": s.get("error"),
                         "seconds": hit[0] - s["pressed"] if hit else None, "step": hit[1] if hit else None,
                         "state": run.trainer.state if run else "none", "polls": s.get("polls", 0),
                         "reached": run.trainer.snapshot().step if run else 0,
                         "g_widths": getattr(run.trainer.model.config, "g_widths", None) if run else None,
                         "poll_errors": s.get("poll_errors", 0)})
        report = {"rows": rows, "peak_rss": max(monitor.peak_rss, rss_mib()), "timeout": timeout}
    print_report(report, students)
    return report


def print_report(report: dict, students: int) -> None:
    rows = report["rows"]
    print("\n| student | Start ok | recognisable after (s) | at step | step reached | state | status polls (errors) |")
    print("|---:|---|---:|---:|---:|---|---:|")
    for r in rows:
        when = f"{r['seconds']:.0f}" if r["seconds"] is not None else f"not in {report['timeout']:g}"
        ok = "yes" if r["ok"] else r["error"]
        print(f"| {r['student']} | {ok} | {when} | {r['step'] or ''} | {r['reached']:,} | {r['state']} | "
              f"{r['polls']} ({r['poll_errors']}) |")
    times = sorted(r["seconds"] for r in rows if r["seconds"] is not None)
    print(f"\nG's hidden layers trained: {sorted({str(r['g_widths']) for r in rows})} · steps reached: "
          f"{sum(r['reached'] for r in rows):,} in all")
    if times:
        print(f"recognisable: {len(times)}/{students} students · first {times[0]:.0f} s · median "
              f"{statistics.median(times):.0f} s · last {times[-1]:.0f} s · spread {times[-1] - times[0]:.0f} s · "
              f"within 2 min: {sum(t <= TWO_MINUTES for t in times)}/{students}")
    else:
        print(f"recognisable: 0/{students} students within {report['timeout']:g} s")
    print(f"server RSS (peak, this process): {report['peak_rss']:.0f} MiB · load {os.getloadavg()[0]:.1f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--students", type=int, default=30)
    p.add_argument("--timeout", type=float, default=900.0, help="seconds from the first Start until the bench gives up")
    p.add_argument("--model", default="gan", help="the family every student trains (its class preset)")
    p.add_argument("--poll", type=float, default=2.0, help="seconds between a student's status polls")
    p.add_argument("--preset", default=None, help="check one family's class preset per seed instead (e.g. gan)")
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--budget", type=float, default=60.0, help="preset mode: CPU-seconds per seed before giving up")
    a = p.parse_args(argv)
    if a.preset:
        check_preset(a.preset, [int(s) for s in a.seeds.split(",")], a.budget)
    else:
        run_class(a.students, a.timeout, a.model, a.poll)
    return 0


if __name__ == "__main__":
    sys.exit(main())
