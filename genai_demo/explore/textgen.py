"""Next-token generation behind the "Next token" tab and the text evaluation CLI: no gradio here.

The tab streams a character-level model's output one character at a time and shows, at every step, the
distribution the *next* character will be drawn from. The functions below turn text into ids, run the
sampling loop with a seeded generator, and describe results (top tokens as readable labels, which lines
were copied from the corpus, held-out bits per character). The maths itself (softmax with temperature,
top-k, the draw) lives in models/charlm.py.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch

from ..data.text import CORPORA, load_text_dataset, novelty
from ..models.charlm import CharLM, adjust_probs, draw, top_tokens, unigram_bpc

SHOWN = {"\n": "⏎", " ": "␣", "\t": "⇥"}  # characters a bar label could not show
UNSHOWN = {v: k for k, v in SHOWN.items()}
MAX_SEED = 2**31 - 1


def show_char(ch: str) -> str:
    """A character as a visible label ("⏎" for the end of a line)."""
    return SHOWN.get(ch, ch)


def char_of(label: str) -> str:
    """The character behind a label made by show_char."""
    return UNSHOWN.get(label, label)


def context_ids(model: CharLM, text: str) -> list[int]:
    """Ids of "\\n" + text: a line starts after a newline, as every line did in training. ValueError on unknown chars."""
    return model.encode("\n" + text)


def distribution(model: CharLM, text: str, temperature: float = 1.0, top_k: int | None = None, k: int = 10) -> dict[str, float]:
    """{label: probability} of the k likeliest next characters after `text` (after temperature and top-k)."""
    probs = model.next_token_probs(context_ids(model, text), temperature, top_k or None)
    return {show_char(c): p for c, p in top_tokens(probs, model.vocab, k)}


@dataclass(frozen=True)
class Step:
    char: str  # the character just appended
    p: float  # the probability it had when it was drawn
    next_probs: dict[str, float]  # {label: p} of the character after it (what the chart shows)


def stream(model: CharLM, text: str, max_new: int, temperature: float = 1.0, top_k: int | None = None,
           seed: int = 0, until_newline: bool = False, k: int = 10) -> Iterator[Step]:
    """Extend `text` one character at a time; stop after max_new characters (or at the next "\\n" when until_newline).

    One torch.Generator seeded with (seed, len(text)) drives every draw, so the same text, settings and seed give
    the same continuation — also when a forced character changed the text in the middle.
    """
    ids = context_ids(model, text)
    g = torch.Generator().manual_seed((int(seed) * 1_000_003 + len(ids)) % (2**63 - 1))
    top_k = top_k or None
    probs = adjust_probs(model.next_token_logits(ids), temperature, top_k)
    for _ in range(max_new):
        tok = draw(probs, g)
        ids.append(tok)
        p = float(probs[tok])
        probs = adjust_probs(model.next_token_logits(ids), temperature, top_k)
        ch = model.vocab[tok]
        yield Step(ch, p, {show_char(c): q for c, q in top_tokens(probs, model.vocab, k)})
        if until_newline and ch == "\n":
            break


def line_report(text: str, corpus: str | None) -> list[tuple[str, str]]:
    """(line, status) for each line of generated text: "memorised" / "held-out" / "new" for complete lines,
    "…" for the unfinished last one; "?" for all when the model's corpus is unknown."""
    *done, last = text.split("\n")
    out = []
    for line in done:
        if line.strip():
            out.append((line, novelty(line, corpus) if corpus in CORPORA else "?"))
    if last.strip():
        out.append((last, "…"))
    return out


@dataclass(frozen=True)
class TextScore:
    val_bpc: float  # held-out bits per character of the model
    unigram_bpc: float  # the same for a context-free character-frequency model
    uniform_bpc: float  # log2 V: a model that knows nothing

    def sentence(self) -> str:
        return (f"held-out {self.val_bpc:.2f} bits/char — the character-frequency baseline needs "
                f"{self.unigram_bpc:.2f}, blind guessing {self.uniform_bpc:.2f}")


@functools.lru_cache(maxsize=4)
def _splits(corpus: str):
    """(train, test) TextData, built once per corpus and shared read-only (the model info line asks often)."""
    return load_text_dataset(corpus, "train"), load_text_dataset(corpus, "test")


def score(model: CharLM, corpus: str) -> TextScore | None:
    """Held-out bits per character vs the baselines; None when the model does not fit the corpus."""
    if corpus not in CORPORA:
        return None
    train, test = _splits(corpus)
    if test.vocab != model.vocab:
        return None
    val = model.evaluate(test, torch.Generator())["val_bpc"]
    return TextScore(val, unigram_bpc(train.tokens, test.tokens, len(model.vocab)), math.log2(len(model.vocab)))
