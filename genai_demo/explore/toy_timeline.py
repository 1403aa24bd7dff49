"""A toy run's memory: the bounded metric history and the replay timeline of kept frames (no locking here:
toy_run.py calls these under its own lock).

Both are bounded so a run that plays for an hour keeps the same few hundred kilobytes: when full, the
older part is thinned to every other entry and the newest is always kept, like the Trainer's history.
"""
from __future__ import annotations

import json

KEYS = ("step", "d", "g", "modes", "js", "drift")  # drift: fakes' movement per 100 steps, None between kept frames


class History:
    """Per-frame figures: the step, D's and G's mean loss since the last frame (None: that player sat it
    out), modes covered, JS divergence and the drift. All lists have the same length."""

    def __init__(self, max_points: int):
        self.max_points = max_points
        self.lists: dict[str, list] = {k: [] for k in KEYS}

    def add(self, **point) -> None:
        if self.lists["step"] and self.lists["step"][-1] == point["step"]:
            return  # a redraw at the same step (e.g. the loss changed while paused) adds no point
        for k in KEYS:
            self.lists[k].append(point[k])
        if len(self.lists["step"]) > self.max_points:  # thin the older points, keep the newest
            self.lists = {k: v[:-1:2] + v[-1:] for k, v in self.lists.items()}

    def since(self, step) -> dict[str, list]:
        """Copies of the points after `step` (all of them for None or anything that is not a number)."""
        try:
            step = None if step is None else float(step)
        except (TypeError, ValueError):
            step = None  # a garbled "since" from a page: send everything rather than fail
        s = self.lists["step"]
        start = 0 if step is None else next((i for i, v in enumerate(s) if v > step), len(s))
        return {k: v[start:] for k, v in self.lists.items()}


class Timeline:
    """Kept frames for the replay scrubber, as compact JSON (≈ 9 KB each; a dict of floats would be ~5× that)."""

    def __init__(self, max_frames: int):
        self.max_frames = max_frames
        self.frames: list[tuple[int, str]] = []  # (step, JSON), oldest first

    @property
    def last_step(self) -> int:
        return self.frames[-1][0] if self.frames else -1

    def keep(self, step: int, frame: dict) -> None:
        if self.frames and self.frames[-1][0] == step:
            self.frames.pop()  # the newer frame of the same step wins (a D-only step after a G-only one…)
        self.frames.append((step, json.dumps(frame, separators=(",", ":"))))
        if len(self.frames) > self.max_frames:  # keep the first and the newest
            self.frames = self.frames[:-1:2] + self.frames[-1:]

    def steps(self) -> list[int]:
        return [s for s, _ in self.frames]

    def get(self, i) -> dict:
        """Frame number i (negative counts from the end; clamped to the ends)."""
        try:
            i = int(i)
        except (TypeError, ValueError, OverflowError):
            raise ValueError("Pick a replay frame by its number.") from None
        if not self.frames:
            raise ValueError("There is nothing to replay yet.")
        i = max(-len(self.frames), min(i, len(self.frames) - 1))
        return json.loads(self.frames[i][1])
