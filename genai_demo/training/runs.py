"""Per-visitor runs: who owns which Trainer, how many may train at once, and clean-up.

Each browser session (Gradio's ``request.session_hash``; a CLI / gradio_client caller gets one too)
owns its runs. Every operation takes the caller's session, so nobody can pause or stop another
visitor's run: the id of someone else's run is simply "not found". A global cap bounds how many runs
train at once (a 2-core Space cannot train 30 GANs); the rest wait in a FIFO queue whose position is
shown. Sessions idle for longer than ``idle_s`` are reaped, and ``release`` frees a closed tab's runs.
No gradio here: the UI layer passes session ids in.
"""
from __future__ import annotations

import itertools
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import factory
from .native_memory import give_memory_back
from .settings import RunSettings
from .trainer import RunConfig, Trainer


class RunError(ValueError):
    """A user-facing reason an operation on runs was refused: the English sentence, plus a catalogue key and its
    values so the UI can say it in the visitor's language (genai_demo/i18n: run_* keys)."""

    def __init__(self, sentence: str, key: str | None = None, **values):
        super().__init__(sentence)
        self.key, self.values = key, values


@dataclass
class Run:
    id: str
    session: str
    cfg: RunConfig
    trainer: Trainer
    created: float = field(default_factory=time.monotonic)

    @property
    def label(self) -> str:
        return f"{self.id}: {self.cfg.kind.upper()} on {self.cfg.data}, seed {self.cfg.seed}"


def default_max_running() -> int:
    """One training run per two cores: the other core serves the page and the sliders."""
    return max(1, int(os.environ.get("GENAI_DEMO_MAX_RUNS", (os.cpu_count() or 2) // 2)))


class RunRegistry:
    def __init__(self, max_running: int | None = None, max_per_session: int = 3, max_steps: int = 20_000,
                 idle_s: float = 1800.0, max_sessions: int | None = None):
        self.max_running = max_running or default_max_running()
        self.max_per_session = max_per_session  # kept runs per visitor (finished ones stay selectable)
        self.max_steps = max_steps
        self.idle_s = idle_s
        # visitors holding runs at once: ~100 × 3 kept runs × ≤ 25 MB stays within a 16 GB Space
        self.max_sessions = max_sessions or int(os.environ.get("GENAI_DEMO_MAX_SESSIONS", 100))
        self._lock = threading.RLock()
        self._runs: dict[str, list[Run]] = {}  # session → its runs, oldest first
        self._seen: dict[str, float] = {}  # session → last activity (monotonic)
        self._queue: list[tuple[Run, str]] = []  # (run, "start" | "resume") waiting for a slot
        self._ids = itertools.count(1)

    # ---- queries -------------------------------------------------------------------------------
    def runs(self, session: str) -> list[Run]:
        with self._lock:
            self._touch(session)
            self._schedule()
            return list(self._runs.get(session, []))

    def current(self, session: str) -> Run | None:
        runs = self.runs(session)
        return runs[-1] if runs else None

    def get(self, session: str, run_id: str | None = None) -> Run:
        """The caller's run by id (its newest when None); another session's id is 'not found'."""
        runs = self.runs(session)
        if run_id is None and runs:
            return runs[-1]
        for r in runs:
            if r.id == run_id:
                return r
        if run_id is None:
            raise RunError("no training run yet — press Start first", "run_none")
        raise RunError(f"run {run_id} not found", "run_not_found", run=run_id)

    def queue_position(self, run: Run) -> int | None:
        """1-based place in the queue, or None when not waiting."""
        with self._lock:
            for i, (r, _) in enumerate(self._queue):
                if r is run:
                    return i + 1
        return None

    def status(self, run: Run) -> str:
        return "queued" if self.queue_position(run) else run.trainer.state

    def running_count(self) -> int:
        with self._lock:
            return sum(1 for rs in self._runs.values() for r in rs if r.trainer.state == "running")

    def sessions(self) -> int:
        with self._lock:
            return len(self._runs)

    # ---- actions -------------------------------------------------------------------------------
    def start(self, session: str, cfg: RunSettings | RunConfig,
              make_trainer: Callable[[RunSettings | RunConfig], Trainer] | None = None) -> Run:
        """Create a run for this visitor (stopping its previous active one) and start or queue it.

        make_trainer: training.factory.make_trainer unless given (tests pass tiny models)."""
        if not 1 <= cfg.steps <= self.max_steps:
            raise RunError(f"steps must be between 1 and {self.max_steps:,}", "run_steps", high=f"{self.max_steps:,}")
        with self._lock:
            self._touch(session)
            if session not in self._runs and len(self._runs) >= self.max_sessions:
                raise RunError("the server is full right now — please try again in a few minutes", "run_full")
            for old in self._runs.get(session, []):
                self._dequeue(old)
                if old.trainer.alive:
                    old.trainer.stop(timeout=0)  # it finishes its current step and publishes
        trainer = (make_trainer or factory.make_trainer)(cfg)  # loads data / builds the model outside the lock
        with self._lock:
            run = Run(id=f"r{next(self._ids)}", session=session, cfg=trainer.cfg, trainer=trainer)
            mine = self._runs.setdefault(session, [])
            mine.append(run)
            while len(mine) > self.max_per_session:  # forget the oldest; it was stopped above
                self._dequeue(mine.pop(0))
            self._queue.append((run, "start"))
            self._schedule()
            return run

    def pause(self, session: str, run_id: str | None = None) -> Run:
        run = self.get(session, run_id)
        with self._lock:
            if self._dequeue(run) and not run.trainer.started:
                run.trainer.start(paused=True)  # a queued run that never started becomes a paused one
            run.trainer.pause()
            self._schedule()
        return run

    def resume(self, session: str, run_id: str | None = None) -> Run:
        run = self.get(session, run_id)
        with self._lock:
            if run.trainer.state == "paused" and not self.queue_position(run):
                self._queue.append((run, "resume"))
            self._schedule()
        return run

    def step(self, session: str, n: int = 1, run_id: str | None = None) -> Run:
        """Single steps are cheap and user-paced: they bypass the queue."""
        run = self.get(session, run_id)
        if not 1 <= n <= 1000:
            raise RunError("step count must be between 1 and 1000", "run_step_count")
        with self._lock:
            if self._dequeue(run) and not run.trainer.started:
                run.trainer.start(paused=True)
            run.trainer.pause()
            run.trainer.step(n)
        return run

    def stop(self, session: str, run_id: str | None = None) -> Run:
        run = self.get(session, run_id)
        with self._lock:
            self._dequeue(run)
        run.trainer.stop(timeout=5)
        with self._lock:
            self._schedule()
        return run

    def discard(self, session: str, run_id: str | None = None) -> Run:
        """Stop one run and forget it (the Train tab's Reset); the visitor's other runs stay."""
        run = self.stop(session, run_id)
        with self._lock:
            mine = self._runs.get(session, [])
            if run in mine:
                mine.remove(run)
        return run

    def release(self, session: str) -> int:
        """Stop and forget every run of a session (tab closed); returns how many were freed."""
        with self._lock:
            runs = self._runs.pop(session, [])
            self._seen.pop(session, None)
            for r in runs:
                self._dequeue(r)
        for r in runs:
            r.trainer.stop(timeout=5)
        with self._lock:
            self._schedule()
        n = len(runs)
        runs = r = None  # drop the last references: the models and optimiser states are freed here …
        if n:
            give_memory_back()  # … and handed back to the OS (glibc would keep ~25 MB per VAE run mapped)
        return n

    def reap(self, now: float | None = None) -> int:
        """Release sessions idle for longer than idle_s (called periodically by the app)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s, t in self._seen.items() if now - t > self.idle_s]
        return sum(self.release(s) for s in idle)

    def shutdown(self) -> None:
        with self._lock:
            sessions = list(self._runs)
        for s in sessions:
            self.release(s)

    # ---- internals (called with the lock held) --------------------------------------------------
    def _touch(self, session: str) -> None:
        if not session:
            raise RunError("no session — reload the page", "run_no_session")
        self._seen[session] = time.monotonic()

    def _dequeue(self, run: Run) -> bool:
        before = len(self._queue)
        self._queue = [(r, a) for r, a in self._queue if r is not run]
        return len(self._queue) != before

    def _schedule(self) -> None:
        """Promote queued runs, oldest first, while there are free training slots."""
        free = self.max_running - self.running_count()
        while free > 0 and self._queue:
            run, action = self._queue.pop(0)
            if action == "start" and not run.trainer.started:
                run.trainer.start()
            else:
                run.trainer.resume()
            free -= 1
