"""Test helpers: launch the real app (build_demo + app.py's launch settings) on a free port; wait for a condition."""
from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

from genai_demo.training.runs import RunRegistry


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_app(max_running: int = 1, max_steps: int = 5000, ctx=None) -> Iterator[tuple[str, object]]:
    """Yield (url, ctx) of a launched demo with its own run registry; close and free everything after."""
    from genai_demo.ui.app import build_demo, launch_kwargs
    from genai_demo.ui.context import UIContext

    ctx = ctx or UIContext(registry=RunRegistry(max_running=max_running, max_steps=max_steps))
    demo = build_demo(ctx)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs())
    try:
        yield f"http://127.0.0.1:{port}/", ctx
    finally:
        demo.close()
        ctx.registry.shutdown()


def wait_until(fn, timeout: float = 60.0):
    """Poll fn until it returns something truthy (returned), or fail after timeout seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = fn()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
