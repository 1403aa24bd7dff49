"""The recipe behind the shipped checkpoints: the same models and losses as the live Train tab, trained longer and
with what the field uses to get the most out of small models. Offline only (no thread, no UI): the live demo keeps
the articles' plain recipe, so what a student trains is what the articles teach.

    python -m genai_demo.training.recipe --model gan --data mnist5k --steps 30000 --ema 0.999 \\
        --out checkpoints/gan_mnist5k.safetensors

What it adds to the plain loop (each one switchable, so its effect can be measured):
  * an exponential moving average of the weights for sampling [Yaz19] (training/averaging.py): of G alone for GANs,
    with G's BatchNorm statistics re-estimated for the averaged weights.
  * a learning rate held for the first part of the run, then decayed linearly to `--lr-end` × lr.
  * random translations (training/augment.py), measured per family: ``--augment k`` shifts the training images by
    up to k pixels (data augmentation, for the VAE); ``--diffaug k`` shifts what D sees, real and fake alike, so D
    cannot memorise the 4,500 digits [Zha20] (GANs; the losses are unchanged); ``--cutout r`` also blanks a
    square of r × the side in what D sees [Zha20]; ``--d-lr`` slows D down when it wins on few images;
    ``--topk ν``: G learns from the share ν of its fakes that D finds most real [Sin20] (training/augment.py: TopKD);
    cutout, a slower D and top-k did not help the shipped GANs on a CPU budget (bench/RESULTS.md); they stay for a GPU
    retry. ``--r1 γ``: the R1 gradient penalty on D at the real images [Mes18] (training/penalty.py), every
    ``--r1-every`` steps; with 256 images per step it is what brought the MLP GAN and the DCGAN to their shipped scores.
  * ``--binarize``: each step trains on a fresh Bernoulli draw of the images (pixel on with its intensity), the
    classic dynamic binarisation of MNIST VAEs: BCE is linear in the target, so the expected loss is unchanged, and
    the noise keeps the VAE from memorising the 4,500 digits.
  * ``--weight-decay``: L2 weight decay in Adam (the VAE's encoder and decoder overfit the 4,500 digits).
  * ``--init FILE``: a later stage goes on from a saved checkpoint's G (the averaged one) and D with new settings
    (the shipped DCGAN's later stages at 256 images per step); the saved file counts every stage's steps. ``--state
    FILE``: the same stage stopped and continued, bit for bit (training/recipe_state.py): a long CPU run over sittings.
  * the run's curves in the file's header (training/curves_io.py: CurveLog): the training metrics averaged over
    windows of steps and the held-out metrics at each evaluation, so a shipped model opened in the Train tab shows
    how it got there; a later stage's file holds every stage's curves. They use no random numbers: the weights are
    those of the same command without them.
  * evaluation every `--eval-every` steps with the project's own meter (quality/scores.py: a sampling seed the
    judge does not use) and the best state kept: the lowest Fréchet distance among the states that cover all
    classes for the image GANs (or, with ``--select confidence``, the most confident: the Fashion target asks only for
    that), the lowest held-out −ELBO for the VAEs. ``--class-floor s`` asks more of "covers": every class must hold at
    least the share s of the evaluation's samples (default: the judge's 5 %), so a pick that only just covers a class
    at the selection seed is not kept (the judge, with its own seed, could find that class a few samples short).

[Zha20] Zhao et al., "Differentiable Augmentation for Data-Efficient GAN Training", NeurIPS 2020 (arXiv:2006.10738).
[Sin20] Sinha et al., "Top-k Training of GANs: Improving GAN Performance by Throwing Away Bad Samples", NeurIPS 2020.
[Mes18] Mescheder et al., "Which Training Methods for GANs do actually Converge?", ICML 2018 (arXiv:1801.04406).
[Yaz19] Yazıcı et al., "The Unusual Effectiveness of Averaging in GAN Training", ICLR 2019 (arXiv:1806.04498).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

from ..data.datasets import load_dataset
from ..models import build, family, kinds
from ..models.base import Hyper
from ..quality.scores import CLASS_SHARE, judge
from . import curves_io, recipe_state
from .augment import AugmentedD, TopKD, shift
from .averaging import new_average, sampler, update_average
from .checkpoints import load_checkpoint, read_metadata, save_checkpoint
from .penalty import r1_step

UNCOVERED = 1e6  # added to the selection key of a state that leaves a class under the floor (any covering state wins)
SELECT_SEED = 1  # sampling seed used to pick the best state; the judge and evaluate.py use seed 0 by default


@dataclasses.dataclass
class Recipe:
    model: str
    data: str
    steps: int
    lr: float
    batch_size: int = 64
    d_steps: int = 1
    beta: float = 1.0
    seed: int = 0
    ema: float = 0.0  # 0: no averaging
    decay_from: float = 0.5  # share of the run after which the learning rate decays linearly
    lr_end: float = 0.1  # final learning rate, as a share of lr
    eval_every: int = 1000
    eval_n: int = 1000
    augment: int = 0  # shift training images by up to this many pixels (0: off)
    diffaug: int = 0  # shift D's inputs, real and fake, by up to this many pixels (GANs; 0: off)
    cutout: float = 0.0  # D's inputs also lose a square of this share of the side (GANs; 0: off)
    topk: float = 0.0  # top-k training: G learns from this share of its best fakes at the end of the decay (0: off)
    d_lr: float = 0.0  # D's own learning rate (0: the same as G's); a slower D when it wins on few images
    r1: float = 0.0  # R1 penalty strength γ on D at the real images (GANs; 0: off)
    r1_every: int = 4  # lazy R1: one penalty step every this many steps
    weight_decay: float = 0.0  # Adam's L2 weight decay
    binarize: bool = False  # train on Bernoulli draws of the pixels (VAEs)
    select: str = "frechet"  # image GANs: keep the state with the lowest Fréchet distance, or the highest confidence
    class_floor: float = CLASS_SHARE  # image GANs: a state is kept only if every class holds this share of its samples
    config: dict = dataclasses.field(default_factory=dict)
    device: str = "cpu"  # training device; samples are always judged on the CPU
    init: str = ""  # start from this checkpoint's weights (a second stage of a recipe); "" = fresh weights


def score(model, data: str, group: str, n: int, select: str = "frechet",
          class_floor: float = CLASS_SHARE) -> tuple[float, dict]:
    """(selection key: lower is better, the scores). VAEs: held-out −ELBO; GANs: Fréchet (or −confidence, where a
    target asks only for that: the Fashion GAN's), every class required to hold at least class_floor of the samples."""
    s = judge(model, data, n=n, seed=SELECT_SEED, nearest=False)
    if group == "vae":
        return s["neg_elbo"], s
    hist = s["histogram"]  # samples per class, by the meter's classifier
    s["min_share"] = min(hist) / max(1, sum(hist))
    penalty = 0.0 if s["min_share"] >= class_floor else UNCOVERED
    return (-s["confidence"] if select == "confidence" else s["frechet"]) + penalty, s


def train(r: Recipe, log=print, state: str = "") -> tuple[nn.Module, dict]:
    """Train to r.steps, evaluating every r.eval_every steps; return the best sampler model and its record.
    With `state`, continue from that file when it is there and write it after every evaluation."""
    torch.manual_seed(r.seed)
    spec = family(r.model)
    device = torch.device(r.device)
    offset, past = 0, None
    if r.init:  # a second stage: G (the first stage's averaged G) and D go on from where the file left them
        model = load_checkpoint(r.init, expected_kind=r.model)[0].train().to(device)
        before = read_metadata(r.init)["meta"]
        offset = int(before.get("steps", 0))
        past = curves_io.unpack(before.get("curves"), offset)  # the earlier stages' curves come first
    else:
        model = build(r.model, r.config or None).to(device)
    data = load_dataset(r.data, "train", device=device)
    test = load_dataset(r.data, "test")  # held-out metrics as the Train tab draws them (VAEs: val_loss …), on the CPU
    curves = curves_io.CurveLog(-(-r.steps // curves_io.SAVED_POINTS), offset, past)  # ≤ 300 windows in all
    gen = torch.Generator(device).manual_seed(r.seed)
    hp = Hyper(lr=r.lr, batch_size=r.batch_size, beta=r.beta, d_steps=r.d_steps)
    opts = model.make_optimizers(hp)
    for opt in opts.values():
        for group in opt.param_groups:
            group["weight_decay"] = r.weight_decay
    aug_gen = torch.Generator(device).manual_seed(r.seed + 1)  # its own stream: the batches stay those of no-aug
    plain_d = getattr(model, "D", None)
    use_aug = (r.diffaug or r.cutout) and plain_d is not None
    aug_d = AugmentedD(plain_d, r.diffaug, aug_gen, r.cutout) if use_aug else None
    if r.topk and plain_d is not None:  # outermost: it ranks the fakes by what D (augmented or not) says of them
        aug_d = TopKD(aug_d if aug_d is not None else plain_d, r.topk)
    steps_per_epoch = max(1, len(data) // r.batch_size) if r.topk else 1
    ema = new_average(model) if r.ema else None
    best, record, first, spent = None, {"key": float("inf")}, 1, 0.0
    saved = recipe_state.load(state, r) if state else None
    if saved is not None:  # the same recipe, stopped after an evaluation: everything back in place
        recipe_state.restore(saved, model, ema, opts, [gen, aug_gen])
        if saved.get("curves"):
            curves = curves_io.CurveLog.from_state(saved["curves"])
        record, first, spent = saved["record"], saved["step"] + 1, saved["seconds"]
        if saved["best"] is not None:
            best = sampler(model, None)
            best.load_state_dict(saved["best"])
        log(f"continuing from step {saved['step']} ({state})")
    t0 = time.perf_counter() - spent
    for step in range(first, r.steps + 1):
        frac = (step - 1) / r.steps
        lr = r.lr if frac < r.decay_from else r.lr * (1 - (1 - r.lr_end) * (frac - r.decay_from) / (1 - r.decay_from))
        for name, opt in opts.items():
            for group in opt.param_groups:
                group["lr"] = lr * (r.d_lr / r.lr if r.d_lr and name == "d" else 1.0)
        x, y = data.batch(r.batch_size, gen)
        if r.augment:
            x = shift(x, r.augment, aug_gen)
        if r.binarize:
            x = torch.bernoulli(x, generator=aug_gen)  # (B, 1, 28, 28) of 0/1, E[x_b] = x
        if isinstance(aug_d, TopKD):
            aug_d.set_epoch(step / steps_per_epoch)
        if aug_d is not None:
            model.D = aug_d  # D sees shifted images during the step; swapped back so copies and saves stay plain
        try:
            metrics = model.train_step(x, y, opts, hp, gen)
            curves.step(step, metrics)
            if r.r1 and plain_d is not None and step % r.r1_every == 0:
                cond = model._one_hot(y, len(x)) if model.conditional else None  # (B, K) or None
                seen_by = aug_d.d if isinstance(aug_d, TopKD) else model.D  # D as it trains, not top-k's G-side view
                metrics["r1"] = r1_step(seen_by, x * 2 - 1, cond, r.r1, r.r1_every, opts["d"])
        finally:
            if aug_d is not None:
                model.D = plain_d
        if ema is not None:
            update_average(ema, model, r.ema)
        if step % r.eval_every == 0 or step == r.steps:
            m = sampler(model, ema)
            key, s = score(m, r.data, spec.group, r.eval_n, r.select, r.class_floor)
            curves.evaluated(step, m.evaluate(test, torch.Generator().manual_seed(r.seed + 2)))  # as Publishing does
            shown = {k: round(v, 3) for k, v in s.items() if isinstance(v, float)}
            log(f"step {step:6d}  lr {lr:.2e}  {json.dumps({k: round(v, 3) for k, v in metrics.items()})}  "
                f"{json.dumps(shown)}  {time.perf_counter() - t0:.0f} s")
            if key < record["key"]:
                best = m
                record = {"key": key, "step": step, "scores": shown, "metrics": metrics}
            if state:
                recipe_state.save(state, r, step, model, ema, opts, [gen, aug_gen], best, record, time.perf_counter() - t0,
                                  curves.state())
    record["seconds"] = round(time.perf_counter() - t0, 1)
    if record.get("scores", {}).get("min_share", 1.0) < r.class_floor:  # every state was under the floor: say so
        log("no evaluated state covered every class at the floor: kept the best of them anyway")
    if best is None:
        best = sampler(model, ema)
    record["curves"] = curves.packed(record.get("step", r.steps) + offset)  # up to the kept state's step
    return best, record


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m genai_demo.training.recipe", description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=kinds(quality=True))
    p.add_argument("--data", default=None)
    p.add_argument("--steps", type=int, required=True)
    p.add_argument("--lr", type=float, default=None)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--d-steps", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ema", type=float, default=0.0, help="EMA decay of the sampling weights (0 = none)")
    p.add_argument("--decay-from", type=float, default=0.5)
    p.add_argument("--lr-end", type=float, default=0.1)
    p.add_argument("--eval-every", type=int, default=1000)
    p.add_argument("--eval-n", type=int, default=1000, help="samples per evaluation (more: a steadier pick)")
    p.add_argument("--augment", type=int, default=0, help="shift training images by up to k pixels (VAE)")
    p.add_argument("--diffaug", type=int, default=0, help="shift D's inputs, real and fake, by up to k pixels (GANs)")
    p.add_argument("--cutout", type=float, default=0.0, help="D's inputs lose a square of this share of the side")
    p.add_argument("--topk", type=float, default=0.0, help="top-k training: the share of fakes G learns from (GANs)")
    p.add_argument("--d-lr", type=float, default=0.0, help="D's learning rate (default: the same as G's)")
    p.add_argument("--r1", type=float, default=0.0, help="R1 penalty strength on D at the real images (GANs)")
    p.add_argument("--r1-every", type=int, default=4, help="lazy R1: one penalty step every k steps")
    p.add_argument("--weight-decay", type=float, default=0.0)
    p.add_argument("--binarize", action="store_true", help="train on Bernoulli draws of the pixels (VAEs)")
    p.add_argument("--select", choices=("frechet", "confidence"), default="frechet",
                   help="image GANs: keep the state with the lowest Fréchet distance or the highest confidence")
    p.add_argument("--class-floor", type=float, default=CLASS_SHARE,
                   help="image GANs: keep only states whose every class holds at least this share of the samples")
    p.add_argument("--config", type=json.loads, default={})
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu or cuda (the shipped checkpoints were trained on CPU cores)")
    p.add_argument("--init", default="", help="start from this checkpoint's weights (a recipe's second stage)")
    p.add_argument("--state", default="", help="training state, written after every evaluation; continued when there")
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if not 0 <= a.class_floor <= 0.1:  # above 1/10 no state of a 10-class data set could ever be kept
        p.error("--class-floor must be a share between 0 and 0.1")
    if a.state and not Path(a.state).parent.is_dir():  # found out now, not at the first evaluation minutes from now
        p.error(f"--state {a.state}: no such folder")
    if a.init and a.config:
        p.error("--config cannot change a model that --init loads: its sizes come from the file")
    torch.set_num_threads(a.threads)
    spec = family(a.model)
    r = Recipe(model=a.model, data=a.data or spec.data, steps=a.steps, lr=a.lr or spec.lr, batch_size=a.batch_size,
               d_steps=a.d_steps, seed=a.seed, ema=a.ema, decay_from=a.decay_from, lr_end=a.lr_end,
               eval_every=a.eval_every, eval_n=a.eval_n, augment=a.augment, diffaug=a.diffaug, cutout=a.cutout,
               d_lr=a.d_lr, topk=a.topk, r1=a.r1, r1_every=a.r1_every, weight_decay=a.weight_decay, binarize=a.binarize,
               select=a.select, class_floor=a.class_floor, config=a.config, device=a.device, init=a.init)
    try:
        best, record = train(r, state=a.state)
    except recipe_state.StateError as e:
        p.error(str(e))
    meta = {"data": r.data, "steps": record.get("step", r.steps), "seed": r.seed,
            "hyper": dataclasses.asdict(Hyper(lr=r.lr, batch_size=r.batch_size, beta=r.beta, d_steps=r.d_steps)),
            "final_metrics": {k: round(v, 5) for k, v in record.get("metrics", {}).items()},
            "recipe": {k: v for k, v in dataclasses.asdict(r).items() if k not in ("model", "data")},
            "selected_by": record.get("scores", {}), "seconds": record["seconds"], "curves": record["curves"],
            "command": "python -m genai_demo.training.recipe " + " ".join(argv if argv is not None else sys.argv[1:])}
    if a.init:  # a later stage: the file counts every stage's steps and keeps each stage's command
        before = read_metadata(a.init)["meta"]
        meta["steps"] += before.get("steps", 0)
        meta["seconds"] = round(meta["seconds"] + before.get("seconds", 0), 1)
        meta["stages"] = before.get("stages", [before.get("command", "?")]) + [meta["command"]]
    save_checkpoint(a.out, best, meta)
    if a.state:  # finished and saved: the scratch state has served
        Path(a.state).unlink(missing_ok=True)
    print(f"saved {a.out}: best at step {record.get('step')} {record.get('scores')} ({record['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
