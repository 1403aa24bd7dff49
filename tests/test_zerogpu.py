"""Issue 16 item 1: the ZeroGPU chunk path, without a ZeroGPU machine — with the real ``spaces`` package (a no-op
off ZeroGPU) and with a stand-in decorator that enforces ZeroGPU's rules: GPU work only inside a chunk, each
chunk finishing within the duration it asked for, state crossing the call only by value (a pickled round trip,
as into spaces' forked worker), and a refusal (quota, queue) sending the run to the CPU with a notice."""
from __future__ import annotations

import pickle
import time

import pytest
import torch

from genai_demo.i18n import t
from genai_demo.models.base import Hyper
from genai_demo.training import zerogpu
from genai_demo.training.trainer import RunConfig, Trainer
from genai_demo.ui import train_view as V
from tests.helpers import Tiny, TinyData

pytestmark = pytest.mark.usefixtures("one_thread")  # one intra-op thread (tests/conftest.py)


class Guarded(Tiny):
    """A model whose every step asserts it runs inside a GPU chunk (the stand-in's flag)."""

    def train_step(self, *a, **k):
        assert FakeSpaces.inside, "GPU work outside a @spaces.GPU call"
        return super().train_step(*a, **k)


class FakeSpaces:
    """spaces.GPU's contract, enforced: the duration callable is asked per call, the call gets pickled copies of its
    arguments and returns a pickled copy (the forked worker), it must finish within its duration, and it raises
    (like spaces' gr.Error) once `refuse_after` calls were granted."""

    inside = False

    def __init__(self, refuse_after: int | None = None):
        self.refuse_after, self.calls, self.durations, self.took = refuse_after, 0, [], []

    def GPU(self, duration):
        def decorate(fn):
            def call(chunk):
                if self.refuse_after is not None and self.calls >= self.refuse_after:
                    raise RuntimeError("ZeroGPU quota exceeded")  # what the visitor's quota / the queue says
                asked = duration(chunk)
                self.durations.append(asked)
                self.calls += 1
                copy = pickle.loads(pickle.dumps(chunk))  # into the worker: by value
                t0 = time.perf_counter()
                FakeSpaces.inside = True
                try:
                    res = fn(copy)
                finally:
                    FakeSpaces.inside = False
                self.took.append(time.perf_counter() - t0)
                assert self.took[-1] < asked, (self.took[-1], asked)
                return pickle.loads(pickle.dumps(res))  # back from the worker: by value
            return call
        return decorate


def cfg(steps=90):
    return RunConfig(kind="tiny", steps=steps, seed=3, hp=Hyper(lr=1e-2, batch_size=8), publish_every=5,
                     snapshot_every=30, preview_n=2, device="cpu")


def trainer(model_cls=Tiny) -> Trainer:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        return Trainer(cfg(), TinyData(), model=model_cls())


def run_thread(t: Trainer):
    t.start()
    assert t.join(60)
    s = t.snapshot()
    return s, [p.detach().clone() for p in t.model.parameters()]


@pytest.fixture(autouse=True)
def no_gpu_chunk():
    yield
    zerogpu.prepare()  # back to off (this machine is no ZeroGPU Space)


def test_detected_the_way_spaces_does():
    import spaces.config

    for value, on in (("true", True), ("1", True), ("T", True), ("false", False), ("", False), (None, False)):
        env = {} if value is None else {"SPACES_ZERO_GPU": value}
        assert zerogpu.on_zerogpu(env) is on
        assert spaces.config.boolean(env.get("SPACES_ZERO_GPU")) is on  # the package's own test agrees
    assert zerogpu.prepare() is False and zerogpu.runner() is None  # not here: runs train where they are


def test_with_the_real_spaces_package_off_zerogpu_chunks_are_plain_calls():
    import spaces

    assert zerogpu.prepare(spaces.GPU) is True  # spaces.GPU returns the function itself off ZeroGPU
    reference, ref_w = run_thread(trainer())
    t = trainer()
    t.chunk_runner = zerogpu.runner()
    t.chunk_runner.device = "cpu"  # no GPU here: the chunk computes on the CPU, through the same code
    s, w = run_thread(t)
    assert s.state == "finished" and t.chunk_runner.calls >= 2  # a 20-step chunk measures the pace, then one more
    assert s.history == reference.history and all(torch.equal(a, b) for a, b in zip(w, ref_w, strict=True))
    # the previews at steps 30 and 60, inside the second chunk, show those steps' weights (copies from the chunk)
    assert s.model_step == 90 and [p[0] for p in s.previews] == [0, 30, 60, 90] == [p[0] for p in reference.previews]
    assert all((a[1] == b[1]).all() for a, b in zip(s.previews, reference.previews, strict=True))


def test_the_stand_in_enforces_the_rules_and_the_results_are_the_same_per_seed():
    reference, ref_w = run_thread(trainer())
    fake = FakeSpaces()
    zerogpu.prepare(fake.GPU)
    t = trainer(Guarded)
    t.chunk_runner = zerogpu.runner()
    t.chunk_runner.device = "cpu"
    s, w = run_thread(t)  # every step asserted it ran inside a chunk; every chunk finished within its duration
    assert s.state == "finished", s.error
    assert fake.calls >= 2 and all(10 <= d <= zerogpu.MAX_DURATION_S for d in fake.durations)
    assert s.history == reference.history and all(torch.equal(a, b) for a, b in zip(w, ref_w, strict=True))


def test_a_refusal_sends_the_run_to_the_cpu_with_a_notice_in_both_languages():
    reference, ref_w = run_thread(trainer())
    fake = FakeSpaces(refuse_after=1)  # the first chunk is granted, then the quota is gone
    zerogpu.prepare(fake.GPU)
    tr = trainer()
    tr.chunk_runner = zerogpu.runner()
    tr.chunk_runner.device = "cpu"
    s, w = run_thread(tr)
    assert s.state == "finished" and fake.calls == 1 and tr.chunk_runner.on_cpu
    assert s.notice == zerogpu.NOTICE
    assert s.history == reference.history and all(torch.equal(a, b) for a, b in zip(w, ref_w, strict=True))
    d = V.status_dict(type("R", (), {"id": "r1", "cfg": tr.cfg})(), s)
    for lang in ("en", "zh-CN"):
        assert t(zerogpu.NOTICE, lang) in V.status_markdown(d, lang)
    assert "CPU" in t(zerogpu.NOTICE, "en") and "CPU" in t(zerogpu.NOTICE, "zh-CN")


def test_a_training_failure_inside_a_chunk_fails_the_run_after_its_good_steps():
    zerogpu.prepare(FakeSpaces().GPU)
    with torch.random.fork_rng(devices=[]):
        t = Trainer(cfg(), TinyData(), model=Tiny(fail_at=3))
    t.chunk_runner = zerogpu.runner()
    t.chunk_runner.device = "cpu"
    s, _ = run_thread(t)
    assert s.state == "failed" and s.step == 2 and s.error.startswith("an internal error stopped training at step 3")
    assert "injected failure" in t.error_trace and not t.chunk_runner.on_cpu  # a bug is not a GPU refusal


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU (bench/gpu_check.sh)")
def test_on_a_real_gpu_a_chunk_trains_there_and_comes_back_to_the_cpu():
    """What the stand-in cannot show: model and Adam state really move to CUDA inside the chunk and back after."""
    from genai_demo.models.gan import GAN, GANConfig

    class Digits(TinyData):  # 64 fixed 28×28 images that really move to a device
        def __init__(self, x=None, y=None):
            self.x = torch.rand(64, 1, 28, 28, generator=torch.Generator().manual_seed(0)) if x is None else x
            self.y = torch.zeros(64, dtype=torch.long, device=self.x.device) if y is None else y

        def to(self, device):
            return Digits(self.x.to(device), self.y.to(device))

    def gan_trainer():
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(3)
            return Trainer(cfg(), Digits(), model=GAN(GANConfig(z_dim=16)))

    reference, ref_w = run_thread(gan_trainer())
    zerogpu.prepare(FakeSpaces().GPU)
    tr = gan_trainer()
    tr.chunk_runner = zerogpu.runner()  # device "cuda"
    seen = []
    original = GAN.train_step

    def watched(self, x, *a, **k):
        seen.append((x.device.type, next(self.parameters()).device.type))
        return original(self, x, *a, **k)

    GAN.train_step = watched
    try:
        s, w = run_thread(tr)
    finally:
        GAN.train_step = original
    assert s.state == "finished", s.error
    assert seen and set(seen) == {("cuda", "cuda")}
    assert all(p.device.type == "cpu" for p in tr.model.parameters())
    assert all(v.device.type == "cpu" for o in tr.opts.values() for st in o.state.values() for v in st.values()
               if torch.is_tensor(v))
    for k in ("d_loss", "g_loss"):  # the same batches and noise (CPU generator); float sums differ on the GPU
        assert s.history[k] == pytest.approx(reference.history[k], rel=1e-3, abs=1e-4)
    assert all(torch.allclose(a, b, rtol=1e-3, atol=1e-4) for a, b in zip(w, ref_w, strict=True))
