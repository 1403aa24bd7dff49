"""A live 2-D GAN game: one ToyGAN stepped in its own daemon thread, with play / pause / step D / step G / step both.

Like training/trainer.py but light and separate (no Trainer, no checkpoints): a toy run owns a ToyGAN
(toy_gan.py) and its fixed view samples (toy_views.py). While playing it runs `steps_per_frame` rounds,
then publishes a frame (the views as a small dict) and waits out the rest of the frame period (1 / fps),
so a playing run costs fps × (steps_per_frame × step cost + frame cost) of CPU per second. Readers only
copy published frames under the lock: they never run a forward pass on the live networks.

A shared ToyBudget (toy_budget.py) caps what all toy runs together may use. The timeline keeps a frame
every `snapshot_every` steps (and after every manual step) for the replay scrubber (toy_timeline.py).
"""
from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
import traceback

import torch

from .toy_budget import ToyBudget
from .toy_data import ToyData
from .toy_gan import ToyConfig, ToyGAN, check_loss
from .toy_metrics import CollapseDetector
from .toy_timeline import History, Timeline
from .toy_views import ToyViews

STATES = ("idle", "playing", "paused", "finished", "stopped", "failed")
KINDS = ("both", "d", "g")  # what one manual step updates
MAX_QUEUED = 1000  # manual steps waiting at most


class ToyRun:
    """Start / play / pause / step / configure / stop a 2-D GAN game; read it with frame(), scene(), timeline()."""

    def __init__(self, cfg: ToyConfig, data: ToyData, *, max_steps: int = 20_000, steps_per_frame: int = 20,
                 fps: float = 5.0, snapshot_every: int = 100, max_snapshots: int = 60, max_points: int = 300,
                 budget: ToyBudget | None = None):
        if not 1 <= max_steps <= 200_000:
            raise ValueError("A toy run lasts between 1 and 200,000 steps.")
        self.max_steps, self.snapshot_every = max_steps, snapshot_every
        self.budget = budget
        self.gan = ToyGAN(cfg, data)
        self.views = ToyViews(data, cfg.noise_dim, cfg.seed)
        self.detector = CollapseDetector()
        self._lock = threading.Lock()
        self._wake = threading.Condition(self._lock)
        self._state, self._stop, self._thread = "idle", False, None
        self._manual: list[str] = []  # queued manual steps ("both" / "d" / "g") while paused
        self._pending: dict = {}  # configure() changes, applied by the thread between chunks
        self._pace = {"steps_per_frame": 1, "fps": 1.0}
        self._set_pace(steps_per_frame, fps)
        self._step = 0
        self._acc = {"d": [0.0, 0], "g": [0.0, 0]}  # loss sums and counts since the last frame
        self._hist = History(max_points)
        self._drift_from: tuple[int, torch.Tensor] | None = None  # (step, display fakes) at the last kept frame
        self._timeline = Timeline(max_snapshots)
        self._error: str | None = None
        self._error_key: str | None = None  # the catalogue key of _error (i18n/*/toy.json), for the page's language
        self.error_trace: str | None = None
        self._rate = 0.0
        self._publish()  # step 0: the untrained game, readable before start()

    # ---- control (any thread) -----------------------------------------------------------------
    def start(self, paused: bool = False) -> None:
        with self._lock:
            if self._thread is not None:
                raise RuntimeError("This toy run has already started.")
            self._state = "paused" if paused else "playing"
            self._thread = threading.Thread(target=self._run, name="toy-gan", daemon=True)
        self._thread.start()

    def play(self) -> None:
        if self._thread is None:
            return self.start()
        with self._wake:
            if self._state == "paused":
                self._state = "playing"
                self._wake.notify_all()

    def pause(self) -> None:
        with self._lock:
            if self._state == "playing":
                self._state = "paused"

    def step(self, kind: str = "both", n: int = 1) -> None:
        """GAN Lab's slow motion: n rounds, D updates only ("d") or G updates only ("g"); pauses a playing run."""
        if kind not in KINDS:
            raise ValueError("A step updates both players, D only or G only.")
        try:
            n = max(1, min(int(n), MAX_QUEUED))
        except (TypeError, ValueError, OverflowError):
            raise ValueError("The number of steps must be a whole number.") from None
        if self._thread is None:
            self.start(paused=True)
        with self._wake:
            if self._state == "playing":
                self._state = "paused"
            if self._state == "paused":
                self._manual += [kind] * max(0, min(n, MAX_QUEUED - len(self._manual)))  # impatient clicks queue, up to a cap
                self._wake.notify_all()

    def configure(self, **changes) -> None:
        """lr_d, lr_g, optimizer, loss, d_steps, g_steps (validated now) and steps_per_frame, fps; applied between steps."""
        pace = {k: changes.pop(k) for k in ("steps_per_frame", "fps") if k in changes}
        if changes:
            unknown = set(changes) - {"lr_d", "lr_g", "optimizer", "loss", "d_steps", "g_steps"}
            if unknown:
                raise ValueError("Only the learning rates, optimiser, loss, D:G ratio and pace can change during a run.")
            dataclasses.replace(self.gan.cfg, **changes)  # raises ValueError with one sentence if out of range
        with self._wake:
            if pace:
                self._set_pace(pace.get("steps_per_frame", self._pace["steps_per_frame"]), pace.get("fps", self._pace["fps"]))
            self._pending.update(changes)
            if not self._busy:  # the thread is waiting (or gone): apply now, a paused reader sees it at once
                self._apply_locked()
            if "loss" in changes and self._thread is not None and self._state == "paused":
                self._manual.append("refresh")  # the arrows depend on the loss: redraw them without a step
                self._wake.notify_all()
        if "loss" in changes and self._thread is None:
            self._publish()  # nobody else touches the game before start()

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

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Until every queued manual step is done (or the run ended); False on timeout."""
        with self._wake:
            return self._wake.wait_for(lambda: not (self._manual or self._busy) or self._state != "paused", timeout)

    # ---- reading (any thread; copies only) -------------------------------------------------------
    @property
    def state(self) -> str:
        return self._state

    @property
    def error(self) -> str | None:
        return self._error

    def frame(self, since: float | None = None) -> dict:
        """The latest frame plus the run's state, history points after step `since` (all if None) and collapse events."""
        with self._lock:
            return {**self._frame, "state": self._state, "error": self._error,
                    "error_key": self._error_key, "steps_per_s": round(self._rate, 1),
                    "max_steps": self.max_steps, "collapse": self.detector.message(),
                    "events": [dict(e) for e in self.detector.events], "config": dataclasses.asdict(self.gan.cfg),
                    "history": self._hist.since(since)}

    def scene(self) -> dict:
        return self.views.scene()

    def timeline(self) -> list[int]:
        """Steps of the kept replay frames, oldest first."""
        with self._lock:
            return self._timeline.steps()

    def replay(self, i: int) -> dict:
        """Kept frame number i of timeline() (negative counts from the end), as a dict."""
        with self._lock:
            return self._timeline.get(i)

    # ---- the game's thread ---------------------------------------------------------------------------
    _busy = False

    def _set_pace(self, steps_per_frame, fps) -> None:
        try:
            ok = 1 <= int(steps_per_frame) <= 500 and 0 <= float(fps) <= 30
        except (TypeError, ValueError, OverflowError):
            ok = False
        if not ok:
            raise ValueError("Steps per frame must be 1-500 and frames per second 0-30 (0: as fast as possible).")
        self._pace = {"steps_per_frame": int(steps_per_frame), "fps": float(fps)}

    def _apply_locked(self) -> None:
        if self._pending:
            self.gan.configure(**self._pending)
            self._pending = {}

    def _next_work(self) -> tuple[str, int] | None:
        """Block while paused; (kind, rounds) to run next, or None when the run must end."""
        with self._wake:
            self._busy = False
            self._wake.notify_all()  # wakes wait_idle()
            while not self._stop and self._state == "paused" and not self._manual:
                if self.budget:
                    self.budget.playing(id(self), False)  # a paused run takes no share of the budget
                self._wake.wait()
            if self._stop:
                return None
            self._apply_locked()
            self._busy = True
            if self.budget:
                self.budget.playing(id(self), self._state == "playing")
            if self._state == "paused":
                kind = self._manual.pop(0)
                return kind, 0 if kind == "refresh" else 1
            fps, per_round = self._pace["fps"], self.gan.cfg.d_steps + self.gan.cfg.g_steps
            # a frame's work stays ≈ 2 × steps_per_frame updates: a 10:1 game plays fewer rounds, not 5× the CPU
            want = max(1, round(self._pace["steps_per_frame"] * 2 / per_round))
        n = self.budget.steps_per_frame(want, fps, per_round) if self.budget and fps > 0 else want
        return "both", min(n, self.max_steps - self._step)

    def _run(self) -> None:
        torch.set_num_threads(1)  # per thread: a toy step is far too small to split, and 30 runs share 2 cores
        try:
            while self._step < self.max_steps:
                work = self._next_work()
                if work is None:
                    break
                kind, n = work
                t0 = time.monotonic()
                with self.budget.lane() if self.budget else contextlib.nullcontext():
                    c0, u0 = time.thread_time(), self.gan.d_updates + self.gan.g_updates
                    for _ in range(n):
                        self._one(kind)
                    c1 = time.thread_time()
                    self._publish()
                    if self.budget:
                        self.budget.note(self.gan.d_updates + self.gan.g_updates - u0, c1 - c0, time.thread_time() - c1)
                fps = self._pace["fps"]
                if self._state == "playing":
                    dt = time.monotonic() - t0
                    self._rate = n / dt if self._rate == 0 else 0.8 * self._rate + 0.2 * n / max(dt, 1e-6)
                    if fps > 0:
                        with self._wake:  # wait out the frame period; pause / stop / a step wake it early
                            self._wake.wait_for(lambda: self._stop or self._state != "playing", t0 + 1 / fps - time.monotonic())
            with self._lock:
                self._state = "stopped" if self._stop else "finished"
        except Exception as e:  # surfaced through frame()["error"] as one sentence, never lost in a dead thread
            with self._lock:
                self.error_trace = traceback.format_exc()  # for logs, never shown to a visitor
                diverged = isinstance(e, FloatingPointError)
                self._error = str(e) if diverged else "The game failed: reset it and try again."
                self._error_key = getattr(e, "key", None) if diverged else "toy_err_failed"
                self._state = "failed"
        finally:
            if self.budget:
                self.budget.playing(id(self), False)
            with self._wake:
                self._busy = False
                self._wake.notify_all()

    def _one(self, kind: str) -> None:
        """One round (or one D-only / G-only update) and its losses into the running sums."""
        if kind == "both":
            ld, lg = self.gan.step()
        elif kind == "d":
            ld, lg = self.gan.step_d(), None
        else:
            ld, lg = None, self.gan.step_g()
        for key, v in (("d", ld), ("g", lg)):
            if v is not None:
                check_loss(v)
                self._acc[key][0] += v
                self._acc[key][1] += 1
        self._step += 1

    def _publish(self) -> None:
        """Measure, build the frame, append the history, feed the collapse detector, keep a replay frame."""
        cov, js = self.views.measure(self.gan)
        frame = self.views.frame(self.gan, self._step, cov, js)
        keep = self._step == 0 or self._state == "paused" or \
            self._step // self.snapshot_every > self._timeline.last_step // self.snapshot_every
        drift = None
        if keep:  # how far the fakes moved since the last kept frame, per 100 steps: ≈ 0.1 once G has settled
            fake = torch.tensor(frame["fake"]).view(-1, 2)  # (SHOW, 2)
            if self._drift_from is not None and self._step - self._drift_from[0] >= self.snapshot_every // 2:
                drift = round(float((fake - self._drift_from[1]).norm(dim=1).mean()) * 100 / (self._step - self._drift_from[0]), 4)
            if self._drift_from is None or self._step - self._drift_from[0] >= self.snapshot_every // 2:
                self._drift_from = (self._step, fake)
        self.detector.update(self._step, cov)
        with self._lock:
            self._frame = frame
            if self._step > 0:
                mean = {k: round(t / c, 4) if c else None for k, (t, c) in self._acc.items()}  # None: that player sat out
                self._hist.add(step=self._step, **mean, modes=cov.covered, js=round(js, 4), drift=drift)
                self._acc = {"d": [0.0, 0], "g": [0.0, 0]}
            if keep:
                self._timeline.keep(self._step, frame)
