"""Every visitor's 2-D GAN game, keyed by session: bounded, freed on leave and after idle time (no gradio here).

One ToyRun per session (toy_run.py); a reset replaces it with a new one (the noise dimension and the data
cannot change live). All runs share one ToyBudget (toy_budget.py), so a class of 30 playing at once costs
at most `cores` of CPU and leaves the image-training slot alone. Limits (docs/limits.md):
  GENAI_DEMO_TOY_RUNS     games at once, all visitors together (default 40); beyond it a polite refusal
  GENAI_DEMO_TOY_IDLE_S   a game nobody has looked at for this long is stopped and freed (default 600 s)
  GENAI_DEMO_TOY_CORES    CPU the toy games may use together (default 1.0 of the 2 cores)
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

from .toy_budget import ToyBudget
from .toy_data import ToyData, ToyError
from .toy_gan import ToyConfig
from .toy_run import ToyRun

MAX_STEPS = 20_000  # a run's longest game; the tab's "stop at" field may ask for less
# A playing game alone runs 25 rounds per frame at 8 frames/s: 200 rounds/s (the healthy preset's 2,000 in ≈ 10 s)
# for ≈ 0.2 core; with more games playing, the shared budget cuts the rounds per frame, never the frame rate.
STEPS_PER_FRAME, FPS = 25, 8.0
SWEEP_EVERY_S = 30  # how often get() looks for idle games


def _env(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass
class ToyGame:
    """One visitor's game: the run, a counter telling the page a new run began, and what it is replaying."""

    run: ToyRun
    number: int  # grows with every reset in this registry: the page drops its history when it changes
    preset: str | None = None  # the preset it was loaded from, if any (its one-line "what to watch")
    viewing: int | None = None  # index into run.timeline() while the visitor scrubs the replay; None: live
    seen: float = field(default_factory=time.monotonic)


class ToySessions:
    """session → ToyGame, at most `max_runs` of them; idle ones are stopped by sweep()."""

    def __init__(self, max_runs: int | None = None, idle_s: float | None = None, cores: float | None = None):
        self.max_runs = int(max_runs if max_runs is not None else _env("GENAI_DEMO_TOY_RUNS", 40))
        self.idle_s = idle_s if idle_s is not None else _env("GENAI_DEMO_TOY_IDLE_S", 600)
        self.budget = ToyBudget(cores=cores if cores is not None else _env("GENAI_DEMO_TOY_CORES", 1.0))
        self._games: dict[str, ToyGame] = {}
        self._lock = threading.Lock()
        self._count = 0
        self._swept = time.monotonic()

    def get(self, sid: str) -> ToyGame | None:
        if time.monotonic() - self._swept > SWEEP_EVERY_S:  # the pages' polls drive the idle sweep
            self.sweep()
        with self._lock:
            game = self._games.get(sid)
            if game is not None:
                game.seen = time.monotonic()
            return game

    def new(self, sid: str, cfg: ToyConfig, data: ToyData, steps: int, preset: str | None = None,
            if_absent: bool = False) -> ToyGame:
        """Replace the visitor's game by a fresh, unstarted one (or, with `if_absent`, keep one that exists by now);
        ValueError (one sentence) when the server is full. The old game stays readable until the new one is in."""
        self.sweep()
        with self._lock:
            if sid not in self._games and len(self._games) >= self.max_runs:
                raise ToyError(f"All {self.max_runs} 2-D games of this server are in use: try again in a few minutes.",
                               "toy_err_full", n=self.max_runs)
        run = ToyRun(cfg, data, max_steps=steps, steps_per_frame=STEPS_PER_FRAME, fps=FPS, budget=self.budget)
        with self._lock:  # a poll creating the default game and a button creating another may race: one wins whole
            old = self._games.get(sid)
            if if_absent and old is not None:
                return old  # the new run never started: nothing to stop
            if old is None and len(self._games) >= self.max_runs:
                raise ToyError(f"All {self.max_runs} 2-D games of this server are in use: try again in a few minutes.",
                               "toy_err_full", n=self.max_runs)
            self._count += 1
            game = self._games[sid] = ToyGame(run, self._count, preset)
        if old is not None:
            old.run.stop(timeout=5)
        return game

    def forget(self, sid: str) -> None:
        with self._lock:
            game = self._games.pop(sid, None)
        if game is not None:
            game.run.stop(timeout=5)

    def sweep(self) -> int:
        """Stop and drop games nobody polled for idle_s seconds; how many went."""
        now = self._swept = time.monotonic()
        with self._lock:
            idle = [s for s, g in self._games.items() if now - g.seen > self.idle_s]
            gone = [self._games.pop(s) for s in idle]
        for g in gone:
            g.run.stop(timeout=5)
        return len(gone)

    def __len__(self) -> int:
        with self._lock:
            return len(self._games)

    def shutdown(self) -> None:
        with self._lock:
            games, self._games = list(self._games.values()), {}
        for g in games:
            g.run.stop(timeout=5)
