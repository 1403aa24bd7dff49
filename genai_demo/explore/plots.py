"""Pictures of the 2-D latent plane: the decoded manifold with the held-out means scattered on top.

Numpy + PIL only (no torch, no gradio), as in the Keras 2-D VAE example's two figures, but merged into
one: each cell of the background shows what the decoder makes of that z, each dot is where the encoder
puts a held-out image (coloured by its class), and markers show the slider position and chosen points.

The picture is built in two steps so dragging a slider stays cheap: ``map_base`` (manifold, dots, axes,
legend; cache it per model) and ``with_markers`` (a copy with the markers, a few milliseconds).
``MapGeometry`` converts between latent coordinates and picture pixels both ways (clicks → z).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ..i18n import catalogue, fonts, t

# matplotlib's "tab10": ten colours that stay distinct for most colour-blind readers
CLASS_COLOURS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
                 (140, 86, 75), (227, 119, 194), (127, 127, 127), (188, 189, 34), (23, 190, 207)]
BG = (255, 255, 255)
INK = (40, 40, 48)
POINT_A, POINT_B, DRAWN = (255, 200, 0), (0, 220, 255), (255, 255, 255)


def _font(size: int, cjk: bool = False) -> ImageFont.ImageFont:
    """Pillow's bundled TrueType font (same look on every machine); for Chinese words a CJK font (i18n/fonts.py)."""
    return fonts.font(size, cjk)


def class_names(data, lang: str = "en") -> list[str]:
    """The map legend's names in the visitor's language; English when no CJK font is installed (the UI then says so in one line)."""
    if lang == "en" or not fonts.has_cjk():
        return list(data.classes)
    return [t(f"class_{data.name}_{i}", lang) if f"class_{data.name}_{i}" in catalogue("en") else c
            for i, c in enumerate(data.classes)]


@dataclass(frozen=True)
class MapGeometry:
    """Where the square latent plot sits in the picture and which z range it shows."""

    left: int  # px from the picture's left edge to the plot's
    top: int  # px from the top edge to the plot's
    size: int  # plot width = height in px
    extent: float  # the plot shows z1, z2 in [-extent, extent]

    def z_to_px(self, z1: float, z2: float) -> tuple[float, float]:
        """Latent point → picture pixel (x right, y down; z2 points up)."""
        s = self.size / (2 * self.extent)
        return self.left + (z1 + self.extent) * s, self.top + (self.extent - z2) * s

    def px_to_z(self, x: float, y: float) -> tuple[float, float]:
        """Picture pixel → latent point, clamped to the plotted square (a click in the margin snaps to the edge)."""
        s = (2 * self.extent) / self.size
        z1 = (x - self.left) * s - self.extent
        z2 = self.extent - (y - self.top) * s
        e = self.extent
        return float(np.clip(z1, -e, e)), float(np.clip(z2, -e, e))


def _legend_rows(classes: list[str], width: int, font) -> list[list[tuple[int, str, int]]]:
    """Greedy line wrap of the legend entries (index, text, width in px) into rows that fit `width`."""
    rows, row, used = [], [], 0
    for i, name in enumerate(classes):
        w = 18 + int(font.getlength(name)) + 14  # swatch + gap + text + spacing
        if row and used + w > width:
            rows.append(row)
            row, used = [], 0
        row.append((i, name, w))
        used += w
    return rows + ([row] if row else [])


def map_base(manifold: np.ndarray, extent: float, mu: np.ndarray | None = None, labels: np.ndarray | None = None,
             classes: list[str] | None = None, dim: float = 0.6, dot: float = 3.5) -> tuple[Image.Image, MapGeometry]:
    """The latent plane picture without markers.

    manifold: (S, S) uint8 picture of the decoded grid (images.make_grid(..., pad=0)), covering z in
    [-extent, extent]^2 with z2 up. mu (N, 2), labels (N,): held-out means drawn as class-coloured dots
    (omit both to show the manifold alone). dim: brightness of the manifold under the dots.
    """
    size = manifold.shape[0]
    tick_font, label_font = _font(13), _font(14, cjk=not all(name.isascii() for name in classes or []))
    left, top, right = 34, 50, 34  # top: room for the image box's label chip, which Gradio lays over the picture
    legend = _legend_rows(list(classes or []), size, label_font) if mu is not None else []
    height = top + size + 26 + 22 * len(legend) + 6
    pic = Image.new("RGB", (left + size + right, height), BG)
    geo = MapGeometry(left, top, size, float(extent))

    shade = manifold.astype(np.float32) * (dim if mu is not None else 1.0)  # dimmed so the dots stand out
    pic.paste(Image.fromarray(shade.astype(np.uint8)).convert("RGB"), (left, top))
    d = ImageDraw.Draw(pic)
    d.rectangle([left - 1, top - 1, left + size, top + size], outline=INK)

    # ---- axes: integer ticks on the bottom (z1) and left (z2) edges
    for v in range(-int(extent), int(extent) + 1):
        x, y = geo.z_to_px(v, v)
        d.line([x, top + size, x, top + size + 4], fill=INK)
        d.text((x, top + size + 5), str(v), fill=INK, font=tick_font, anchor="mt")
        d.line([left - 5, y, left - 1, y], fill=INK)
        d.text((left - 7, y), str(v), fill=INK, font=tick_font, anchor="rm")
    d.text((left + size + 12, top + size + 5), "z1", fill=INK, font=label_font, anchor="lt")
    d.text((left - 7, top - 8), "z2", fill=INK, font=label_font, anchor="rb")

    # ---- scatter of the held-out means, coloured by class, clipped to the plot
    if mu is not None and labels is not None:
        plot = Image.new("RGBA", (size, size), (0, 0, 0, 0))
        pd = ImageDraw.Draw(plot)
        for (z1, z2), c in zip(np.asarray(mu, np.float64), np.asarray(labels), strict=True):
            x, y = geo.z_to_px(z1, z2)
            x, y = x - left, y - top
            pd.ellipse([x - dot, y - dot, x + dot, y + dot], fill=CLASS_COLOURS[int(c) % 10] + (235,), outline=(0, 0, 0, 200))
        pic.paste(plot, (left, top), plot)
        # ---- legend under the axis labels
        y = top + size + 28
        for row in legend:
            x = left + (size - sum(w for *_, w in row)) // 2
            for i, name, w in row:
                d.ellipse([x, y + 3, x + 12, y + 15], fill=CLASS_COLOURS[i % 10], outline=INK)
                d.text((x + 18, y + 9), name, fill=INK, font=label_font, anchor="lm")
                x += w
            y += 22
    return pic, geo


def _clamped(geo: MapGeometry, z) -> tuple[float, float, bool]:
    """Pixel position of z, pulled onto the plot's edge when outside it; the flag says whether it was inside."""
    z1, z2 = float(z[0]), float(z[1])
    inside = abs(z1) <= geo.extent and abs(z2) <= geo.extent
    x, y = geo.z_to_px(*np.clip([z1, z2], -geo.extent, geo.extent))
    return x, y, inside


def with_markers(base: Image.Image, geo: MapGeometry, a=None, b=None, drawn=None) -> Image.Image:
    """A copy of the base map with markers: points A and B (lettered discs, joined by a dashed path when both
    are set) and the encoded drawing (white diamond). The slider's cross-hair is drawn by the page on top
    (genai_demo/ui/decoder.js), so it moves without a new picture."""
    pic = base.copy()
    d = ImageDraw.Draw(pic)
    font = _font(13)
    if a is not None and b is not None:
        (xa, ya, _), (xb, yb, _) = _clamped(geo, a), _clamped(geo, b)
        n = max(2, int(np.hypot(xb - xa, yb - ya) // 6))
        for k in range(0, n, 2):  # a dashed line: the lerp path the strip walks along
            t0, t1 = k / n, min(1.0, (k + 1) / n)
            d.line([xa + (xb - xa) * t0, ya + (yb - ya) * t0, xa + (xb - xa) * t1, ya + (yb - ya) * t1], fill=(255, 255, 255), width=2)
    for z, colour, letter in ((a, POINT_A, "A"), (b, POINT_B, "B")):
        if z is not None:
            x, y, _ = _clamped(geo, z)
            d.ellipse([x - 9, y - 9, x + 9, y + 9], fill=colour, outline=(0, 0, 0), width=2)
            d.text((x, y + 1), letter, fill=(0, 0, 0), font=font, anchor="mm")
    if drawn is not None:
        x, y, _ = _clamped(geo, drawn)
        d.polygon([(x, y - 10), (x + 10, y), (x, y + 10), (x - 10, y)], fill=DRAWN, outline=(0, 0, 0), width=2)
    return pic
