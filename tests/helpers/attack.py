"""Test helpers for attacks on the launched app: Gradio's queue protocol by hand, as a script would speak it.

``call`` joins the queue (POST /gradio_api/queue/join) under any session hash and client address it likes
(``X-Forwarded-For``: the test client connects from 127.0.0.1, which uvicorn trusts as a proxy, so the header
sets ``request.client.host`` exactly as a real proxy in front of a Space would) and reads the event stream
(GET /gradio_api/queue/data) until the result. ``Probe`` is a normal visitor polling /status meanwhile,
``rss_mib`` the server's memory (the app runs in the test process). ``Gradio`` is one session speaking the protocol
(upload, join, the event stream, /call), ``clean`` checks a message shows no path and no exception class.
"""
from __future__ import annotations

import json
import re
import threading
import time
import uuid
from dataclasses import dataclass

import httpx


@dataclass
class Reply:
    ok: bool
    output: object  # the endpoint's return value (ok) or the error message shown to the visitor
    seconds: float
    http: int = 200  # a refusal before the queue (4xx / 5xx) has ok False and this code
    waited: float | None = None  # seconds until the job started running (None: it never did)
    began: float = 0.0  # time.perf_counter() when the call was made, and when it ended
    ended: float = 0.0

    @property
    def started(self) -> float | None:
        """time.perf_counter() when the job started running (None: it never did)."""
        return None if self.waited is None else self.began + self.waited


def fn_indices(url: str) -> dict[str, int]:
    """api_name → fn_index of every event with a backend function (private ones too: the page calls them)."""
    deps = httpx.get(f"{url}config", timeout=30).json()["dependencies"]
    return {d["api_name"]: d["id"] for d in deps if d.get("api_name")}


def new_session() -> str:
    return uuid.uuid4().hex[:11]


def call(url: str, fn_index: int, data: list, session: str | None = None, client: str | None = None,
         timeout: float = 120.0) -> Reply:
    """One event through the queue, start to finish; `client` is the address the server should see."""
    began = time.perf_counter()
    reply = _call(url, fn_index, data, session, client, timeout)
    reply.began, reply.ended = began, time.perf_counter()
    return reply


def _call(url: str, fn_index: int, data: list, session: str | None, client: str | None, timeout: float) -> Reply:
    session = session or new_session()
    headers = {"content-type": "application/json"} | ({"x-forwarded-for": client} if client else {})
    t0 = time.perf_counter()
    with httpx.Client(base_url=url, timeout=timeout, headers=headers) as h:
        body = {"data": data, "fn_index": fn_index, "session_hash": session, "event_data": None, "trigger_id": None}
        r = h.post("gradio_api/queue/join", content=json.dumps(body))
        if r.status_code != 200:
            return Reply(False, r.text, time.perf_counter() - t0, r.status_code)
        event, waited = r.json()["event_id"], None
        with h.stream("GET", "gradio_api/queue/data", params={"session_hash": session}) as s:
            for line in s.iter_lines():
                if not line.startswith("data:"):
                    continue
                msg = json.loads(line[5:])
                if msg.get("event_id") not in (None, event):
                    continue
                if msg.get("msg") == "process_starts" and waited is None:
                    waited = time.perf_counter() - t0
                if msg.get("msg") == "process_completed":
                    out = msg.get("output") or {}
                    if msg.get("success"):
                        data_out = out.get("data") or [None]
                        return Reply(True, data_out[0] if len(data_out) == 1 else data_out, time.perf_counter() - t0,
                                     waited=waited)
                    return Reply(False, out.get("error"), time.perf_counter() - t0, waited=waited)
                if msg.get("msg") == "unexpected_error":
                    return Reply(False, msg.get("message"), time.perf_counter() - t0)
    return Reply(False, "stream ended without a result", time.perf_counter() - t0)


class Probe:
    """A normal visitor (its own session and address) calling /status every `every` s until stopped."""

    def __init__(self, url: str, status_index: int, every: float = 0.1):
        self.url, self.index, self.every = url, status_index, every
        self.session, self.latencies, self.errors, self.alone = new_session(), [], [], float("nan")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        while not self._stop.is_set():
            r = call(self.url, self.index, [], self.session, client="100.64.2.77")
            (self.latencies if r.ok else self.errors).append(r.seconds if r.ok else r.output)
            self._stop.wait(self.every)

    def __enter__(self) -> Probe:
        # what one call takes on this machine, now, before the attack: the bound under attack is relative to it
        # (a shared 2-core CI machine with the other test worker busy can take 0.1-0.2 s for a lone call)
        alone = [call(self.url, self.index, [], self.session, client="100.64.2.77") for _ in range(5)]
        self.alone = sorted(r.seconds for r in alone)[2]
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)

    @property
    def worst(self) -> float:
        return max(self.latencies, default=float("inf"))


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def clean(msg: str) -> bool:
    """No server path, no exception class name."""
    return not re.search(r"(^|[\s(])/(tmp|etc|root|home|usr|work|proc)\b|\b[A-Z]\w*(Error|Exception)\b", msg)


class Gradio:
    """Gradio's protocol by hand, as a script speaks it: upload, queue/join, the queue's event stream."""

    def __init__(self, url: str, session: str | None = None):
        self.url, self.session = url, session or uuid.uuid4().hex[:11]
        self.h = httpx.Client(base_url=url, timeout=120)
        self.config = self.h.get("config").json()

    def fn_index(self, elem_id: str, event: str = "click") -> int:
        ids = [c["id"] for c in self.config["components"] if c.get("props", {}).get("elem_id") == elem_id]
        return next(d["id"] for d in self.config["dependencies"] if [ids[0], event] in d["targets"])

    def upload(self, name: str, data: bytes, mime: str = "image/png") -> dict:
        r = self.h.post("gradio_api/upload", files={"files": (name, data, mime)})
        r.raise_for_status()
        return {"path": r.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}

    def join(self, fn_index: int, data: list) -> str:
        r = self.h.post("gradio_api/queue/join", json={"data": data, "fn_index": fn_index, "session_hash": self.session,
                                                        "event_data": None, "trigger_id": None})
        r.raise_for_status()
        return r.json()["event_id"]

    def results(self, event_ids: list[str]) -> list[dict]:
        """Read the session's one event stream until these events complete: their process_completed messages."""
        done, end = {}, time.monotonic() + 120
        with self.h.stream("GET", "gradio_api/queue/data", params={"session_hash": self.session}) as s:
            for line in s.iter_lines():
                assert time.monotonic() < end, f"no result in 120 s: {done}"
                if line.startswith("data:"):
                    msg = json.loads(line[5:])
                    if msg.get("msg") == "process_completed" and msg.get("event_id") in event_ids:
                        done[msg["event_id"]] = msg
                        if len(done) == len(event_ids):
                            return [done[e] for e in event_ids]
        raise AssertionError("the stream ended before the events completed")

    def event(self, fn_index: int, data: list) -> dict:
        """Join the queue, read the stream until the event completes: its process_completed message."""
        return self.results([self.join(fn_index, data)])[0]

    def outcome(self, fn_index: int, data: list) -> tuple[bool, object]:
        """(success, output data or error message); a join refused at the door gives (False, its detail)."""
        try:
            msg = self.results([self.join(fn_index, data)])[0]
        except httpx.HTTPStatusError as e:
            return False, e.response.json().get("detail", e.response.text)
        out = msg.get("output") or {}
        return bool(msg.get("success")), out.get("data") if msg.get("success") else out.get("error")

    def call(self, api: str, data: list) -> tuple[str, object]:
        """The /call API (what curl users do): ("complete" | "error", payload)."""
        r = self.h.post(f"gradio_api/call/{api}", json={"data": data, "session_hash": self.session})
        r.raise_for_status()
        kind = None
        with self.h.stream("GET", f"gradio_api/call/{api}/{r.json()['event_id']}") as s:
            for line in s.iter_lines():
                if line.startswith("event:"):
                    kind = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    return kind, json.loads(line[5:])
        raise AssertionError("no result")
