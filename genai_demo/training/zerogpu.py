"""Training on a ZeroGPU Space: a real GPU exists only inside calls decorated with ``@spaces.GPU(duration=…)``.

What the ``spaces`` package (0.51, read from its source) does there, and what it means for a run:
- ZeroGPU is on when the env var ``SPACES_ZERO_GPU`` is "1"/"t"/"true" (spaces/config.py); elsewhere ``spaces.GPU``
  returns the function unchanged, so nothing here runs and training stays on the CPU or a dedicated GPU.
- Functions must be decorated before ``demo.launch()`` (spaces reports them at start-up): ``prepare()`` does it,
  called by app.py before the UI is built.
- The decorated call runs in a **forked worker process**: its arguments are pickled in, its return value pickled
  back. State changed inside the call is lost unless it is returned. So a chunk takes the run's model, optimisers
  and RNG state by value and returns them trained, with CPU copies of the weights at the preview steps inside it
  (``compute_chunk``); the Trainer swaps them back in and publishes the chunk's steps (``Trainer.advance_with``).
  The batch draws use the run's CPU generator, so a chunk draws exactly the batches and noise the CPU would.
- Outside the call CUDA is only emulated: the run's home device is the CPU (``factory.make_trainer``); the model
  moves to CUDA inside the chunk and back to the CPU before it returns.
- Each call asks for ``duration`` seconds (a callable gives it per call). A chunk is sized from the measured GPU
  steps/s to take about ``CHUNK_S``, well inside the duration it asks for (``duration_for``).
- When the visitor's daily quota, the Space's quota or the GPU queue says no, spaces raises (a ``gr.Error``: "ZeroGPU
  quota exceeded", "No GPU was available", a worker error). Any exception from the call itself means the GPU
  said no — errors of the training code are caught inside the chunk and returned as values — so the run goes on
  on the CPU for good, with a notice in the visitor's language (``sched_zerogpu_fallback``).
No gradio here (spaces is imported only on ZeroGPU, by ``prepare``).
"""
from __future__ import annotations

import copy
import logging
import math
import os
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch

log = logging.getLogger(__name__)
CHUNK_S = float(os.environ.get("GENAI_DEMO_ZEROGPU_CHUNK_S", 15))  # GPU compute per chunk (s)
MAX_DURATION_S = 60  # what a chunk asks for at most: ZeroGPU's default duration, within a free account's limit
FIRST_CHUNK = 20  # steps in the first chunk, which measures the GPU's pace
NOTICE = "sched_zerogpu_fallback"
_gpu_chunk: Callable | None = None  # compute_chunk decorated with spaces.GPU (set by prepare() on ZeroGPU)


def on_zerogpu(environ=os.environ) -> bool:
    """Exactly the test spaces itself makes (spaces/config.py: Config.zero_gpu)."""
    value = environ.get("SPACES_ZERO_GPU")
    return value is not None and value.lower() in ("1", "t", "true")


def duration_for(chunk: Chunk) -> int:
    """Seconds a chunk asks ZeroGPU for: twice its expected compute plus 10 s for the worker's start and the
    transfers, at most MAX_DURATION_S (chunks are sized so this never cuts one short)."""
    return int(min(MAX_DURATION_S, math.ceil(2 * chunk.expected_s + 10)))


def prepare(gpu: Callable | None = None) -> bool:
    """Decorate the chunk function with spaces.GPU when on ZeroGPU (call before demo.launch()). gpu: a stand-in
    decorator factory (tests); default: spaces.GPU. Returns whether runs will train in GPU chunks."""
    global _gpu_chunk
    if gpu is None:
        if not on_zerogpu():
            _gpu_chunk = None
            return False
        import spaces  # noqa: PLC0415 — only on ZeroGPU, and before anything initialises CUDA

        gpu = spaces.GPU
    _gpu_chunk = gpu(duration=duration_for)(compute_chunk)
    return True


def runner() -> ZeroGPURunner | None:
    """A chunk runner for a new run when prepare() set one up, else None (train where the Trainer is)."""
    return ZeroGPURunner(_gpu_chunk) if _gpu_chunk is not None else None


# ---- the chunk: runs inside the GPU call (a forked process on ZeroGPU) -----------------------------------------
@dataclass
class Chunk:
    """What crosses into the GPU call (pickled): the run's state by value, and how many steps to take."""

    model: Any  # the GenerativeModel, weights on the CPU
    opts: dict  # its optimisers (pickled together with the model, so they still point at its parameters)
    data: Any  # the training set (CPU tensors)
    gen_state: torch.Tensor  # the run's CPU generator state: the same batch draws and noise as on the CPU
    hp: Any  # Hyper
    steps: int
    snap_at: set[int] = field(default_factory=set)  # step indices whose weights a snapshot needs (copied to the CPU)
    device: str = "cuda"
    expected_s: float = 30.0  # compute the runner expects (sizes the duration asked for)


@dataclass
class ChunkResult:
    model: Any
    opts: dict
    gen_state: torch.Tensor
    metrics: list[dict[str, float]] = field(default_factory=list)  # one dict per step taken
    seconds: float = 0.0  # compute time inside the call
    error: str | None = None  # the training code's own failure (traceback), after len(metrics) good steps
    weights: dict[int, Any] = field(default_factory=dict)  # step index → CPU copy of the model after it


def _move(model, opts: dict, device: torch.device) -> None:
    model.to(device)
    for opt in opts.values():  # load_state_dict casts Adam's moments to the parameters' device (step counts stay put)
        opt.load_state_dict(opt.state_dict())


def compute_chunk(chunk: Chunk) -> ChunkResult:
    """Take chunk.steps training steps on chunk.device; everything comes back on the CPU."""
    t0 = time.perf_counter()
    device = torch.device(chunk.device)
    model, opts, hp = chunk.model, chunk.opts, chunk.hp
    _move(model, opts, device)
    data = chunk.data.to(device)
    gen = torch.Generator()
    gen.set_state(chunk.gen_state)
    metrics, error, weights = [], None, {}
    try:
        for i in range(chunk.steps):
            x, y = data.batch(hp.batch_size, gen)  # indices drawn on the CPU, batch on the device: (B, …)
            metrics.append(model.train_step(x, y, opts, hp, gen))
            if i in chunk.snap_at:  # a preview step inside the chunk: its weights, for the timeline
                weights[i] = copy.deepcopy(model).to("cpu")
    except Exception:  # the training code's failure: returned, so the caller fails the run (not a GPU refusal)
        error = traceback.format_exc()
    if device.type == "cuda":
        torch.cuda.synchronize()
    _move(model, opts, torch.device("cpu"))
    return ChunkResult(model, opts, gen.get_state(), metrics, time.perf_counter() - t0, error, weights)


# ---- the run's side: sizing chunks, swapping state, falling back -----------------------------------------------
class GPUSaidNo(RuntimeError):
    """The GPU call was refused or aborted (quota, queue, worker): the run goes on on the CPU."""


class ZeroGPURunner:
    """A Trainer's chunk_runner on ZeroGPU: each chunk of steps is one GPU call; after a refusal, the CPU."""

    def __init__(self, gpu_chunk: Callable[[Chunk], ChunkResult], device: str = "cuda"):
        self.gpu_chunk, self.device = gpu_chunk, device
        self.rate = 0.0  # GPU steps/s measured inside the calls
        self.on_cpu = False  # a refusal sent the run to the CPU for good
        self.calls = 0

    def steps(self) -> int:
        return FIRST_CHUNK if self.rate <= 0 else max(1, int(self.rate * CHUNK_S))

    def __call__(self, trainer, k: int) -> int:
        if self.on_cpu:
            return trainer.advance(k)
        try:
            return trainer.advance_with(self._compute, self.steps())
        except GPUSaidNo as e:
            log.warning("ZeroGPU refused a chunk (%s): this run goes on on the CPU", e)
            self.on_cpu = True
            trainer.notice = NOTICE
            return trainer.advance(k)

    def _compute(self, trainer, n: int, snap_at: set[int]) -> tuple[list[dict[str, float]], float, dict[int, Any]]:
        chunk = Chunk(trainer.model, trainer.opts, trainer.data, trainer.gen.get_state(), trainer._hp, n, snap_at,
                      self.device, expected_s=n / self.rate if self.rate > 0 else CHUNK_S)
        try:
            res = self.gpu_chunk(chunk)
        except Exception as e:  # spaces' own refusals (gr.Error) and worker crashes; not the training code's
            raise GPUSaidNo(str(e) or type(e).__name__) from e
        self.calls += 1
        trainer.model, trainer.opts = res.model, res.opts  # the trained state (a copy when the call ran in a fork)
        trainer.gen.set_state(res.gen_state)
        if res.seconds > 0 and res.metrics:
            self.rate = len(res.metrics) / res.seconds
        if res.error:
            trainer.chunk_error = res.error  # raised by the Trainer once the good steps are published
        return res.metrics, res.seconds, res.weights
