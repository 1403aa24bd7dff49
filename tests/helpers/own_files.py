"""Small own-data uploads made at test time (no binary fixtures): stroke images as PNG / JPEG bytes, zips of them,
zip bombs and other hostile archives built in memory."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import numpy as np
from PIL import Image


def stroke_image(i: int, size: tuple[int, int] = (48, 64), dark_ink: bool = True) -> np.ndarray:
    """(H, W) uint8: a thick bar whose length and slant vary with i, dark ink on light paper (or the reverse)."""
    w, h = size
    a = np.zeros((h, w), np.uint8)
    if i % 3 == 0:  # every third one a ring (an "o"), its size varying with i
        ys, xs = np.indices((h, w))
        r = np.hypot((ys - h / 2) / (h / 2 - 4), (xs - w / 2) / (w / 2 - 4 - i % 4))
        a[np.abs(r - 0.8) < 0.15] = 255
        return 255 - a if dark_ink else a
    top, bottom = 6 + i % 7, h - 6 - (i * 3) % 9
    for y in range(top, bottom):
        x = w // 2 + (y - h // 2) * (i % 5 - 2) // 8
        a[y, max(0, x - 3):x + 3] = 255
    return 255 - a if dark_ink else a


def png_bytes(a: np.ndarray) -> bytes:
    b = io.BytesIO()
    Image.fromarray(a).save(b, "PNG")
    return b.getvalue()


def jpeg_bytes(a: np.ndarray) -> bytes:
    b = io.BytesIO()
    Image.fromarray(a).convert("RGB").save(b, "JPEG", quality=90)
    return b.getvalue()


def pngs(n: int, **kw) -> list[tuple[str, bytes]]:
    return [(f"img{i:03d}.png", png_bytes(stroke_image(i, **kw))) for i in range(n)]


def zip_of(files: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for name, data in files:
            z.writestr(name, data)
    return b.getvalue()


def zip_bomb(mb: int = 200) -> bytes:
    """A zip whose one member inflates to `mb` MB of zeros (~200 KB compressed for 200 MB)."""
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", zipfile.ZIP_DEFLATED) as z, z.open("zeros.png", "w", force_zip64=True) as f:
        chunk = bytes(1 << 20)
        for _ in range(mb):
            f.write(chunk)
    return b.getvalue()


def huge_png(w: int, h: int) -> bytes:
    """A one-colour greyscale PNG declaring w × h pixels, built row by row (the test never holds the pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z, row = zlib.compressobj(9), b"\0" + b"\xff" * w
    body = b"".join([z.compress(row) for _ in range(h)] + [z.flush()])
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def write_files(folder, files: list[tuple[str, bytes]]) -> list[str]:
    """Write (name, bytes) into folder (a test's tmp_path) and return the paths, as Gradio hands uploads over."""
    out = []
    for name, data in files:
        p = folder / name.replace("/", "_")
        p.write_bytes(data)
        out.append(str(p))
    return out
