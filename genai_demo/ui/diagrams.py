"""Architecture diagrams as inline SVG (no image files): boxes for layers, arrows for the data flow.

A diagram is a list of rows; a row is a chain of :class:`Box`es joined left to right by arrows, and a box
may get a side input drawn above it (the noise ε of the reparameterisation, a class label y). Box
heights grow with the log of the layer width, so a 784-pixel image looks bigger than a 2-D code.
"""
from __future__ import annotations

import html
import math
from dataclasses import dataclass

STYLES = {  # kind: (fill, stroke)
    "data": ("#e0f2fe", "#0284c7"),
    "hidden": ("#eef2ff", "#4f46e5"),
    "latent": ("#fce7f3", "#db2777"),
    "out": ("#dcfce7", "#16a34a"),
    "cond": ("#fef3c7", "#d97706"),
    "score": ("#fee2e2", "#dc2626"),
}
BOX_W, GAP, TOP_EXTRA, CAPTION_H = 92, 40, 70, 34


@dataclass(frozen=True)
class Box:
    label: str  # inside the box, e.g. "512"
    caption: str = ""  # under the box, e.g. "Linear + ReLU"; "\n" splits lines
    kind: str = "hidden"  # colour, see STYLES
    units: float = 16  # layer width: sets the box height
    side: Box | None = None  # an extra input drawn above, with an arrow down into this box


def _height(units: float) -> float:
    return 30 + 8.5 * min(math.log2(max(units, 1) + 1), 12)


def _text(x: float, y: float, s: str, size: int = 13, weight: str = "normal", fill: str = "#111827") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="middle" font-size="{size}" font-weight="{weight}" '
            f'fill="{fill}" font-family="ui-sans-serif, system-ui, sans-serif">{html.escape(s)}</text>')


def _box(x: float, cy: float, b: Box) -> tuple[str, float]:
    h = _height(b.units)
    fill, stroke = STYLES[b.kind]
    y = cy - h / 2
    parts = [f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{h:.1f}" rx="8" fill="{fill}" stroke="{stroke}" '
             f'stroke-width="1.6"/>']
    lines = b.label.split("\n")
    for i, line in enumerate(lines):
        parts.append(_text(x + BOX_W / 2, cy + 5 + (i - (len(lines) - 1) / 2) * 16, line, 14 if i == 0 else 12,
                           "600" if i == 0 else "normal"))
    for i, line in enumerate(b.caption.split("\n") if b.caption else []):
        parts.append(_text(x + BOX_W / 2, cy + h / 2 + 15 + 13 * i, line, 11, fill="#6b7280"))
    return "".join(parts), h


def _arrow(x1: float, y1: float, x2: float, y2: float) -> str:
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#6b7280" stroke-width="1.6" '
            f'marker-end="url(#arrowhead)"/>')


def chain_svg(rows: list[tuple[str, list[Box]]], title: str = "") -> str:
    """Rows of boxes (each row: (row title, boxes)) → one responsive <svg> string."""
    width = max(len(boxes) for _, boxes in rows) * (BOX_W + GAP) - GAP + 40
    body, y = [], 10
    for row_title, boxes in rows:
        has_side = any(b.side for b in boxes)
        tallest = max(_height(b.units) for b in boxes)
        if row_title:
            body.append(f'<text x="20" y="{y + 14}" font-size="13" font-weight="600" fill="#4b5563" '
                        f'font-family="ui-sans-serif, system-ui, sans-serif">{html.escape(row_title)}</text>')
            y += 28
        y += TOP_EXTRA if has_side else 0
        cy = y + tallest / 2
        x = 20
        for i, b in enumerate(boxes):
            svg, h = _box(x, cy, b)
            body.append(svg)
            if b.side is not None:
                s_svg, s_h = _box(x, y - TOP_EXTRA + _height(b.side.units) / 2, b.side)
                body.append(s_svg)
                body.append(_arrow(x + BOX_W / 2, y - TOP_EXTRA + s_h + 2, x + BOX_W / 2, cy - h / 2 - 3))
            if i < len(boxes) - 1:
                body.append(_arrow(x + BOX_W + 3, cy, x + BOX_W + GAP - 4, cy))
            x += BOX_W + GAP
        y += tallest + CAPTION_H + 10
    label = html.escape(title or "architecture diagram")
    return (f'<svg viewBox="0 0 {width} {y}" width="{width}" role="img" aria-label="{label}" '
            f'xmlns="http://www.w3.org/2000/svg"><defs><marker id="arrowhead" markerWidth="8" markerHeight="8" '
            f'refX="7" refY="4" orient="auto"><path d="M0,0 L8,4 L0,8 z" fill="#6b7280"/></marker></defs>'
            f'{"".join(body)}</svg>')
