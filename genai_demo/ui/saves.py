"""Where the Train tab's Save puts a visitor's checkpoint: one folder per session under SAVE_ROOT, the latest file only.

The folder name is a hash of the session id (a session id must never be able to name a path); SAVE_ROOT is a Gradio
static path, so the page downloads the file in place (no copy in Gradio's cache); the folder goes when the visitor
closes the page or goes idle.
"""
from __future__ import annotations

import hashlib
import shutil
import tempfile
import threading
import time
from pathlib import Path

import gradio as gr

from ..training.checkpoints import save_checkpoint

SAVE_ROOT = Path(tempfile.gettempdir()) / "genai_demo_saves"  # one folder per session, latest save only
_SERVED = False  # SAVE_ROOT is a Gradio static path (serve_saves_in_place)
_LOCKS = [threading.Lock() for _ in range(64)]  # by save folder: two saves of one visitor never interleave


def save_dir(session: str) -> Path:
    # hashed: a session id goes into a path, so it must not be able to name one
    return SAVE_ROOT / hashlib.sha256(session.encode()).hexdigest()[:24]


def serve_saves_in_place() -> None:
    """Let Gradio serve saves from SAVE_ROOT itself (a static path): otherwise every Save is copied into its cache
    for an hour (148 saves → 662 MB); this way a visitor's one file is the only copy."""
    global _SERVED
    if not _SERVED:
        gr.set_static_paths([SAVE_ROOT])
        _SERVED = True


def forget_saves(session: str) -> None:
    """The visitor closed the page: their saved checkpoint goes too."""
    shutil.rmtree(save_dir(session), ignore_errors=True)


def reap_saves(idle_s: float) -> None:
    """Remove the save folders nobody has written to for idle_s seconds (their visitors are gone)."""
    cutoff = time.time() - idle_s
    for d in SAVE_ROOT.iterdir() if SAVE_ROOT.is_dir() else []:
        if d.stat().st_mtime < cutoff:
            shutil.rmtree(d, ignore_errors=True)


def save_latest(session: str, name: str, model, meta: dict) -> Path:
    """Write model to the session's folder as `name` and delete its older saves — only once the new one is safely
    written (save_checkpoint raises CheckpointError and leaves the previous save in place on disk full etc.)."""
    folder = save_dir(session)
    with _LOCKS[int(folder.name[:8], 16) % len(_LOCKS)]:  # one save at a time per visitor
        saved = save_checkpoint(folder / name, model, meta)
        for old in folder.iterdir():
            if old != saved and old.is_file():
                old.unlink(missing_ok=True)
    return saved
