"""The server's refusals in the visitor's language (issue 14): a visitor who chose 中文 gets each of them in Chinese,
an API caller (no page, no language) the same sentence in English, and neither ever a stack trace."""
from __future__ import annotations

import asyncio
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

import gradio as gr
import pytest
import torch
from PIL import Image

from genai_demo.data.text import corpus_vocab
from genai_demo.models import build
from genai_demo.quality import live as live_quality
from genai_demo.training.checkpoints import save_checkpoint
from genai_demo.training.runs import RunRegistry
from genai_demo.ui import messages, sketchpad
from genai_demo.ui.common import resolve_model
from genai_demo.ui.context import UIContext
from genai_demo.ui.http_guard import RequestGuard
from genai_demo.ui.text_tab import TextActions
from genai_demo.ui.train_actions import TrainActions

HAN = re.compile(r"[\u4e00-\u9fff]")
ZH, EN = SimpleNamespace(session_hash="zh-visitor"), SimpleNamespace(session_hash="en-visitor")


@pytest.fixture
def ctx():
    c = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    c.set_lang(ZH.session_hash, "zh")
    c.set_lang(EN.session_hash, "en")
    yield c
    c.registry.shutdown()
    c.toys.shutdown()


def refusal(fn, *args, **kwargs) -> str:
    with pytest.raises(gr.Error) as e:
        out = fn(*args, **kwargs)
        if hasattr(out, "__next__"):  # a streaming handler checks its input on the first frame
            next(out)
    return e.value.message


def test_model_and_data_mismatch(ctx):
    a = TrainActions(ctx, datasets=["mnist5k"])
    zh = refusal(a.train, "vae", "names", 10, None, 32, 1.0, 1, 0, False, request=ZH)
    assert HAN.search(zh) and "从图像中学习" in zh and "'names'" in zh, zh
    en = refusal(a.train, "vae", "names", 10, None, 32, 1.0, 1, 0, False, request=EN)
    assert "VAE learns from images" in en and not HAN.search(en)


def test_the_zoo_unknown_model_and_no_weights_yet(ctx):
    zh = refusal(resolve_model, ctx, "bogus", ZH, ("vae",))
    assert "未知的模型 'bogus'" in zh and "unknown" not in zh, zh
    assert "unknown model 'bogus'" in refusal(resolve_model, ctx, "bogus", EN, ("vae",))
    zh = refusal(resolve_model, ctx, "pretrained:nope", ZH, ("vae",))
    assert HAN.search(zh) and "checkpoint" not in zh, zh  # the file's problem is said plainly, not in English


def test_no_classifier_for_a_data_set():
    zh = live_quality.unsupported("names", "zh-CN")
    assert HAN.search(zh) and "'names'" in zh, zh
    assert live_quality.unsupported("names").startswith("Sample quality needs a classifier")
    assert live_quality.unsupported("mnist5k", "zh-CN") is None


def test_the_error_net_speaks_the_language_of_the_events_visitor(ctx):
    messages.listen(ctx)

    def net(session: str | None, error: Exception) -> str:
        token = messages._session.set(session)  # what install()'s wrapper of Gradio's queue sets per event
        try:
            return messages.scrub_payload(error, {"error": str(error)})["error"]
        finally:
            messages._session.reset(token)

    assert HAN.search(net(ZH.session_hash, RuntimeError("/srv/x.py exploded")))
    assert net(EN.session_hash, RuntimeError("boom")) == net(None, RuntimeError("boom")) == messages.t(messages.INTERNAL)
    from gradio.exceptions import ComponentProcessingError

    # Gradio's own refusals (a gr.Number's bounds, a value outside a radio's choices) in the visitor's words too
    assert net(ZH.session_hash, gr.Error("Value 6000 is greater than maximum value 5000.")) == \
        messages.t("err_above_max", "zh-CN", got="6000", bound="5000")
    assert net(None, gr.Error("Value -1 is less than minimum value 0.")) == "-1 is less than this field allows: at least 0."
    assert net(ZH.session_hash, gr.Error("Value: 'x' (type: <class 'str'>) is not in the list of choices: ['a']")) == \
        messages.t("err_not_a_choice", "zh-CN", got="'x'")
    bad = ComponentProcessingError("Could not preprocess input component at index 2 (a `Number` component) …")
    zh = net(ZH.session_hash, bad)
    assert "第 3 个输入（Number）" in zh and "/" not in zh, zh


def test_toast_titles_are_in_the_visitors_language(ctx, monkeypatch):
    """Every error payload carries its title in the visitor's language, and so do warn() / inform(); the page's
    head script holds each language's word (Gradio 6.31 shows the type in English: tests/browser checks the page)."""
    messages.listen(ctx)
    for session, lang in ((ZH.session_hash, "zh-CN"), (EN.session_hash, "en"), (None, "en")):
        token = messages._session.set(session)
        try:
            for error in (gr.Error("x"), RuntimeError("boom"), ValueError("didn't receive enough input values (needed: 2, got: 0)")):
                assert messages.scrub_payload(error, {"error": "x", "title": "Error"})["title"] == messages.t("toast_error", lang)
        finally:
            messages._session.reset(token)
    assert messages.t("toast_error", "zh-CN") == "错误"
    said = []
    monkeypatch.setattr(gr, "Warning", lambda message, title: said.append(("warning", message, title)))
    monkeypatch.setattr(gr, "Info", lambda message, title: said.append(("info", message, title)))
    messages.warn("小心", "zh-CN")
    messages.inform("ok")
    assert said == [("warning", "小心", "警告"), ("info", "ok", "Info")]
    from genai_demo.ui.lang import page_words_head

    head = page_words_head()
    for key in [*messages.TITLES.values(), "gradio_drop_file", "gradio_click_to_upload"]:
        assert messages.t(key, "en") in head and messages.t(key, "zh-CN") in head, key


def test_the_sketchpad_guard_refuses_in_the_visitors_language(ctx):
    messages.listen(ctx)
    big = io.BytesIO()
    Image.new("L", (sketchpad.MAX_SIDE + 1, 8)).save(big, "PNG")
    token = messages._session.set(ZH.session_hash)
    try:
        zh = refusal(sketchpad._check_image, big.getvalue(), "composite")
        unreadable = refusal(sketchpad._check_image, b"not an image", "layer")
    finally:
        messages._session.reset(token)
    assert "合成图" in zh and str(sketchpad.MAX_SIDE) in zh and "图层" in unreadable, (zh, unreadable)
    assert "composite" in refusal(sketchpad._check_image, big.getvalue(), "composite")  # no visitor: English


@pytest.fixture
def text_actions(tmp_path, monkeypatch, ctx):
    torch.manual_seed(0)
    model = build("charlm", {"vocab": corpus_vocab("names"), "n_layer": 1, "n_embd": 16, "n_head": 2}).eval()
    save_checkpoint(tmp_path / "tiny_charlm.safetensors", model, {"data": "names", "steps": 0})
    monkeypatch.setenv("GENAI_DEMO_CHECKPOINTS", str(tmp_path))
    return TextActions(ctx, delay=0)


def test_the_next_token_tabs_checks(text_actions):
    key, a = "pretrained:tiny_charlm", text_actions
    zh = refusal(a.peek, key, "床前明月光", 1.0, 0, ZH)  # Chinese characters sent to the first-names model
    assert "模型不认识这些字符" in zh and "'床'" in zh, zh
    assert "does not know" in refusal(a.peek, key, "床", 1.0, 0, EN)
    zh = refusal(a.generate, key, "Ma", 9.0, 0, 0, 5, ZH)
    assert zh.startswith("温度") and "0 到 5" in zh, zh
    assert "Temperature must be a number between 0 and 5" in refusal(a.generate, key, "Ma", 9.0, 0, 0, 5, EN)
    assert HAN.search(refusal(a.peek, key, "M" * 10_000, 1.0, 0, ZH))


@pytest.mark.parametrize("accept, chinese", [("zh-CN,zh;q=0.9", True), ("en-US", False), (None, False)])
def test_the_front_door_refuses_too_large_bodies_in_the_browsers_language(accept, chinese):
    async def app(scope, receive, send):  # never reached: the body is refused first
        raise AssertionError("the app was called")

    sent = []

    async def send(msg):
        sent.append(msg)

    headers = [(b"content-type", b"application/json"), (b"content-length", str(100 << 20).encode())]
    headers += [(b"accept-language", accept.encode())] if accept else []
    scope = {"type": "http", "method": "POST", "path": "/gradio_api/queue/join", "headers": headers, "query_string": b""}
    # its own thread: a browser test's Playwright (earlier in the same pytest process) keeps an event loop running here
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, RequestGuard(app)(scope, None, send)).result()
    assert sent[0]["status"] == 413
    detail = json.loads(sent[1]["body"])["detail"]
    assert bool(HAN.search(detail)) == chinese and "MB" in detail, detail
