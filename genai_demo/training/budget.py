"""A run's budget: how long it may train and how much data it may go through, so no visitor holds a slot for days.

A full-size DCGAN at batch 1,024 with D:G 10 takes ~51 s per step on 2 cores: a step cap alone lets one run
hold the only training slot for days. So a run served by the app also has
- a **time budget**: seconds spent training (computing steps, publishing snapshots), wherever it runs — paused
  time does not count, single steps do;
- a **work budget**: examples drawn, i.e. batch size × the updates each step makes (a GAN's D updates + 1).
The Trainer charges each step and stops the run, with the reason as its status line, at the first step that
reaches either (so it overshoots by at most one step). ``None`` means unbounded: the CLI trains without budgets;
the app's RunRegistry sets them (env ``GENAI_DEMO_RUN_SECONDS``, ``GENAI_DEMO_RUN_EXAMPLES``). No gradio here.
"""
from __future__ import annotations

from dataclasses import dataclass


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g}-minute" if seconds >= 60 else f"{seconds:g}-second"


@dataclass
class Budget:
    seconds: float | None = None  # training time allowed (None: unbounded)
    examples: int | None = None  # examples drawn allowed (None: unbounded)
    used_s: float = 0.0
    used_examples: int = 0

    def charge(self, seconds: float, examples: int) -> None:
        self.used_s += seconds
        self.used_examples += examples

    def spent(self) -> str | None:
        """Why the run must stop now (one line for the visitor), or None while budget is left."""
        if self.seconds is not None and self.used_s >= self.seconds:
            return f"stopped: this run used its {_duration(self.seconds)} training budget — start a new run to go on"
        if self.examples is not None and self.used_examples >= self.examples:
            return (f"stopped: this run used its work budget of {self.examples:,} training examples "
                    "— start a new run to go on")
        return None
