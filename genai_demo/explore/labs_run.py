"""Run a lab's preset outside the app, until its detector fires: what bench/labs.py and the engine tests do.

The app starts the same settings through the run registry (the global training cap, the queue) and measures from
its slow timer; here the runs train one after another in this process (2 cores: one run at a time, like the app's
cap) and the loop measures every snapshot itself. No gradio.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

from ..training.factory import make_trainer
from ..training.settings import checked
from .labs import Lab
from .labs_detect import Detection
from .labs_measure import ENDED, LabMeter


@dataclass
class LabResult:
    lab: str
    detection: Detection | None
    seconds: float  # wall time from the first run's start until the detector fired (or the runs ended)
    steps: list[int]  # steps each run reached
    meter: LabMeter
    snaps: list  # each run's last snapshot


def settings(lab: Lab, steps: int | None = None) -> list:
    """The lab's RunSettings (validated like the Train tab's form); steps: a shorter run for tests."""
    out = []
    for form in lab.runs:
        s = checked(form)
        out.append(dataclasses.replace(s, steps=steps) if steps else s)
    return out


def run_lab(lab: Lab, steps: int | None = None, timeout_s: float = 120.0, poll_s: float = 0.2,
            stop_when_fired: bool = True, progress=None) -> LabResult:
    """Train the lab's runs one after another, measuring each snapshot, until the detector fires (then stop).
    progress(run index, snapshot, measured series, seconds): called after each new measurement (bench/labs.py -v prints it)."""
    meter = LabMeter()
    trainers = [make_trainer(s) for s in settings(lab, steps)]
    ids = [f"run{i}" for i in range(len(trainers))]
    t0 = time.perf_counter()
    found = None
    try:
        for i, tr in enumerate(trainers):
            tr.start()
            while True:
                done = tr.snapshot().state in ENDED
                snaps = [t.snapshot() for t in trainers[:i + 1]]
                for k, (rid, t, snap) in enumerate(zip(ids, trainers, snaps, strict=False)):
                    if meter.measure(rid, snap, lab.measure, t.cfg.data, t.cfg.seed) and progress:
                        progress(k, snap, meter.series(rid), time.perf_counter() - t0)
                found = lab.detect([meter.trace(rid, s) for rid, s in zip(ids, snaps, strict=False)])
                if (found and stop_when_fired) or done or time.perf_counter() - t0 > timeout_s:
                    break
                time.sleep(poll_s)
            if (found and stop_when_fired) or time.perf_counter() - t0 > timeout_s:
                break
    finally:
        for tr in trainers:
            tr.stop()
    seconds = time.perf_counter() - t0
    snaps = [t.snapshot() for t in trainers]
    for rid, t, snap in zip(ids, trainers, snaps, strict=True):  # the final snapshots (the follow-up's temperatures)
        meter.measure(rid, snap, lab.measure, t.cfg.data, t.cfg.seed)
    return LabResult(lab.id, found, seconds, [s.step for s in snaps], meter, snaps)
