"""Trainer: one model, one optimiser set, one in-memory data set and one daemon thread per run.

The UI (or the CLI) never touches the live model. The training thread publishes, under a lock, an
immutable :class:`Snapshot`: bounded metric history, a timeline of fixed-noise previews and a frozen
CPU copy of the weights that callers may decode from while training goes on (``publishing.py``). No gradio here.

The thread is a loop over chunks: ``advance(k)`` runs the next k steps as one synchronous call and keeps every piece
of state between calls, so a run can be time-sliced with others (``slicer``: one turn per chunk) or have its chunks
computed on a ZeroGPU worker (``chunk_runner``, ``zerogpu.py``) with the same results per seed.
"""
from __future__ import annotations

import contextvars
import dataclasses
import functools
import logging
import os
import threading
import traceback
from collections.abc import Callable
from typing import Any

import torch

from ..models.base import GenerativeModel, Hyper
from .budget import Budget
from .config import RunConfig, Snapshot, pick_device, training_threads  # noqa: F401  (callers import these from here too)
from .native_memory import give_memory_back
from .publishing import Publishing
from .settings import check
from .stepping import FIRST_CHUNK, MAX_CHUNK, Diverged, Stepping  # noqa: F401  (re-exported)

STATES = ("idle", "running", "paused", "finished", "stopped", "failed")
FAILED = "an internal error stopped training at step {step} (the server log has the details) — press Start to try again"
log = logging.getLogger(__name__)
_INIT_LOCK = threading.Lock()  # model init seeds the global RNG: serialise it between runs
MAX_PENDING_STEPS = 1000  # single steps that may wait at once: repeated step(n) calls do not add up without end
SLICE_S = 1.0  # seconds of compute per chunk: one turn on a shared device (env GENAI_DEMO_SLICE_S)
MAX_CHANGES = 100  # mid-run hyper-parameter changes remembered (the newest; a script cannot grow the list)


class Trainer(Stepping, Publishing):
    """Start / pause / resume / step / stop a run in a daemon thread; read it with snapshot()."""

    def __init__(self, cfg: RunConfig, data, model: GenerativeModel | None = None, test_data=None, start_step: int = 0,
                 past: tuple[dict, dict] | None = None):
        self.cfg = cfg  # start_step: steps `model` already trained (weights from a file); the counter goes on from there
        # past: that file's curves (history, evals), checked by curves_io.unpack; drawn before this run's own points
        self.device = pick_device(cfg.device)
        with _INIT_LOCK, torch.random.fork_rng(devices=[]):
            torch.manual_seed(cfg.seed)
            if model is None:
                from ..models import MODELS, build  # the registry; imported here so trainer.py stands alone

                # text data carries what the model must agree on (its vocabulary); explicit overrides still win
                fits = getattr(MODELS.get(cfg.kind), "output", None) == getattr(data, "modality", "image")
                base = (getattr(data, "model_config", None) or {}) if fits else {}
                model = build(cfg.kind, {**base, **(cfg.model_config or {})} if base else cfg.model_config)
            self.model = model
        if getattr(data, "modality", "image") != self.model.output:
            raise ValueError(f"{cfg.kind} needs {self.model.output} data, but {cfg.data!r} is {getattr(data, 'modality', 'image')}")
        self.model.to(self.device).train()
        self.data = data.to(self.device)  # whole data set on the device; batches are index draws
        self.test_data = test_data
        self.gen = torch.Generator(device=self.device).manual_seed(cfg.seed)
        self._hp = dataclasses.replace(cfg.hp)
        self.opts = self.model.make_optimizers(self._hp)

        self._lock = threading.Lock()  # guards everything the reader sees
        self._wake = threading.Condition(self._lock)  # pause / step / stop signalling
        self._state = "idle"
        self._step = int(start_step)
        self._pending_steps = 0  # single-step requests while paused (≤ MAX_PENDING_STEPS)
        self._working = False  # a step (or its publish) is being computed right now
        self.budget = Budget(cfg.max_seconds, cfg.max_examples)
        self.on_idle: Callable[[], None] | None = None  # called (no lock held) when it stops being busy
        self._stop = False
        self._pending_hp: dict[str, Any] = {}
        self._changes: list[tuple[int, str, float, float]] = []  # (step, name, old, new) of mid-run changes
        self._hist: dict[str, list[float]] = {"step": []}
        self._evals: dict[str, list[float]] = {"step": []}
        self._past = past or ({}, {})
        self._previews: list[tuple[int, Any]] = []
        self._frozen: GenerativeModel | None = None
        self._frozen_step = 0
        self._rate = 0.0
        self._error: str | None = None
        self.error_trace: str | None = None  # full traceback of a failure, for logs (never shown raw in the UI)
        self._thread: threading.Thread | None = None
        self._compute_lock = threading.Lock()  # one advance() at a time: the thread's, or a direct caller's
        self._spent: str | None = None  # why the budget ended the run (set by the step that used it up)
        self.slice_s = float(os.environ.get("GENAI_DEMO_SLICE_S", SLICE_S))
        self.slicer = None  # the registry's TimeSlicer (slicer.py): each chunk waits for a turn; None: no sharing
        self.chunk_runner = None  # computes chunks elsewhere (zerogpu.py); None: advance() here
        self.context: contextvars.Context | None = None  # the starting request's context variables (registry)
        self.chunk_error: str | None = None  # a traceback the chunk runner brought back (raised after publishing)
        self.notice: str | None = None  # catalogue key of a note for the visitor (e.g. ZeroGPU fell back to CPU)
        self._acc: dict[str, float] = {}  # metric sums since the last publish
        self._acc_n = 0

    # ---- control (any thread) ----------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("this run has already been started")
            self._state = "paused" if paused else "running"
            # in the context of the request that started the run (context: set by the registry): on ZeroGPU the GPU
            # calls then count against that visitor's quota, not the Space's
            run = self._run if self.context is None else functools.partial(self.context.run, self._run)
            self._thread = threading.Thread(target=run, name=f"train-{self.cfg.kind}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if self._state == "running":
                self._state = "paused"
        self._wake_slicer()  # waiting for a turn, it leaves the line

    def resume(self) -> None:
        with self._wake:
            if self._state == "paused":
                self._state = "running"
                self._pending_steps = 0  # running supersedes the single steps still waiting
                self._wake.notify_all()

    def step(self, n: int = 1) -> None:
        """Run n more steps then stay paused (starts the thread paused if needed)."""
        if self._thread is None:
            self.start(paused=True)
        with self._wake:
            if self._state == "paused":
                self._pending_steps = min(MAX_PENDING_STEPS, self._pending_steps + max(1, int(n)))
                self._wake.notify_all()

    def stop(self, timeout: float | None = 10.0) -> None:
        with self._wake:
            self._stop = True
            self._wake.notify_all()
        self._wake_slicer()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def join(self, timeout: float | None = None) -> bool:
        if self._thread is not None:
            self._thread.join(timeout)
            return not self._thread.is_alive()
        return True

    def set_hyper(self, **changes: Any) -> None:
        """Queue lr / beta / d_steps / batch_size changes, checked against the limits a new run gets
        (training/settings.py: the same sentence for a bad value); applied by the thread between steps."""
        for k in changes:
            if k not in Hyper.__dataclass_fields__:
                raise ValueError(f"unknown hyper-parameter {k!r}; choose from {list(Hyper.__dataclass_fields__)}")
        changes = {k: check(k, v) for k, v in changes.items()}
        with self._lock:
            self._pending_hp.update(changes)
            if self._thread is None or self._state in ("idle", "paused"):
                self._apply_hp_locked()

    @property
    def state(self) -> str:
        return self._state

    @property
    def step_count(self) -> int:
        """Steps done so far (cheap: no snapshot copy)."""
        return self._step

    @property
    def steps_per_s(self) -> float:
        """This run's own compute pace (turns waited for excluded); 0 before its first chunk."""
        return self._rate

    @property
    def pending_steps(self) -> int:
        return self._pending_steps

    @property
    def busy(self) -> bool:
        """Computing, or about to: running, single steps waiting, or a step still finishing after a pause / stop.
        The registry counts busy runs against the training cap."""
        return self._state == "running" or self._pending_steps > 0 or self._working

    @property
    def started(self) -> bool:
        return self._thread is not None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def publish(self) -> None:
        """Publish a frozen copy and a preview now, before any step: a run whose weights were loaded from a file is
        explorable at once. Only before start() (afterwards the training thread publishes)."""
        if self._thread is not None:
            raise RuntimeError("publish() is for a run that has not started")
        self._publish(snapshot=True)

    # ---- the training thread ---------------------------------------------------------------
    def _apply_hp_locked(self) -> None:
        if not self._pending_hp:
            return
        if self._step > 0:  # mid-run: remember it, so the curves can show where the setting changed
            self._changes += [(self._step, k, getattr(self._hp, k), v) for k, v in self._pending_hp.items()
                              if getattr(self._hp, k) != v]
            del self._changes[:-MAX_CHANGES]
        self._hp = dataclasses.replace(self._hp, **self._pending_hp)
        self._pending_hp = {}
        for opt in self.opts.values():
            for group in opt.param_groups:
                group["lr"] = self._hp.lr

    def _wait_for_work(self) -> bool:
        """Block while paused with no single steps waiting; False when the run must end."""
        with self._wake:
            while not self._stop and self._state == "paused" and self._pending_steps == 0:
                self._wake.wait()
            return not self._stop

    def _chunk(self) -> None:
        """One chunk of steps: in a turn of the shared device when a slicer is set (round-robin between active
        runs; a pause or stop while waiting gives the turn up), by the chunk runner when one is set (ZeroGPU), else
        here."""
        if self.slicer is None:
            return self._compute_chunk()
        with self.slicer.turn(self, self._idle_or_stopped) as granted:
            if granted:
                self._compute_chunk()

    def _compute_chunk(self) -> None:
        with self._compute_lock:  # (another run's turn may be computing a chunk for it: cotrain.py)
            if not self._previews:  # step-0 preview (what noise looks like), once there is work — in the turn: it
                self._publish(snapshot=True)  # computes too. A run that only waits, paused, holds no frozen copy
        if self.chunk_runner is not None:
            self.chunk_runner(self, self.chunk_steps())
        else:
            self.advance(self.chunk_steps())

    def _idle_or_stopped(self) -> bool:
        """Nothing to compute: stopped, at its end (a group's chunk may take a run there: cotrain.py), or paused with
        no single steps waiting (read without the lock: a stale answer only means one more check after the next wake)."""
        return self._stop or self._step >= self.cfg.steps or self._spent is not None \
            or (self._state == "paused" and self._pending_steps == 0)

    def _wake_slicer(self) -> None:
        if self.slicer is not None:
            self.slicer.wake()

    def _run(self) -> None:
        torch.set_num_threads(training_threads()) if self.device.type == "cpu" else None
        try:
            while self._step < self.cfg.steps and self._spent is None:
                if not self._wait_for_work():
                    break
                self._chunk()
                if not self.busy and self._step < self.cfg.steps:  # paused, single steps done: it waits now, without
                    self.model.zero_grad(set_to_none=True)  # its gradients (the next step recomputes them), handing
                    give_memory_back()  # back what its steps freed (~30 MB for a VAE, else kept by this thread's arena)
                    if self.on_idle:
                        self.on_idle()  # its place is free
            with self._compute_lock:  # another thread may still be computing a chunk for it (cotrain.py)
                spent = self._spent
                final = "stopped" if (self._stop or spent) and self._step < self.cfg.steps else "finished"
                self._publish(snapshot=True)
            with self._lock:
                self._state = final
                self._error = spent if final == "stopped" else None  # the budget's reason is the status line
        except Exception as e:  # surfaced to the UI / CLI: never lost in a dead thread
            msg = str(e) if isinstance(e, Diverged) else FAILED.format(step=self._step + 1)  # plain: no class, no path
            if not isinstance(e, Diverged):
                log.error("run failed at step %d", self._step + 1, exc_info=e)  # the detail, for the operator
            with self._lock:
                self._error = msg
                self.error_trace = traceback.format_exc()
                self._state = "failed"
        finally:  # the run can never step again: free Adam's moments and the gradients (~half a kept run's memory)
            with self._lock:
                self._working, self._pending_steps = False, 0  # no longer busy: its training slot is free
            if self.on_idle:
                self.on_idle()
            with self._compute_lock:
                for opt in self.opts.values():
                    opt.state.clear()
                self.model.zero_grad(set_to_none=True)
            give_memory_back()  # else glibc keeps what runs free mapped and RSS climbs run after run (native_memory.py)
