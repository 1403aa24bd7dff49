"""How a Trainer computes steps: ``advance(k)`` runs the next k steps as one synchronous call, keeping model,
optimisers, RNG, history and snapshots between calls; ``advance_with`` publishes k steps computed elsewhere (a ZeroGPU
chunk, ``zerogpu.py``). A mixin of :class:`~genai_demo.training.trainer.Trainer` (which owns the fields and the thread
that loops over these chunks); split out so trainer.py stays about control. No gradio here.
"""
from __future__ import annotations

import math
import time
from collections.abc import Callable

FIRST_CHUNK = 5  # steps in a run's first chunk, which measures its pace; later chunks last ~slice_s
MAX_CHUNK = 10_000  # steps in one chunk at most (a tiny model at thousands of steps/s)


class Stepping:
    def advance(self, k: int) -> int:
        """Run up to k steps now, on the caller's thread, publishing them as the background thread does; model,
        optimisers, RNG, history and snapshots carry over between calls, so k-step chunks give the same results per
        seed as one long run. Stops early when paused (waiting single steps still run), stopped, at the last step,
        or when a budget is used. Returns the steps run. A run never started (state idle) may be driven this way
        by its owner alone, without a thread. The thread is a loop over such chunks (``_run``)."""
        done, t0 = 0, time.perf_counter()
        with self._compute_lock:
            while done < k and self._step < self.cfg.steps and self._spent is None and self._claim(1):
                try:
                    self._one_step()
                finally:
                    with self._lock:
                        self._working = False
                done += 1
            self._measure(done, time.perf_counter() - t0)
        return done

    def advance_with(self, compute: Callable, k: int) -> int:
        """Like advance(k), but the steps are computed by ``compute(self, n, snap_at) -> (metrics per step, seconds,
        {i: weights after step i})`` elsewhere (ZeroGPU: a forked GPU worker; it swaps the trained model and
        optimisers back in), and published here afterwards. snap_at: the chunk's step indices whose weights a
        snapshot shows (the published grids are those steps' own; the chunk's last step is the live model)."""
        with self._compute_lock:
            n, single, snap_at = self._open_chunk(k)
            if n == 0:
                return 0
            try:
                metrics, seconds, weights = compute(self, n, snap_at)
            except BaseException:
                self._give_back(n, single)  # nothing was computed: the single steps it took still wait
                raise
            self._close_chunk(metrics, seconds, weights, single)
            if self.chunk_error:  # the training code failed inside the chunk, after the steps published above
                error, self.chunk_error = self.chunk_error, None
                raise RuntimeError(f"a chunk computed elsewhere failed:\n{error}")
            return len(metrics)

    # ---- a chunk computed elsewhere, in three phases (advance_with; cotrain.py steps several runs' chunks at once).
    # The caller holds _compute_lock from _open_chunk until _close_chunk or _give_back.
    def _open_chunk(self, k: int) -> tuple[int, bool, set[int]]:
        """Claim up to k steps: (n claimed, single steps while paused?, snap_at: step indices inside the chunk whose
        weights a snapshot shows — the last step's is the live model). n is 0 when there is nothing to do."""
        k = min(k, self.cfg.steps - self._step)
        single = self._state == "paused"
        n = self._claim(k) if self._spent is None else 0
        every, s0 = self.cfg.snapshot_every, self._step
        return n, single, {i for i in range(n - 1) if (s0 + i + 1) % every == 0}

    def _give_back(self, n: int, single: bool) -> None:
        """Undo a claim whose steps were not computed: its single steps wait again, the run is not computing."""
        with self._lock:
            self._pending_steps += n if single else 0
            self._working = False

    def _close_chunk(self, metrics: list[dict[str, float]], seconds: float, weights: dict, single: bool,
                     share: int = 1) -> None:
        """Publish the claimed chunk's steps as if they had run here: the same history, snapshots, budget and
        checks. seconds: the chunk's compute time (its pace); share: how many runs it was computed for at once —
        each is charged its share of the time against its budget."""
        try:
            for i, m in enumerate(metrics):  # replayed: the same history, budget and checks as steps run here
                last = i == len(metrics) - 1
                charge = seconds / share / max(1, len(metrics))
                self._after_step(m, charge, single and last, last, weights=weights.get(i))
        finally:
            with self._lock:
                self._working = False
        self._measure(len(metrics), seconds)

    def _claim(self, k: int) -> int:
        """Take the right to run up to k steps now (≤ the waiting single steps while paused): 0 when stopped or
        paused with none waiting. Marks the run as computing and applies queued hyper-parameter changes."""
        with self._lock:
            if self._stop or k <= 0:
                return 0
            if self._state == "paused":
                k = min(k, self._pending_steps)
                self._pending_steps -= k
            elif self._state not in ("running", "idle"):  # idle: never started, a direct caller drives it
                return 0
            if k:
                self._apply_hp_locked()
                self._working = True
            return k

    def _one_step(self) -> None:
        t_step = time.perf_counter()
        single, hp = self._state == "paused", self._hp
        x, y = self.data.batch(hp.batch_size, self.gen)  # x (B, …) on the run's device; draws from its own RNG
        metrics = self.model.train_step(x, y, self.opts, hp, self.gen)
        self._after_step(metrics, None, single, last=True, t_step=t_step)

    def _after_step(self, metrics: dict[str, float], seconds: float | None, single: bool, last: bool,
                    t_step: float | None = None, weights=None) -> None:
        """Account one computed step: divergence check, metric sums, publishes, the budget. seconds: its compute
        time when measured elsewhere (else from t_step, publishing included). last: the live model holds this step's
        weights; weights: a copy of them otherwise (a chunk computed elsewhere), else no snapshot at this step."""
        self._check(metrics)
        for k, v in metrics.items():
            self._acc[k] = self._acc.get(k, 0.0) + v
        self._acc_n += 1
        self._step += 1
        if self._step % self.cfg.publish_every == 0 or single or self._step == self.cfg.steps:
            due = self._step % self.cfg.snapshot_every == 0 or single or self._step == self.cfg.steps
            self._publish(snapshot=due and (last or weights is not None), weights=weights)
        self.budget.charge(seconds if seconds is not None else time.perf_counter() - t_step,
                           self.model.examples_per_step(self._hp))
        if (spent := self.budget.spent()) and self._step < self.cfg.steps:
            self._spent = spent

    def _measure(self, steps: int, seconds: float) -> None:
        """Steps per second of this run's own compute (waits for a turn excluded), smoothed over chunks."""
        if steps > 0 and seconds > 0:
            rate = steps / seconds
            with self._lock:
                self._rate = rate if self._rate == 0 else 0.7 * self._rate + 0.3 * rate

    def chunk_steps(self) -> int:
        """Steps for the next chunk: ~slice_s of this run's compute at its measured pace (FIRST_CHUNK to measure)."""
        if self._rate <= 0:
            return FIRST_CHUNK
        return int(min(MAX_CHUNK, max(1, self._rate * self.slice_s)))

    def _check(self, metrics: dict[str, float]) -> None:
        for k, v in metrics.items():
            if not math.isfinite(v):
                raise Diverged(f"diverged at step {self._step + 1}: {k} became {v} — lower the learning rate and retry")
            if abs(v) > self.cfg.diverge_at:
                raise Diverged(f"diverged at step {self._step + 1}: {k} = {v:.3g} — lower the learning rate and retry")


class Diverged(RuntimeError):
    """Loss became NaN / inf / absurdly large: the run stops with this readable reason."""
