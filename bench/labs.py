"""Re-check the Labs tab's presets: run each lab's runs with the Trainer (seeded) until its detector fires, and print
the step and the wall time at which it fired. Run it niced on a shared machine:

    nice -n 10 python bench/labs.py                       # every lab
    nice -n 10 python bench/labs.py mode-collapse d-wins  # some labs
    nice -n 10 python bench/labs.py --record memorise     # also save the traces up to the firing (tests/data/)
    nice -n 10 python bench/labs.py -v gan-learns         # print each measurement as it comes

LABS_TIMEOUT_S (default 300) bounds each lab's wall time.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from genai_demo.explore.labs import LABS  # noqa: E402
from genai_demo.explore.labs_run import run_lab  # noqa: E402
from genai_demo.i18n import t  # noqa: E402


def record(r, lab) -> Path:
    """The lab's traces up to one point after the firing, as tests/data/labs_<key>.json (a few kB)."""
    def cut(series: dict) -> dict:
        n = sum(1 for s in series.get("step", []) if s <= r.detection.step) + 1
        return {k: [round(x, 5) for x in v[:n]] for k, v in series.items()}
    runs = [{"beta": snap.hp.beta, "history": cut(snap.history), "evals": cut(snap.evals),
             "measured": cut(r.meter.series(f"run{i}"))} for i, snap in enumerate(r.snaps)]
    path = ROOT / "tests" / "data" / f"labs_{lab.key}.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"lab": lab.id, "fired_step": r.detection.step, "seconds": round(r.seconds, 1),
                                "runs": runs}, separators=(",", ":")) + "\n")
    return path


def show(i: int, snap, measured: dict, seconds: float) -> None:
    """-v: each new measurement as it comes (the trajectory a preset search looks at)."""
    last = {k: round(v[-1], 3) for k, v in measured.items() if v and k != "step"}
    hist = {k: round(v[-1], 3) for k, v in snap.history.items() if v and k != "step"}
    print(f"   run {i} step {snap.step:>5,} {seconds:6.1f} s  measured {last}  last {hist}", flush=True)


def main(args: list[str]) -> int:
    save = "--record" in args
    ids = [a for a in args if not a.startswith("-")] or list(LABS)
    missed = 0
    for lab_id in ids:
        lab = LABS[lab_id]
        r = run_lab(lab, timeout_s=float(os.environ.get("LABS_TIMEOUT_S", 300)), progress=show if "-v" in args else None)
        runs = " + ".join(f"{f['model']} {', '.join(f'{k}={v}' for k, v in f.items() if k not in ('model', 'data'))}"
                          for f in lab.runs)
        if r.detection:
            print(f"{lab_id:14s} fired at step {r.detection.step:>5,} after {r.seconds:6.1f} s  [{runs}]  "
                  f"{t(r.detection.key, 'en', **r.detection.values)}", flush=True)
            if save:
                print(f"{'':14s} recorded {record(r, lab).relative_to(ROOT)}", flush=True)
        else:
            missed += 1
            last = {k: v[-3:] for k, v in r.meter.series("run0").items()}
            print(f"{lab_id:14s} did NOT fire in {r.seconds:6.1f} s (steps reached {r.steps})  [{runs}]  last measured {last}",
                  flush=True)
        extra = r.meter.extra("run0")
        if extra:
            print(f"{'':14s} memorised share at the end by temperature: "
                  + ", ".join(f"{k[1:]}: {v:.0%}" for k, v in extra.items()), flush=True)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
