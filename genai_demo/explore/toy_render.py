"""A 2-D GAN game frame as a picture (numpy + PIL): for the CLI's --png and for the docs.

The page is meant to draw frames itself (from toy_views' JSON); this renderer shows the same views with
the same colours and arrow scale (toy_views.scene()["style"]), so a picture in the docs looks like the tab:
  - background: D's probability "real", green where D says real, purple where it says fake, white at 0.5
  - grey lines: the manifold, G's image of a grid in z-space (folds and stretches show up here)
  - green dots: real points; purple dots: fake points; dark purple ticks: G's gradient at each fake
  - a strip below: D's and G's losses, and the modes covered, over the steps so far
"""
from __future__ import annotations

import base64

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .toy_views import ARROW_GAIN, ARROW_MAX, FAKE_RGB, REAL_RGB

REAL, FAKE = REAL_RGB, FAKE_RGB  # the tab's two colours (toy_views.py)
REAL_TINT, FAKE_TINT = np.array([150, 220, 170.0]), np.array([205, 170, 235.0])  # heat-map ends (D = 1, D = 0)
ARROW = (70, 20, 110)
GRID = (120, 120, 120)
INK = (40, 40, 48)
PLANE_PX, STRIP_PX, PAD = 480, 150, 8


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def heat_rgb(p: np.ndarray) -> np.ndarray:
    """D's probabilities (n, n) in [0, 1] → (n, n, 3) uint8: white at 0.5, towards green (real) or purple (fake)."""
    a = np.abs(p - 0.5)[..., None] * 2  # (n, n, 1) how sure D is
    tint = np.where((p >= 0.5)[..., None], REAL_TINT, FAKE_TINT)  # (n, n, 3)
    return (255 * (1 - a) + tint * a).round().astype(np.uint8)


def render(scene: dict, frame: dict) -> Image.Image:
    """The plane (heat-map, manifold, points, arrows) over a strip of curves and one status line."""
    E, S = float(frame["extent"]), PLANE_PX
    img = Image.new("RGB", (S + 2 * PAD, S + STRIP_PX + 3 * PAD + 16), (255, 255, 255))
    n = frame["heat"]["n"]
    heat = np.frombuffer(base64.b64decode(frame["heat"]["b64"]), dtype=np.uint8).reshape(n, n) / 255
    img.paste(Image.fromarray(heat_rgb(heat)).resize((S, S), Image.BILINEAR), (PAD, PAD))
    draw = ImageDraw.Draw(img)

    def px(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return PAD + (x + E) * S / (2 * E), PAD + (E - y) * S / (2 * E)

    man = np.asarray(frame["manifold"]["xy"]).reshape(frame["manifold"]["rows"], frame["manifold"]["cols"], 2)
    lines = [man[r] for r in range(man.shape[0])] + ([man[:, c] for c in range(man.shape[1])] if man.shape[0] > 1 else [])
    for ln in lines:
        u, v = px(ln[:, 0], ln[:, 1])
        draw.line(list(zip(u.tolist(), v.tolist(), strict=True)), fill=GRID, width=1)
    real = np.asarray(scene["real"]).reshape(-1, 2)
    for u, v in zip(*px(real[:, 0], real[:, 1]), strict=True):
        draw.ellipse([u - 2.5, v - 2.5, u + 2.5, v + 2.5], fill=REAL)
    fake = np.asarray(frame["fake"]).reshape(-1, 2)
    arrows = np.asarray(frame["arrows"]).reshape(-1, 2) * ARROW_GAIN
    length = np.linalg.norm(arrows, axis=1, keepdims=True)
    arrows = arrows * np.minimum(1, ARROW_MAX / np.maximum(length, 1e-9))  # clip long arrows, keep direction
    u0, v0 = px(fake[:, 0], fake[:, 1])
    u1, v1 = px(fake[:, 0] + arrows[:, 0], fake[:, 1] + arrows[:, 1])
    for a, b, c, d in zip(u0, v0, u1, v1, strict=True):
        draw.line([a, b, c, d], fill=ARROW, width=1)
    for u, v in zip(u0, v0, strict=True):
        draw.ellipse([u - 2.5, v - 2.5, u + 2.5, v + 2.5], fill=FAKE)
    draw.rectangle([PAD, PAD, PAD + S, PAD + S], outline=INK)
    _strip(draw, frame.get("history") or {}, PAD, PAD * 2 + S, S, STRIP_PX)
    status = f"step {frame['step']:,}   modes {frame['modes_covered']}/{frame['modes']}   JS {frame['js']:.3f} bits"
    if frame.get("collapse"):
        status += f"   {frame['collapse']}"
    draw.text((PAD, PAD * 3 + S + STRIP_PX - 4), status, fill=INK, font=_font(13))
    return img


def _strip(draw: ImageDraw.ImageDraw, h: dict, x0: int, y0: int, w: int, hgt: int) -> None:
    """Loss curves (D purple-grey, G purple) on the left axis, modes covered (green) scaled to the right."""
    draw.rectangle([x0, y0, x0 + w, y0 + hgt], outline=INK)
    steps = h.get("step") or []
    if len(steps) < 2:
        return
    s0, s1 = steps[0], max(steps[-1], steps[0] + 1)
    losses = [v for k in ("d", "g") for v in h[k] if v is not None]
    top = max(max(losses, default=1.0), 1e-6) * 1.1
    bottom = min(0.0, min(losses, default=0.0))
    for key, colour, lo, hi in (("d", (90, 90, 110), bottom, top), ("g", FAKE, bottom, top),
                                ("modes", REAL, 0, max(max(h["modes"]), 1))):
        pts = [(x0 + (s - s0) / (s1 - s0) * w, y0 + hgt - (v - lo) / (hi - lo + 1e-12) * (hgt - 4) - 2)
               for s, v in zip(steps, h[key], strict=True) if v is not None]
        if len(pts) > 1:
            draw.line(pts, fill=colour, width=2 if key != "d" else 1)
    label = f"losses: D grey, G purple (axis {bottom:.2f} to {top:.2f}); modes covered: green"
    draw.text((x0 + 4, y0 + 2), label, fill=INK, font=_font(11))
