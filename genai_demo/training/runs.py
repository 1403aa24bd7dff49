"""Per-visitor runs: who owns which Trainer, how many train at once, how they share the device, and clean-up.

Each browser session (Gradio's ``request.session_hash``; a CLI / gradio_client caller gets one too) owns its
runs. Every operation takes the caller's session, so nobody can pause or stop another visitor's run: the id of
someone else's run is simply "not found". Up to ``max_active`` runs train at once, time-sliced: each computes a
chunk of ~1 s in turn (``slicer.py``), at most ``max_running`` chunks at a time — one per two cores on a CPU, several
on a GPU — so every visitor's run keeps improving instead of waiting for whole runs ahead of it. Single steps count
too. Beyond ``max_active`` runs wait in a queue whose position and estimated wait are shown (``scheduler.py``: first
come, first served, interleaved by client address; ``estimate.py``). What one visitor can hold is bounded — a public
Space is open to scripts, not only to its page: places (sessions holding runs) globally and per client address, a
place not used for training for ``reclaim_s`` going to a newcomer when full; each run's time and work
(``budget.py``: the time budget counts the run's own compute, not its waits for a turn); its waiting single steps.
Idle sessions are reaped, ``release`` frees a closed tab's runs. No gradio here: the UI layer passes session ids
and client addresses in.
"""
from __future__ import annotations

import contextvars
import dataclasses
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import estimate, factory
from .capacity import default_max_active, default_max_running, env_float
from .classroom import Classroom
from .controls import Controls
from .cotrain import CoTrainer
from .errors import RunError
from .places import Places
from .scheduler import WaitQueue
from .settings import RunSettings
from .slicer import TimeSlicer
from .trainer import RunConfig, Trainer


@dataclass
class Run:
    id: str
    session: str
    cfg: RunConfig
    trainer: Trainer
    created: float = field(default_factory=time.monotonic)
    nickname: str = ""  # what the teacher's Class tab calls it (classroom.clean_nickname); never the session id
    quality: dict | None = None  # the Train tab's last quality reading of it: step, confidence, classes covered

    @property
    def label(self) -> str:
        return f"{self.id}: {self.cfg.kind.upper()} on {self.cfg.data}, seed {self.cfg.seed}"


class RunRegistry(Classroom, Controls, Places):  # class-wide actions (classroom.py); pause … discard (controls.py); places
    def __init__(self, max_running: int | None = None, max_per_session: int = 3, max_steps: int = 20_000,
                 idle_s: float = 1800.0, max_sessions: int | None = None, max_per_client: int | None = None,
                 reclaim_s: float | None = None, run_seconds: float | None = None, run_examples: int | None = None,
                 max_active: int | None = None):
        self.max_running = max_running or default_max_running()  # chunks computing at once (the slicer's seats)
        self.max_active = max_active or default_max_active()  # runs training at once, sharing those seats in turn
        self.slicer = TimeSlicer(self.max_running)
        self.cotrain = CoTrainer()  # GAN runs of one shape step together on a GPU (cotrain.py; off on a CPU)
        self.max_per_session = max_per_session  # kept runs per visitor (finished ones stay selectable)
        self.max_steps = max_steps
        self.idle_s = idle_s
        # visitors holding runs at once: ~100 × 3 kept runs × ≤ 25 MB stays within a 16 GB Space
        self.max_sessions = max_sessions or int(env_float("GENAI_DEMO_MAX_SESSIONS", 100))
        # … of which one client address may hold (a classroom behind one NAT address shares it: raise it there)
        self.max_per_client = max_per_client or int(env_float("GENAI_DEMO_SESSIONS_PER_CLIENT", 3))
        # a session whose runs have not trained for this long gives its place up to a newcomer when full
        self.reclaim_s = env_float("GENAI_DEMO_RECLAIM_S", 600) if reclaim_s is None else reclaim_s
        # each run's budgets (budget.py; 0 = none): 10 min of training; 5 M examples (20,000 steps at batch 64, D:G 1)
        self.run_seconds = (env_float("GENAI_DEMO_RUN_SECONDS", 600) if run_seconds is None else run_seconds) or None
        self.run_examples = int(env_float("GENAI_DEMO_RUN_EXAMPLES", 5_000_000) if run_examples is None else run_examples) or None
        self._lock = threading.RLock()
        self._runs: dict[str, list[Run]] = {}  # session → its runs, oldest first (an empty list: being built)
        self._client: dict[str, str] = {}  # session → client address ("" unknown: only the global bound applies)
        self._seen: dict[str, float] = {}  # session → last request (monotonic); sessions with runs only
        self._trained: dict[str, float] = {}  # session → last time it had a run training or waiting to
        self._queue = WaitQueue()  # runs waiting for a slot
        self._ids = itertools.count(1)

    # ---- queries -------------------------------------------------------------------------------
    def runs(self, session: str) -> list[Run]:
        with self._lock:
            self._touch(session)
            self._schedule()
            return list(self._runs.get(session, []))

    def current(self, session: str) -> Run | None:
        return (self.runs(session) or [None])[-1]

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
            return self._queue.position(run)

    def status(self, run: Run) -> str:
        return "queued" if self.queue_position(run) else run.trainer.state

    def pace(self, run: Run) -> dict | None:
        """How fast this run goes while it shares the device, or how long until it gets a place: {"active",
        "share", "eta_s", "wait_s"} from measured paces (estimate.py); None when it neither trains nor waits."""
        with self._lock:
            active = [r for rs in self._runs.values() for r in rs if r.trainer.busy]
            return estimate.pace(run, active, self._queue.ordered(), self.max_running, self.max_active)

    def computing_count(self) -> int:
        """Chunks computing this very moment: never more than max_running."""
        return self.slicer.computing

    def running_count(self) -> int:
        """Runs training now, time-sliced (running, stepping, or finishing a step): never more than max_active."""
        with self._lock:
            return sum(1 for rs in self._runs.values() for r in rs if r.trainer.busy)

    def sessions(self) -> int:
        with self._lock:
            return len(self._runs)

    # ---- actions -------------------------------------------------------------------------------
    def start(self, session: str, cfg: RunSettings | RunConfig,
              make_trainer: Callable[[RunSettings | RunConfig], Trainer] | None = None, *, client: str = "") -> Run:
        """Create a run for this visitor (stopping its previous active one) and start or queue it.

        make_trainer: training.factory.make_trainer unless given (tests pass tiny models).
        client: the caller's address, for the per-address bound ("" when unknown)."""
        if not 1 <= cfg.steps <= self.max_steps:
            raise RunError(f"steps must be between 1 and {self.max_steps:,}", "run_steps", high=f"{self.max_steps:,}")
        if isinstance(cfg, RunSettings):
            cfg = factory.run_config(cfg)  # the app's live schedule (frequent publishes, ~40 snapshots)
        if cfg.max_seconds is None and cfg.max_examples is None:  # the server's budgets, unless the caller set its own
            cfg = dataclasses.replace(cfg, max_seconds=self.run_seconds, max_examples=self.run_examples)
        with self._lock:
            self._touch(session)
            evicted = []
            if session not in self._runs:
                evicted = self._make_room(client)
                self._runs[session] = []  # the place is taken now: two concurrent starts cannot both squeeze in
                self._client[session] = client
            for old in self._runs[session]:
                self._queue.remove(old)
                if old.trainer.alive:
                    old.trainer.stop(timeout=0)  # it finishes its current step and publishes
            self._seen[session] = self._trained[session] = time.monotonic()
        self._stop_all(evicted)
        try:
            trainer = (make_trainer or factory.make_trainer)(cfg)  # loads data / builds the model outside the lock
        except BaseException:
            with self._lock:
                if self._runs.get(session) == []:  # nothing built: give the place back
                    self._forget(session)
            raise
        with self._lock:
            run = self._register(session, trainer)
            self._queue.add(run, "start", self._client.get(session, client))
            self._schedule()
            return run

    def _register(self, session: str, trainer: Trainer) -> Run:
        """A built Trainer becomes the visitor's newest run (under the lock): the oldest beyond max_per_session is
        forgotten (it was stopped before), and the run takes turns with the others like every run."""
        run = Run(id=f"r{next(self._ids)}", session=session, cfg=trainer.cfg, trainer=trainer)
        mine = self._runs.setdefault(session, [])
        mine.append(run)
        while len(mine) > self.max_per_session:
            self._queue.remove(mine.pop(0))
        trainer.on_idle = self._on_idle
        trainer.slicer = self.slicer
        self.cotrain.attach(trainer)  # when it can step with others (a GPU, an MLP GAN): its chunks are led there
        trainer.context = contextvars.copy_context()  # the visitor's request (its GPU quota on ZeroGPU)
        return run

    def adopt(self, session: str, make_trainer: Callable[..., Trainer], *, client: str = "") -> Run:
        """Make a ready Trainer (weights loaded from a file: resume.py) this visitor's newest run, paused: it takes a
        place like start() (stopping the visitor's active run) but no training slot until it is resumed or stepped.

        make_trainer(max_seconds=…, max_examples=…) builds it with the server's run budgets."""
        with self._lock:
            self._touch(session)
            evicted = []
            if session not in self._runs:
                evicted = self._make_room(client)
                self._runs[session] = []  # the place is taken now, as in start()
                self._client[session] = client
            for old in self._runs[session]:
                self._queue.remove(old)
                if old.trainer.alive:
                    old.trainer.stop(timeout=0)
            # a new place gets reclaim_s of grace as after start(): else, never trained, a loaded run's place went to
            # the next newcomer from its address at once (a script's fresh sessions churned a class's loaded runs)
            self._seen[session] = self._trained[session] = time.monotonic()
        self._stop_all(evicted)
        try:
            trainer = make_trainer(max_seconds=self.run_seconds, max_examples=self.run_examples)
        except BaseException:
            with self._lock:
                if self._runs.get(session) == []:
                    self._forget(session)
            raise
        with self._lock:
            run = self._register(session, trainer)  # time-sliced when resumed, like any run
            trainer.start(paused=True)  # its thread waits: Resume / Step queue it like any paused run
            return run

    def shutdown(self) -> None:
        for s in list(self._runs):
            self.release(s)

    # ---- internals (called with the lock held) --------------------------------------------------
    def _touch(self, session: str) -> None:
        if not session:
            raise RunError("no session — reload the page", "run_no_session")
        if session not in self._runs:
            return  # a session without runs holds nothing here, however often it asks
        now = self._seen[session] = time.monotonic()
        if any(r.trainer.busy for r in self._runs[session]) or self._queue.holds(session):
            self._trained[session] = now

    def _on_idle(self) -> None:
        """A trainer stopped computing (run ended, or its single steps are done): its slot goes on at once."""
        with self._lock:
            self._schedule()

    def _schedule(self) -> None:
        """Promote waiting runs, in serving order, while there are free places among the active runs."""
        free = self.max_active - self.running_count()
        while free > 0 and (w := self._queue.pop()) is not None:
            trainer = w.run.trainer
            if w.action == "step":
                trainer.pause()
                trainer.step(w.n)
            elif w.action == "start" and not trainer.started:
                trainer.start()
            else:
                trainer.resume()
            free -= 1

