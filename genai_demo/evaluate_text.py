"""Evaluate a character-level language model checkpoint: held-out NLL / bits per character and samples.

    python -m genai_demo.evaluate_text checkpoints/charlm_names.safetensors

Prints the held-out loss next to two baselines (blind guessing: log2 V bits; character frequencies without
context: the unigram model), then a few sampled lines, each flagged "memorised" (a training line), "held-out"
(a real line the model never trained on) or "new" (invented), and the share of each over many samples.
For a verse corpus (the Tang poems) it also runs the form check: the share of sampled lines with the classical
shape (every verse 5 or 7 characters, explore/textgen.classical) at temperature 0.8, next to the corpus's own
share, and how many single verses are copied.

    python -m genai_demo.evaluate_text checkpoints/charlm_tang.safetensors
"""
from __future__ import annotations

import argparse
import collections
import math
import sys
import unicodedata

import torch

from .data.text import CORPORA, CorpusError, load_corpus, load_text_dataset, novelty
from .explore.textgen import FORM_TEMPERATURE, copying, form_share
from .models.charlm import unigram_bpc
from .training.checkpoints import CheckpointError, load_checkpoint


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m genai_demo.evaluate_text", description=__doc__.split("\n")[0])
    p.add_argument("checkpoint", help="a charlm .safetensors checkpoint")
    p.add_argument("--data", default=None, help="text corpus to score on (default: the one it was trained on)")
    p.add_argument("--samples", type=int, default=12, help="sampled lines to print")
    p.add_argument("--count", type=int, default=500, help="lines sampled to measure how many are memorised")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    if not 0 <= a.samples <= 1000 or not 0 <= a.count <= 100_000:
        p.error("--samples must be 0-1000 and --count 0-100000")
    if not 0 <= a.temperature <= 5:
        p.error("--temperature must be between 0 and 5")
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    try:
        model, header = load_checkpoint(a.checkpoint, expected_kind="charlm")
        corpus = a.data or header["meta"].get("data")
        if corpus not in CORPORA:
            raise CorpusError(f"unknown corpus {corpus!r}: pass --data, one of {', '.join(CORPORA)}")
        train, test = load_text_dataset(corpus, "train"), load_text_dataset(corpus, "test")
        if test.vocab != model.vocab:
            raise CorpusError(f"the checkpoint's vocabulary does not match the {corpus!r} corpus")
    except (CheckpointError, CorpusError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    V = len(model.vocab)
    ev = model.evaluate(test, torch.Generator())
    tr = model.evaluate(train, torch.Generator())
    meta = header["meta"]
    print(f"{a.checkpoint}: charlm, {model.num_params():,} parameters, {meta.get('steps', '?')} steps on {corpus}")
    print(f"  held-out  NLL {ev['val_loss']:.3f} nats/char = {ev['val_bpc']:.3f} bits/char  ({test.lines} lines)")
    print(f"  training  NLL {tr['val_loss']:.3f} nats/char = {tr['val_bpc']:.3f} bits/char  ({train.lines} lines)")
    print(f"  baselines: unigram (character frequencies) {unigram_bpc(train.tokens, test.tokens, V):.3f} bits/char, "
          f"uniform guess log2({V}) = {math.log2(V):.3f} bits/char")
    g = torch.Generator().manual_seed(a.seed)
    lines = model.sample_lines(max(a.samples, a.count), g, temperature=a.temperature)
    flags = [novelty(line, corpus) for line in lines]
    if a.samples:
        print(f"samples (temperature {a.temperature:g}, seed {a.seed}):")
        col = max(16, *(width(line) for line in lines[: a.samples])) + 1  # flags in one column
        for line, flag in zip(lines[: a.samples], flags, strict=False):
            print(f"  {line}{' ' * (col - width(line))}{flag}")
    if a.count:
        c = collections.Counter(flags[: a.count])
        n = sum(c.values())
        print(f"of {n} sampled lines: " + ", ".join(f"{c[k] / n:.0%} {k}" for k in ("new", "memorised", "held-out")))
    if CORPORA[corpus].verse and a.count:
        form_check(model, corpus, a.count, a.seed)
    return 0


def width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (CJK) character, so the flags line up for poems too."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def form_check(model, corpus: str, count: int, seed: int) -> None:
    """The poem model's form check and copying, on `count` lines sampled at FORM_TEMPERATURE."""
    g = torch.Generator().manual_seed(seed)
    lines = model.sample_lines(count, g, temperature=FORM_TEMPERATURE)
    share, real = form_share(lines), form_share(load_corpus(corpus, "test"))
    cp = copying(lines, corpus)
    print(f"form check (temperature {FORM_TEMPERATURE:g}, {count} lines): {share:.1%} have the classical shape "
          f"(every verse 5 or 7 characters); the held-out lines of the corpus: {real:.1%}")
    for unit, sh in (("whole lines", cp.lines), ("verses", cp.verses)):
        print(f"  copied, {unit}: " + ", ".join(f"{sh[k]:.0%} {k}" for k in ("new", "memorised", "held-out")))
    print("  e.g. " + " / ".join(lines[:10]))


if __name__ == "__main__":
    sys.exit(main())
