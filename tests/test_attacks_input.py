"""What one hostile request can carry, sent the way a script would (issue 11, part D): raw HTTP to the launched
app — files to /gradio_api/upload, events to /gradio_api/queue/join read back from the queue's event stream.

Every attack must be refused or bounded with a one-line reason within 1 s, the server's memory (it runs in this
process) must not grow by 100 MB, and a normal visitor polling /status meanwhile must keep being answered fast.
Attacks: image bombs through the Sketchpad (files and blobs) and the upload button; request bodies of 200 MB
(declared and streamed); a long value echoed back; protocol fields that name nothing; paths and exception class
names in messages; saves that filled Gradio's cache, and two saves at once.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
import struct
import threading
import time
import zlib
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import httpx  # noqa: E402
import pytest  # noqa: E402

from genai_demo.ui import train_actions  # noqa: E402
from tests.helpers import serve_app, wait_until
from tests.helpers.attack import Gradio, clean  # noqa: E402
from tests.helpers.bad_inputs import digit_png as _digit_png

V = "pretrained:vae_mnist5k"
BOMB_SIDE = 9_400  # a one-colour 9,400 × 9,400 PNG is ~100 KB and 88 Mpx (353 MB as RGBA)
MAX_S, MAX_MB, PROBE_MS = 1.0, 100, 300  # the bounds: refused within 1 s, < 100 MB, /status < 300 ms


# ---------------------------------------------------------------------------------------------------
# tools: memory, a bomb, Gradio's raw protocol, a visitor who keeps polling /status


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


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


class Probe(threading.Thread):
    """A normal visitor polling /status (and the server's RSS sampled) while an attack runs."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.g, self.stop, self.ms, self.peak = Gradio(url, "probe-visitor"), threading.Event(), [], rss_mb()

    def run(self):
        while not self.stop.is_set():
            t = time.perf_counter()
            kind, out = self.g.call("status", [])
            assert kind == "complete", out
            self.ms.append((time.perf_counter() - t) * 1000)
            self.peak = max(self.peak, rss_mb())
            self.stop.wait(0.05)

    def __enter__(self):
        self.start()
        wait_until(lambda: len(self.ms) >= 2, timeout=30)  # warm: the first poll pays for imports and the cache
        self.ms.clear()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.join(60)


@pytest.fixture(scope="module")
def served():
    with serve_app(max_running=1, max_steps=5000) as (url, ctx):
        yield url, ctx


def attack(url: str, fn) -> tuple[object, float, float, Probe]:
    """Run fn() while a visitor polls: (its result, seconds it took, MB the server's RSS grew at most, the probe)."""
    with Probe(url) as probe:
        base = rss_mb()
        t = time.perf_counter()
        result = fn()
        took = time.perf_counter() - t
        probe.peak = max(probe.peak, rss_mb())
        wait_until(lambda: len(probe.ms) >= 3, timeout=30)  # the visitor was served during / right after it
    grown = probe.peak - base
    print(f"{fn.__name__}: {took * 1000:.0f} ms, RSS +{grown:.0f} MB, /status median "
          f"{statistics.median(probe.ms):.0f} ms, max {max(probe.ms):.0f} ms over {len(probe.ms)} polls")
    return result, took, grown, probe


def bounded(took: float, grown: float, probe: Probe) -> None:
    """The issue's bounds. The visitor's polls: the median under 300 ms (a single poll may meet a GC pause or the
    other processes on these 2 shared cores, so the worst one only has to stay under 2 s)."""
    assert took < MAX_S, f"took {took:.2f} s"
    assert grown < MAX_MB, f"server RSS grew {grown:.0f} MB"
    assert statistics.median(probe.ms) < PROBE_MS and max(probe.ms) < 2000, probe.ms


# ---------------------------------------------------------------------------------------------------
# 1. decompression bombs through every path that takes an image


@pytest.fixture(scope="module")
def bomb():
    return png(BOMB_SIDE, BOMB_SIDE)


def _sketch(g: Gradio, drawing: dict) -> dict:
    """The Latent explorer's "Encode drawing" event with this Sketchpad value: [model, digit, sketch, dots, points]."""
    return g.event(g.fn_index("latent-encode", "click"), [V, 0, drawing, True, None])


def test_the_bomb_is_small_and_huge(bomb):
    assert len(bomb) < 150_000 and struct.unpack(">II", bomb[16:24]) == (BOMB_SIDE, BOMB_SIDE)


def test_a_normal_drawing_still_encodes(served):
    url, _ = served
    g = Gradio(url)
    ink = g.upload("composite.png", _digit_png())  # a black stroke on white, 200 × 200
    out = _sketch(g, {"background": g.upload("background.png", png(280, 280)), "layers": [ink], "composite": ink})
    assert out["success"], out


@pytest.mark.parametrize("layout", ["bg+composite+3 layers", "composite", "background", "layer"])
def test_sketchpad_bomb_files_are_refused_from_the_header(served, bomb, layout):
    url, _ = served
    g = Gradio(url)
    fd = g.upload("bomb.png", bomb)
    small = g.upload("ok.png", png(280, 280))
    drawing = {"bg+composite+3 layers": {"background": fd, "layers": [fd, fd, fd], "composite": fd},
               "composite": {"background": small, "layers": [small], "composite": fd},
               "background": {"background": fd, "layers": [small], "composite": small},
               "layer": {"background": small, "layers": [fd], "composite": small}}[layout]

    def sketchpad_bomb():
        return _sketch(g, drawing)

    out, took, grown, probe = attack(url, sketchpad_bomb)
    assert not out["success"] and one_line(out["output"]["error"]) and clean(out["output"]["error"]), out
    assert "draw it again" in out["output"]["error"]
    bounded(took, grown, probe)


def _blob(g: Gradio, sketch_id: int, kind: str, index, data: bytes, blob_id: str) -> httpx.Response:
    """What the page posts while drawing: one image of the drawing to the ImageEditor's accept_blobs."""
    form = {"session_hash": g.session, "component_id": str(sketch_id), "fn_name": "accept_blobs",
            "id": blob_id, "type": kind, "index": "null" if index is None else str(index)}
    return g.h.post("gradio_api/component_server/", data=form, files={"file": (f"{kind}.png", data, "image/png")})


def test_sketchpad_bomb_blobs_are_refused_and_the_blob_store_is_bounded(served, bomb):
    url, _ = served
    g = Gradio(url)
    sketch_id = next(c["id"] for c in g.config["components"] if c.get("props", {}).get("elem_id") == "latent-sketch")
    small, digit = png(280, 280), _digit_png()
    none = {"background": None, "layers": [], "composite": None}

    def timed(fn, *args):
        t = time.perf_counter()
        out = fn(*args)
        return out, time.perf_counter() - t

    def blob_attack():
        answers = [timed(_blob, g, sketch_id, "composite", None, bomb, "bomb1"),  # a bomb
                   timed(_blob, g, sketch_id, "layer", 10**9, small, "bomb2"),  # Gradio allocated [None] * 10**9
                   timed(_blob, g, sketch_id, "layer", 3, small, "bomb3"),  # more layers than the page has
                   timed(_blob, g, sketch_id, "secret", None, small, "bomb4")]
        answers += [timed(_blob, g, sketch_id, "composite", None, digit, f"flood{i}") for i in range(200)]  # never used
        return answers, timed(_sketch, g, {"id": "bomb1", **none})

    (answers, (out, took)), _, grown, probe = attack(url, blob_attack)
    assert [a.status_code for a, _ in answers[:4]] == [400] * 4 and all(a.status_code == 200 for a, _ in answers[4:])
    assert all(one_line(a.json()["detail"]) for a, _ in answers[:4])
    assert not out["success"] and "not an image" in out["output"]["error"]  # nothing was stored under "bomb1"
    bounded(max([took] + [t for _, t in answers]), grown, probe)
    # the 200 never-used drawings did not pile up: the oldest are gone, the newest is still there
    assert not _sketch(g, {"id": "flood0", **none})["success"]
    assert _sketch(g, {"id": "flood199", **none})["success"]
    # and the page's own way still works: blobs, then the event naming them
    for kind, index in (("background", None), ("layer", 0), ("composite", None)):
        assert _blob(g, sketch_id, kind, index, digit if kind != "background" else small, "page1").status_code == 200
    assert _sketch(g, {"id": "page1", **none})["success"]


def test_upload_button_bomb_is_refused_from_the_header(served, bomb):
    url, _ = served
    g = Gradio(url)
    fd = g.upload("bomb.png", bomb)

    def upload_bomb():
        return g.event(g.fn_index("latent-upload", "upload"), [V, 0, fd, True, None])

    out, took, grown, probe = attack(url, upload_bomb)
    assert not out["success"] and "too large" in out["output"]["error"] and one_line(out["output"]["error"])
    bounded(took, grown, probe)


# ---------------------------------------------------------------------------------------------------
# 6. request size and echoes


def _raw_post(url: str, path: str, headers: dict, chunks) -> tuple[int, str]:
    """POST with a socket, sending `chunks` until the server answers (it may answer before the body ends)."""
    host, port = url.split("//")[1].strip("/").split(":")
    s = socket.create_connection((host, int(port)), timeout=30)
    answer = b""
    try:
        s.sendall((f"POST {path} HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
                   + "\r\n").encode())
        for c in chunks:
            s.settimeout(0)
            try:
                answer += s.recv(65536)  # answered already?
            except BlockingIOError:
                pass
            s.settimeout(30)
            if answer:
                break
            try:
                s.sendall(c)
            except (BrokenPipeError, ConnectionResetError):
                break
        s.settimeout(60)
        while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
            more = s.recv(65536)
            if not more:
                break
            answer += more
    finally:
        s.close()
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), body.decode("utf-8", "replace")


def _huge_prompt(total: int) -> tuple[list[bytes], int]:
    """A queue/join body whose prompt is `total` bytes, as 1 MB parts (one buffer reused: the test holds 1 MB)."""
    mb = b"a" * 2**20
    parts = [b'{"data": ["pretrained:charlm_names", "'] + [mb] * (total // 2**20) + [
        b'", 1.0, 0, 20, 0], "fn_index": 0, "session_hash": "big"}']
    return parts, sum(map(len, parts))


def _chunked(parts):
    for p in parts:
        yield f"{len(p):x}\r\n".encode() + p + b"\r\n"
    yield b"0\r\n\r\n"


@pytest.mark.parametrize("how", ["content-length", "chunked"])
def test_a_200_mb_json_body_is_refused_before_it_is_parsed(served, how):
    url, _ = served
    total = 200 * 2**20

    def huge_json():
        parts, size = _huge_prompt(total)
        if how == "chunked":
            return _raw_post(url, "/gradio_api/queue/join", {"Content-Type": "application/json",
                                                             "Transfer-Encoding": "chunked"}, _chunked(parts))
        return _raw_post(url, "/gradio_api/queue/join", {"Content-Type": "application/json", "Content-Length": size}, parts)

    (status, body), took, grown, probe = attack(url, huge_json)
    assert status == 413 and one_line(json.loads(body)["detail"]) and "maximum allowed size" in body, (status, body)
    bounded(took, grown, probe)


def test_a_long_value_is_not_echoed_back(served):
    url, _ = served
    g = Gradio(url)
    long = "x" * 900_000  # just under the body limit: it reaches /decode's handler

    def echo():
        return g.call("decode", [long, 0.0, 0.0, 0])

    (kind, out), took, grown, probe = attack(url, echo)
    assert kind == "error"
    msg = out if isinstance(out, str) else (out or {}).get("error") or json.dumps(out)
    assert len(msg) < 400 and "x" * 100 not in msg, msg[:500]
    bounded(took, grown, probe)
    # over the limit, the body is refused outright, also with a short answer
    r = g.h.post("gradio_api/call/decode", json={"data": ["x" * 5_000_000, 0.0, 0.0, 0], "session_hash": g.session})
    assert r.status_code == 413 and len(r.text) < 400


# ---------------------------------------------------------------------------------------------------
# also low: protocol errors get a 4xx with a reason; messages carry no path and no exception class name


BAD_JOINS = [({"fn_index": 99_999}, "fn_index"), ({"fn_index": -1}, "fn_index"), ({"fn_index": True}, "fn_index"),
             ({"session_hash": ""}, "session_hash"), ({"session_hash": "x" * 10_000}, "session_hash"),
             ({"session_hash": "a\nb"}, "session_hash"), ({"session_hash": None}, "Session")]


@pytest.mark.parametrize("change,named", BAD_JOINS, ids=[f"{k}={str(v)[:12]!r}" for (c, _) in BAD_JOINS for k, v in c.items()])
def test_bad_protocol_fields_get_a_4xx_with_a_reason(served, change, named):
    url, _ = served
    body = {"data": [], "fn_index": 0, "session_hash": "abc", "event_data": None, "trigger_id": None, **change}
    r = httpx.post(f"{url}gradio_api/queue/join", json=body, timeout=30)
    assert 400 <= r.status_code < 500 and one_line(r.json()["detail"]) and named in r.json()["detail"], r.text
    assert "x" * 100 not in r.text


def test_bad_component_server_and_wrong_shapes_get_a_4xx_without_echo(served):
    url, _ = served
    h = httpx.Client(base_url=url, timeout=30)
    bad = [h.post("gradio_api/component_server/", json={"session_hash": "abc", "component_id": 10**6, "fn_name": "x",
                                                         "data": None}),
           h.post("gradio_api/component_server/", data={"session_hash": "abc", "component_id": "1000000", "fn_name": "x"},
                  files={"file": ("a", b"x")}),
           h.post("gradio_api/queue/join", json={"data": "y" * 500_000, "fn_index": "z" * 500_000, "session_hash": "abc"}),
           h.post("gradio_api/queue/join", content=b"{not json", headers={"content-type": "application/json"}),
           h.get("gradio_api/queue/data", params={"session_hash": ""}),  # Gradio raised inside the started stream
           h.post("gradio_api/call/no-such-endpoint", json={"data": []}),
           h.post("gradio_api/run/predict", json={"data": [], "fn_index": 10**6, "session_hash": "abc"})]
    for r in bad:
        assert 400 <= r.status_code < 500 and len(r.text) < 400, (r.status_code, r.text[:300])
        detail = r.json()["detail"]
        assert isinstance(detail, str) and one_line(detail) or isinstance(detail, list), r.text
    assert httpx.get(f"{url}config", timeout=30).status_code == 200  # still serving


def test_error_messages_carry_no_path_and_no_exception_class(served):
    url, _ = served
    g = Gradio(url)
    passwd = {"path": "/etc/passwd", "orig_name": "passwd", "meta": {"_type": "gradio.FileData"}}
    outs = [_sketch(g, {"background": None, "layers": [], "composite": passwd}),  # a file nobody uploaded
            g.event(g.fn_index("latent-upload", "upload"), [V, 0, passwd, True, None]),
            g.event(g.fn_index("latent-encode", "click"), [V, [1, 2], {"composite": 5}, True, None]),  # wrong types
            g.event(g.fn_index("train-start", "click"), ["vae", "mnist5k", [1], 1e-3, 16, 1.0, 1, 0, False])]
    for out in outs:
        msg = out["output"]["error"]
        assert not out["success"] and one_line(msg) and clean(msg), msg


# ---------------------------------------------------------------------------------------------------
# 7 (saves): no copy in Gradio's cache per save; two saves at once by one visitor both succeed


def _cached_checkpoints() -> set[Path]:
    from gradio.utils import get_upload_folder

    return set(Path(get_upload_folder()).rglob("*.safetensors"))


def test_saves_are_not_copied_into_the_cache_and_concurrent_saves_both_succeed(served):
    url, ctx = served
    g = Gradio(url)
    kind, status = g.call("train", ["vae", "mnist5k", 20, 1e-3, 16, 1.0, 1, 0, False, None, None])
    assert kind == "complete", status
    wait_until(lambda: g.call("status", [])[1][0]["state"] == "finished", timeout=120)
    save = g.fn_index("train-save", "click")
    before = _cached_checkpoints()

    def many_saves():
        outs = []
        for _ in range(10):  # two at once, ten times (the Save button runs two at a time)
            outs += g.results([g.join(save, []), g.join(save, [])])
        return outs

    outs, took, grown, probe = attack(url, many_saves)
    errors = [o["output"].get("error") for o in outs if not o["success"]]
    assert errors == [], errors
    files = [o["output"]["data"][0]["value"] for o in outs]
    paths = {Path(f["path"]) for f in files}
    assert all(train_actions.SAVE_ROOT in p.parents for p in paths)  # served from the visitor's save folder
    folder = train_actions.save_dir(g.session)
    assert [p.name for p in folder.iterdir()] == ["vae_mnist5k_step20.safetensors"]  # one file, no temp left
    assert _cached_checkpoints() - before == set()  # and no copy per save in Gradio's cache
    r = g.h.get(files[-1]["url"])
    assert r.status_code == 200 and len(r.content) == (folder / "vae_mnist5k_step20.safetensors").stat().st_size
    assert grown < MAX_MB and statistics.median(probe.ms) < PROBE_MS
