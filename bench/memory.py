"""Memory: the server's RSS over 30 minutes of training + polling, visitors coming and going, through the real app.

    python bench/memory.py [--minutes 30] [--run-steps 3000] [--visitor-every 60]

Starts `python app.py` (bench/apprun.py). One visitor trains run after run (GAN, VAE, light DCGAN, …:
every finished run is followed by a new one, so trainers, frozen copies and previews are created and
dropped all the time) while polling /status at 2 Hz like the Train tab; a second visitor decodes a
slider position every second and samples a GAN grid every 5 s. Every --visitor-every seconds a new visitor
arrives (its own session and heartbeat stream, as a browser tab), trains a 300-step VAE, polls until it ends
and leaves (the app's unload releases it); and 20 one-off sessions call /status and never come back (what a
script with fresh session ids does). RSS of the server process is read from /proc every 10 s.
Growth = last sample − sample after the first minute (warm-up: imports, checkpoints and data sets load
lazily), and growth from the moment the visitor's kept runs are at their bound (3: each holds its model,
optimiser state, frozen copy and previews, by design). Target growth ≤ 50 MB.
The server inherits this process's environment, so `MALLOC_ARENA_MAX=2 python bench/memory.py` measures
glibc with at most two malloc arenas.
"""
from __future__ import annotations

import argparse
import os
import sys
import threading
import time
import uuid

from apprun import rss_mb, serve
from load import HttpVisitor

KINDS = ["gan", "vae", "dcgan"]
KEPT = 3  # runs a visitor keeps (RunRegistry.max_per_session): model, optimiser state, frozen copy, previews each


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--run-steps", type=int, default=3000)
    p.add_argument("--visitor-every", type=float, default=60.0)
    a = p.parse_args(argv)
    from gradio_client import Client

    samples: list[tuple[float, float]] = []  # (seconds, RSS MB)
    runs, t_full = 0, None
    # heartbeats every 0.5 s: a leaving visitor's stream ends at once and the app's unload releases it
    with serve("/tmp/genai_demo_bench_memory.log", env={"GRADIO_HEARTBEAT_INTERVAL": "0.5"}) as (url, cold, proc):
        arenas = os.environ.get("MALLOC_ARENA_MAX", "glibc default")
        print(f"# memory · {a.minutes:g} min · server pid {proc.pid} · MALLOC_ARENA_MAX {arenas} · "
              f"load avg {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)", flush=True)
        trainer, player = Client(url, verbose=False), Client(url, verbose=False)
        stop, came = threading.Event(), []
        churn = threading.Thread(target=visitors, args=(url, a.visitor_every, stop, came), daemon=True)
        churn.start()
        t0 = time.perf_counter()
        next_rss = next_decode = next_sample = 0.0
        i = 0
        while (now := time.perf_counter() - t0) < a.minutes * 60:
            s = trainer.predict(api_name="/status")
            if not isinstance(s, dict) or s.get("state") in (None, "none", "idle", "finished", "stopped", "failed"):
                kind = KINDS[runs % len(KINDS)]
                trainer.predict(kind, "mnist5k", a.run_steps, None, 64, 1.0, 1, runs, False, api_name="/train")
                runs += 1
                if runs == KEPT + 1:
                    t_full = now  # from here each new run evicts the visitor's oldest: per-visitor state is at its bound
            if now >= next_decode:
                player.predict("pretrained:vae_mnist5k", -3 + (i * 0.37) % 6, 0.5, 0, api_name="/decode")
                next_decode, i = now + 1.0, i + 1
            if now >= next_sample:
                player.predict("pretrained:gan_mnist5k", 64, i, "rows", api_name="/sample")
                next_sample = now + 5.0
            if now >= next_rss:
                samples.append((now, rss_mb(proc.pid)))
                print(f"  t={now:6.0f} s  RSS {samples[-1][1]:7.1f} MB  runs started {runs}  load {os.getloadavg()[0]:.2f}",
                      flush=True)
                next_rss = now + 10.0
            time.sleep(0.5)
        samples.append((time.perf_counter() - t0, rss_mb(proc.pid)))
        stop.set()
        churn.join(120)
        trainer.predict(api_name="/stop")
    warm = next((m for t, m in samples if t >= 60), samples[0][1])
    full = next((m for t, m in samples if t_full is not None and t >= t_full + 10), None)
    half = [(t, m) for t, m in samples if t >= samples[-1][0] / 2]
    n = len(half)
    mt, mm = sum(t for t, _ in half) / n, sum(m for _, m in half) / n
    slope = sum((t - mt) * (m - mm) for t, m in half) / max(sum((t - mt) ** 2 for t, _ in half), 1e-9) * 60
    growth = samples[-1][1] - warm
    print()
    print("| measure | value | target | verdict |")
    print("|---|---:|---|---|")
    print(f"| RSS after 1 min warm-up | {warm:.0f} MB | | |")
    print(f"| RSS at the end ({samples[-1][0] / 60:.1f} min, {runs} runs trained; {len(came)} visitors came and went, "
          f"{20 * len(came)} one-off sessions) | {samples[-1][1]:.0f} MB | | |")
    print(f"| RSS max | {max(m for _, m in samples):.0f} MB | | |")
    print(f"| growth after warm-up | {growth:+.1f} MB | ≤ 50 MB | {'met' if growth <= 50 else 'missed'} |")
    if full is not None:
        steady = samples[-1][1] - full
        print(f"| growth once the visitor's {KEPT} kept runs are full (from {t_full / 60:.1f} min) | {steady:+.1f} MB | ≤ 50 MB | "
              f"{'met' if steady <= 50 else 'missed'} |")
    print(f"| trend over the second half | {slope:+.2f} MB/min | | |")
    print(f"\nload avg after: {os.getloadavg()[0]:.2f}")
    return 0


def one_off_status(url: str) -> None:
    """/status once under a new session id, over Gradio's plain HTTP API."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as h:
        event = h.post("gradio_api/call/status", json={"data": [], "session_hash": uuid.uuid4().hex}).json()["event_id"]
        with h.stream("GET", f"gradio_api/call/status/{event}") as r:
            for line in r.iter_lines():
                if line.startswith("event:") and line[6:].strip() in ("complete", "error"):
                    return


def visitors(url: str, every: float, stop: threading.Event, came: list) -> None:
    """Visitors coming and going: each trains a short run, polls it to the end and leaves; one-off sessions poll once."""
    while not stop.wait(every):
        try:
            v = HttpVisitor(url)
            s = v.train(300, len(came))
            while s["state"] in ("queued", "running") and not stop.is_set():
                time.sleep(0.5)
                s = v.status()
            v.close()
            for _ in range(20):  # a script's fresh session ids: each asks once, never returns
                one_off_status(url)
            came.append(s["state"])
        except Exception as e:  # noqa: BLE001 - a bench keeps going; the error is printed
            print(f"  visitor failed: {type(e).__name__}: {e}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
