"""Open a shipped model as your run (Train tab → Your weights and code): the file becomes the visitor's paused run at
the file's step, with the curves its recipe kept, trainable further — by the picker's button and the API's
``open_pretrained``. Only the listed keys open: a key never names a path, and a file a visitor could not load back
after saving it (the 22 MB Fashion GAN) is not offered."""
from __future__ import annotations

import pytest

from genai_demo.i18n import t
from genai_demo.training.checkpoints import read_metadata
from genai_demo.training.zoo import checkpoint_dir
from tests.helpers import serve_app, wait_until
from tests.helpers.attack import Gradio, clean


@pytest.fixture(scope="module")
def served():
    with serve_app(max_running=1, max_steps=5000) as (url, ctx):
        yield url, ctx


def _offered(g: Gradio) -> list[str]:
    (pick,) = [c for c in g.config["components"] if c.get("props", {}).get("elem_id") == "zoo-open-model"]
    return [key for _, key in pick["props"]["choices"]]


def test_the_picker_opens_a_shipped_model_as_a_paused_run_with_its_curves(served):
    url, ctx = served
    g = Gradio(url)
    ctx.langs[g.session] = "en"
    offered = _offered(g)
    assert "pretrained:cvae_mnist5k" in offered and "pretrained:gan_mnist5k" in offered
    assert not any(k.endswith(("gan_fashion", "classifier_mnist5k", "classifier_fashion")) for k in offered)
    out = g.event(g.fn_index("zoo-open", "click"), ["pretrained:cvae_mnist5k", 20])
    assert out["success"], out
    line, model, data, seed, full = out["output"]["data"][:5]
    assert "step 4,000 of 4,020" in line and (model, data, full) == ("cvae", "mnist5k", False)
    (run,) = ctx.registry.runs(g.session)
    snap = run.trainer.snapshot()
    meta = read_metadata(checkpoint_dir() / "cvae_mnist5k.safetensors")["meta"]
    assert snap.state == "paused" and snap.step == 4000 and seed == meta["seed"]
    assert snap.history["step"] == meta["curves"]["history"]["step"]  # how it got there, not empty plots
    ctx.registry.step(g.session, 20, run.id)
    wait_until(lambda: run.trainer.snapshot().state == "finished", timeout=60)
    assert run.trainer.snapshot().history["step"][-1] == 4020  # and it trains on from there
    ctx.registry.discard(g.session, run.id)


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_keys_not_offered_are_one_line_in_the_visitors_language(served, lang):
    url, ctx = served
    g, other = Gradio(url), Gradio(url)
    ctx.langs[g.session] = lang
    button = g.fn_index("zoo-open", "click")
    for key in ["pretrained:../../etc/passwd", "pretrained:gan_fashion", "pretrained:classifier_mnist5k", "run:r1",
                "", None, 7, ["pretrained:vae_mnist5k"], "pretrained:vae_mnist5k" * 10_000]:
        out = g.event(button, [key, 10])
        msg = out["output"]["error"]  # ours, or Gradio's own refusal of a value outside the choices, in the same words
        assert not out["success"] and "\n" not in msg and len(msg) < 300 and clean(msg), (str(key)[:80], msg)
        assert msg == t("zoo_open_pick", lang) or msg.startswith(t("err_not_a_choice", lang, got="@").split("@")[0])
        kind, answer = g.call("open_pretrained", [key])
        assert kind == "error" and clean(str(answer)), (key, answer)
        assert other.call("status", [])[0] == "complete"  # the other visitor carries on
    assert not ctx.registry.runs(g.session)


def test_gradio_client_opens_one_as_docs_api_md_shows(served):
    from gradio_client import Client

    url, ctx = served
    c = Client(url, verbose=False)
    s = c.predict(model="pretrained:vae_fashion", api_name="/open_pretrained")
    assert s["state"] == "paused" and s["step"] == read_metadata(checkpoint_dir() / "vae_fashion.safetensors")["meta"]["steps"]
    c.predict(n=2, api_name="/step")
    wait_until(lambda: c.predict(api_name="/status")["step"] == s["step"] + 2, timeout=60)


def test_a_script_opening_shipped_models_from_fresh_sessions_holds_a_bounded_share():
    """The issue-11 attack on this endpoint: one address, a fresh session per call. It gets the address's places (3),
    then one line each, and what it holds stays bounded; another address still gets in."""
    from genai_demo.training.runs import RunRegistry
    from genai_demo.ui.context import UIContext
    from tests.helpers.attack import call, fn_indices, new_session, rss_mib

    reg = RunRegistry(max_running=1, max_active=1, max_steps=20_000, max_sessions=6)
    with serve_app(ctx=UIContext(registry=reg)) as (url, ctx):
        fn = fn_indices(url)
        first = new_session()  # one-time costs first (the data set, the file's read), then gone
        assert call(url, fn["open_pretrained"], ["pretrained:gan_mnist5k"], first, "100.64.9.200").ok
        reg.release(first)
        rss0 = rss_mib()
        replies = [call(url, fn["open_pretrained"], ["pretrained:gan_mnist5k"], new_session(), "100.64.1.1")
                   for _ in range(3)]
        rss3 = rss_mib()  # what the address's 3 places hold (~38 MB a shipped GAN run here)
        replies += [call(url, fn["open_pretrained"], ["pretrained:gan_mnist5k"], new_session(), "100.64.1.1")
                    for _ in range(17)]
        assert [r.ok for r in replies[:3]] == [True] * 3 and not any(r.ok for r in replies[3:]), replies
        assert all("\n" not in r.output and "from your network" in r.output for r in replies[3:])
        print(f"3 shipped GAN runs: RSS +{rss3 - rss0:.0f} MB; 17 refusals after them: +{rss_mib() - rss3:.0f} MB")
        assert rss_mib() - rss3 < 30  # a refusal holds nothing (before the fix, each evicted a place and took it)
        assert call(url, fn["open_pretrained"], ["pretrained:vae_mnist5k"], new_session(), "100.64.2.2").ok
        assert reg.sessions() == 4
