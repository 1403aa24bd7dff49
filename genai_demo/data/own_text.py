"""A visitor's own text → lines, a bounded vocabulary and a fixed held-out split for the tiny GPT.

The text must be UTF-8 (at most MAX_BYTES); binary data (NUL bytes, mostly control characters) is refused with one
sentence. It is cut into lines as the shipped corpora are (data/text.py: a line is one example, "\\n" ends it):
blank lines are dropped, a line longer than MAX_LINE characters is cut (at a space when there is one), and at most
MAX_LINES lines are kept, so the padded (lines, longest line) token table stays ≤ 20,000 × 65 ids (10 MB). The
vocabulary is the characters of the text, newline first; beyond MAX_VOCAB (a Chinese text may use thousands of
characters) the rarest become UNKNOWN. Every HELD_OUT_EVERY-th line is held out, as for the shipped corpora.
No gradio here.
"""
from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from .text import BLOCK_SIZE, HELD_OUT_EVERY, Corpus, CorpusError

MAX_BYTES = 1_000_000  # UTF-8 bytes of one text (a pasted text also fits the app's 1 MB request bound)
MAX_LINE = 64  # characters per line; longer lines are cut
MAX_LINES = 20_000  # lines kept (the first ones)
MIN_LINES = 20  # fewer leave no held-out lines worth the name
MAX_VOCAB = 3000  # distinct characters (the Tang poems use 2,449)
UNKNOWN = "□"  # what the rarest characters become beyond MAX_VOCAB


@dataclass(frozen=True)
class Prepared:
    lines: tuple[str, ...]  # all kept lines, in text order
    vocab: str  # "\n" first, then the characters sorted
    cut: int  # lines beyond MAX_LINES that were dropped
    replaced: int  # characters replaced by UNKNOWN


def decode(data) -> str:
    """Bytes (an upload) or str (a paste) → str, or a CorpusError: not UTF-8, binary, too large, empty."""
    if isinstance(data, str):
        raw = data.encode("utf-8", errors="surrogatepass")
    elif isinstance(data, (bytes, bytearray)):
        raw = bytes(data)
    else:
        raise CorpusError("paste some text or upload a UTF-8 .txt file", key="own_err_text_missing")
    if len(raw) > MAX_BYTES:
        raise CorpusError(f"the text is larger than {MAX_BYTES:,} bytes: use a shorter one", key="own_err_text_big",
                          max=f"{MAX_BYTES:,}")
    try:
        text = raw.decode("utf-8-sig")  # a leading byte-order mark is not part of the text
    except UnicodeDecodeError:
        raise CorpusError("the file is not UTF-8 text: save it as UTF-8 plain text (.txt)", key="own_err_text_utf8") from None
    controls = sum(1 for c in text[:100_000] if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\r\t")
    if "\x00" in text or controls > 0.01 * min(len(text), 100_000):
        raise CorpusError("that is binary data, not text: upload a UTF-8 .txt file", key="own_err_text_binary")
    return text


def _cut(line: str) -> list[str]:
    """A line → pieces of at most MAX_LINE characters, cut at the last space before the limit when there is one."""
    out = []
    while len(line) > MAX_LINE:
        at = line.rfind(" ", MAX_LINE // 2, MAX_LINE + 1)
        at = at if at > 0 else MAX_LINE
        out.append(line[:at].strip())
        line = line[at:].strip()
    out.append(line)
    return [p for p in out if p]


def prepare(text: str) -> Prepared:
    """Text → lines and vocabulary (see the module docstring); CorpusError when too few lines remain."""
    lines, cut = [], 0
    for raw in text.splitlines():
        clean = "".join(" " if c == "\t" else c for c in raw if unicodedata.category(c) not in ("Cc", "Cs") or c == "\t")
        for piece in _cut(" ".join(clean.split())):
            if len(lines) < MAX_LINES:
                lines.append(piece)
            else:
                cut += 1
    if len(lines) < MIN_LINES:
        raise CorpusError(f"the text has {len(lines)} non-empty line(s): give at least {MIN_LINES} "
                          "(one example per line, e.g. one name or one sentence)", key="own_err_text_few",
                          n=len(lines), min=MIN_LINES)
    counts = Counter("".join(lines))
    replaced = 0
    if len(counts) > MAX_VOCAB - 2:  # room for "\n" and UNKNOWN
        keep = {c for c, _ in counts.most_common(MAX_VOCAB - 2)}
        replaced = sum(n for c, n in counts.items() if c not in keep)
        lines = ["".join(c if c in keep else UNKNOWN for c in line) for line in lines]
        counts = Counter("".join(lines))
    vocab = "\n" + "".join(sorted(counts))
    return Prepared(tuple(lines), vocab, cut, replaced)


def split(lines: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(training lines, held-out lines): line i is held out when i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1."""
    held = [(i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1) for i in range(len(lines))]
    return [x for x, h in zip(lines, held, strict=True) if not h], [x for x, h in zip(lines, held, strict=True) if h]


def corpus(n_lines: int) -> Corpus:
    """How a visitor's text is described (data/text.py Corpus): lines, read from anywhere (not verse)."""
    return Corpus("", f"your text ({n_lines:,} lines)", "line", verse=False)


def windows_fit(train: list[str], test: list[str]) -> bool:
    """Both splits are long enough for windows of BLOCK_SIZE characters (TextData's own check)."""
    return all(sum(len(x) + 1 for x in part) + 1 >= BLOCK_SIZE + 2 for part in (train, test))
