"""Named outputs (genai_demo/ui/outputs.py): names → components, nothing to send → gr.skip(), and a wrapped handler
that Gradio still reads like the original (gr.Request, gr.SelectData, streaming, the API's parameter names).
Through a real server: tests/test_ui_text.py (the streamed "generate" API) and the browser tests."""
from __future__ import annotations

import inspect
import typing
from types import SimpleNamespace

import gradio as gr
import pytest

from genai_demo.ui.outputs import Outputs


@pytest.fixture(scope="module")
def parts():
    with gr.Blocks():
        a, b = gr.Textbox(), gr.Number()
    return a, b, Outputs(word=a, count=b)


def test_names_become_components_and_nothing_is_a_skip(parts):
    a, b, out = parts
    assert out.blocks == [a, b]
    assert out({"count": 3}) == {b: 3}  # the word is left as it is
    assert out({"word": "hi", "count": None}) == {a: "hi", b: None}  # None clears, it is not "no change"
    assert out({}) == gr.skip()  # Gradio refuses an empty dict
    with pytest.raises(KeyError, match="no output named colour"):
        out({"colour": "red"})


def test_a_wrapped_handler_keeps_what_gradio_reads(parts):
    _, b, out = parts

    def handler(key: str, n: int, evt: gr.SelectData, request: gr.Request = None) -> dict:
        """Doc for the API page."""
        return {"count": n + len(request.session_hash)}

    wrapped = out.wrap(handler)
    assert wrapped.__name__ == "handler" and wrapped.__doc__ == handler.__doc__
    # Gradio finds the parameters to fill with the event and the request by these two
    assert list(inspect.signature(wrapped).parameters) == ["key", "n", "evt", "request"]
    hints = typing.get_type_hints(wrapped)
    assert hints["evt"] is gr.SelectData and hints["request"] is gr.Request
    assert wrapped("k", 2, None, SimpleNamespace(session_hash="abc")) == {b: 5}


def test_a_wrapped_stream_streams(parts):
    a, _, out = parts

    def stream(text):
        for i in range(1, len(text) + 1):
            yield {"word": text[:i]}

    wrapped = out.wrap(stream)
    assert inspect.isgeneratorfunction(wrapped)  # Gradio streams it frame by frame
    assert list(wrapped("abc")) == [{a: "a"}, {a: "ab"}, {a: "abc"}]
