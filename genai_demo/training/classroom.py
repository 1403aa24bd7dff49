"""The teacher's class-wide view of the run registry: every visitor's newest run, pause all, resume all, stop one.

A mixin of ``RunRegistry`` (runs.py) so the class-wide actions live beside, not inside, the per-visitor ones: each
goes through the visitor's own ``pause`` / ``resume`` / ``stop`` with that run's session, so the queue and the
training cap behave exactly as if the student had pressed the button. Only the UI's Class tab calls these, after
the teacher's code was checked (ui/class_tab.py). Also: the nickname a student types for the class view. No gradio.
"""
from __future__ import annotations

import unicodedata

NICK_MAX = 24  # characters of a nickname (the textbox enforces it too; an API caller may send anything)
ENDED = ("finished", "stopped", "failed")


def clean_nickname(text) -> str:
    """A student's nickname as the Class tab may show it: printable characters only (no control, format or
    private-use ones, no markup brackets), spaces collapsed, at most NICK_MAX characters; "" when nothing is left.
    The page escapes it again when drawing: this keeps it one short, plain line."""
    if not isinstance(text, str):
        return ""
    kept = (" " if ch.isspace() else ch for ch in text[:200]
            if ch.isspace() or (unicodedata.category(ch)[0] != "C" and ch not in "<>&\"'`"))
    return " ".join("".join(kept).split())[:NICK_MAX].strip()


class Classroom:
    """Class-wide operations; expects RunRegistry's ``_lock``, ``_runs`` and its per-session actions."""

    def all_runs(self) -> list:
        """Every visitor's newest run, the earliest-created first (a run's id is not a session id)."""
        with self._lock:
            newest = [rs[-1] for rs in self._runs.values() if rs]
        return sorted(newest, key=lambda r: r.created)

    def pause_all(self) -> int:
        """Pause every run that is training or waiting to; returns how many were paused."""
        todo = [r for r in self.all_runs() if r.trainer.state not in ENDED and self.status(r) in ("running", "queued")]
        for r in todo:
            self.pause(r.session, r.id)
        return len(todo)

    def resume_all(self) -> int:
        """Resume every paused run (each may wait for a training slot, as its student's Resume would)."""
        todo = [r for r in self.all_runs() if r.trainer.state == "paused" and self.status(r) == "paused"]
        for r in todo:
            self.resume(r.session, r.id)
        return len(todo)

    def stop_any(self, run_id: str):
        """Stop one run by its id, whoever owns it; None when no visitor's newest run has that id."""
        run = next((r for r in self.all_runs() if r.id == run_id), None)
        if run is None:
            return None
        return self.stop(run.session, run.id)
