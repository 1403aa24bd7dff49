"""Training throughput (images / s): the genai-demo Trainer vs a plain PyTorch loop with a DataLoader.

    python bench/throughput.py [--steps 400] [--repeats 3] [--device cpu] [--batch-size 64]

Both sides train the same model family from the same seed with the same batch size, learning rate,
device, thread count and number of steps, and call the very same ``model.train_step``; only the loop
around it differs:
  * Trainer — its background thread, the data set as one uint8 tensor on the device, a batch = a random
    index draw + a cast; metrics published every 20 steps, a frozen copy + preview every 200 (all included).
  * plain — ``torch.utils.data.DataLoader(TensorDataset(float images, labels), batch_size, shuffle=True)``
    (the pytorch/examples idiom, num_workers=0), batches moved to the device, in the main thread.
Repeats alternate the order (A B, B A, …) and the table reports medians; the ratio is Trainer / plain.
On a shared machine wall time swings with other processes, so the table also gives images per CPU-second
of this process (time.process_time), which other processes barely disturb.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from genai_demo.data.datasets import load_dataset  # noqa: E402
from genai_demo.models import build  # noqa: E402
from genai_demo.models.base import Hyper  # noqa: E402
from genai_demo.models.dcgan import DCGANConfig  # noqa: E402
from genai_demo.training.trainer import RunConfig, Trainer, pick_device, training_threads  # noqa: E402

CASES = [  # (label, kind, config overrides, learning rate)
    ("VAE (2-D, MLP)", "vae", None, 1e-3),
    ("GAN (MLP)", "gan", None, 2e-4),
    ("DCGAN light", "dcgan", dataclasses.asdict(DCGANConfig.light()), 2e-4),
]


def fresh(kind: str, config: dict | None, seed: int = 0):
    torch.manual_seed(seed)
    return build(kind, config)


def run_trainer(kind, config, data, hp: Hyper, steps: int, device: str) -> tuple[float, float]:
    """(wall, process CPU) seconds for `steps` steps through the Trainer (thread start to finish, publishing included)."""
    cfg = RunConfig(kind=kind, data="mnist5k", steps=steps, seed=0, hp=hp, model_config=config, device=device)
    trainer = Trainer(cfg, data, model=fresh(kind, config))
    t0, c0 = time.perf_counter(), time.process_time()
    trainer.start()
    trainer.join()
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    snap = trainer.snapshot()
    assert snap.state == "finished" and snap.step == steps, (snap.state, snap.error)
    return dt, dc


def run_plain(kind, config, data, hp: Hyper, steps: int, device: str) -> tuple[float, float]:
    """(wall, process CPU) seconds for `steps` steps of the textbook loop: DataLoader(shuffle=True) → .to(device) → train_step."""
    dev = pick_device(device)
    model = fresh(kind, config).to(dev).train()
    opts = model.make_optimizers(hp)
    gen = torch.Generator(device=dev).manual_seed(0)
    ds = TensorDataset(data.float_images(), data.y)  # (N, 1, 28, 28) float32 in [0, 1], (N,) int64
    loader = DataLoader(ds, batch_size=hp.batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(0), pin_memory=dev.type == "cuda")
    t0, c0 = time.perf_counter(), time.process_time()
    done = 0
    while done < steps:
        for x, y in loader:
            model.train_step(x.to(dev, non_blocking=True), y.to(dev, non_blocking=True), opts, hp, gen)
            done += 1
            if done == steps:
                break
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t0, time.process_time() - c0


def data_path(data, batch_size: int, steps: int) -> tuple[float, float]:
    """Batches per second of the two data paths alone (no model): index draw + cast vs DataLoader iteration."""
    g = torch.Generator().manual_seed(0)
    t0 = time.perf_counter()
    for _ in range(steps):
        data.batch(batch_size, g)
    ours = steps / (time.perf_counter() - t0)
    loader = DataLoader(TensorDataset(data.float_images(), data.y), batch_size=batch_size, shuffle=True, drop_last=True)
    t0, done = time.perf_counter(), 0
    while done < steps:
        for _ in loader:
            done += 1
            if done == steps:
                break
    return ours, steps / (time.perf_counter() - t0)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--device", default="cpu")
    p.add_argument("--only", default=None, help="comma-separated kinds to run (vae,gan,dcgan)")
    a = p.parse_args(argv)
    threads = training_threads() if pick_device(a.device).type == "cpu" else torch.get_num_threads()
    torch.set_num_threads(threads)  # the Trainer thread sets the same number: same compute on both sides
    data = load_dataset("mnist5k", "train")
    load = os.getloadavg()[0]
    print(f"# throughput · device {a.device} · {threads} torch thread(s) · batch {a.batch_size} · {a.steps} steps × "
          f"{a.repeats} repeats · torch {torch.__version__} · load avg {load:.2f} ({os.cpu_count()} cores)")
    rows = []
    for label, kind, config, lr in CASES:
        if a.only and kind not in a.only.split(","):
            continue
        hp = Hyper(lr=lr, batch_size=a.batch_size)
        run_trainer(kind, config, data, hp, 20, a.device)  # warm-up: allocator, kernels, first-call costs
        run_plain(kind, config, data, hp, 20, a.device)
        tr, pl = [], []  # (wall img/s, img per CPU-second) per repeat
        for r in range(a.repeats):
            order = [(tr, run_trainer), (pl, run_plain)]
            for out, fn in order if r % 2 == 0 else order[::-1]:
                wall, cpu = fn(kind, config, data, hp, a.steps, a.device)
                out.append((a.steps * a.batch_size / wall, a.steps * a.batch_size / cpu))
        med = [statistics.median(v[i] for v in side) for side in (tr, pl) for i in (0, 1)]  # tr wall, tr cpu, pl wall, pl cpu
        ratios = [t[0] / q[0] for t, q in zip(tr, pl, strict=True)]
        rows.append((label, med, min(ratios), max(ratios)))
        print(f"  {label}: Trainer {[round(v[0]) for v in tr]} img/s, plain {[round(v[0]) for v in pl]} img/s "
              f"(load {os.getloadavg()[0]:.2f})", flush=True)
    print()
    print("| model | Trainer img/s | DataLoader loop img/s | ratio (wall) | ratio range | Trainer img/CPU-s | loop img/CPU-s | "
          "ratio (CPU time) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for label, (tw, tc, pw, pc), lo, hi in rows:
        print(f"| {label} | {tw:,.0f} | {pw:,.0f} | **{tw / pw:.2f}×** | {lo:.2f}–{hi:.2f} | {tc:,.0f} | {pc:,.0f} | {tc / pc:.2f}× |")
    ours, theirs = data_path(data, a.batch_size, 20 * a.steps)
    print(f"\ndata path alone (no model, {20 * a.steps} batches of {a.batch_size}): index draw {1e3 / ours:.3f} ms/batch, "
          f"DataLoader {1e3 / theirs:.3f} ms/batch → {ours / theirs:.1f}× faster")
    print(f"load avg after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
