"""Bad input through the app: hyper-parameters of the wrong type or out of range sent to the Train handlers,
the Latent explorer / GAN studio / Next token handlers, and the same barrage through a launched server
(gradio_client and raw HTTP with NaN / Infinity). Each is refused with a clear one-line error; nothing escapes
the server and a normal request still works afterwards. Engine-level cases: test_bad_input.py.
"""
from __future__ import annotations

import json
import math
import random
import re
import time

import gradio as gr
import pytest

from genai_demo.models import build
from genai_demo.training.checkpoints import save_checkpoint
from genai_demo.training.runs import RunRegistry
from tests.helpers import serve_app, write_tiny_checkpoints
from tests.helpers.bad_inputs import CKPT_CASES, IMAGE_CASES, MARKER, digit_png, one_line

# ---------------------------------------------------------------------------------------------------
# hyper-parameters through the Train handlers (plain methods; the same ones the API endpoints call)

GOOD = {"model": "vae", "data": "mnist5k", "steps": 20, "lr": 1e-3, "batch_size": 16, "beta": 1.0, "d_steps": 1, "seed": 0}
WRONG_TYPE = ["abc", "", None, [], {}, [1], {"a": 1}, b"1", float("nan"), float("inf"), -float("inf")]
BAD = {
    "model": ["VAE", "gan ", "../../etc/passwd", "charlm", "classifier", "tiny", 0, True, "vae\0"],
    "data": ["mnist60k", "../data", "FASHION", "text", 5, "mnist5k "],
    "steps": [0, -5, 10**12, 20_001, 1.5, "100", True, 1e30, -1e30],
    "lr": [0, -1e-3, 1e6, 0.11, "1e-3", 1e-9, 1e30, True],
    "batch_size": [0, -1, 1025, 10**9, 1.5, "64", 1e30],
    "beta": [-0.1, 21, "1", 1e30, -1e30],
    "d_steps": [0, 11, 1.5, -1, 1e30],
    "seed": [-1, 2**31, 1.5, "0", 1e30],
}
HYPER_CASES = [(f, v) for f, vs in BAD.items() for v in vs] + [
    # None: the default
    (f, v) for f in BAD for v in WRONG_TYPE if not (f in ("lr", "data", "batch_size", "beta", "d_steps") and v is None)
]


class Req:
    def __init__(self, sid: str):
        self.session_hash = sid


@pytest.fixture(scope="module")
def actions():
    from genai_demo.ui.context import UIContext
    from genai_demo.ui.train_actions import TrainActions

    ctx = UIContext(RunRegistry(max_running=1, max_steps=20_000))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


@pytest.mark.parametrize("field,value", HYPER_CASES, ids=[f"{f}={v!r}"[:40] for f, v in HYPER_CASES])
def test_bad_hyper_parameter_is_refused_clearly(field, value, actions):
    sid = f"bad-{field}-{value!r}"
    with pytest.raises(gr.Error) as e:
        actions.train(**dict(GOOD, **{field: value}), request=Req(sid))
    assert one_line(e.value.message) and e.value.message.startswith("Cannot start"), e.value.message
    assert actions.ctx.registry.runs(sid) == []  # nothing was created


STEP_CASES = [0, -1, 1001, 10**12, 1.5, "3", None, float("nan"), float("inf"), True, [], {}]


def test_bad_controls_and_then_a_normal_run_still_works(actions):
    reg = actions.ctx.registry
    with pytest.raises(gr.Error, match="no training run yet"):
        actions.pause(request=Req("nobody"))
    d = actions.train(**GOOD, request=Req("alice"))
    assert d["state"] in ("running", "queued", "finished") and d["model"] == "vae"
    before = reg.get("alice")
    for n in STEP_CASES:
        with pytest.raises(gr.Error) as e:
            actions.step(n, request=Req("alice"))
        assert one_line(e.value.message), n
    for bad_request in (None, Req(""), Req(None)):
        with pytest.raises(gr.Error, match="session"):
            actions.status(request=bad_request)
    end = time.monotonic() + 120  # polling also schedules: a queued run starts when a slot frees
    while (d := actions.status(request=Req("alice")))["state"] != "finished" and time.monotonic() < end:
        time.sleep(0.1)
    assert d["state"] == "finished" and d["step"] == GOOD["steps"] and d["error"] is None
    # the registry holds alice's one run and nothing from the barrage
    assert [r.id for r in reg.runs("alice")] == [before.id] and reg.running_count() == 0 and reg.sessions() == 1
    assert not MARKER.exists()


# ---------------------------------------------------------------------------------------------------
# the Latent explorer and GAN studio handlers (the "decode" and "sample" API endpoints and their buttons)

NAN, INF = float("nan"), float("inf")
V, CV, G, CG = "pretrained:bad_vae", "pretrained:bad_cvae", "pretrained:bad_gan", "pretrained:bad_cgan"
T = "pretrained:bad_charlm"
BAD_KEYS = [None, "", 5, [], {}, "bogus", "pretrained:", "pretrained:nope", "pretrained:../bad_vae", "pretrained:/etc/passwd",
            "pretrained:.hidden", "pretrained:bad\0vae", "run:", "run:r1", "run:../x"]
BAD_NUMBERS = ["abc", "", None, [], {}, NAN, INF, -INF, 1e30, -1e30]
# (handler, args, must fail): "decode"/"map" take (key, z1, z2, digit); "sample" (key, n, seed, label);
# "walk" (key, seed_a, seed_b, steps, mode, label); "interpolate" (key, digit, steps); "encode" (key, digit, image)
HANDLER_CASES = (
    [("decode", (k, 0.0, 0.0, 0), True) for k in BAD_KEYS + [G]]
    + [("decode", (V, z, 0.0, 0), True) for z in BAD_NUMBERS + [4.01, -5]]
    + [("decode", (CV, 0.0, 0.0, d), True) for d in [-1, 10, 99, "x", None, NAN, INF, -INF, 1e30, [], {}]]
    + [("map", (V, 0.0, z, 0), True) for z in BAD_NUMBERS]
    + [("sample", (k, 16, 0, "random"), True) for k in BAD_KEYS]
    + [("sample", (G, n, 0, "random"), True) for n in BAD_NUMBERS + [0, 15, 101, 10**9, 1.5, True, "16"]]
    + [("sample", (G, 16, s, "random"), True) for s in BAD_NUMBERS + [-1, 2**31, 2**63, 1.5]]
    + [("sample", (CG, 16, 0, c), True) for c in ["bogus", -1, 10, 99, NAN, INF, 1e30, [], {}]]
    + [("walk", (G, 0, 1, st, "lerp", "random"), True) for st in BAD_NUMBERS + [1, 33, 10**9]]
    + [("walk", (G, 0, 1, 8, m, "random"), True) for m in ["bogus", None, "", 5, "LERP"]]
    + [("walk", (G, a, 1, 8, "slerp", "random"), True) for a in [NAN, INF, -1, "x", None]]
    + [("interpolate", (V, 0, st), True) for st in BAD_NUMBERS + [0, 1, 10**9]]
    + [("encode", (V, 0, value), expect not in ("ok", "maybe")) for name, value, expect in IMAGE_CASES
       if not isinstance(value, str)]  # paths never reach this handler: Gradio hands it arrays or its own files
    # the Next-token tab: (key, prompt, temperature, top_k, seed, max_new)
    + [("generate", (k, "Ma", 1.0, 0, 0, 5), True) for k in BAD_KEYS + [V]]
    + [("generate", (T, "Ma", t, 0, 0, 5), True) for t in BAD_NUMBERS + [-0.1, 5.1]]
    + [("generate", (T, "Ma", 1.0, k, 0, 5), True) for k in BAD_NUMBERS + [-1, 1.5, 10**6]]
    + [("generate", (T, "Ma", 1.0, 0, s, 5), True) for s in BAD_NUMBERS + [-1, 2**40, 1.5]]
    + [("generate", (T, "Ma", 1.0, 0, 0, m), True) for m in BAD_NUMBERS + [0, 10**6, 1.5]]
    + [("generate", (T, p, 1.0, 0, 0, 5), True) for p in ["M" * 100_000, "€uro", "a\0b", "🙂", "<script>", [1], {"a": 1}]]
    + [("next_token", (T, "Ma", t, 0, 0), True) for t in (NAN, INF, -1, "x")]
)


@pytest.fixture(scope="module")
def tabs(tmp_path_factory):
    """Latent / GAN / Next-token handlers on small untrained checkpoints (shapes are all these checks need)."""
    from genai_demo.data.text import corpus_vocab
    from genai_demo.ui.context import UIContext
    from genai_demo.ui.gan_tab import GanActions
    from genai_demo.ui.latent_tab import LatentActions
    from genai_demo.ui.text_tab import TextActions

    d = tmp_path_factory.mktemp("tab_ckpts")
    write_tiny_checkpoints(d, "bad")
    charlm = build("charlm", {"vocab": corpus_vocab("names"), "n_layer": 1, "n_embd": 16, "n_head": 2}).eval()
    save_checkpoint(d / "bad_charlm.safetensors", charlm, {"data": "names", "steps": 0})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_DEMO_CHECKPOINTS", str(d))
        ctx = UIContext(RunRegistry(max_running=1))
        yield LatentActions(ctx), GanActions(ctx), TextActions(ctx, delay=0)
        ctx.registry.shutdown()


def _call(tabs, name, args):
    latent, gan, text = tabs
    r = Req("tab-visitor")
    pts = {"a": [0.0, 0.0], "b": [1.0, 1.0], "drawn": None}
    if name == "decode":
        return latent.decode(*args, request=r)
    if name == "map":
        return latent.map_image(*args, True, pts, request=r)
    if name == "sample":
        return gan.sample(*args, request=r)
    if name == "walk":
        return gan.walk(*args, request=r)
    if name == "interpolate":
        return latent.interpolate(*args, pts, request=r)
    if name == "generate":
        return list(text.generate(*args, request=r))  # a stream: run it to the end
    if name == "next_token":
        return text.next_token(*args, request=r)
    return latent.encode(*args, True, pts, request=r)


@pytest.mark.parametrize("name,args,must_fail", HANDLER_CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(HANDLER_CASES)])
def test_bad_tab_input_is_refused_clearly(name, args, must_fail, tabs):
    try:
        _call(tabs, name, args)
    except gr.Error as e:
        assert one_line(e.message), e.message
    else:
        assert not must_fail, f"{name}{args!r} was accepted"
    assert not MARKER.exists()


def test_the_tabs_still_work_after_the_barrage(tabs):
    assert _call(tabs, "decode", (V, 0.5, -0.5, 0)).shape == (224, 224)
    assert _call(tabs, "sample", (CG, 16, 3, "rows")).ndim == 2
    assert len(_call(tabs, "encode", (V, 0, digit_png()))) == 6
    assert len(_call(tabs, "generate", (T, "Ma", 1.0, 0, 3, 4))) == 5


# ---------------------------------------------------------------------------------------------------
# the same barrage from outside: gradio_client, and plain HTTP for what gradio_client refuses to send (NaN, inf)

_arng = random.Random(11)
API_CASES = (
    [("/train", (), dict(GOOD, **{f: v})) for f, v in _arng.sample(HYPER_CASES, 40)
     if not (isinstance(v, float) and not math.isfinite(v)) and not isinstance(v, bytes)]
    + [("/step", (n,), {}) for n in (0, -1, 1001, 1.5, "3", None, True, [], {})]
    + [("/decode", (k, 0.0, 0.0, 0), {}) for k in (None, "", "bogus", "pretrained:../x", "run:r1", G)]
    + [("/decode", (V, z, 0.0, 0), {}) for z in (5.0, -4.5, "abc", None)] + [("/decode", (CV, 0.0, 0.0, 99), {})]
    + [("/sample", (G, n, 0, "random"), {}) for n in (0, 101, "x", None)]
    + [("/sample", (G, 16, s, "random"), {}) for s in (-1, 2**40, "x")] + [("/sample", (CG, 16, 0, "99"), {})]
    + [("/stop", (), {}), ("/pause", (), {}), ("/resume", (), {})]  # this visitor has no run
)
RAW_CASES = [  # (api, data): JSON with NaN / Infinity literals, as a hand-written client could send
    ("train", ["vae", "mnist5k", NAN, 1e-3, 16, 1.0, 1, 0, False, None, None]),
    ("train", ["vae", "mnist5k", 20, INF, 16, 1.0, 1, 0, False, None, None]),
    ("train", ["vae", "mnist5k", 20, 1e-3, NAN, 1.0, 1, 0, False, None, None]),
    ("train", ["vae", "mnist5k", 20, 1e-3, 16, -INF, 1, 0, False, None, None]),
    ("train", ["vae", "mnist5k", 20, 1e-3, 16, 1.0, 1, NAN, False, None, None]), ("step", [NAN]), ("step", [INF]),
    ("decode", [V, NAN, 0.0, 0]), ("decode", [V, 0.0, INF, 0]), ("sample", [G, NAN, 0, "random"]),
    ("sample", [G, 16, NAN, "random"]), ("sample", [G, 16, INF, "random"]), ("sample", [CG, 16, 0, NAN]),
]


@pytest.fixture(scope="module")
def server(tabs):
    with serve_app(max_running=1, max_steps=20_000) as served:
        yield served


def final_exceptions(log: str) -> list[str]:
    """The last line of every traceback printed in a log (for a chained one, the exception finally raised)."""
    finals, last, lines = [], None, log.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last):"):
            before = next((x for x in reversed(lines[:i]) if x.strip()), "")
            if last and not before.startswith(("The above exception", "During handling")):
                finals.append(last)
                last = None
        elif re.match(r"^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt)\b", line):
            last = line
    return finals + ([last] if last else [])


def _raw_call(url: str, api: str, data: list, session: str) -> str:
    """Gradio's plain HTTP API: POST the inputs, read the event stream; returns the event type."""
    import httpx

    with httpx.Client(base_url=url, timeout=60) as h:
        body = json.dumps({"data": data, "session_hash": session})  # allow_nan: NaN / Infinity literals
        r = h.post(f"gradio_api/call/{api}", content=body, headers={"content-type": "application/json"})
        if r.status_code >= 400:
            return f"http {r.status_code}"
        with h.stream("GET", f"gradio_api/call/{api}/{r.json()['event_id']}") as s:
            for line in s.iter_lines():
                if line.startswith("event:") and line.split(":", 1)[1].strip() in ("complete", "error"):
                    return line.split(":", 1)[1].strip()
    return "no event"


def test_bad_input_through_the_api_is_refused_clearly(server, capfd):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    url, ctx = server
    c = Client(url, verbose=False, analytics_enabled=False)
    accepted = []
    for api, args, kwargs in API_CASES:
        try:
            c.predict(*args, **kwargs, api_name=api)
            accepted.append((api, args, kwargs))
        except AppError as e:  # ours are one line; Gradio's own input checks ("Could not preprocess …") take a few
            assert str(e) and "Traceback" not in str(e) and len(str(e)) < 800, str(e)
    assert accepted == []
    raw = [(api, data, _raw_call(url, api, data, "raw-visitor")) for api, data in RAW_CASES]
    assert [r for r in raw if r[2] == "complete"] == []  # every one refused (an error event or a 4xx)
    assert ctx.registry.runs(c.session_hash) == [] and ctx.registry.runs("raw-visitor") == []
    # nothing but gr.Error (ours, or Gradio's own input checks) came out of a handler: anything else is a crash
    crashes = [e for e in final_exceptions(capfd.readouterr().err) if not e.startswith("gradio.exceptions.")]
    assert crashes == [], "\n".join(crashes)
    # and the app still works for this very visitor
    c.predict(model="vae", data="mnist5k", steps=20, batch_size=16, api_name="/train")
    end = time.monotonic() + 120
    while (s := c.predict(api_name="/status"))["state"] != "finished" and time.monotonic() < end:
        time.sleep(0.2)
    assert (s["state"], s["step"], s["error"]) == ("finished", 20, None)
    assert c.predict(V, 0.5, -0.5, 0, api_name="/decode")
    assert [r.session for rs in [ctx.registry.runs(c.session_hash)] for r in rs] == [c.session_hash]


def test_uploads_over_the_size_limit_are_refused_by_the_server(server):
    import httpx

    url, _ = server
    small = httpx.post(f"{url}gradio_api/upload", files={"files": ("ok.png", digit_png(), "image/png")}, timeout=60)
    big = httpx.post(f"{url}gradio_api/upload", files={"files": ("big.png", b"\0" * (12 * 2**20), "image/png")}, timeout=60)  # > 10 MB
    assert small.status_code == 200 and big.status_code == 413 and "maximum allowed size" in big.text


def test_case_count():
    n = len(CKPT_CASES) + len(IMAGE_CASES) + len(HYPER_CASES) + len(STEP_CASES) + len(HANDLER_CASES) + len(API_CASES) + len(RAW_CASES)
    assert n >= 200, n
