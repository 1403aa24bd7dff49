"""The light CPU budget every toy run of a process shares, so a class of 30 playing fits beside image training.

A toy round (one D and one G update) costs ≈ 0.85 ms of one core and a frame ≈ 2-2.7 ms (bench/toy.py),
so a run playing at 20 rounds per frame and 5 frames/s needs ≈ 0.1 core: 30 of them would want 3 cores. The budget keeps the
total to `cores` (default 1, leaving the other core to the image-training slot and the web server):
  - at most `lanes` runs compute at the same moment (a semaphore around each chunk of steps + frame), and
  - each playing run gets an even share, cores / (runs playing), spent as fewer rounds per frame (down to
    one) rather than fewer frames, so the views stay live and training slows down instead.
The costs are running means of the CPU time the runs measure themselves (time.thread_time), so the split
follows the machine it runs on. Paused runs take no share.
"""
from __future__ import annotations

import contextlib
import threading


class ToyBudget:
    """CPU shared by every toy run: a semaphore of `lanes` and an even split of `cores` between playing runs."""

    def __init__(self, cores: float = 1.0, lanes: int = 1):
        self.cores = cores
        self._lanes = threading.BoundedSemaphore(lanes)
        self._lock = threading.Lock()
        self._playing: set[int] = set()
        self.update_s, self.frame_s = 0.5e-3, 3e-3  # running means of one D or G update's / one frame's CPU time

    def lane(self) -> contextlib.AbstractContextManager:
        return self._lanes

    def playing(self, run_id: int, on: bool) -> None:
        with self._lock:
            (self._playing.add if on else self._playing.discard)(run_id)

    def steps_per_frame(self, want: int, fps: float, updates_per_round: int = 2) -> int:
        """As many rounds (≤ want) as this run's share of the cores allows at `fps`; at least one."""
        with self._lock:
            share = self.cores / max(1, len(self._playing)) / max(fps, 1e-3)  # CPU-s per frame for this run
            return max(1, min(want, int((share - self.frame_s) / (self.update_s * updates_per_round))))

    def note(self, updates: int, update_cpu: float, frame_cpu: float) -> None:
        """Feed the CPU time a chunk took: `updates` D / G updates, then one frame."""
        with self._lock:
            if updates:
                self.update_s = 0.9 * self.update_s + 0.1 * update_cpu / updates
            self.frame_s = 0.9 * self.frame_s + 0.1 * frame_cpu
