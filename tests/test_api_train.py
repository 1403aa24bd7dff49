"""Train tab's public API through gradio_client against the launched app: two clients are two sessions, bad
parameters get a clear error, the tiny GPT trains on names. The handlers as plain functions: test_ui_train.py.
"""
from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import pytest  # noqa: E402

from tests.helpers import serve_app, settled, wait_until  # noqa: E402


@pytest.fixture(scope="module")
def served():
    with serve_app(max_running=1, max_steps=5000) as served:
        yield served


def client(url):
    from gradio_client import Client

    return Client(url, verbose=False, analytics_enabled=False)


def test_api_two_clients_are_two_sessions(served):
    from gradio_client.exceptions import AppError

    url, ctx = served
    a, b = client(url), client(url)
    s = a.predict(model="vae", data="mnist5k", steps=3000, batch_size=32, seed=1, api_name="/train")
    assert s["state"] in ("running", "queued") and s["run_id"]
    first = wait_until(lambda: (st := a.predict(api_name="/status"))["step"] > 0 and st)
    wait_until(lambda: a.predict(api_name="/status")["step"] > first["step"])
    assert b.predict(api_name="/status")["state"] == "none"  # B sees no run …
    with pytest.raises(AppError, match="no training run yet"):
        b.predict(api_name="/stop")  # … and cannot stop A's
    assert a.predict(api_name="/status")["state"] == "running"
    p = a.predict(api_name="/pause")
    assert p["state"] in ("running", "paused")
    wait_until(lambda: a.predict(api_name="/status")["state"] == "paused")
    at = settled(lambda: a.predict(api_name="/status")["step"])
    assert a.predict(n=5, api_name="/step")["run_id"] == s["run_id"]
    wait_until(lambda: a.predict(api_name="/status")["step"] == at + 5)
    assert a.predict(api_name="/resume")["state"] in ("running", "queued")
    assert a.predict(api_name="/stop")["state"] == "stopped"


@pytest.mark.parametrize("kwargs, message", [
    ({"lr": -1.0}, "learning rate must be between"),
    ({"batch_size": 0}, "batch size must be between"),
    ({"steps": "ten"}, "steps must be a whole number"),
    ({"model": 3}, "model and data must be names"),
    ({"model": "gan", "d_steps": 2.5}, "D:G ratio must be a whole number"),
    ({"model": "charlm", "data": "mnist5k"}, "learns from text"),
    ({"model": "vae", "data": "names"}, "learns from images"),
])
def test_api_bad_parameters_give_a_clear_error(served, kwargs, message):
    from gradio_client.exceptions import AppError

    c = client(served[0])
    with pytest.raises(AppError, match=message):
        c.predict(**{"model": "vae", "steps": 100, **kwargs}, api_name="/train")
    assert c.predict(api_name="/status")["state"] == "none"  # and the server is fine



def test_api_trains_the_tiny_gpt_on_names(served):
    c = client(served[0])
    s = c.predict(model="charlm", data="names", steps=20, batch_size=32, seed=2, api_name="/train")
    assert s["model"] == "charlm" and s["data"] == "names" and s["state"] in ("running", "queued")
    st = wait_until(lambda: (v := c.predict(api_name="/status"))["state"] == "finished" and v, timeout=60)
    assert st["step"] == 20 and set(st["metrics"]) == {"loss", "bpc"} and set(st["held_out"]) == {"val_loss", "val_bpc"}

