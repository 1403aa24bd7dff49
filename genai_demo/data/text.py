"""Text corpora for the character-level language model: one line per example, characters as tokens.

A corpus is a small UTF-8 text file shipped in genai_demo/assets/ (provenance in assets/CORPUS.md): "names" (a first
name per line) and "tang" (the 300 Tang poems, a line of verse per line, usually a couplet such as
"床前明月光，疑是地上霜。"; the blank lines between poems are skipped). It is split by lines, once and forever: every
HELD_OUT_EVERY-th line is held out, the rest is for training. A line becomes "\\n" + its characters, so the newline
doubles as the "end of one line / start of the next" token.
A batch is B windows of T + 1 characters, drawn with the caller's generator, shifted by one: y[:, t] is the
character that follows x[:, :t+1].

`TextData` is duck-typed like data.ImageData (modality, to(), __len__, batch()) so the same Trainer runs it.
Nothing happens at import time; files are read on the first load and cached.
"""
from __future__ import annotations

import bisect
import functools
import random
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, NamedTuple

import torch

from .datasets import DataError

ASSETS = Path(__file__).resolve().parents[1] / "assets"


class Corpus(NamedTuple):
    file: str  # in assets/
    about: str  # what it is, for people
    unit: str  # what one line is called in sentences ("name", "line")
    verse: bool = False  # lines are verse: read from their start (TextData.aligned), cut into verses at punctuation


CORPORA = {  # corpus name -> Corpus
    "names": Corpus("names.txt", "5,163 US first names (1990 US Census lists, via the PyPI package names 0.3.0, MIT)", "name"),
    "tang": Corpus("tang.txt", "1,556 lines of the 300 Tang poems (public domain), from Debian's fortunes-zh", "line", verse=True),
}
PUNCTUATION = "，。？！；：、,.?!;:"  # what ends a verse in the poem corpus (full-width as written, ASCII as typed)
HELD_OUT_EVERY = 10  # line i is held out when i % 10 == 9: 10 % of the lines, spread over the alphabet
SHUFFLE_SEED = 7  # the fixed order of lines in the token stream (see load_text_dataset)
BLOCK_SIZE = 32  # default window length T (the model's context length, CharLMConfig.block_size)
IGNORE = -100  # a target no loss counts (F.cross_entropy's default ignore_index): the padding of aligned windows


class CorpusError(DataError, ValueError):
    """A missing / unknown corpus or unencodable text; the message is one line that says what to do."""


def corpus_names() -> list[str]:
    return list(CORPORA)


def _own(name):
    """A visitor's own text by its handle (data/own_store.py), or None for the shipped corpora."""
    from . import own_store  # a late import: own_store imports this module

    return own_store.text_entry(name)


def corpus_info(name: str | None) -> Corpus | None:
    """The Corpus describing `name`: a shipped one, a visitor's own text (by its handle), or None if unknown."""
    if name in CORPORA:
        return CORPORA[name]
    own = _own(name)
    return own.corpus if own is not None else None


@functools.lru_cache(maxsize=8)
def _all_lines(name: str) -> tuple[str, ...]:
    if name not in CORPORA:
        raise CorpusError(f"unknown text corpus {name!r}: choose one of {', '.join(CORPORA)}")
    path = ASSETS / CORPORA[name].file
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CorpusError(f"the corpus file {path.name} is missing or unreadable ({type(e).__name__}): "
                          "restore genai_demo/assets/ (git checkout or reinstall genai-demo)") from None
    lines = tuple(line for line in text.splitlines() if line.strip())
    if not lines:
        raise CorpusError(f"the corpus file {path.name} is empty: restore genai_demo/assets/")
    return lines


def load_corpus(name: str = "names", split: str = "train") -> list[str]:
    """The lines of one split ("train", "test", or "all"), in file order."""
    own = _own(name)
    lines = own.lines if own is not None else _all_lines(name)
    if split == "all":
        return list(lines)
    if split not in ("train", "test"):
        raise CorpusError(f"unknown split {split!r}: use 'train', 'test' or 'all'")
    held = split == "test"
    return [line for i, line in enumerate(lines) if (i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1) == held]


def corpus_vocab(name: str) -> str:
    """The corpus' characters, sorted, newline first: index = token id (the model stores this string)."""
    own = _own(name)
    if own is not None:
        return own.vocab
    return "\n" + "".join(sorted(set("".join(_all_lines(name))) - {"\n"}))


@functools.lru_cache(maxsize=8)
def _line_sets(name: str) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(load_corpus(name, "train")), frozenset(load_corpus(name, "test"))


NOVELTY_WORDS = {"new": "new", "memorised": "memorised", "held-out": "real name, unseen"}  # novelty()'s answers, shown


def verses(line: str) -> list[str]:
    """A line of verse cut at its punctuation marks: "床前明月光，疑是地上霜。" -> ["床前明月光", "疑是地上霜"]."""
    out, cur = [], []
    for ch in line.strip():
        if ch in PUNCTUATION:
            out.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur).strip())
    return [v for v in out if v]


@functools.lru_cache(maxsize=8)
def _verse_sets(name: str) -> tuple[frozenset[str], frozenset[str]]:
    train, test = (frozenset(v for line in load_corpus(name, s) for v in verses(line)) for s in ("train", "test"))
    return train, test


def verse_novelty(verse: str, name: str) -> str:
    """novelty() for one verse (a 5- or 7-character half of a couplet): is it copied from a training line?"""
    own = _own(name)
    train, test = own.line_sets if own is not None else _verse_sets(name)
    verse = verse.strip()
    return "memorised" if verse in train else "held-out" if verse in test else "new"


def novelty(line: str, name: str) -> str:
    """Is a generated line copied from the corpus? "memorised" (a training line), "held-out" (a real line the model
    never trained on: it generalised to it), or "new" (invented). Case and surrounding spaces count as written."""
    own = _own(name)
    train, test = own.line_sets if own is not None else _line_sets(name)  # own text: its sets live (and go) with it
    line = line.strip()
    return "memorised" if line in train else "held-out" if line in test else "new"


# ---------------------------------------------------------------------------------------------------------------------
@dataclass
class TextData:
    """A split as token tensors; batch() draws random windows like ImageData draws random indices.

    A training window is a random run of text through randomly drawn lines: a random offset into one line, then
    more lines drawn at random until T + 1 characters are there. Windows through a *fixed* line order would let the
    model learn which name follows which (the previous names in its context are a key to the next one), which it
    memorises in a few thousand steps while the held-out loss climbs; fresh random neighbours leave only the
    inside of a line to learn. Evaluation uses the fixed stream `tokens` so it is exact and repeatable.

    Verse is `aligned`: every window starts at the start of a line, training and evaluation alike, as generation
    does (a line starts after "\\n"). A line of verse is mostly counting: "，" after the 5th or the 7th character,
    "。" after as many again. From a line start the position embedding gives the count for free; from a random
    offset the model must count back to the last "\\n" itself. On the 21k training characters of the Tang poems it
    learns that only once it has memorised much of them (about a third of its lines had the classical shape at the
    held-out optimum, three quarters and more once aligned: assets/CORPUS.md).
    """

    name: str
    tokens: torch.Tensor  # (N,) int64 ids of the lines in a fixed shuffled order, each preceded by "\n", plus a final "\n"
    units: torch.Tensor  # (L, U) int64: row i = "\n" + line i, padded with "\n" to the longest
    unit_len: torch.Tensor  # (L,) int64 length of each row of `units`
    vocab: str  # itos: vocab[i] is the character of id i
    block_size: int = BLOCK_SIZE  # window length T of a batch
    aligned: bool = False  # windows start at line starts (verse); False: anywhere (names)
    modality: ClassVar[str] = "text"

    def __post_init__(self):
        if len(self.tokens) < self.block_size + 2 or not len(self.unit_len):
            raise CorpusError(f"corpus {self.name!r} is too short for windows of {self.block_size} characters")
        # enough lines per window that even the shortest ones fill T + 1 characters after the first line's offset
        self._k = (self.block_size + 1) // max(1, int(self.unit_len.min())) + 2

    @property
    def lines(self) -> int:
        return len(self.unit_len)

    @property
    def model_config(self) -> dict:
        """What the model must agree on with the data; the Trainer merges it into a fresh model's config."""
        return {"vocab": self.vocab}

    def __len__(self) -> int:
        return len(self.tokens)

    def to(self, device: str | torch.device) -> TextData:
        return TextData(self.name, self.tokens.to(device), self.units.to(device), self.unit_len.to(device), self.vocab,
                        self.block_size, self.aligned)

    def batch(self, batch_size: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """x, y: (B, T) int64 on the data's device; y is x shifted by one character (the next-token targets)."""
        B, T, K, dev = batch_size, self.block_size, self._k, self.tokens.device
        gdev = generator.device if generator is not None else dev  # draws run on the generator's device
        pick = torch.randint(self.lines, (B, K), generator=generator, device=gdev).to(dev)  # (B, K) line ids
        lens = self.unit_len[pick]  # (B, K)
        ends = lens.cumsum(1)  # (B, K) end of each drawn line in their concatenation
        if self.aligned:
            offset = torch.zeros(B, dtype=torch.int64, device=dev)  # (B,) every window starts at its first line's "\n"
        else:
            frac = torch.rand(B, generator=generator, device=gdev).to(dev)  # (B,) where in the first line to start
            offset = (frac * lens[:, 0]).long()  # (B,) in [0, length of the first line)
        pos = offset[:, None] + torch.arange(T + 1, device=dev)  # (B, T+1) positions in the concatenation
        j = torch.searchsorted(ends, pos, right=True).clamp_(max=K - 1)  # (B, T+1) which drawn line holds each one
        within = pos - (ends.gather(1, j) - lens.gather(1, j))  # (B, T+1) index inside that line
        win = self.units[pick.gather(1, j), within]  # (B, T+1)
        return win[:, :-1], win[:, 1:]

    def windows(self, max_windows: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Non-overlapping windows covering the fixed stream in order (for exact, noise-free held-out evaluation)."""
        if self.aligned:
            return self._line_windows(max_windows)
        T = self.block_size
        n = (len(self.tokens) - 1) // T
        if max_windows is not None:
            n = min(n, max_windows)
        x = self.tokens[: n * T].view(n, T)  # (n, T)
        y = self.tokens[1 : n * T + 1].view(n, T)  # (n, T)
        return x, y


    def _line_windows(self, max_windows: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """windows() for verse: each starts at a line's "\\n" and holds the whole lines that fit, so every character
        of the stream is scored once, always read from its line's start. Short windows are padded: x with "\\n",
        y with IGNORE (not scored). A line longer than T (none in the corpora) is cut at T."""
        T, toks = self.block_size, self.tokens.cpu()
        starts = (toks == 0).nonzero().flatten().tolist()  # where the lines begin ("\n", id 0)
        xs, ys, s = [], [], 0
        while s < len(toks) - 1 and (max_windows is None or len(xs) < max_windows):
            e = starts[bisect.bisect_right(starts, s + T) - 1]  # the last line start within T of s ends this window
            e = e if e > s else min(s + T, len(toks) - 1)
            n = e - s  # ≤ T characters scored
            xs.append(torch.cat([toks[s:e], toks.new_zeros(T - n)]))
            ys.append(torch.cat([toks[s + 1:e + 1], toks.new_full((T - n,), IGNORE)]))
            s = e
        return torch.stack(xs).to(self.tokens.device), torch.stack(ys).to(self.tokens.device)  # (n, T) each


def encode(text: str, vocab: str) -> list[int]:
    """Characters -> ids; unknown characters raise CorpusError naming them (the UI shows that sentence)."""
    stoi = {c: i for i, c in enumerate(vocab)}
    bad = sorted({c for c in text if c not in stoi})
    if bad:
        shown = ", ".join(repr(c) for c in bad[:8])
        raise CorpusError(f"the model does not know the character(s) {shown}: it only knows {vocab.strip()!r}")
    return [stoi[c] for c in text]


def load_text_dataset(name: str = "names", split: str = "train", device: str | torch.device = "cpu",
                      block_size: int = BLOCK_SIZE) -> TextData:
    """A split of a corpus as TextData on `device` (split "train" or "test")."""
    own = _own(name)
    if own is not None:  # a visitor's own text (data/own_store.py): built once when it was uploaded
        return own.dataset(split).to(device)
    return from_lines(name, load_corpus(name, split), corpus_vocab(name), block_size, CORPORA[name].verse).to(device)


def from_lines(name: str, lines: list[str], vocab: str, block_size: int = BLOCK_SIZE, aligned: bool = False) -> TextData:
    """TextData of some lines (a split) with the vocabulary of all the corpus' lines, so both splits share it."""
    lines = list(lines)
    # The file is sorted; in that order the evaluation stream would predict a name from its alphabetical neighbour
    # ("Eric" after "Erich"). A fixed shuffle (random.Random's shuffle is stable across Python versions) avoids it.
    random.Random(SHUFFLE_SEED).shuffle(lines)
    ids = [encode("\n" + line, vocab) for line in lines]
    width = max(map(len, ids))
    units = torch.zeros(len(ids), width, dtype=torch.int64)  # id 0 is "\n": padding that batch() never reads
    for i, u in enumerate(ids):
        units[i, : len(u)] = torch.tensor(u)
    stream = torch.tensor([t for u in ids for t in u] + [0], dtype=torch.int64)
    lens = torch.tensor([len(u) for u in ids], dtype=torch.int64)
    return TextData(name, stream, units, lens, vocab, block_size, aligned=aligned)
