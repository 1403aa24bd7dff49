"""Issue 16's GPU checks without gradio (the device machine has torch + CUDA but no gradio, so the pytest files that
import the UI cannot run there). Run on a CUDA machine from the repo root: `python bench/gpu_check.py`.

1. ZeroGPU chunk path for real: a GAN Trainer whose chunks run through a stand-in @spaces.GPU (arguments and result
   pickled, as in spaces' forked worker); its steps must run on CUDA and the model / Adam state must come back to
   the CPU; its losses are compared with the same run on the CPU.
2. GANEnsemble on CUDA steps each member like it trains alone (losses within 1e-3 relative).
3. Trainer throughput per family on the GPU, one run (steps/s), for the README's Performance table.
"""
from __future__ import annotations

import os
import pickle
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from genai_demo.data.datasets import load_dataset  # noqa: E402
from genai_demo.models.base import Hyper  # noqa: E402
from genai_demo.models.gan import GAN, GANConfig  # noqa: E402
from genai_demo.training import zerogpu  # noqa: E402
from genai_demo.training.ensemble import GANEnsemble  # noqa: E402
from genai_demo.training.trainer import RunConfig, Trainer  # noqa: E402


def stand_in_gpu(duration):
    """spaces.GPU's contract: by-value arguments and result, each call within its asked duration."""
    def decorate(fn):
        def call(chunk):
            asked = duration(chunk)
            t0 = time.perf_counter()
            res = fn(pickle.loads(pickle.dumps(chunk)))
            took = time.perf_counter() - t0
            assert took < asked, (took, asked)
            return pickle.loads(pickle.dumps(res))
        return call
    return decorate


def gan_trainer(data):
    cfg = RunConfig(kind="gan", data="mnist5k", steps=300, seed=3, hp=Hyper(lr=2e-4, batch_size=64),
                    publish_every=50, snapshot_every=100, preview_n=4, device="cpu")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        return Trainer(cfg, data, model=GAN(GANConfig()))


def run(t):
    t.start()
    assert t.join(300), "run did not finish"
    return t.snapshot()


def check_chunk(data):
    ref = run(gan_trainer(data))
    zerogpu.prepare(stand_in_gpu)
    tr = gan_trainer(data)
    tr.chunk_runner = zerogpu.runner()
    seen, original = [], GAN.train_step

    def watched(self, x, *a, **k):
        seen.append((x.device.type, next(self.parameters()).device.type))
        return original(self, x, *a, **k)

    GAN.train_step = watched
    t0 = time.perf_counter()
    try:
        s = run(tr)
    finally:
        GAN.train_step = original
        zerogpu.prepare()
    took = time.perf_counter() - t0
    assert s.state == "finished", s.error
    assert seen and set(seen) == {("cuda", "cuda")}, set(seen)
    assert all(p.device.type == "cpu" for p in tr.model.parameters())
    assert all(v.device.type == "cpu" for o in tr.opts.values() for st in o.state.values() for v in st.values()
               if torch.is_tensor(v))
    print(f"chunk path: {len(seen)} steps on CUDA through the stand-in in {took:.1f} s; state back on the CPU; "
          f"final losses CPU {ref.last.get('d_loss'):.3f}/{ref.last.get('g_loss'):.3f} "
          f"vs chunked CUDA {s.last.get('d_loss'):.3f}/{s.last.get('g_loss'):.3f}")


def check_ensemble(data):
    dev = "cuda"
    hp, seeds, steps = Hyper(lr=2e-4, batch_size=64), [0, 1, 2, 3], 5
    data = data.to(dev)

    def member(s):
        torch.manual_seed(s)
        return GAN(GANConfig()).to(dev)

    alone = []
    for s in seeds:
        m, g = member(s), torch.Generator(dev).manual_seed(100 + s)
        opts = m.make_optimizers(hp)
        alone.append([m.train_step(*data.batch(hp.batch_size, g), opts, hp, g) for _ in range(steps)])
    ens = GANEnsemble([member(s) for s in seeds], hp)
    gens = [torch.Generator(dev).manual_seed(100 + s) for s in seeds]
    logs = [ens.step(data, gens) for _ in range(steps)]
    worst = max(abs(logs[t][i][k] - alone[i][t][k]) / max(abs(alone[i][t][k]), 1e-3)
                for i in range(len(seeds)) for t in range(steps) for k in ("d_loss", "g_loss"))
    print(f"ensemble on CUDA: {len(seeds)} members × {steps} steps, worst relative loss difference {worst:.2e}")
    assert worst < 1e-3


def throughput():
    for kind, cfgx in (("gan", None), ("cgan", None), ("dcgan", None), ("vae", None)):
        cfg = RunConfig(kind=kind, data="mnist5k", steps=400, seed=0, hp=Hyper(lr=2e-4, batch_size=64),
                        publish_every=100, snapshot_every=200, preview_n=4, device="cuda", model_config=cfgx)
        data = load_dataset("mnist5k", "train")
        t = Trainer(cfg, data)
        t0 = time.perf_counter()
        s = run(t)
        print(f"{kind}: 400 steps on CUDA in {time.perf_counter() - t0:.1f} s ({s.steps_per_s:.0f} steps/s at the end)")


if __name__ == "__main__":
    print(torch.__version__, torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no CUDA")
    digits = load_dataset("mnist5k", "train")
    failed = 0
    for name, fn in (("chunk", lambda: check_chunk(digits)), ("ensemble", lambda: check_ensemble(digits)),
                     ("throughput", throughput)):
        try:
            fn()
        except Exception as e:  # report every check, then fail
            failed += 1
            print(f"{name}: FAILED {type(e).__name__}: {e}")
    sys.exit(1 if failed else 0)
