"""Re-check the Labs tab's presets: run each lab's runs with the Trainer (seeded) until its detector fires, and print
the step and the wall time at which it fired. Run it niced on a shared machine:

    nice -n 10 python bench/labs.py                 # every lab
    nice -n 10 python bench/labs.py mode-collapse   # one lab
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from genai_demo.explore.labs import LABS  # noqa: E402
from genai_demo.explore.labs_run import run_lab  # noqa: E402
from genai_demo.i18n import t  # noqa: E402


def main(ids: list[str]) -> int:
    missed = 0
    for lab_id in ids or list(LABS):
        lab = LABS[lab_id]
        r = run_lab(lab, timeout_s=float(os.environ.get("LABS_TIMEOUT_S", 300)))
        runs = " + ".join(f"{f['model']} {', '.join(f'{k}={v}' for k, v in f.items() if k not in ('model', 'data'))}"
                          for f in lab.runs)
        if r.detection:
            print(f"{lab_id:14s} fired at step {r.detection.step:>5,} after {r.seconds:6.1f} s  [{runs}]  "
                  f"{t(r.detection.key, 'en', **r.detection.values)}", flush=True)
        else:
            missed += 1
            print(f"{lab_id:14s} did NOT fire in {r.seconds:6.1f} s (steps reached {r.steps})  [{runs}]", flush=True)
        extra = r.meter.extra("run0")
        if extra:
            print(f"{'':14s} memorised share at the end by temperature: "
                  + ", ".join(f"{k[1:]}: {v:.0%}" for k, v in extra.items()), flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
