"""Trainer: one model, one optimiser set, one in-memory data set and one daemon thread per run.

The UI (or the CLI) never touches the live model. The training thread publishes, under a lock, an
immutable :class:`Snapshot`: bounded metric history, a timeline of fixed-noise previews and a frozen
CPU copy of the weights that callers may decode from while training goes on. No gradio here.
"""
from __future__ import annotations

import copy
import dataclasses
import logging
import math
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

import torch

from ..models.base import GenerativeModel, Hyper
from .budget import Budget
from .config import RunConfig, Snapshot, pick_device, training_threads  # callers import these from here too
from .native_memory import give_memory_back
from .settings import check

STATES = ("idle", "running", "paused", "finished", "stopped", "failed")
FAILED = "an internal error stopped training at step {step} (the server log has the details) — press Start to try again"
log = logging.getLogger(__name__)
_INIT_LOCK = threading.Lock()  # model init seeds the global RNG: serialise it between runs
MAX_PENDING_STEPS = 1000  # single steps that may wait at once: repeated step(n) calls do not add up without end
MAX_CHANGES = 100  # mid-run hyper-parameter changes remembered (the newest; a script cannot grow the list)


class Trainer:
    """Start / pause / resume / step / stop a run in a daemon thread; read it with snapshot()."""

    def __init__(self, cfg: RunConfig, data, model: GenerativeModel | None = None, test_data=None):
        self.cfg = cfg
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
        self._step = 0
        self._pending_steps = 0  # single-step requests while paused (≤ MAX_PENDING_STEPS)
        self._working = False  # a step (or its publish) is being computed right now
        self.budget = Budget(cfg.max_seconds, cfg.max_examples)
        self.on_idle: Callable[[], None] | None = None  # called (no lock held) when it stops being busy
        self._stop = False
        self._pending_hp: dict[str, Any] = {}
        self._changes: list[tuple[int, str, float, float]] = []  # (step, name, old, new) of mid-run changes
        self._hist: dict[str, list[float]] = {"step": []}
        self._evals: dict[str, list[float]] = {"step": []}
        self._previews: list[tuple[int, Any]] = []
        self._frozen: GenerativeModel | None = None
        self._frozen_step = 0
        self._rate = 0.0
        self._error: str | None = None
        self.error_trace: str | None = None  # full traceback of a failure, for logs (never shown raw in the UI)
        self._thread: threading.Thread | None = None
        self._acc: dict[str, float] = {}  # metric sums since the last publish
        self._acc_n = 0

    # ---- control (any thread) ----------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("this run has already been started")
            self._state = "paused" if paused else "running"
            self._thread = threading.Thread(target=self._run, name=f"train-{self.cfg.kind}", daemon=True)
        self._thread.start()

    def pause(self) -> None:
        with self._lock:
            if self._state == "running":
                self._state = "paused"

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

    def snapshot(self) -> Snapshot:
        with self._lock:
            left = self.cfg.steps - self._step
            return Snapshot(
                state=self._state, step=self._step, total=self.cfg.steps,
                history={k: list(v) for k, v in self._hist.items()},
                evals={k: list(v) for k, v in self._evals.items()},
                previews=list(self._previews), model=self._frozen, model_step=self._frozen_step,
                steps_per_s=self._rate,
                eta_s=(left / self._rate) if self._rate > 0 and self._state == "running" else None,
                device=str(self.device), error=self._error, hp=dataclasses.replace(self._hp), changes=tuple(self._changes),
            )

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
        """Block while paused; False when the run must end."""
        with self._wake:
            while not self._stop and self._state == "paused" and self._pending_steps == 0:
                self._wake.wait()
            if self._stop:
                return False
            if self._state == "paused":
                self._pending_steps -= 1
            self._apply_hp_locked()
            self._working = True
            return True

    def _run(self) -> None:
        torch.set_num_threads(training_threads()) if self.device.type == "cpu" else None
        t_last, s_last = time.perf_counter(), 0
        spent = None  # why the budget stopped the run
        try:
            while self._step < self.cfg.steps:
                if not self._wait_for_work():
                    break
                if not self._previews:  # step-0 preview (what noise looks like), once there is work: a run that
                    self._publish(snapshot=True)  # only waits, paused, holds no frozen copy (~10 MB for a VAE)
                t_step = time.perf_counter()
                hp = self._hp
                x, y = self.data.batch(hp.batch_size, self.gen)
                metrics = self.model.train_step(x, y, self.opts, hp, self.gen)
                self._check(metrics)
                for k, v in metrics.items():
                    self._acc[k] = self._acc.get(k, 0.0) + v
                self._acc_n += 1
                self._step += 1
                single = self._state == "paused"
                if self._step % self.cfg.publish_every == 0 or single or self._step == self.cfg.steps:
                    now = time.perf_counter()
                    if not single and now > t_last:
                        rate = (self._step - s_last) / (now - t_last)
                        self._rate = rate if self._rate == 0 else 0.7 * self._rate + 0.3 * rate
                    t_last, s_last = now, self._step
                    self._publish(snapshot=self._step % self.cfg.snapshot_every == 0 or single)
                self.budget.charge(time.perf_counter() - t_step, self.model.examples_per_step(hp))
                with self._lock:
                    self._working = False
                if not self.busy:  # paused, single steps done: it waits now, without its gradients (the next step
                    self.model.zero_grad(set_to_none=True)  # recomputes them) and handing back what its steps freed
                    give_memory_back()  # (~30 MB for a VAE, else kept by this thread's malloc arena)
                    if self.on_idle:
                        self.on_idle()  # the slot is free
                if (spent := self.budget.spent()) and self._step < self.cfg.steps:
                    break
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
            for opt in self.opts.values():
                opt.state.clear()
            self.model.zero_grad(set_to_none=True)
            give_memory_back()  # else glibc keeps what runs free mapped and RSS climbs run after run (native_memory.py)

    def _check(self, metrics: dict[str, float]) -> None:
        for k, v in metrics.items():
            if not math.isfinite(v):
                raise Diverged(f"diverged at step {self._step + 1}: {k} became {v} — lower the learning rate and retry")
            if abs(v) > self.cfg.diverge_at:
                raise Diverged(f"diverged at step {self._step + 1}: {k} = {v:.3g} — lower the learning rate and retry")

    def _publish(self, snapshot: bool) -> None:
        """Average the metrics since the last publish; optionally copy the weights + a preview."""
        frozen = preview = None
        if snapshot:
            frozen = copy.deepcopy(self.model).to("cpu").eval().requires_grad_(False)
            g = torch.Generator().manual_seed(self.cfg.seed + 1)  # the same noise at every snapshot
            preview = frozen.preview(self.cfg.preview_n, g)
            evals = frozen.evaluate(self.test_data, torch.Generator().manual_seed(self.cfg.seed + 2)) \
                if self.test_data is not None else {}
        with self._lock:
            if self._acc_n:
                self._hist["step"].append(float(self._step))
                for k, v in self._acc.items():
                    self._hist.setdefault(k, []).append(v / self._acc_n)
                self._acc, self._acc_n = {}, 0
                if len(self._hist["step"]) > self.cfg.max_points:
                    self._hist = {k: v[::2] for k, v in self._hist.items()}
            if snapshot:
                self._frozen, self._frozen_step = frozen, self._step
                if evals and (not self._evals["step"] or self._evals["step"][-1] != self._step):
                    self._evals["step"].append(float(self._step))
                    for k, v in evals.items():
                        self._evals.setdefault(k, []).append(v)
                    if len(self._evals["step"]) > self.cfg.max_points:
                        self._evals = {k: v[::2] for k, v in self._evals.items()}
                if not self._previews or self._previews[-1][0] != self._step:
                    self._previews.append((self._step, preview))
                if len(self._previews) > self.cfg.max_snapshots:  # keep the first and the newest
                    self._previews = self._previews[:-1:2] + self._previews[-1:]


class Diverged(RuntimeError):
    """Loss became NaN / inf / absurdly large: the run stops with this readable reason."""
