"""Next token tab: handlers as plain functions (streaming, forcing, memorisation), then the public API.

A tiny untrained charlm with the names vocabulary is saved into a temp checkpoint folder, so these tests
need no shipped weights and run in seconds.
"""
from __future__ import annotations

from types import SimpleNamespace

import gradio as gr
import pytest
import torch

from genai_demo.data.text import corpus_vocab, load_corpus
from genai_demo.explore import textgen
from genai_demo.models import build
from genai_demo.training.checkpoints import save_checkpoint
from genai_demo.ui.context import UIContext
from genai_demo.ui.text_tab import TextActions, render_lines

REQ = SimpleNamespace(session_hash="visitor-1")
KEY = "pretrained:tiny_charlm"
OUT, CHART, STATUS, LINES, STATE = "text", "chart", "status", "lines", "state"  # a frame's outputs, by name


@pytest.fixture(scope="module")
def ckpt_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("ckpts")
    torch.manual_seed(0)
    model = build("charlm", {"vocab": corpus_vocab("names"), "n_layer": 1, "n_embd": 16, "n_head": 2}).eval()
    save_checkpoint(d / "tiny_charlm.safetensors", model, {"data": "names", "steps": 0})
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GENAI_DEMO_CHECKPOINTS", str(d))
        yield d


@pytest.fixture
def text(ckpt_dir):
    return TextActions(UIContext(), delay=0)


def test_peek_shows_the_next_character_distribution(text):
    frame = text.peek(KEY, "Ma", 1.0, 0, REQ)
    out, chart, state = frame[OUT], frame[CHART], frame[STATE]
    assert set(frame) == {OUT, CHART, STATUS, LINES, STATE}  # every output, every time
    assert state == {"text": "Ma", "marks": "pp"}
    assert 1 <= len(chart) <= 10 and sum(chart.values()) <= 1 + 1e-6
    assert "Ma" not in out or "tok-p" in out  # the prompt is drawn in its own style
    greedy = text.peek(KEY, "Ma", 0.0, 0, REQ)[CHART]
    assert list(greedy.values()) == [1.0]  # τ = 0: one bar, the argmax


def test_generate_streams_one_character_per_frame(text):
    frames = list(text.generate(KEY, "Ma", 1.0, 0, 3, 12, REQ))
    assert len(frames) == 13  # the prompt, then one frame per new character
    texts = [f[STATE]["text"] for f in frames]
    assert texts[0] == "Ma" and all(len(b) == len(a) + 1 and b.startswith(a) for a, b in zip(texts, texts[1:], strict=False))
    assert frames[-1][STATE]["marks"] == "pp" + "m" * 12
    assert "Step 12" in frames[-1][STATUS]
    again = list(text.generate(KEY, "Ma", 1.0, 0, 3, 12, REQ))
    assert again[-1][STATE] == frames[-1][STATE]  # same seed, same text


def test_a_clicked_bar_is_forced_and_the_line_continues(text):
    state = {"text": "Ma", "marks": "pp"}
    frames = list(text.force(KEY, "Ma", 1.0, 0, 0, state, SimpleNamespace(value="q", index=3), REQ))
    final = frames[-1][STATE]
    assert final["text"].startswith("Maq") and final["marks"].startswith("ppy")
    assert "tok-y" in frames[0][OUT] and "You chose" in frames[0][STATUS]
    assert final["text"].endswith("\n") or len(final["text"]) == 3 + 40  # stops at the end of the line
    nl = list(text.force(KEY, "Ma", 1.0, 0, 0, state, SimpleNamespace(value="⏎", index=0), REQ))
    assert nl[0][STATE]["text"] == "Ma\n"  # the shown "⏎" means a line break
    with pytest.raises(gr.Error, match="Click one of the bars"):
        list(text.force(KEY, "Ma", 1.0, 0, 0, state, SimpleNamespace(value="7", index=0), REQ))


def test_stop_and_a_click_take_over_a_running_stream(text):
    stream = text.generate(KEY, "Ma", 1.0, 0, 0, 50, REQ)
    frames = [next(stream) for _ in range(3)]
    text.stop(REQ)
    assert list(stream) == []  # ends at its next character
    stream = text.generate(KEY, "Ma", 1.0, 0, 0, 50, REQ)
    next(stream)
    other = text.generate(KEY, "Ma", 1.0, 0, 0, 50, SimpleNamespace(session_hash="visitor-2"))
    next(other)  # another visitor's stream does not stop mine …
    forced = text.force(KEY, "Ma", 1.0, 0, 0, frames[-1][STATE], SimpleNamespace(value="x", index=5), REQ)
    assert next(forced)[STATE]["text"] == frames[-1][STATE]["text"] + "x"
    assert list(stream) == []  # … but my own click does
    assert len(list(forced)) >= 1 and len(list(other)) == 50


def test_next_token_continues_the_session_text(text):
    state = {"text": "Ma", "marks": "pp"}
    one = text.next_token(KEY, "Ma", 1.0, 0, 0, state, REQ)[STATE]
    two = text.next_token(KEY, "Ma", 1.0, 0, 0, one, REQ)[STATE]
    assert len(one["text"]) == 3 and two["text"].startswith(one["text"]) and len(two["text"]) == 4
    fresh = text.next_token(KEY, "Jo", 1.0, 0, 0, two, REQ)[STATE]  # a new prompt starts over
    assert fresh["text"].startswith("Jo") and len(fresh["text"]) == 3


def test_temperature_change_keeps_the_text(text):
    state = {"text": "Mar", "marks": "ppm"}
    frame = text.redraw(KEY, "Ma", 0.0, 0, state, REQ)
    assert frame[STATE] == state and list(frame[CHART].values()) == [1.0]


def test_memorisation_check_finds_corpus_lines():
    seen, unseen = load_corpus("names", "train")[10], load_corpus("names", "test")[10]
    report = textgen.line_report(f"{seen}\nQxqzv\n{unseen}\nAb", "names")
    assert report == [(seen, "memorised"), ("Qxqzv", "new"), (unseen, "held-out"), ("Ab", "…")]
    html = render_lines(f"{seen}\n", "names")
    assert seen in html and "memorised" in html


def test_model_info_and_bad_input(text):
    info = text.info(KEY, REQ)
    assert "bits/char" in info and "names" in info
    with pytest.raises(gr.Error, match="does not know"):
        text.peek(KEY, "Ma7", 1.0, 0, REQ)
    with pytest.raises(gr.Error, match="Temperature"):
        text.peek(KEY, "Ma", -1, 0, REQ)
    with pytest.raises(gr.Error, match="seed"):
        list(text.generate(KEY, "Ma", 1.0, 0, -5, 10, REQ))
    with pytest.raises(gr.Error, match="Choose a model"):
        text.peek(None, "Ma", 1.0, 0, REQ)
    with pytest.raises(gr.Error, match="no checkpoint file"):
        text.peek("pretrained:nothing_here", "Ma", 1.0, 0, REQ)


def test_public_api_generate_and_next_token(ckpt_dir, monkeypatch):
    from gradio_client import Client

    from genai_demo.ui import text_tab

    monkeypatch.setattr(text_tab, "STEP_DELAY", 0)
    with gr.Blocks() as demo:
        text_tab.build(UIContext())
    demo.launch(server_name="127.0.0.1", prevent_thread_lock=True, quiet=True)
    try:
        client = Client(demo.local_url, verbose=False)
        out, chart, status, lines = client.predict(KEY, "Ma", 0.0, 0, 1, 5, api_name="/generate")
        assert "tok-p" in out and "Step 5" in status and chart["confidences"]
        out1, *_ = client.predict(KEY, "Jo", 1.0, 0, 1, api_name="/next_token")
        assert out1.count("tok-m") == 1  # one character after the prompt
    finally:
        demo.close()
