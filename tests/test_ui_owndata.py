"""The own-data section's handlers as plain functions (fake requests): upload → preview → train → measure, text →
tiny GPT → tagged lines, one visitor's data invisible to another, errors in the visitor's language, clean-up."""
from __future__ import annotations

import os
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from genai_demo.data import own_store  # noqa: E402
from genai_demo.i18n import t  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.zoo import resolve  # noqa: E402
from genai_demo.ui import train_tab  # noqa: E402
from genai_demo.ui import train_view as V  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.owndata_section import OwnDataActions  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_form import (
    model_answer,  # noqa: E402
    model_changed,  # noqa: E402
)
from genai_demo.ui.train_quality import QualityReadout  # noqa: E402
from tests.helpers import wait_until  # noqa: E402
from tests.helpers.own_files import pngs, write_files, zip_of  # noqa: E402


def req(session: str):
    return SimpleNamespace(session_hash=session)


@pytest.fixture
def own():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    train = TrainActions(ctx, datasets=["mnist5k", "names"])
    yield OwnDataActions(ctx, train)
    ctx.registry.shutdown()
    for s in ("alice", "bob", "carol"):
        own_store.STORE.release(s)


def finished(a: TrainActions, who):
    return wait_until(lambda: a.status(who)["state"] == "finished", 120, what="the run to finish")


def test_images_preview_train_and_measure(own, tmp_path):
    alice = req("alice")
    out = own.images(write_files(tmp_path, pngs(30)), True, "auto", 0.0, "vae", alice)
    name = own_store.STORE.names("alice")[0]
    assert out["data"].value == name and (t("own_data_images", "en", n=30), name) in out["data"].choices
    assert out["preview"].shape == (2 * (3 * 30 + 2), 2 * (10 * 30 + 2))  # 3 rows of 10, 28 px + 2 px padding, 2x
    assert "**30 images**" in out["status"] and "27 for training, 3 held out" in out["status"]
    # the Train tab offers it to alice only, and only for the unconditional image families
    choices = lambda kind, who: [k for _, k in model_changed(kind, None, own.train.datasets_of(who), "en")[6].choices]  # noqa: E731
    assert name in choices("vae", "alice") and name in choices("dcgan", "alice")
    assert name not in choices("cgan", "alice") and name not in choices("charlm", "alice")
    assert name not in choices("vae", "bob")
    st = own.train.start_run({"model": "vae", "data": name, "steps": 40, "batch_size": 16}, alice)
    assert st["data"] == name
    finished(own.train, alice)
    run = own.ctx.registry.current("alice")
    assert len(run.trainer.data) == 27 and len(run.trainer.test_data) == 3
    card, _ = QualityReadout(own.ctx, n=50).measure({}, alice)
    assert 'class="quality-card own-quality"' in card and "held-out" in card.lower() and "nats" in card
    model, src = resolve(f"run:{run.id}", "alice", own.ctx.registry)  # explorable like any run
    assert src.data == name and model.sample(4).shape == (4, 1, 28, 28)


def test_another_visitor_cannot_train_on_it(own, tmp_path):
    own.images(write_files(tmp_path, pngs(20)), True, "auto", 0.0, "gan", req("alice"))
    name = own_store.STORE.names("alice")[0]
    with pytest.raises(gr.Error, match="own data set is gone"):  # the same sentence as for a freed one: nothing leaks
        own.train.start_run({"model": "gan", "data": name, "steps": 5}, req("bob"))
    with pytest.raises(gr.Error, match="own data set is gone"):
        own.train.train("gan", name, 5, request=req("bob"))  # the /train API: the same check
    assert own.ctx.registry.current("bob") is None


def test_text_trains_the_tiny_gpt_and_tags_lines(own):
    alice = req("alice")
    text = "\n".join(f"{w}{i % 7}" for i, w in enumerate(["river", "stone", "cloud", "maple", "ember"] * 12))
    out = own.text(text, None, "charlm", alice)
    name = own_store.STORE.names("alice")[0]
    assert out["data"].value == name and "**60 lines**" in out["status"] and "river0" in out["sample"]
    own.train.start_run({"model": "charlm", "data": name, "steps": 20, "batch_size": 16}, alice)
    finished(own.train, alice)
    snap = own.ctx.registry.current("alice").trainer.snapshot()
    html = V.text_html(snap.previews[-1][1], name, "en")
    assert 'class="train-text"' in html and "novelty-" in html  # lines tagged against the visitor's own lines
    assert snap.model.vocab == own_store.STORE.get(name).vocab


def test_a_text_for_a_model_that_cannot_learn_it_leaves_the_list_alone(own):
    out = own.text("\n".join(f"line {i}" for i in range(60)), None, "vae", req("alice"))
    assert out["data"] == gr.skip()  # the VAE's data list stays as it is
    assert t("own_text_pick_model", "en") in out["status"]


def test_a_text_stored_while_the_model_answer_is_made_stays_listed_and_chosen(own):
    """The race a CI run met: the visitor picks the tiny GPT and at once presses "Use this text"; the text is stored
    after the model's answer read the data list but before it left. The answer looks again and lists the text."""
    alice, lines = req("alice"), "\n".join(f"line {i}" for i in range(60))
    asked = []

    def now():  # the first look at the list happens before the upload lands, every later one after it
        asked.append(1)
        if len(asked) == 2:
            own.text(lines, None, "charlm", alice)
        return own.train.datasets_of("alice")

    radio = model_answer("charlm", "mnist5k", now, "en")[6]
    name = own_store.STORE.names("alice")[0]
    assert name in [k for _, k in radio.choices] and radio.value == name and len(asked) == 3
    # nothing uploaded in between: one look before, one after, and the family's own corpus
    asked.clear()
    own_store.STORE.release("alice")
    radio = model_answer("charlm", "mnist5k", lambda: asked.append(1) or own.train.datasets_of("alice"), "en")[6]
    assert radio.value == "names" and len(asked) == 2


@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_errors_are_one_sentence_in_the_visitors_language(own, tmp_path, lang):
    carol = req("carol")
    own.ctx.set_lang("carol", lang)
    cases = [
        (lambda: own.images(None, True, "auto", 0.0, "vae", carol), t("own_err_nothing", lang)),
        (lambda: own.images(write_files(tmp_path, pngs(5)), True, "auto", 0.0, "vae", carol),
         t("own_err_too_few", lang, n=5, min=20)),
        (lambda: own.images(write_files(tmp_path, [("a.zip", zip_of(pngs(20) + [("b.zip", zip_of(pngs(1)))]))]),
                            True, "auto", 0.0, "vae", carol), t("own_err_nested", lang, name="b.zip")),
        (lambda: own.images(write_files(tmp_path, pngs(20)), True, "sideways", 0.0, "vae", carol), t("own_err_options", lang)),
        (lambda: own.images([{"path": 3}], True, "auto", 0.0, "vae", carol), t("own_err_not_file", lang)),
        (lambda: own.text("", None, "charlm", carol), t("own_err_text_missing", lang)),
        (lambda: own.text("a\nb", None, "charlm", carol), t("own_err_text_few", lang, n=2, min=20)),
    ]
    for call, message in cases:
        with pytest.raises(gr.Error) as e:
            call()
        assert e.value.message == message
    assert own_store.STORE.names("carol") == []


def test_leaving_frees_the_data(own, tmp_path):
    own.images(write_files(tmp_path, pngs(20)), True, "auto", 0.0, "vae", req("alice"))
    own.text("\n".join(f"line {i}" for i in range(60)), None, "charlm", req("alice"))
    names = own_store.STORE.names("alice")
    assert len(names) == 2
    train_tab.forget(own.ctx, "alice")  # what the app calls on demo.unload
    assert own_store.STORE.names("alice") == [] and all(own_store.STORE.get(n) is None for n in names)
    with pytest.raises(gr.Error, match="own data set is gone"):
        own.train.start_run({"model": "vae", "data": names[0], "steps": 5}, req("alice"))


def test_converted_preview_is_what_the_model_trains_on(own, tmp_path):
    out = own.images(write_files(tmp_path, pngs(20)), False, "on", 0.5, "vae", req("alice"))
    x = own_store.STORE.get(own_store.STORE.names("alice")[0]).train.x.numpy()  # (18, 28, 28)
    first = out["preview"][4:60:2, 4:60:2]  # the first cell of the 2x preview (2 px padding, then 28 px)
    assert np.array_equal(first, x[0]) and set(np.unique(x)) <= {0, 255}


def test_own_image_runs_are_explorable_and_said_in_chinese(own, tmp_path):
    from genai_demo.ui.gan_tab import GanActions
    from genai_demo.ui.latent_tab import LatentActions

    alice = req("alice")
    own.ctx.set_lang("alice", "zh-CN")
    out = own.images(write_files(tmp_path, pngs(30)), True, "auto", 0.0, "vae", alice)
    assert "**30 张图片**已就绪" in out["status"] and ("你的图片（30 张）", own_store.STORE.names("alice")[0]) in out["data"].choices
    name = own_store.STORE.names("alice")[0]
    own.train.start_run({"model": "vae", "data": name, "steps": 20, "batch_size": 16}, alice)
    finished(own.train, alice)
    vae = own.ctx.registry.current("alice")
    shown = own.ctx.model_choices(alice, ("vae",))
    assert any(key == f"run:{vae.id}" and "你的图片" in label for label, key in shown)  # never the handle
    assert not any(name in label for label, _ in shown)
    latent = LatentActions(own.ctx).show(f"run:{vae.id}", 0.0, 0.0, 0, True, None, alice)
    assert latent["map"].width > 100  # the map of the visitor's held-out images
    own.train.start_run({"model": "gan", "data": name, "steps": 20, "batch_size": 16}, alice)
    finished(own.train, alice)
    gan = own.ctx.registry.current("alice")
    g = GanActions(own.ctx)
    assert g.sample(f"run:{gan.id}", 16, 0, request=alice) is not None
    judged = g.judge(f"run:{gan.id}", 0, alice)
    assert t("own_q_unjudgeable", "zh-CN") in judged["table"] and name not in judged["table"]
