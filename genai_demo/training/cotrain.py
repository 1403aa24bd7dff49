"""Runs that step together: on a GPU, the active MLP GAN (or CGAN) runs of one shape train as one batched ensemble
(``ensemble.py``), so 30 students' GANs cost about one launch sequence instead of 30.

How it fits the scheduler (``slicer.py``: each active run's thread takes ~1 s turns on the device's seats):
- Each run that can join (an MLP GAN or CGAN: ``ensemble.FAMILIES``) gets a :class:`Member` as its chunk runner when the
  registry takes it in. When its thread gets a turn it *leads*: it gathers the runs that can step with it now —
  running (not paused, stopping or finished), the same model config and weight shapes, device, batch size and D:G
  ratio (the learning rate may differ: each member's own Adam steps at its own), at least the chunk's steps left within
  their budgets, not computing themselves — claims the chunk's steps in each (``Stepping._open_chunk``), steps them
  all as one ensemble, and publishes each member's steps into its own Trainer as its own chunk would
  (``_close_chunk``): the same history, snapshots at the same steps, budget and checks. With nobody to join it
  trains alone (``advance``), exactly as without cotraining.
- A member stays a Trainer of its own: its weights, Adam state (moments, step count, lr), generator and BN statistics
  are stacked for the chunk and written back after it, so its results are those it gets alone, within float
  tolerance. Pause, stop and setting changes take effect at a chunk boundary: a claim applies queued changes, and a
  member whose settings no longer fit is left out and trains alone (or with runs like it) on its own next turn.
  Single steps (⏭ while paused) are taken alone: they publish every step as they go.
- Every turn of any member steps the whole group: a group of g runs advances g chunks per round of turns while each
  run still gets one turn of device time per round; each member's time budget is charged 1/g of a group chunk.
- One group chunk per key at a time (its lead lock, taken before the leader's own compute lock); the other members'
  compute locks are only tried, never waited for, so two leaders can never wait on each other. A turn that finds its
  group's chunk computing waits for it with its seat given back (``TimeSlicer.aside``): on a GPU's several seats,
  runs of other families go on computing instead of waiting behind a group.
- A failure of the batched path itself turns cotraining off for the process (logged) and every run goes on alone. A
  member whose own training fails (it diverged) in another run's turn fails on its own thread, at its next turn.

On when a run trains on CUDA; env ``GENAI_DEMO_ENSEMBLE=1`` forces it on (tests on a CPU, where it does not pay:
bench/ensemble.py), ``=0`` off. No gradio.
"""
from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
import weakref

import torch

from .ensemble import FAMILIES, GANEnsemble

ENV = "GENAI_DEMO_ENSEMBLE"
log = logging.getLogger(__name__)


def enabled(device: str, environ=os.environ) -> bool:
    """Whether runs on this device type step together: env GENAI_DEMO_ENSEMBLE=1 / 0, else only on CUDA."""
    value = environ.get(ENV, "").strip().lower()
    if value in ("1", "true", "on", "yes"):
        return True
    if value in ("0", "false", "off", "no"):
        return False
    return device == "cuda"


def steps_allowed(t) -> int:
    """Steps a run may still take: to its last step and within its work budget. Examples per step are known ahead,
    so a group stops a member exactly where its own steps would; its time budget may overshoot by one chunk, as with
    any chunk computed elsewhere (``advance_with``)."""
    if t._spent is not None:
        return 0
    left, b = t.cfg.steps - t.step_count, t.budget
    if b.examples is not None:
        per = max(1, t.model.examples_per_step(t._hp))
        left = min(left, -(-(b.examples - b.used_examples) // per))  # ceil: the step that reaches it still runs
    return max(0, left)


class Member:
    """A run's chunk runner while it may step with others: each chunk of its own turn is led by the coordinator."""

    def __init__(self, co: CoTrainer, model):
        self.co = co
        # what must match to share one ensemble (functional_call runs one member's module with everyone's weights)
        self.shape = (type(model), repr(model.config), tuple((k, tuple(v.shape), v.dtype) for k, v in model.state_dict().items()))
        self.together = 1  # runs its latest chunk was computed with, itself included (the status line shows it)
        self.steps_together = 0  # its steps computed in group chunks (tests, benches)
        self.error: BaseException | None = None  # its training failed in another run's turn: raised on its own thread

    def __call__(self, trainer, k: int) -> int:
        if self.error is not None:
            error, self.error = self.error, None
            raise error
        return self.co.chunk(trainer, k)


class CoTrainer:
    """The registry's coordinator: which runs may step together, and the group chunks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._members: weakref.WeakSet = weakref.WeakSet()  # trainers with a Member runner (forgotten runs drop out)
        self._leads: dict[tuple, threading.Lock] = {}  # key → one group chunk of that key at a time
        self.broken = False  # the batched path failed once: every run trains alone from then on
        self.group_chunks = 0  # chunks computed for two or more runs at once (tests, benches)

    def attach(self, trainer) -> bool:
        """Let a new run step with others when it can: an MLP GAN or CGAN on a device where cotraining is on
        (``enabled``), whose chunks are computed here (not by a ZeroGPU runner). Returns whether it was attached."""
        model = trainer.model
        if type(model) not in FAMILIES or not model._joint_d or trainer.chunk_runner is not None \
                or not enabled(trainer.device.type):
            return False  # (_joint_d: its D scores real and fake in one pass, as GANEnsemble does)
        trainer.chunk_runner = Member(self, trainer.model)
        with self._lock:
            self._members.add(trainer)
        return True

    @staticmethod
    def key(t) -> tuple | None:
        """What the members of one ensemble share; None: this run never joins one."""
        runner, hp = t.chunk_runner, t._hp
        if not isinstance(runner, Member):
            return None
        return runner.shape, str(t.device), int(hp.batch_size), max(1, int(hp.d_steps))

    def chunk(self, leader, k: int) -> int:
        """The leader's chunk (its turn): with every run that can join it now, else alone. Returns its steps."""
        key, k = self.key(leader), min(k, steps_allowed(leader))
        if self.broken or key is None or k <= 0 or not self._partners(leader, key, k):
            leader.chunk_runner.together = 1
            return leader.advance(k)
        lead = self._lead(key)
        if not lead.acquire(blocking=False):  # another turn is computing the group (most likely with this run in it):
            with leader.slicer.aside() if leader.slicer is not None else contextlib.nullcontext():  # its seat is free
                lead.acquire()  # for other runs meanwhile; then this turn leads the next chunk
        try:
            done = self._group_chunk(leader, key, k)
        finally:
            lead.release()
        if done is None:  # nobody could join after all (they were computing, paused or changed): alone
            leader.chunk_runner.together = 1
            return leader.advance(k)
        return done

    # ---- internals ------------------------------------------------------------------------------------------------
    def _lead(self, key: tuple) -> threading.Lock:
        with self._lock:
            return self._leads.setdefault(key, threading.Lock())

    def _partners(self, leader, key: tuple, n: int) -> list:
        """Runs that look able to step n steps with the leader now (each is checked again once claimed)."""
        with self._lock:
            members = list(self._members)
        return [t for t in members if t is not leader and t.state == "running" and not t._stop
                and t.chunk_runner.error is None and steps_allowed(t) >= n and self.key(t) == key]

    def _group_chunk(self, leader, key: tuple, k: int) -> int | None:
        """Claim, compute and publish one chunk of the leader and every partner that can be claimed; None when no
        partner could (nothing claimed any more)."""
        failed = None
        with contextlib.ExitStack() as held:
            held.enter_context(leader._compute_lock)
            n, single, snap = leader._open_chunk(k)
            if n == 0:
                return 0
            group = [(leader, single, snap)]
            if self.key(leader) == key and not single:  # the claim applied its queued changes: they may not fit; single
                # steps (paused, ⏭) publish every step as they go: those it takes alone
                for t in self._partners(leader, key, n):
                    if not t._compute_lock.acquire(blocking=False):
                        continue  # computing a chunk of its own right now
                    held.callback(t._compute_lock.release)
                    if not t._previews:
                        t._publish(snapshot=True)  # its step-0 grid, which its own first turn would have shown
                    tn, tsingle, tsnap = t._open_chunk(n)
                    if tn == n and not tsingle and self.key(t) == key:
                        group.append((t, tsingle, tsnap))
                    elif tn:
                        t._give_back(tn, tsingle)  # paused meanwhile (single steps waiting), or its new settings differ
            if len(group) == 1:
                leader._give_back(n, single)
                return None
            runs = [t for t, _, _ in group]
            drawn = [t.gen.get_state() for t in runs]  # the chunk draws batches and noise from each run's generator
            try:
                metrics, weights, seconds = self._compute(runs, [s for _, _, s in group], n)
            except Exception:  # models and optimisers are untouched until the chunk's end (GANEnsemble.write_back)
                log.exception("stepping %d runs together failed: cotraining is off, every run trains alone", len(runs))
                self.broken = True
                for (t, s, _), state in zip(group, drawn, strict=True):
                    t.gen.set_state(state)  # as if the chunk had never started: the run goes on alone from there
                    t._give_back(n, s)
                return None
            self.group_chunks += 1
            for j, (t, s, _) in enumerate(group):
                t.chunk_runner.together = len(group)
                t.chunk_runner.steps_together += n
                try:
                    t._close_chunk(metrics[j], seconds, weights[j], s, share=len(group))
                except Exception as e:  # it diverged: the others' steps are published all the same
                    if t is leader:
                        failed = e
                    else:
                        t.chunk_runner.error = e
        if failed is not None:
            raise failed
        return n

    @staticmethod
    def _compute(runs: list, snaps: list[set[int]], n: int) -> tuple[list[list[dict]], list[dict], float]:
        """n steps of every run as one ensemble: (metrics per run per step, {step index: CPU copy} per run, seconds).
        Afterwards each run's model and optimisers hold its trained state, as if it had stepped alone."""
        t0 = time.perf_counter()
        ens = GANEnsemble([t.model for t in runs], runs[0]._hp, [t.opts for t in runs])  # lrs: each run's own Adam
        gens, datas = [t.gen for t in runs], [t.data for t in runs]
        metrics: list[list[dict]] = [[] for _ in runs]
        weights: list[dict] = [{} for _ in runs]
        for i in range(n):
            for j, row in enumerate(ens.step(datas, gens)):
                metrics[j].append(row)
            for j, snap in enumerate(snaps):
                if i in snap:  # a snapshot step inside the chunk: that step's own weights, for the timeline
                    weights[j][i] = ens.copy_of(j)
        ens.write_back()
        if ens.device.type == "cuda":
            torch.cuda.synchronize()
        return metrics, weights, time.perf_counter() - t0
