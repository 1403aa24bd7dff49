"""Launch the real app (build_demo + app.py's launch settings) on a free port; wait for a condition."""
from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable, Iterator

from genai_demo.training.runs import RunRegistry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(max_running: int = 1, max_steps: int = 5000, ctx=None) -> Iterator[tuple[str, object]]:
    """Yield (url, ctx) of a launched demo with its own run registry; close and free everything after."""
    from genai_demo.ui.app import build_demo, launch_kwargs  # gradio: imported only by the tests that serve
    from genai_demo.ui.context import UIContext

    ctx = ctx or UIContext(registry=RunRegistry(max_running=max_running, max_steps=max_steps))
    demo = build_demo(ctx)
    # _frontend=False skips launch()'s last check, one HEAD of the page with a 3 s timeout (gradio/blocks.py,
    # networking.url_ok): with both cores busy it times out and launch() raises "localhost is not accessible"
    # although the server is up (launch has already awaited its startup events with no timeout). Only that check.
    for attempt in range(3):  # another test process (pytest -n) may take the free port between the look and the bind
        port = free_port()
        try:
            demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True,
                        _frontend=False, **launch_kwargs())
            break
        except OSError:
            if attempt == 2:
                raise
    try:
        yield f"http://127.0.0.1:{port}/", ctx
    finally:
        demo.close()
        ctx.registry.shutdown()
        ctx.toys.shutdown()  # the 2-D GAN games' threads


def wait_until(fn: Callable, timeout: float = 60.0, every: float = 0.05, what: str | Callable[[], str] | None = None):
    """Poll fn every `every` s until it returns something truthy, and return that value; after `timeout` s fail
    with an AssertionError (so a forgotten `assert` cannot turn a timeout into a pass). `what` describes the
    condition in the failure message; a callable is evaluated at failure time (e.g. the count still held).

    Timeouts are generous on purpose: 2 shared cores can be slow, and a passing test never waits for them."""
    end = time.monotonic() + timeout
    while True:
        if value := fn():
            return value
        if time.monotonic() >= end:
            break
        time.sleep(every)
    message = what() if callable(what) else what or "condition"
    raise AssertionError(f"{message} (not met within {timeout:g} s)")


def settled(fn, quiet=0.3, timeout=10.0):
    """fn()'s value once it stopped changing for `quiet` seconds (a paused run finishes its step in flight)."""
    value, since, end = fn(), time.monotonic(), time.monotonic() + timeout
    while time.monotonic() < end:
        time.sleep(0.05)
        now = fn()
        if now != value:
            value, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return value
    raise AssertionError(f"value still changing after {timeout} s")
