"""Cold start: `python app.py` until the first page is served (HTTP 200 on "/").

    python bench/cold_start.py [--repeats 3]

Target ≤ 8 s. The first repeat may also pay for a cold OS file cache; the table shows every repeat and the
median. A second table splits one start into phases (import torch, import gradio, build the demo = import
app.py) measured in a fresh interpreter, to show where the time goes.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys

from apprun import ROOT, serve

PHASES = """
import time; t0 = time.perf_counter()
import torch; t1 = time.perf_counter()
import gradio; t2 = time.perf_counter()
import app; t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeats", type=int, default=3)
    a = p.parse_args(argv)
    print(f"# cold start · load avg {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)", flush=True)
    times = []
    for _ in range(a.repeats):
        with serve() as (_url, seconds, _proc):
            times.append(seconds)
        print(f"  served in {seconds:.2f} s (load avg {os.getloadavg()[0]:.2f})", flush=True)
    out = subprocess.run([sys.executable, "-c", PHASES], cwd=ROOT, capture_output=True, text=True, check=True)
    torch_s, gradio_s, app_s = (float(v) for v in out.stdout.split()[-3:])
    med = statistics.median(times)
    print()
    print("| measure | seconds | target | verdict |")
    print("|---|---:|---|---|")
    print(f"| `python app.py` → first page (median of {a.repeats}: {', '.join(f'{t:.1f}' for t in times)}) | {med:.1f} | "
          f"≤ 8 | {'met' if med <= 8 else 'missed'} |")
    print(f"| phase: import torch | {torch_s:.1f} | | |")
    print(f"| phase: import gradio | {gradio_s:.1f} | | |")
    print(f"| phase: import app (build_demo) | {app_s:.1f} | | |")
    print(f"| phase: launch → page served (rest) | {max(med - torch_s - gradio_s - app_s, 0):.1f} | | |")
    print(f"\nload avg after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
