"""Visitors' own data sets, in memory, per visitor: the handle a run's settings name them by, and their clean-up.

A visitor's converted images or text get a handle such as ``own:images:3f9a2c1b`` (random, new for every upload).
load_dataset() and the text functions (data/text.py) resolve a handle for the display code, which never sees a
session; *which* handles a request may train on is decided per session (``names(session)``: the Train tab and the
/train API accept only the caller's own), and the factory checks the owner again (``dataset(name, split, owner)``).

Each visitor holds at most one image set and one text (a new upload replaces the old one). Entries go when the
visitor leaves (``release``, called on page unload), after ``idle_s`` without use (``reap``), or, when
``max_sessions`` visitors already hold data, the longest-unused one goes to a newcomer if it has been idle for
``reclaim_s`` (else the newcomer is refused). Bounded memory: an image set is ≤ 2,000 × 784 bytes, a text's
token tables ≤ ~20 MB (data/own_text.py). No gradio here.
"""
from __future__ import annotations

import os
import secrets
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from . import own_text
from .datasets import DataError, ImageData
from .own_images import split as split_images
from .text import Corpus, TextData, from_lines

PREFIX = "own:"
KINDS = ("images", "text")


def is_own(name) -> bool:
    return isinstance(name, str) and name.startswith(PREFIX)


def modality(name: str) -> str:
    """"text" for an own-text handle, "image" for an own-image one (known from the handle alone)."""
    return "text" if name.startswith(f"{PREFIX}text:") else "image"


@dataclass
class Entry:
    name: str  # the handle, "own:images:<hex>" or "own:text:<hex>"
    owner: str  # the session that uploaded it
    kind: str  # "images" or "text"
    train: ImageData | TextData
    test: ImageData | TextData
    count: int  # images, or lines of text
    info: dict = field(default_factory=dict)  # what the upload summary says (lines cut, characters replaced, …)
    lines: tuple[str, ...] = ()  # text only: all lines, in order
    vocab: str = ""  # text only
    line_sets: tuple[frozenset, frozenset] = (frozenset(), frozenset())  # text only: (training, held-out) lines
    corpus: Corpus | None = None  # text only: how data/text.py describes it

    def dataset(self, split: str):
        if split not in ("train", "test"):
            raise DataError(f"unknown split {split!r}: use 'train' or 'test'")
        return self.train if split == "train" else self.test


class OwnStore:
    def __init__(self, max_sessions: int | None = None, idle_s: float = 1800.0, reclaim_s: float = 600.0):
        self.max_sessions = max_sessions or int(os.environ.get("GENAI_DEMO_MAX_SESSIONS", 100))
        self.idle_s, self.reclaim_s = idle_s, reclaim_s
        self._lock = threading.Lock()
        self._by_name: dict[str, Entry] = {}
        self._mine: dict[str, dict[str, str]] = {}  # session → {kind: handle}
        self._seen: dict[str, float] = {}  # session → last use (monotonic)

    # ---- adding ---------------------------------------------------------------------------------
    def put_images(self, session: str, x: np.ndarray) -> Entry:
        """(N, 28, 28) uint8 converted images → the session's image set (replacing its previous one)."""
        name = self._handle("images")
        train, test = split_images(x, name)
        return self._put(Entry(name, session, "images", train, test, len(x)))

    def put_text(self, session: str, text: str) -> Entry:
        """Decoded text → the session's own corpus (replacing its previous one); CorpusError when unusable."""
        p = own_text.prepare(text)
        train_lines, test_lines = own_text.split(p.lines)
        if not own_text.windows_fit(train_lines, test_lines):
            raise own_text.CorpusError("the text is too short: give a few hundred characters at least", key="own_err_text_short")
        name = self._handle("text")
        train, test = from_lines(name, train_lines, p.vocab), from_lines(name, test_lines, p.vocab)
        return self._put(Entry(name, session, "text", train, test, len(p.lines), {"cut": p.cut, "replaced": p.replaced},
                               p.lines, p.vocab, (frozenset(train_lines), frozenset(test_lines)), own_text.corpus(len(p.lines))))

    @staticmethod
    def _handle(kind: str) -> str:
        return f"{PREFIX}{kind}:{secrets.token_hex(4)}"

    def _put(self, entry: Entry) -> Entry:
        s = entry.owner
        if not s:
            raise DataError("no session — reload the page", "run_no_session")
        with self._lock:
            if s not in self._mine:
                self._make_room()
                self._mine[s] = {}
            old = self._mine[s].get(entry.kind)
            self._by_name.pop(old, None)  # the previous upload of this kind goes (runs keep their own tensors)
            self._mine[s][entry.kind] = entry.name
            self._by_name[entry.name] = entry
            self._seen[s] = time.monotonic()
        return entry

    def _make_room(self) -> None:
        if len(self._mine) < self.max_sessions:
            return
        oldest = min(self._mine, key=lambda s: self._seen.get(s, 0.0))
        if time.monotonic() - self._seen.get(oldest, 0.0) < self.reclaim_s:
            raise DataError("the server is full right now — please try again in a few minutes", "run_full")
        self._drop(oldest)

    # ---- reading --------------------------------------------------------------------------------
    def get(self, name) -> Entry | None:
        """The entry of a handle, whoever owns it (for display code; training checks the owner)."""
        if not is_own(name):
            return None
        with self._lock:
            e = self._by_name.get(name)
            if e is not None:
                self._seen[e.owner] = time.monotonic()
            return e

    def mine(self, session: str | None, kind: str | None = None) -> list[Entry]:
        """The session's entries (its images first), optionally of one kind."""
        with self._lock:
            handles = self._mine.get(session or "", {})
            if handles:
                self._seen[session] = time.monotonic()
            return [self._by_name[h] for k, h in sorted(handles.items()) if kind in (None, k) and h in self._by_name]

    def names(self, session: str | None) -> list[str]:
        return [e.name for e in self.mine(session)]

    def dataset(self, name: str, split: str, owner: str | None = None):
        """A split of an own data set; DataError when it is gone, or is not the owner's (the same sentence)."""
        e = self.get(name)
        if e is None or (owner is not None and e.owner != owner):
            raise DataError("your own data set is gone (the page was closed or left idle): upload it again", "own_err_gone")
        return e.dataset(split)

    # ---- freeing --------------------------------------------------------------------------------
    def release(self, session: str) -> int:
        with self._lock:
            return self._drop(session)

    def reap(self, now: float | None = None) -> int:
        now = time.monotonic() if now is None else now
        with self._lock:
            idle = [s for s, t in self._seen.items() if now - t > self.idle_s]
            return sum(self._drop(s) for s in idle)

    def _drop(self, session: str) -> int:
        handles = self._mine.pop(session, {})
        self._seen.pop(session, None)
        return sum(self._by_name.pop(h, None) is not None for h in handles.values())

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_name)


STORE = OwnStore()  # the app's one store (an empty dict until someone uploads: nothing is read at import)


def text_entry(name) -> Entry | None:
    """data/text.py's hook: the entry of an own-text handle, else None."""
    e = STORE.get(name) if is_own(name) else None
    return e if e is not None and e.kind == "text" else None
