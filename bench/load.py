"""Load: N concurrent gradio_client visitors against the real app (`python app.py`, loopback only).

    python bench/load.py [--visitors 20] [--steps 100] [--waves 2] [--poll 0.5]

The server runs in its own process, exactly as `python app.py` starts it (the default training cap: one run per
two cores). Each visitor is a thread with its own gradio_client Client (= its own session): it starts a short
VAE run ("train"), polls "status" every --poll seconds like the page's timer until the run ends, checks on every
poll that it sees its own run (run id and seed) and nobody else's, then leaves (client.close(): the heartbeat
stream drops and the app's unload handler releases the session). Printed, per wave: errors, isolation breaches,
poll latency (median / p95 / max), time queued and time to finish (the fairness spread), and the server process's
threads and RSS — before, at the peak, and after everyone left. Then `uptime`: the machine is shared.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from apprun import serve

ENDED = ("finished", "failed", "stopped")


def proc_stats(pid: int) -> tuple[int, float]:
    """(threads, RSS in MiB) of a process, from /proc."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["Threads"]), int(fields["VmRSS"].split()[0]) / 1024


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class GradioVisitor:
    """One visitor = one gradio_client Client (its own session), as the brief asks for."""

    def __init__(self, url: str):
        from gradio_client import Client

        self.c = Client(url, verbose=False, analytics_enabled=False)

    def train(self, steps: int, seed: int) -> dict:
        return self.c.predict(model="vae", data="mnist5k", steps=steps, batch_size=32, seed=seed, api_name="/train")

    def status(self) -> dict:
        return self.c.predict(api_name="/status")

    def close(self) -> None:
        self.c.close()  # the heartbeat stream ends: the app's unload releases this session


class HttpVisitor:
    """The same calls over Gradio's plain HTTP API (httpx) with its own session hash and heartbeat stream — what a
    browser tab does, at a fraction of gradio_client's CPU per call (which on 2 shared cores skews the latency)."""

    def __init__(self, url: str):
        import httpx

        self.sid, self.h, self.leave = uuid.uuid4().hex, httpx.Client(base_url=url, timeout=60), threading.Event()
        self.hb = threading.Thread(target=self._heartbeat, daemon=True)
        self.hb.start()

    def _heartbeat(self) -> None:
        with self.h.stream("GET", f"gradio_api/heartbeat/{self.sid}") as r:
            for _ in r.iter_lines():
                if self.leave.is_set():
                    return

    def _call(self, api: str, data: list):
        event = self.h.post(f"gradio_api/call/{api}", json={"data": data, "session_hash": self.sid}).json()["event_id"]
        kind = None
        with self.h.stream("GET", f"gradio_api/call/{api}/{event}") as r:
            for line in r.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    if kind == "error":
                        raise RuntimeError(line[5:].strip())
                    return json.loads(line[5:])[0]
        raise RuntimeError(f"{api}: the stream ended without a result")

    def train(self, steps: int, seed: int) -> dict:
        return self._call("train", ["vae", "mnist5k", steps, None, 32, 1.0, 1, seed, False])

    def status(self) -> dict:
        return self._call("status", [])

    def close(self) -> None:
        self.leave.set()  # the next heartbeat line ends the stream: the app's unload releases this session
        self.hb.join(5)
        self.h.close()


def visitor(i: int, url: str, steps: int, poll: float, out: dict, go: threading.Barrier, kind: type) -> None:
    rec = out[i] = {"errors": [], "breaches": 0, "latency": [], "polls": 0, "queued_s": 0.0}
    try:
        c = kind(url)
        go.wait()
        t0 = time.perf_counter()
        s = c.train(steps, 1000 + i)
        rec["run_id"], first_running = s["run_id"], None
        while True:
            t = time.perf_counter()
            s = c.status()
            rec["latency"].append(time.perf_counter() - t)
            rec["polls"] += 1
            if s["run_id"] != rec["run_id"] or s.get("seed") != 1000 + i or s.get("model") != "vae":
                rec["breaches"] += 1
            if s["state"] != "queued" and first_running is None:
                first_running = time.perf_counter()
                rec["queued_s"] = first_running - t0
            if s["state"] in ENDED:
                rec["state"], rec["step"], rec["error"] = s["state"], s["step"], s["error"]
                rec["done_s"] = time.perf_counter() - t0
                break
            time.sleep(poll)
        c.close()  # leave, as a closed tab does
        rec["client"] = c
    except Exception as e:  # counted and printed, never hidden
        where = "starting" if "run_id" not in rec else "polling"
        rec["errors"].append(f"{type(e).__name__} while {where}: {e}")


def probe(url: str, stop_file: str, poll: float) -> None:
    """A light extra visitor in its own process: the same "status" poll over Gradio's plain HTTP API (httpx, no
    gradio_client), every `poll` s until stop_file appears; prints its latencies. gradio_client itself costs
    more CPU per call than the server does, and the 20 visitor threads share one GIL: this probe shows the
    server's responsiveness without that client-side overhead."""
    import httpx

    lat, sid = [], f"probe-{os.getpid()}"
    with httpx.Client(base_url=url, timeout=60) as h:
        while not os.path.exists(stop_file):
            t = time.perf_counter()
            event = h.post("gradio_api/call/status", json={"data": [], "session_hash": sid}).json()["event_id"]
            with h.stream("GET", f"gradio_api/call/status/{event}") as r:
                for line in r.iter_lines():
                    if line.startswith("data:"):
                        break
            lat.append(time.perf_counter() - t)
            time.sleep(poll)
    print(json.dumps(lat))


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def floor_ms(url: str, n: int = 20) -> tuple[float, float]:
    """(median, p95) of one lone visitor's status poll with nothing training: this machine's floor right now."""
    from gradio_client import Client

    c = Client(url, verbose=False, analytics_enabled=False)
    lat = []
    for _ in range(n):
        t = time.perf_counter()
        c.predict(api_name="/status")
        lat.append(time.perf_counter() - t)
    c.close()
    return 1000 * statistics.median(lat), 1000 * pct(lat, 0.95)


def wave(url: str, pid: int, n: int, steps: int, poll: float, kind: type) -> dict:
    floor = floor_ms(url)
    stop = Path(f"/tmp/genai_demo_probe_stop_{os.getpid()}")
    stop.unlink(missing_ok=True)
    prober = subprocess.Popen([sys.executable, __file__, "--probe", url, str(stop), str(poll)], stdout=subprocess.PIPE,
                              text=True)
    out: dict[int, dict] = {}
    go = threading.Barrier(n)
    before = proc_stats(pid)
    cpu0, mine0, wall0 = cpu_s(pid), cpu_s(os.getpid()), time.perf_counter()
    threads = [threading.Thread(target=visitor, args=(i, url, steps, poll, out, go, kind), daemon=True) for i in range(n)]
    peak = list(before)
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        th, rss = proc_stats(pid)
        peak = [max(peak[0], th), max(peak[1], rss)]
        time.sleep(0.25)
    stop.touch()
    probe_lat = json.loads(prober.communicate(timeout=120)[0] or "[]")
    stop.unlink(missing_ok=True)
    cpu = {"server_cpu_s": round(cpu_s(pid) - cpu0, 1), "visitors_cpu_s": round(cpu_s(os.getpid()) - mine0, 1),
           "wall_s": round(time.perf_counter() - wall0, 1)}
    for rec in out.values():  # drop the client objects (their thread pools) before measuring "after"
        rec.pop("client", None)
    time.sleep(3.0)  # unload fires ~1 s after the heartbeat drops; let the trainers' threads end
    settle = time.perf_counter()  # Gradio's idle worker threads (anyio) retire after ~10 s
    while proc_stats(pid)[0] > before[0] + 2 and time.perf_counter() - settle < 15:
        time.sleep(0.5)
    after = proc_stats(pid)
    lat = [x for r in out.values() for x in r["latency"]]
    done = [r["done_s"] for r in out.values() if "done_s" in r]
    queued = [r["queued_s"] for r in out.values() if "done_s" in r]
    return {
        "floor_median_ms": round(floor[0]), "floor_p95_ms": round(floor[1]), "load_avg_1min": round(os.getloadavg()[0], 2),
        "visitors": n, "errors": sum(len(r["errors"]) for r in out.values()),
        "error_samples": [e for r in out.values() for e in r["errors"]][:3],
        "breaches": sum(r["breaches"] for r in out.values()),
        "finished": sum(r.get("state") == "finished" and r.get("step") == steps for r in out.values()),
        "distinct_runs": len({r.get("run_id") for r in out.values()}),
        "polls": len(lat), "lat_median_ms": round(1000 * statistics.median(lat)) if lat else None,
        "lat_p95_ms": round(1000 * pct(lat, 0.95)), "lat_max_ms": round(1000 * max(lat)) if lat else None,
        "queued_s": [round(min(queued), 1), round(max(queued), 1)] if queued else None,
        "done_s": [round(min(done), 1), round(max(done), 1)] if done else None,
        "probe_polls": len(probe_lat), "probe_median_ms": round(1000 * statistics.median(probe_lat)) if probe_lat else None,
        "probe_p95_ms": round(1000 * pct(probe_lat, 0.95)) if probe_lat else None,
        **cpu, "threads": [before[0], peak[0], after[0]], "rss_mib": [round(before[1]), round(peak[1]), round(after[1])],
    }


def main() -> None:
    if sys.argv[1:2] == ["--probe"]:
        return probe(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--visitors", type=int, default=20)
    ap.add_argument("--steps", type=int, default=100, help="VAE steps per visitor's run")
    ap.add_argument("--waves", type=int, default=2, help="repeat: memory must not grow wave after wave")
    ap.add_argument("--poll", type=float, default=0.5, help="seconds between a visitor's status polls (the page: 0.5)")
    ap.add_argument("--client", choices=["gradio", "http", "both"], default="both",
                    help="gradio_client visitors, plain-HTTP visitors, or a wave of each per --waves")
    args = ap.parse_args()
    # a closed visitor is noticed within ~1 s (Gradio's default heartbeat: 15 s)
    with serve("/tmp/genai_demo_bench_load.log", env={"GRADIO_HEARTBEAT_INTERVAL": "0.5"}) as (url, _, server):
        print(f"server pid {server.pid} on {url}; {os.cpu_count()} cores; "
              f"GENAI_DEMO_MAX_RUNS={os.environ.get('GENAI_DEMO_MAX_RUNS', 'default')}")
        results = []
        kinds = {"gradio": [GradioVisitor], "http": [HttpVisitor], "both": [GradioVisitor, HttpVisitor]}[args.client]
        for w in range(args.waves):
            for kind in kinds:
                r = wave(url, server.pid, args.visitors, args.steps, args.poll, kind)
                results.append(r)
                print(f"wave {w + 1}, {kind.__name__}: {json.dumps(r)}")
            print(f"  load average now: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
        ok = all(r["errors"] == 0 and r["breaches"] == 0 and r["finished"] == r["visitors"] for r in results)
        print("RESULT", "ok" if ok else "PROBLEMS", "| uptime:", subprocess.run(["uptime"], capture_output=True,
                                                                          text=True).stdout.strip())


if __name__ == "__main__":
    main()
