"""How the teacher's Class tab draws the class: one tile per run (HTML strings), plus the summary line.

No gradio and no maths on models: plain functions of runs and their published snapshots (the fixed-noise preview
the trainer already made), so a refresh never runs a forward pass. A tile's picture is a PNG data URI, encoded
once per (run, preview step) and cached.
"""
from __future__ import annotations

import base64
import html
import io
from collections import OrderedDict

import numpy as np
from PIL import Image

from ..i18n import t
from ..models import MODELS
from ..training.zoo import short_name

TILE_DIGITS, TILE_ROW = 16, 4  # a 4 × 4 pick of the preview's 100 digits: 112 × 112 px, ~5 KB of PNG per tile
CACHE = 256  # pictures kept (30 students × a few steps)
ENDED = ("finished", "stopped", "failed")
CSS = """
#class-tiles .class-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
#class-tiles .class-tile { border: 1px solid var(--block-border-color); border-radius: 8px; padding: 6px 8px;
  background: var(--block-background-fill); font-size: .82rem; line-height: 1.3; }
#class-tiles .class-name { font-weight: 700; font-size: .95rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
#class-tiles .class-sub { color: var(--body-text-color-subdued); }
#class-tiles img { width: 112px; height: 112px; image-rendering: pixelated; display: block; margin: 4px auto; }
#class-tiles .class-text { font-family: var(--font-mono); white-space: pre-wrap; font-size: .75rem;
  max-height: 7em; overflow: hidden; }
#class-tiles .class-ok { color: #16a34a; font-weight: 600; }
"""
_pictures: OrderedDict[tuple[str, int], str] = OrderedDict()


def picture_uri(run_id: str, step: int, preview: np.ndarray) -> str:
    """A (n, 28, 28) uint8 preview → a data: URI of TILE_DIGITS of its digits, spread over all its rows (a CGAN's
    rows are classes), TILE_ROW per row. Cached per (run, step): a preview never changes once published."""
    key = (run_id, step)
    if key in _pictures:
        _pictures.move_to_end(key)
        return _pictures[key]
    pick = np.asarray(preview)[np.linspace(0, len(preview) - 1, TILE_DIGITS).astype(int)]  # (16, H, W), H = W = 28
    h, w = pick.shape[1:]
    rows = pick.reshape(TILE_DIGITS // TILE_ROW, TILE_ROW, h, w).transpose(0, 2, 1, 3)  # (4, H, 4, W)
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rows.reshape(TILE_DIGITS // TILE_ROW * h, TILE_ROW * w)), "L").save(buf, "PNG")
    uri = "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
    _pictures[key] = uri
    while len(_pictures) > CACHE:
        _pictures.popitem(last=False)
    return uri


def name_of(run, index: int, lang: str) -> str:
    """The nickname the student typed, else "Student n" (never the session id)."""
    return run.nickname or t("class_anon", lang, n=index + 1)


def tile_html(run, status: str, index: int, lang: str) -> str:
    """One run as a tile: name, model, step, state, quality reading, and its newest sample picture."""
    snap = run.trainer.snapshot()
    model = short_name(run.cfg.kind, lang) if run.cfg.kind in MODELS else run.cfg.kind.upper()
    q = run.quality
    if q:
        quality = t("class_quality", lang, conf=f"{q['confidence']:.2f}", classes=q["classes"], of=q["of"])
        if q.get("recognisable"):
            quality += f' · <span class="class-ok">{html.escape(t("class_recognisable", lang))}</span>'
    else:
        quality = html.escape(t("class_quality_none", lang))
    if snap.previews and isinstance(snap.previews[-1][1], str):  # a text model: its newest lines
        picture = f'<div class="class-text">{html.escape(snap.previews[-1][1][:160])}</div>'
    elif snap.previews:
        step, preview = snap.previews[-1]
        picture = f'<img alt="" src="{picture_uri(run.id, step, preview)}">'
    else:
        picture = f'<div class="class-sub">{html.escape(t("class_no_grid", lang))}</div>'
    return (f'<div class="class-tile" data-run="{html.escape(run.id)}" data-state="{status}" data-step="{snap.step}">'
            f'<div class="class-name">{html.escape(name_of(run, index, lang))}</div>'
            f'<div class="class-sub">{html.escape(model)} · {html.escape(t(f"state_{status}", lang))}</div>'
            f'<div>{html.escape(t("class_step", lang, step=f"{snap.step:,}", total=f"{snap.total:,}"))}</div>'
            f'{picture}<div class="class-sub">{quality}</div></div>')


def class_html(runs: list, statuses: list[str], lang: str) -> str:
    """Every tile, or one sentence while nobody has started."""
    if not runs:
        return f'<div class="class-sub">{html.escape(t("class_none", lang))}</div>'
    tiles = "".join(tile_html(r, s, i, lang) for i, (r, s) in enumerate(zip(runs, statuses, strict=True)))
    return f'<div class="class-grid">{tiles}</div>'


def summary(statuses: list[str], lang: str) -> str:
    ended = sum(s in ENDED for s in statuses)
    return t("class_count", lang, n=len(statuses), running=statuses.count("running"), queued=statuses.count("queued"),
             paused=statuses.count("paused"), ended=ended)
