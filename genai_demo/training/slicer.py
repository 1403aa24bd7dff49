"""Turns on a shared device: round-robin time-slicing between the runs that train at once.

Every active run's thread asks for a turn before each chunk of steps (``Trainer._chunk``: ~``slice_s`` of its own
compute) and gives it back after, then queues again at the back. At most ``capacity`` chunks compute at once — on
a CPU one per ``GENAI_DEMO_MAX_RUNS`` worker (the cores are shared, not multiplied), on a GPU ``GENAI_DEMO_GPU_RUNS``
small runs side by side — so with 8 runs on one slot each advances about 1/8 of the time, in turn, and nobody's
grid stops improving while another visitor's run goes on. A run's steps are the same steps, only interleaved: its
results per seed do not change. Turns go strictly round-robin, run by run (arrival order, a served run goes to the
back). Not by address: what one address can hold is already bounded by its places (runs.py), and shares by address
would give one outside visitor as much of the device as a whole classroom behind one NAT address.
No gradio; plain threads.
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable


class TimeSlicer:
    def __init__(self, capacity: int):
        self.capacity = max(1, int(capacity))
        self._cond = threading.Condition()
        self._waiting: list[list] = []  # [key] per run waiting for a turn, in arrival order (a list: identity)
        self._computing = 0
        self.turns = 0  # turns served so far
        self.waited_s = 0.0  # total time runs spent waiting for a turn (the price of sharing)

    @property
    def computing(self) -> int:
        """Chunks computing right now (never more than capacity)."""
        return self._computing

    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)

    @contextlib.contextmanager
    def turn(self, key, cancelled: Callable[[], bool] = lambda: False):
        """Block until it is this run's turn (key: any object identifying the run, e.g. its Trainer) and yield True,
        holding the turn for the with-block, then free it for the next in line. Yields False at once, without a turn,
        when cancelled() becomes true while waiting (the run was paused or stopped: call wake() after changing it)."""
        t0 = time.perf_counter()
        with self._cond:
            w = [key]
            self._waiting.append(w)
            while not self._mine(w) and not cancelled():
                self._cond.wait()
            self._waiting.remove(w)
            granted = self._mine_now() and not cancelled()
            if granted:
                self._computing += 1
                self.turns += 1
                self.waited_s += time.perf_counter() - t0
            else:
                self._cond.notify_all()  # its place in line is free: the next may go
        try:
            yield granted
        finally:
            if granted:
                with self._cond:
                    self._computing -= 1
                    self._cond.notify_all()

    @contextlib.contextmanager
    def aside(self):
        """Inside a granted turn: give the seat to the line while blocked on something else (cotrain.py: another run's
        turn is computing its group's chunk), then take a seat again — the first free one, ahead of the line: it had
        its turn. So runs blocked on a group never hold seats the other runs could compute on."""
        with self._cond:
            self._computing -= 1
            self._cond.notify_all()
        try:
            yield
        finally:
            with self._cond:
                while self._computing >= self.capacity:
                    self._cond.wait()
                self._computing += 1

    def wake(self) -> None:
        """Let waiting runs re-check whether they were cancelled (a pause or stop)."""
        with self._cond:
            self._cond.notify_all()

    def _mine_now(self) -> bool:
        return self._computing < self.capacity

    def _mine(self, w) -> bool:
        """A free seat, and w among the first waiters who fit in the free seats."""
        free = self.capacity - self._computing
        return free > 0 and any(x is w for x in self._waiting[:free])
