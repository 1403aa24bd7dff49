"""Honest waits and paces for the status line: how long until a queued run gets a place, and how fast a
time-sliced run goes while it shares the device — from measured steps per second, not guesses.

The model is the slicer's schedule (``slicer.py``): n active runs share ``capacity`` turns round-robin, so each
gets min(1, capacity / n) of a device; when one ends, the next queued run takes its place. ``simulate`` plays that
forward (processor sharing, a few events per run) from each run's compute seconds left: steps left ÷ its own
measured steps/s, capped by its time budget. A run that has not computed yet borrows the pace of a run of the same
family and batch size; without one, the estimate is "unknown" (None), never made up.
No gradio, no threads: the registry calls ``pace`` with its lock held.
"""
from __future__ import annotations

import math


def simulate(active: list[float], queued: list[float], capacity: int, slots: int) -> tuple[list[float], list[float]]:
    """Processor sharing: active[i] / queued[j] are compute seconds of work (math.inf: unknown). Returns when each
    active run finishes and when each queued run starts (seconds from now; inf when it depends on unknown work).
    capacity: runs computing at full speed at once; slots: runs active at once (the rest wait, in order)."""
    left = list(active)
    ids = list(range(len(active)))  # which active run each entry of `left` is (queued j → len(active) + j)
    finish = [math.inf] * len(active)
    start = [math.inf] * len(queued)
    nxt, now = 0, 0.0
    while nxt < len(queued) and len(left) < slots:  # free places now
        start[nxt], left, ids, nxt = 0.0, left + [queued[nxt]], ids + [len(active) + nxt], nxt + 1
    while left:
        speed = min(1.0, capacity / len(left))  # device-seconds per second for each active run
        i = min(range(len(left)), key=left.__getitem__)
        if math.isinf(left[i]):
            break  # everything left depends on unknown work
        dt = left[i] / speed
        now += dt
        left = [w - dt * speed for w in left]
        if ids[i] < len(active):
            finish[ids[i]] = now
        del left[i], ids[i]
        while nxt < len(queued) and len(left) < slots:
            start[nxt], left, ids, nxt = now, left + [queued[nxt]], ids + [len(active) + nxt], nxt + 1
    return finish, start


def work_s(trainer, steps: int | None = None, rate: float | None = None) -> float:
    """Compute seconds a trainer still needs for `steps` (default: to its last step), at its measured pace (or
    `rate`), capped by what is left of its time budget; math.inf when no pace is known."""
    steps = trainer.cfg.steps - trainer.step_count if steps is None else steps
    rate = trainer.steps_per_s or rate or 0.0
    if rate <= 0:
        return math.inf  # no pace measured yet: unknown (the time budget is a bound, not an estimate)
    need, b = steps / rate, trainer.budget
    if b.seconds is not None:
        need = min(need, max(0.0, b.seconds - b.used_s))
    return need


def _twin_rate(trainer, active_trainers) -> float | None:
    """The pace of a run of the same family and batch size, for a run that has not computed yet."""
    for t in active_trainers:
        if t is not trainer and t.steps_per_s > 0 and t.cfg.kind == trainer.cfg.kind \
                and t.cfg.hp.batch_size == trainer.cfg.hp.batch_size:
            return t.steps_per_s
    return None


def together(trainer) -> int:
    """Runs its latest chunk was computed with, itself included (cotrain.py; 1 when it steps alone)."""
    return max(1, int(getattr(trainer.chunk_runner, "together", 1)))


def pace(run, active_runs: list, waiting: list, capacity: int, slots: int) -> dict | None:
    """The status line's numbers for one run. active_runs: the runs training now; waiting: the queue's entries in
    serving order (scheduler.Waiting). Returns {"active", "share", "eta_s", "wait_s", "together"} (seconds or None),
    or None when the run is neither training nor waiting. A run in a group of g (cotrain.py) advances in every turn of
    the group's members, one group chunk at a time: g times its share of the device, up to the whole device."""
    trainers = [r.trainer for r in active_runs]
    n = len(active_runs)

    def need(t, steps=None):  # compute seconds at its own pace, shortened by its group's extra turns
        return work_s(t, steps, _twin_rate(t, trainers)) / max(1.0, min(together(t), n / capacity))

    act = [need(t, t.pending_steps if t.state == "paused" else None) for t in trainers]
    que = [need(w.run.trainer, w.n if w.action == "step" else None) for w in waiting]
    finish, start = simulate(act, que, capacity, slots)
    if run in active_runs:
        eta = finish[active_runs.index(run)]
        g = together(run.trainer)
        return {"active": n, "share": min(1.0, capacity * g / n), "eta_s": None if math.isinf(eta) else eta,
                "wait_s": None, "together": g}
    for j, w in enumerate(waiting):
        if w.run is run:
            return {"active": n, "share": min(1.0, capacity / (n + 1)) if n >= slots else 1.0,
                    "eta_s": None, "wait_s": None if math.isinf(start[j]) else start[j], "together": 1}
    return None
