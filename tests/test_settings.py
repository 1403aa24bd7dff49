"""One table of limits (training/settings.py): the same bad value gets the same sentence from the Train tab's
handler, the /train API (gradio_client), the CLI and a mid-run change; the widgets' bounds are that table's."""
from __future__ import annotations

import os
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pytest  # noqa: E402

from genai_demo import train  # noqa: E402
from genai_demo.models import family  # noqa: E402
from genai_demo.training.checkpoints import load_checkpoint  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.settings import LIMITS, check, checked  # noqa: E402
from genai_demo.training.trainer import RunConfig, Trainer  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from tests.helpers import Tiny, TinyData, serve_app, wait_until

ALICE = SimpleNamespace(session_hash="alice")
# out of range or of the wrong kind for the app and for the CLI alike (values the CLI can type)
BAD = [("lr", 0.5), ("lr", -1), ("lr", 1e-9), ("batch_size", 0), ("batch_size", 12.5), ("beta", 25.0),
       ("beta", -0.5), ("d_steps", 11), ("d_steps", 1.5), ("seed", -3)]


@pytest.fixture
def actions():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=20_000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


def sentence(name, value) -> str:
    with pytest.raises(ValueError) as e:
        check(name, value)
    return str(e.value)


def cli_error(capsys, args) -> str:
    with pytest.raises(SystemExit) as e:
        train.parse_args(["--model", "gan", "--out", "x.safetensors", *args])
    assert e.value.code == 2
    return capsys.readouterr().err.strip().splitlines()[-1]


@pytest.mark.parametrize("name, value", BAD)
def test_the_same_bad_value_gets_the_same_sentence_in_the_ui_the_cli_and_mid_run(actions, capsys, name, value):
    said = sentence(name, value)
    assert said.startswith(LIMITS[name].label) and "\n" not in said
    with pytest.raises(gr.Error) as ui:
        actions.train(**{"model": "gan", "steps": 50, name: value}, request=ALICE)
    assert ui.value.message == f"Cannot start: {said}"
    option = f"--{name.replace('_', '-')}"
    assert cli_error(capsys, [option, str(value)]) == f"python -m genai_demo.train: error: {said}"
    if name == "seed":
        return  # not a hyper-parameter: it cannot change mid-run
    t = Trainer(RunConfig(kind="tiny", steps=10, device="cpu"), TinyData(), model=Tiny())
    with pytest.raises(ValueError) as mid:
        t.set_hyper(**{name: value})
    assert str(mid.value) == said
    kind = "vae" if name == "beta" else "gan"  # a run whose family has that knob (others ignore it)
    actions.train(kind, "mnist5k", 2000, None, 32, 1.0, 1, 0, False, request=ALICE)
    actions.pause(ALICE)
    with pytest.raises(gr.Error) as knob:  # the Train tab's field edited while the run is paused
        actions.set_hyper(name, value, ALICE)
    assert knob.value.message == said
    actions.stop(ALICE)


def test_the_api_says_the_same_sentence():
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    with serve_app(max_running=1, max_steps=5000) as (url, _):
        c = Client(url, verbose=False, analytics_enabled=False)
        for name, value in BAD[:6]:
            with pytest.raises(AppError) as e:
                c.predict(model="gan", steps=50, **{name: value}, api_name="/train")
            assert str(e.value).endswith(f"Cannot start: {sentence(name, value)}"), str(e.value)
        assert c.predict(api_name="/status")["state"] == "none"


def test_steps_have_one_limit_with_a_cap_per_entry_point(actions, capsys):
    """The app caps runs at its registry's max_steps; the CLI may run 1,000,000 steps offline, no more."""
    with pytest.raises(gr.Error, match="steps must be between 1 and 20,000, got 20001"):
        actions.train("vae", "mnist5k", 20_001, request=ALICE)
    assert train.parse_args(["--model", "vae", "--steps", "20001", "--out", "x"]).settings.steps == 20_001
    assert cli_error(capsys, ["--steps", "1000001"]).endswith("steps must be between 1 and 1,000,000, got 1e+06")
    assert checked({"model": "vae", "steps": 5000}, max_steps=5000).steps == 5000
    with pytest.raises(ValueError, match="steps must be between 1 and 4,999, got 5000"):
        checked({"model": "vae", "steps": 5000}, max_steps=4999)


def test_missing_settings_take_the_familys_defaults():
    for kind in ("vae", "dcgan", "charlm"):
        s = checked({"model": kind})
        spec = family(kind)
        assert (s.data, s.steps, s.hp.lr, s.hp.batch_size, s.seed) == (spec.data, spec.steps, spec.lr, spec.batch_size, 0)
    assert checked({"model": "dcgan"}).model_config == dict(family("dcgan").light)  # the app's light preset …
    assert checked({"model": "dcgan"}, offline=True).model_config is None  # … the CLI's full size
    assert checked({"model": "charlm", "data": None, "lr": None}).data == "names"  # the API's None = default


def test_cli_data_and_lr_follow_the_model(tmp_path):
    a = train.parse_args(["--model", "charlm", "--steps", "50", "--out", "x.safetensors"])
    assert (a.settings.data, a.settings.hp.lr, a.settings.steps) == ("names", family("charlm").lr, 50)
    assert train.parse_args(["--model", "gan", "--out", "x"]).settings.hp.lr == family("gan").lr == 2e-4
    out = tmp_path / "tiny_gpt.safetensors"  # the command, with a smaller model so it takes a second
    assert train.main(["--model", "charlm", "--steps", "5", "--config", '{"n_layer": 1, "n_embd": 16}',
                       "--out", str(out)]) == 0
    _, header = load_checkpoint(out, expected_kind="charlm")
    assert header["meta"]["data"] == "names" and header["meta"]["hyper"]["lr"] == family("charlm").lr


def test_the_train_tabs_widgets_use_the_same_limits():
    from genai_demo.ui.train_tab import build

    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=7000))
    try:
        with gr.Blocks() as demo:
            build(ctx)
        by_id = {b.elem_id: b for b in demo.blocks.values() if getattr(b, "elem_id", None)}
        for elem, name in (("train-lr", "lr"), ("train-batch", "batch_size"), ("train-beta", "beta"),
                           ("train-dsteps", "d_steps"), ("train-seed", "seed")):
            assert (by_id[elem].minimum, by_id[elem].maximum) == (LIMITS[name].low, LIMITS[name].high), elem
        assert (by_id["train-steps"].minimum, by_id["train-steps"].maximum) == (1, 7000)  # the registry's cap
    finally:
        ctx.registry.shutdown()


def test_a_run_started_with_settings_trains_and_reports_them(actions):
    s = actions.train("vae", None, 30, None, 16, 2.0, 1, 5, False, request=ALICE)
    assert (s["model"], s["data"], s["seed"], s["hyper"]["lr"], s["hyper"]["beta"]) == ("vae", "mnist5k", 5, 1e-3, 2.0)
    wait_until(lambda: actions.status(ALICE)["state"] == "finished")
    run = actions.ctx.registry.current("alice")
    assert run.cfg.steps == 30 and run.cfg.publish_every == 10  # the app's live schedule (training/factory.py)
