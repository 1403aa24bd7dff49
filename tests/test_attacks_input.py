"""What one hostile request can carry, sent the way a script would (issue 11, part D): raw HTTP to the launched
app — events to /gradio_api/queue/join read back from the queue's event stream, raw sockets for huge bodies.

Every attack must be refused or bounded with a one-line reason within 1 s, the server's memory (it runs in this
process) must not grow by 100 MB, and a normal visitor polling /status meanwhile must keep being answered fast
(tests/helpers/bounds.py). Attacks: request bodies of 200 MB (declared and streamed); a long value echoed back;
protocol fields that name nothing; paths and exception class names in messages; saves that filled Gradio's cache,
and two saves at once. Image bombs: test_attacks_bombs.py.
"""
from __future__ import annotations

import json
import os
import socket
import statistics
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import httpx  # noqa: E402
import pytest  # noqa: E402

from genai_demo.ui import saves  # noqa: E402
from tests.helpers import serve_app, wait_until  # noqa: E402
from tests.helpers.attack import Gradio, clean  # noqa: E402
from tests.helpers.bounds import MAX_MB, PROBE_MS, V, attack, bounded, one_line  # noqa: E402
from tests.helpers.bounds import encode_drawing as _sketch  # noqa: E402


@pytest.fixture(scope="module")
def served():
    with serve_app(max_running=1, max_steps=5000) as (url, ctx):
        yield url, ctx


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

    outs, _, grown, probe = attack(url, many_saves, tries=1)  # 20 saves: their time is not a bound
    errors = [o["output"].get("error") for o in outs if not o["success"]]
    assert errors == [], errors
    files = [o["output"]["data"][0]["value"] for o in outs]
    paths = {Path(f["path"]) for f in files}
    assert all(saves.SAVE_ROOT in p.parents for p in paths)  # served from the visitor's save folder
    folder = saves.save_dir(g.session)
    assert [p.name for p in folder.iterdir()] == ["vae_mnist5k_step20.safetensors"]  # one file, no temp left
    assert _cached_checkpoints() - before == set()  # and no copy per save in Gradio's cache
    r = g.h.get(files[-1]["url"])
    assert r.status_code == 200 and len(r.content) == (folder / "vae_mnist5k_step20.safetensors").stat().st_size
    assert grown < MAX_MB and statistics.median(probe.ms) < PROBE_MS


# ---------------------------------------------------------------------------------------------------
# the Train tab's quality timer: its own pace as an input


@pytest.mark.parametrize("pace", ["x", None, [1], {"a": 1}, True, -1, 1e308, "x" * 500_000, 6.0], ids=lambda p: str(p)[:8])
def test_the_quality_timer_takes_any_pace_and_slows_down_with_nothing_to_measure(served, pace):
    """A fresh session has no run: the card cannot change without an event, so the answer sets the idle pace (a
    script's odd value included); None leaves the timer alone. Never a crash."""
    from genai_demo.ui.train_quality import IDLE_EVERY_S

    url, _ = served
    g = Gradio(url)
    comps = {c["id"]: c.get("props", {}).get("elem_id") for c in g.config["components"]}
    found = [d["id"] for d in g.config["dependencies"] if d["targets"] and d["targets"][0][1] == "tick"
             and "train-quality" in [comps.get(o) for o in d["outputs"]]]
    assert len(found) == 1, found
    ok, out = g.outcome(found[0], [None, pace])  # the card's view (a gr.State: held by the server), the pace
    want = {"__type__": "update"} if pace is None else {"value": IDLE_EVERY_S, "__type__": "update"}
    assert ok and out[-1] == want, out
