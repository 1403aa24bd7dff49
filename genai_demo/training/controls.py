"""Controls: what a visitor does to one of its runs once it exists — pause, resume, step, stop, discard. A mixin of
``RunRegistry`` (runs.py), kept apart so that file reads as the runs' life cycle (queries, start / adopt, the
scheduler). Each takes the caller's session, so another visitor's run id is "not found" (``get``); starting and
single steps go through the wait queue when every training place is taken. No gradio here.
"""
from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .errors import RunError
from .trainer import MAX_PENDING_STEPS

if TYPE_CHECKING:
    from .runs import Run


class Controls:
    """Expects RunRegistry's _lock, _queue, _client, _trained, max_active, get(), running_count(), _schedule() and
    Places' _forget()."""

    def pause(self, session: str, run_id: str | None = None) -> Run:
        run = self.get(session, run_id)
        with self._lock:
            if self._queue.remove(run) and not run.trainer.started:
                run.trainer.start(paused=True)  # a queued run that never started becomes a paused one
            run.trainer.pause()
            self._schedule()
        return run

    def resume(self, session: str, run_id: str | None = None) -> Run:
        run = self.get(session, run_id)
        with self._lock:
            waiting = self._queue.find(run)
            if waiting is not None and waiting.action == "step":
                waiting.action = "resume"  # it waits for a slot either way; resuming supersedes the steps
            elif run.trainer.state == "paused" and waiting is None:
                if run.trainer.busy:
                    run.trainer.resume()  # its single steps already hold a slot: it keeps it
                else:
                    self._queue.add(run, "resume", self._client.get(session, ""))
            self._trained[session] = time.monotonic()
            self._schedule()
        return run

    def step(self, session: str, n: int = 1, run_id: str | None = None) -> Run:
        """Run n more steps, then stay paused. Steps compute like training does: they need a free slot (or the
        one this run holds), else they wait in the queue. At most MAX_PENDING_STEPS wait at once."""
        run = self.get(session, run_id)
        if not 1 <= n <= 1000:
            raise RunError("step count must be between 1 and 1000", "run_step_count")
        with self._lock:
            waiting = self._queue.find(run)
            queued = waiting.n if waiting is not None and waiting.action == "step" else 0
            if run.trainer.pending_steps + queued + n > MAX_PENDING_STEPS:
                raise RunError(f"at most {MAX_PENDING_STEPS:,} steps can wait at once — let the current ones finish first")
            self._trained[session] = time.monotonic()
            if waiting is not None:  # queued to start / resume / step: it will step instead, when its turn comes
                waiting.action, waiting.n = "step", queued + n
                return run
            holds = run.trainer.busy
            run.trainer.pause()
            if holds or self.running_count() < self.max_active:
                run.trainer.step(n)  # starts the thread (paused) if needed
            else:
                self._queue.add(run, "step", self._client.get(session, ""), n)
        return run

    def stop(self, session: str, run_id: str | None = None) -> Run:
        run = self.get(session, run_id)
        with self._lock:
            self._queue.remove(run)
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
            if not mine:
                self._forget(session)  # no runs left: it holds no place any more
        return run
