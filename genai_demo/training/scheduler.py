"""The queue of runs waiting for a training slot and the order it serves them in, and which idle visitor gives
up a place to a newcomer. No locking, no gradio: ``RunRegistry`` holds its lock around every call.

Serving order is arrival order, except that a client address's k-th waiting run goes after every other
address's (k-1)-th. One address lining up ten runs (a script with ten session ids) then delays a newcomer by
one run, not ten; runs from different addresses keep first come, first served. A run with no known address
("" — the CLI, unit tests) is always served in arrival order.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(eq=False)  # identity: two entries are never "equal"
class Waiting:
    run: Any  # runs.Run
    action: str  # "start" | "resume" | "step"
    client: str  # the address that asked ("" unknown)
    n: int = 0  # steps to run (action "step")


class WaitQueue:
    def __init__(self) -> None:
        self._items: list[Waiting] = []  # arrival order

    def __len__(self) -> int:
        return len(self._items)

    def add(self, run, action: str, client: str, n: int = 0) -> Waiting:
        w = Waiting(run, action, client, n)
        self._items.append(w)
        return w

    def find(self, run) -> Waiting | None:
        return next((w for w in self._items if w.run is run), None)

    def holds(self, session: str) -> bool:
        """Whether any run of this session is waiting."""
        return any(w.run.session == session for w in self._items)

    def remove(self, run) -> bool:
        before = len(self._items)
        self._items = [w for w in self._items if w.run is not run]
        return len(self._items) != before

    def ordered(self) -> list[Waiting]:
        """The entries in serving order (see the module docstring)."""
        rank: dict[str, int] = {}
        keyed = []
        for i, w in enumerate(self._items):
            k = rank[w.client] = rank.get(w.client, -1) + 1
            keyed.append((k if w.client else 0, i))
        return [self._items[i] for _, i in sorted(keyed)]

    def position(self, run) -> int | None:
        """1-based place in serving order, or None when not waiting."""
        return next((i + 1 for i, w in enumerate(self.ordered()) if w.run is run), None)

    def pop(self) -> Waiting | None:
        """The next entry to serve, taken off the queue."""
        order = self.ordered()
        if not order:
            return None
        self._items = [w for w in self._items if w is not order[0]]
        return order[0]


def longest_idle(sessions: list[str], trained: dict[str, float], after_s: float) -> str | None:
    """Of sessions not training, the one whose runs last trained longest ago, if that is more than after_s ago: the
    place to give a newcomer when the server (or an address) is full. None when every one trained recently."""
    now = time.monotonic()
    old = [s for s in sessions if now - trained.get(s, 0.0) > after_s]
    return min(old, key=lambda s: trained.get(s, 0.0)) if old else None
