"""Places: which visitors (sessions) may hold runs, and letting them go. A mixin of ``RunRegistry`` (runs.py), kept
apart so the registry file reads as the runs' life cycle: a bound on sessions holding runs, globally and per client
address (a classroom behind one NAT address shares one: raise GENAI_DEMO_SESSIONS_PER_CLIENT there); when full, the
session that has gone longest without training (longer than ``reclaim_s``) gives its place to a newcomer; a closed
tab's runs are released and idle sessions reaped. The methods whose names start with "_" run with the lock held.
No gradio here.
"""
from __future__ import annotations

import time

from .errors import RunError
from .native_memory import give_memory_back
from .scheduler import longest_idle


class Places:
    """Expects RunRegistry's _lock, _runs, _client, _seen, _trained, _queue, idle_s, reclaim_s, max_per_client,
    max_sessions and _schedule()."""

    def release(self, session: str) -> int:
        """Stop and forget every run of a session (tab closed); returns how many were freed."""
        with self._lock:
            runs = self._evict(session)
        return self._stop_all(runs)

    def reap(self, now: float | None = None) -> int:
        """Release sessions idle for longer than idle_s (called periodically by the app)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s, t in self._seen.items() if now - t > self.idle_s]
        return sum(self.release(s) for s in idle)

    def _stop_all(self, runs: list) -> int:
        """Stop evicted runs (outside the lock: a run's last publish may take a moment) and free their memory."""
        for r in runs:
            r.trainer.stop(timeout=5)
        with self._lock:
            self._schedule()
        n = len(runs)
        runs = r = None  # drop the last references: the models and optimiser states are freed here …
        if n:
            give_memory_back()  # … and handed back to the OS (glibc would keep ~25 MB per VAE run mapped)
        return n

    def _evict(self, session: str) -> list:
        """Forget a session and unqueue its runs; the caller stops them (``_stop_all``) once the lock is free."""
        runs = self._runs.get(session, [])
        self._forget(session)
        for r in runs:
            self._queue.remove(r)
        return runs

    def _forget(self, session: str) -> None:
        for d in (self._runs, self._client, self._seen, self._trained):
            d.pop(session, None)

    def room_for(self, session: str, client: str = "") -> None:
        """Raise the RunError a new place would get now, evicting nothing: asked before costly work for a run (reading
        an 8 MB file), so a script's refused calls cost a lookup. start() / adopt() still decide: a newcomer may come
        between."""
        with self._lock:
            if session not in self._runs:
                self._make_room(client, look=True)

    def _make_room(self, client: str, look: bool = False) -> list:
        """Make sure a new session may hold runs: evict the longest-inactive one if needed (its runs are
        returned, to be stopped), else refuse. look: only say whether one could be, evicting nothing."""
        evicted: list = []

        def room(sessions: list[str]) -> bool:
            return self._idlest(sessions) is not None if look else self._reclaim(sessions, evicted)

        if client:
            theirs = [s for s, c in self._client.items() if c == client]
            if len(theirs) >= self.max_per_client and not room(theirs):
                raise RunError("too many training sessions from your network right now — please try again in a few minutes",
                               "run_network_full")
        if len(self._runs) >= self.max_sessions and not room(list(self._runs)):
            raise RunError("the server is full right now — please try again in a few minutes", "run_full")
        return evicted

    def _idlest(self, sessions: list[str]) -> str | None:
        """The session that has gone longest without training, if that is longer than reclaim_s: the one to reclaim."""
        idle = [s for s in sessions if self._runs.get(s) and not self._queue.holds(s)
                and not any(r.trainer.busy for r in self._runs[s])]
        return longest_idle(idle, self._trained, self.reclaim_s)

    def _reclaim(self, sessions: list[str], evicted: list) -> bool:
        """Evict the session that has gone longest without training, if that is longer than reclaim_s."""
        s = self._idlest(sessions)
        if s is not None:
            evicted += self._evict(s)
        return s is not None
