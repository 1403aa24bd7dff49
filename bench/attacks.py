"""Attacks: what one hostile visitor can hold (issue 11, items 2-5 and the judge queue), against `python app.py`.

    python bench/attacks.py [--only steps,places,sessions,judge] [--sessions 2000]

Each attack speaks Gradio's queue protocol by hand (tests/attack.py) with fresh session ids and its own client
address (X-Forwarded-For from loopback, which uvicorn trusts as a proxy), while a normal visitor from another
address polls /status every 0.1 s. Printed per attack: what got through, the slowest refusal, the server's RSS
growth (its own process, /proc) and the normal visitor's /status latency (median / max). Run it on an older
checkout for the "before" figures: it only needs the app's HTTP API.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

from apprun import rss_mb, serve

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root: tests.helpers
from tests.helpers.attack import Probe, call, fn_indices, new_session  # noqa: E402

X, V = "100.64.0.9", "100.64.1.20"  # the attacker's address, a normal visitor's (not private: per-address limits apply)
VAE = ["vae", "mnist5k", 20_000, None, 16, 1.0, 1, 0, False, None, None]


def steps(url, fn) -> str:
    """Item 2: four sessions train; three are paused and stepped 1000 × 3 each; who computes at once?"""
    bots = [new_session() for _ in range(4)]
    took = [call(url, fn["train"], VAE, s, X) for s in bots]
    refusals = [r for r in took if not r.ok]
    for s in bots[1:]:
        call(url, fn["pause"], [], s, X)
        refusals += [r for r in (call(url, fn["step"], [1000], s, X) for _ in range(3)) if not r.ok]
    mine = call(url, fn["train"], VAE, new_session(), V).output
    last, peak = {}, 0
    for _ in range(10):  # steps advancing in the same second = runs computing at once
        time.sleep(1.0)
        now = {s: (call(url, fn["status"], [], s, X).output or {}).get("step", 0) for s in bots}
        peak = max(peak, sum(1 for s in bots if s in last and now[s] > last[s]))
        last = now
    return (f"{len(refusals)} refused (slowest {max((r.seconds for r in refusals), default=0):.2f} s); runs computing "
            f"at once: {peak}; a newcomer's queue position: {mine.get('queue_position')}")


def places(url, fn) -> str:
    """Item 3: one address, 100 fresh session ids, /train each."""
    replies = [call(url, fn["train"], VAE, new_session(), X) for _ in range(100)]
    refused = [r for r in replies if not r.ok]
    mine = call(url, fn["train"], VAE, new_session(), V)
    return (f"{len(replies) - len(refused)} of 100 got a place, {len(refused)} refused (slowest "
            f"{max((r.seconds for r in refused), default=0):.2f} s); another address: "
            f"{'queued at ' + str(mine.output['queue_position']) if mine.ok else mine.output}")


def sessions(url, fn, n: int) -> str:
    """Item 5: n fresh session ids call /status once each (4 at a time)."""
    def burst(k: int) -> None:
        for _ in range(k):
            call(url, fn["status"], [], new_session(), X)
    threads = [threading.Thread(target=burst, args=(n // 4,)) for _ in range(4)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return f"{n} sessions in {time.perf_counter() - t0:.0f} s"


def judge(url, fn) -> str:
    """Item 7: 12 /judge n=2000 jobs from one address, then one from another."""
    job = lambda seed, who: call(url, fn["judge"], ["pretrained:gan_mnist5k", 2000, seed], None, who)  # noqa: E731
    job(0, V)  # the n = 2000 path once
    alone = job(1, V).seconds
    burst: list = []
    threads = [threading.Thread(target=lambda i=i: burst.append(job(100 + i, X))) for i in range(12)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    mine = job(2, V)
    for t in threads:
        t.join()
    refused = [r for r in burst if not r.ok]
    done = sum(1 for r in burst if r.ok and mine.started is not None and r.ended < mine.started)
    return (f"{len(refused)} of 12 refused (slowest {max((r.seconds for r in refused), default=0):.2f} s); one job alone "
            f"{alone:.1f} s; the other visitor's /judge waited {mine.waited or 0:.1f} s ({done} of the burst's jobs ended "
            f"first) and took {mine.seconds:.1f} s in all")


ATTACKS = {"steps": steps, "places": places, "judge": judge}


def warm_up(url, fn) -> None:
    """One-time costs first (data set, torch's lazy imports, the judge's classifier): they are not the attack's RSS."""
    me = new_session()
    call(url, fn["train"], ["vae", "mnist5k", 5, None, 16, 1.0, 1, 0, False, None, None], me, "100.64.9.200")
    while call(url, fn["status"], [], me, "100.64.9.200").output.get("state") in ("queued", "running"):
        time.sleep(0.2)
    call(url, fn["judge"], ["pretrained:gan_mnist5k", 100, 0], None, "100.64.9.200")
    for _ in range(30):  # Gradio's first sessions, the status path
        call(url, fn["status"], [], new_session(), V)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--only", default="steps,places,sessions,judge")
    p.add_argument("--sessions", type=int, default=2000)
    a = p.parse_args(argv)
    print("| attack | what happened | server RSS growth | normal visitor's /status (median / max) |")
    print("|---|---|---:|---|")
    for name in a.only.split(","):
        with serve(f"/tmp/genai_demo_bench_attack_{name}.log") as (url, _, proc):
            fn = fn_indices(url)
            warm_up(url, fn)
            rss0 = rss_mb(proc.pid)
            with Probe(url, fn["status"]) as probe:
                what = sessions(url, fn, a.sessions) if name == "sessions" else ATTACKS[name](url, fn)
            grown = rss_mb(proc.pid) - rss0
            lat = probe.latencies or [float("nan")]
            print(f"| {name} | {what} | {grown:+.0f} MB | {1000 * statistics.median(lat):.0f} / {1000 * max(lat):.0f} ms |",
                  flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
