"""Guided "break it" labs: what each lab trains (a fixed, seeded preset), what it asks before, what its detector
watches for, and which answer turned out right.

A lab is data: an id (its link name, ``?lab=mode-collapse``), one or two run forms (handed to
``training.settings.checked`` like the Train tab's form, so the same limits apply), what ``labs_measure``
must measure on its snapshots, a detector (``labs_detect``) and the prediction's choices. Its texts are catalogue
keys derived from the id (``lab_<key>_goal``, ``_question``, ``_choice_<i>``, ``_watch``, ``_explain``, …,
in genai_demo/i18n/*/labs.json). Which choice is right is decided from what the detector saw on this run, not
written in advance: a lab that did not break is said so. No gradio, no torch.

The presets were searched on a 2-core machine shared with other jobs (bench/labs.py re-checks them and prints the
step and wall time at which each detector fired).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from .labs_detect import DETECTORS, Detection


@dataclass(frozen=True)
class Lab:
    id: str  # link name: ?lab=<id>
    runs: tuple[dict, ...]  # one RunSettings form per run (training.settings.checked); a fixed seed each
    measure: str  # what labs_measure reads from snapshots: "quality" (GAN previews), "memorise" (names) or "" (none)
    choices: int  # how many prediction choices (catalogue keys lab_<key>_choice_0 … )
    right: Callable[[Detection | None], int]  # the index of the right choice, given what the detector saw
    curve: tuple[str, ...]  # the metrics the lab's small plot shows (history or measured names)
    glossary: tuple[str, ...] = ()  # gloss_<id> entries this lab introduces (labs.json)

    @property
    def key(self) -> str:
        """The catalogue stem: "mode-collapse" → "mode_collapse"."""
        return self.id.replace("-", "_")

    def detect(self, traces) -> Detection | None:
        return DETECTORS[self.id](traces)


def _when_digits(d: Detection | None) -> int:
    """gan-learns asks *when*: before step 500, 500-1,500, later (or never in this run)."""
    if d is None:
        return 2
    return 0 if d.step < 500 else 1 if d.step <= 1500 else 2


def _fired(yes: int, no: int) -> Callable[[Detection | None], int]:
    return lambda d: yes if d is not None else no


LABS: dict[str, Lab] = {lab.id: lab for lab in (
    Lab("gan-learns", ({"model": "gan", "data": "mnist5k", "steps": 3000, "lr": 1e-3, "seed": 7},),
        "quality", 3, _when_digits, ("confidence",), ("confidence", "classes_covered")),
    Lab("mode-collapse", ({"model": "gan", "data": "mnist5k", "steps": 1000, "lr": 5e-3, "seed": 0},),
        "quality", 3, _fired(1, 0), ("classes",), ("mode_collapse",)),
    # the usual lr 2e-4: D:G is the only change; batch 32 keeps a step of 11 batches affordable
    Lab("d-wins", ({"model": "gan", "data": "mnist5k", "steps": 600, "d_steps": 10, "batch_size": 32, "seed": 0},),
        "quality", 3, _fired(1, 2), ("d_acc", "g_loss"), ("discriminator", "d_acc")),
    Lab("beta-map", ({"model": "vae", "data": "mnist5k", "steps": 400, "beta": 0.0, "seed": 3},
                     {"model": "vae", "data": "mnist5k", "steps": 400, "beta": 4.0, "seed": 3}),
        "", 3, _fired(0, 2), ("val_kl",), ("kl", "elbo", "beta")),
    # weight decay off (the app's default 0.1 slows memorising down): the lab is about memorising, fast
    Lab("memorise", ({"model": "charlm", "data": "names", "steps": 3000, "lr": 3e-3, "batch_size": 128, "seed": 0,
                      "model_config": {"weight_decay": 0.0}},),
        "memorise", 3, _fired(2, 0), ("memorised",), ("memorise", "temperature")),
)}


def lab(lab_id) -> Lab | None:
    """The lab with this id, or None (an unknown or malformed id from a link is not an error)."""
    return LABS.get(lab_id) if isinstance(lab_id, str) else None


# ---- per visitor: which lab they run, what they predicted, which runs are the lab's -------------------------------
@dataclass
class LabSession:
    lab: str  # lab id
    choice: int  # the prediction, made before running
    runs: list[str]  # run ids started so far (the β lab has two, started one after the other)
    detection: Detection | None = None  # set once, when the detector first fires

    @property
    def started_all(self) -> bool:
        return len(self.runs) >= len(LABS[self.lab].runs)


class LabDesk:
    """session → its current LabSession; the Labs tab owns one. Bounded: a session the registry reaped without the
    page ever unloading is dropped once MAX_SESSIONS newer ones began a lab."""

    MAX_SESSIONS = 1000

    def __init__(self) -> None:
        self._by_session: OrderedDict[str, LabSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: str) -> LabSession | None:
        return self._by_session.get(session)

    def begin(self, session: str, lab_id: str, choice: int, run_id: str) -> LabSession:
        with self._lock:
            s = self._by_session[session] = LabSession(lab_id, choice, [run_id])
            self._by_session.move_to_end(session)
            while len(self._by_session) > self.MAX_SESSIONS:
                self._by_session.popitem(last=False)
        return s

    def forget(self, session: str) -> LabSession | None:
        with self._lock:
            return self._by_session.pop(session, None)
