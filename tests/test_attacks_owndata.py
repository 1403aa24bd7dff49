"""Hostile own-data uploads sent the way a script would: files to /gradio_api/upload, the section's events to
/gradio_api/queue/join, read back from the queue's event stream, against the launched app.

Each must end in a one-line message (no path, no exception class name) within a few seconds, with the server's
memory (it runs in this process) bounded, nothing written by name from an archive, and another visitor's handle
refused by the /train API.
"""
from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402

from genai_demo.data import own_store  # noqa: E402
from genai_demo.i18n import t  # noqa: E402
from tests.helpers import serve_app  # noqa: E402
from tests.helpers.attack import Gradio  # noqa: E402
from tests.helpers.own_files import huge_png, pngs, zip_bomb, zip_of  # noqa: E402

MAX_S, MAX_MB = 5.0, 100  # refused within 5 s (the 2 cores are shared), the server's memory grows < 100 MB


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def one_line_and_clean(msg) -> bool:
    return (isinstance(msg, str) and 0 < len(msg) < 300 and "\n" not in msg and "Traceback" not in msg
            and not re.search(r"(^|[\s(])/(tmp|etc|root|home|usr|work|proc)\b|\b[A-Z]\w*(Error|Exception)\b", msg))


class Client(Gradio):
    """One session speaking Gradio's protocol (tests/helpers/attack.py) to the own-data section's events."""

    def __init__(self, url: str, session: str):
        super().__init__(url, session)

    def upload(self, name: str, data: bytes) -> dict:
        return super().upload(name, data, "application/octet-stream")

    def event(self, fn_index: int, data: list) -> tuple[bool, object]:
        return self.outcome(fn_index, data)

    def images(self, uploads: list[dict] | object, crop=True, invert="auto", threshold=0.0, model="vae"):
        return self.event(self.fn_index("own-images-go"), [uploads, crop, invert, threshold, model])

    def text(self, pasted, upload=None, model="charlm"):
        return self.event(self.fn_index("own-text-go"), [pasted, upload, model])


@pytest.fixture(scope="module")
def served():
    with serve_app(max_running=1, max_steps=5000) as (url, ctx):
        yield url, ctx


def refused(call, message: str | None = None) -> str:
    before, t0 = rss_mb(), time.perf_counter()
    ok, out = call()
    took, grown = time.perf_counter() - t0, rss_mb() - before
    print(f"refused in {took * 1000:.0f} ms, RSS +{grown:.0f} MB: {out}")
    assert not ok, out
    assert one_line_and_clean(out), out
    assert took < MAX_S and grown < MAX_MB, (took, grown)
    if message is not None:
        assert out == message
    return out


def test_a_normal_upload_works_and_archive_names_are_never_paths(served):
    url, _ = served
    c = Client(url, "own-alice")
    evil = [(f"../../../../tmp/owndata-evil-{i}.png", d) for i, (_, d) in enumerate(pngs(24))]
    ok, out = c.images([c.upload("pics.zip", zip_of(evil))])
    assert ok, out
    assert not list(Path(tempfile.gettempdir()).glob("owndata-evil-*")) and not list(Path.cwd().glob("**/owndata-evil-*"))
    name = own_store.STORE.names("own-alice")[0]
    assert own_store.STORE.get(name).count == 24


@pytest.mark.parametrize("case", ["bomb", "nested", "not_image", "pixel_bomb", "too_many", "too_few", "gzip"])
def test_hostile_image_uploads_get_one_line(served, case):
    url, _ = served
    c = Client(url, f"own-{case}")
    files = {
        "bomb": [("bomb.zip", zip_bomb(200))],
        "nested": [("n.zip", zip_of(pngs(20) + [("inner.zip", zip_of(pngs(3)))]))],
        "not_image": [(n, d) for n, d in pngs(20)] + [("x.png", b"#!/bin/sh\necho not an image\n")],
        "pixel_bomb": [(n, d) for n, d in pngs(19)] + [("big.png", huge_png(9_400, 9_400))],
        "too_many": [("many.zip", zip_of([(f"{i}.png", b"\x89PNG") for i in range(2_001)]))],
        "too_few": pngs(3),
        "gzip": [("a.tar.gz", b"\x1f\x8b\x08\x00" + bytes(100))],
    }[case]
    expected = {"bomb": t("own_err_bomb"), "nested": t("own_err_nested", name="inner.zip"),
                "not_image": t("own_err_not_image", name="x.png"), "too_few": t("own_err_too_few", n=3, min=20),
                "too_many": t("own_err_too_many", n="2,001", max="2,000")}  # a .tar.gz: Gradio's own file-type check refuses it first
    uploads = [c.upload(n, d) for n, d in files]
    refused(lambda: c.images(uploads), expected.get(case))
    assert own_store.STORE.names(c.session) == []


@pytest.mark.parametrize("values", [
    ["not a list of files", True, "auto", 0.0, "vae"],
    [[{"path": "/etc/passwd", "meta": {"_type": "gradio.FileData"}}], True, "auto", 0.0, "vae"],
    [None, True, "auto", 0.0, "vae"],
    [[], "yes", "sideways", 1e308, "vae"],
    [[], True, "auto", 0.0, {"model": ["vae"]}],
])
def test_garbage_values_are_refused(served, values):
    url, _ = served
    c = Client(url, "own-garbage")
    refused(lambda: c.event(c.fn_index("own-images-go"), values))


def test_hostile_text(served):
    url, _ = served
    c = Client(url, "own-text")
    refused(lambda: c.text(None, c.upload("a.txt", b"\xff\xfe\xfa not utf-8" * 50)), t("own_err_text_utf8"))
    refused(lambda: c.text(None, c.upload("a.txt", bytes(range(256)) * 100)))  # binary
    refused(lambda: c.text(None, c.upload("a.txt", b"x" * 1_500_000)), t("own_err_text_big", max="1,000,000"))
    ok, out = c.text("\x00" * 10 + "\n".join(["spam"] * 50))
    assert not ok and one_line_and_clean(out)
    refused(lambda: c.text(["not", "text"]))
    refused(lambda: c.text("中" * 400_000))  # 1.2 MB of UTF-8 in the JSON body: the front door refuses it (413)
    assert own_store.STORE.names(c.session) == []


def test_another_visitors_handle_is_refused_by_the_train_api(served):
    url, _ = served
    alice, mallory = Client(url, "own-alice2"), Client(url, "own-mallory")
    ok, out = alice.text("\n".join(f"secret line {i}" for i in range(60)))
    assert ok, out
    handle = own_store.STORE.names("own-alice2")[0]
    form = ["charlm", handle, 5, None, 32, 1.0, 1, 0, False, None, None]  # model, data, steps, lr, batch, β, D:G, seed,
    # full size, preset, nickname
    r = mallory.h.post("gradio_api/call/train", json={"data": form, "session_hash": mallory.session})
    r.raise_for_status()
    with mallory.h.stream("GET", f"gradio_api/call/train/{r.json()['event_id']}") as s:
        lines = [line for line in s.iter_lines() if line.startswith(("event:", "data:"))]
    assert "event: error" in lines and "own data set is gone" in lines[-1] and "secret" not in lines[-1]
