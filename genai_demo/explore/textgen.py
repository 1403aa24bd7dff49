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

from ..data.own_store import is_own
from ..data.text import PUNCTUATION, corpus_info, load_text_dataset, novelty, verse_novelty, verses
from ..models.charlm import CharLM, adjust_probs, draw, top_tokens, unigram_bpc

SHOWN = {"\n": "⏎", " ": "␣", "\t": "⇥"}  # characters a bar label could not show
UNSHOWN = {v: k for k, v in SHOWN.items()}
MAX_SEED = 2**31 - 1
FORM_LENGTHS = (5, 7)  # characters per verse of classical Chinese poetry: 五言 and 七言
FORM_TEMPERATURE = 0.8  # the temperature the form check samples at


def show_char(ch: str) -> str:
    """A character as a visible label ("⏎" for the end of a line)."""
    return SHOWN.get(ch, ch)


def char_of(label: str) -> str:
    """The character behind a label made by show_char."""
    return UNSHOWN.get(label, label)


def context_ids(model: CharLM, text: str) -> list[int]:
    """Ids of "\\n" + text: a line starts after a newline, as every line did in training. ValueError on unknown chars."""
    return model.encode("\n" + text)


def aligned(corpus: str | None) -> bool:
    """Does a model trained on this corpus read each line from its start (verse: data.text.TextData.aligned)?"""
    info = corpus_info(corpus)  # a shipped corpus or a visitor's own text
    return info is not None and info.verse


def window(model: CharLM, ids: list[int], line_start: bool = False) -> list[int]:
    """The ids the model reads: the last block_size; with line_start, from the first line start among them, as the
    verse model was trained (a long text slides on by whole lines, never starting mid-verse)."""
    T = model.config.block_size
    if len(ids) <= T:
        return ids
    tail, nl = ids[-T:], model.stoi.get("\n", 0)
    return tail[tail.index(nl):] if line_start and nl in tail else tail


def distribution(model: CharLM, text: str, temperature: float = 1.0, top_k: int | None = None, k: int = 10,
                 line_start: bool = False) -> dict[str, float]:
    """{label: probability} of the k likeliest next characters after `text` (after temperature and top-k)."""
    probs = model.next_token_probs(window(model, context_ids(model, text), line_start), temperature, top_k or None)
    return {show_char(c): p for c, p in top_tokens(probs, model.vocab, k)}


@dataclass(frozen=True)
class Step:
    char: str  # the character just appended
    p: float  # the probability it had when it was drawn
    next_probs: dict[str, float]  # {label: p} of the character after it (what the chart shows)


def stream(model: CharLM, text: str, max_new: int, temperature: float = 1.0, top_k: int | None = None,
           seed: int = 0, until_newline: bool = False, k: int = 10, line_start: bool = False) -> Iterator[Step]:
    """Extend `text` one character at a time; stop after max_new characters (or at the next "\\n" when until_newline).
    line_start: the model reads from a line start (window()), as a verse model must.

    One torch.Generator seeded with (seed, len(text)) drives every draw, so the same text, settings and seed give
    the same continuation — also when a forced character changed the text in the middle.
    """
    ids = context_ids(model, text)
    g = torch.Generator().manual_seed((int(seed) * 1_000_003 + len(ids)) % (2**63 - 1))
    top_k = top_k or None
    probs = adjust_probs(model.next_token_logits(window(model, ids, line_start)), temperature, top_k)
    for _ in range(max_new):
        tok = draw(probs, g)
        ids.append(tok)
        p = float(probs[tok])
        probs = adjust_probs(model.next_token_logits(window(model, ids, line_start)), temperature, top_k)
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
            out.append((line, novelty(line, corpus) if corpus_info(corpus) is not None else "?"))
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
    if corpus_info(corpus) is None:
        return None
    # a visitor's own text is held by its store (and freed with it): never kept in _splits' cache
    train, test = (load_text_dataset(corpus, "train"), load_text_dataset(corpus, "test")) if is_own(corpus) \
        else _splits(corpus)
    if test.vocab != model.vocab:
        return None
    val = model.evaluate(test, torch.Generator())["val_bpc"]
    return TextScore(val, unigram_bpc(train.tokens, test.tokens, len(model.vocab)), math.log2(len(model.vocab)))


# ---------------------------------------------------------------------------------------------------------------------
# the poem model's form check


def classical(line: str) -> bool:
    """Has a generated line the classical shape? It ends with a punctuation mark and every verse in it has the same
    length, 5 or 7 characters: "床前明月光，疑是地上霜。" yes; "床前明月，疑是地上霜。" or an unfinished line no."""
    line = line.strip()
    if not line or line[-1] not in PUNCTUATION or any(line[i] in PUNCTUATION and line[i + 1] in PUNCTUATION
                                                      for i in range(len(line) - 1)):
        return False
    lengths = {len(v) for v in verses(line)}
    return len(lengths) == 1 and lengths <= set(FORM_LENGTHS)


def form_share(lines: list[str]) -> float:
    """The share (0-1) of lines with the classical shape (classical()); 0 for no lines."""
    return sum(map(classical, lines)) / len(lines) if lines else 0.0


@dataclass(frozen=True)
class Copying:
    lines: dict[str, float]  # share of whole lines that are new / memorised / held-out
    verses: dict[str, float]  # the same for single verses (5 or 7 characters between punctuation marks)


def copying(lines: list[str], corpus: str) -> Copying:
    """How much of generated text is copied from the corpus, by whole line and by verse (shares in 0-1)."""
    def shares(flags: list[str]) -> dict[str, float]:
        n = max(1, len(flags))
        return {k: flags.count(k) / n for k in ("new", "memorised", "held-out")}
    return Copying(shares([novelty(line, corpus) for line in lines if line.strip()]),
                   shares([verse_novelty(v, corpus) for line in lines for v in verses(line)]))
