"""Handlers never build blocks into another app that is being built.

Gradio's current Blocks (``gradio.context.Context.root_block``) is one per process, and a layout or a ``gr.HTML`` made
in a handler (``return gr.Column(visible=True)``) renders itself into it, even from another thread: an HTML half made
that way once broke a second app's ``with gr.Blocks()`` in the test suite (``'HTML' object has no attribute
'load_event_to_attach'``). So handlers answer layouts and HTML with ``gr.update(...)``; plain components
(``gr.Button(value=…)``) do not render inside an event listener and stay as they are.
"""
from __future__ import annotations

import ast
import contextlib
import os
from pathlib import Path
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pytest  # noqa: E402
from gradio.context import LocalContext  # noqa: E402

from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.gan_tab import GanActions  # noqa: E402
from genai_demo.ui.train_actions import TrainActions  # noqa: E402
from genai_demo.ui.train_tab import tick  # noqa: E402
from tests.helpers import wait_until  # noqa: E402

ALICE = SimpleNamespace(session_hash="alice")
UI = Path(__file__).resolve().parents[1] / "genai_demo" / "ui"
# gradio's BlockContext classes (they render when made, even inside an event listener), HTML being one of them
PLACED = {"HTML", "Column", "Row", "Tabs", "Tab", "Group", "Accordion", "Sidebar", "Blocks", "Draggable"}


@contextlib.contextmanager
def another_app_being_built():
    """What a handler meets while, in the same process, another app is inside its ``with gr.Blocks()``."""
    token = LocalContext.in_event_listener.set(True)  # as Gradio sets it around every handler
    try:
        with gr.Blocks() as other:
            yield other
    finally:
        LocalContext.in_event_listener.reset(token)


@pytest.fixture
def train():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    yield TrainActions(ctx, datasets=["mnist5k"])
    ctx.registry.shutdown()


def test_train_ticks_build_nothing_into_another_app(train):
    with another_app_being_built() as other:
        first = tick(train, {}, ALICE)  # no run yet: the plots, the changes note and the boxes are reset
        train.train("gan", None, 20, None, 32, 1.0, 1, 0, False, request=ALICE)
        wait_until(lambda: train.status(ALICE)["state"] == "finished")
        shown = tick(train, {"text": True}, ALICE)  # a finished image run; the page showed a text run before
    assert first["changes"]["visible"] is False and shown["grid_box"]["visible"] is True
    assert not other.blocks, [type(b).__name__ for b in other.blocks.values()]


def test_judging_builds_nothing_into_another_app():
    with another_app_being_built() as other:
        out = GanActions(UIContext()).judge("pretrained:gan_mnist5k", 0, ALICE)
    assert out["box"]["visible"] is True and "| classifier confidence |" in out["table"]
    assert not other.blocks, [type(b).__name__ for b in other.blocks.values()]


def made_in_an_answer(tree: ast.AST) -> list[int]:
    """Lines where a layout or HTML is made inside a handler's answer: returned, put in a list, dict, keyword argument
    or conditional, or stored into ``out[...]``, rather than placed by ``with`` or an assignment while building."""
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        func = getattr(node, "func", None)
        if not (isinstance(node, ast.Call) and isinstance(func, ast.Attribute) and func.attr in PLACED
                and isinstance(func.value, ast.Name) and func.value.id == "gr"):
            continue
        up = parents.get(node)
        while up is not None and not isinstance(up, ast.stmt):
            if isinstance(up, (ast.Yield, ast.Dict, ast.keyword, ast.List, ast.Tuple, ast.IfExp, ast.GeneratorExp,
                               ast.ListComp, ast.Starred)):
                found.append(node.lineno)
                break
            up = parents.get(up)
        # up is now the statement: `return gr.Column(...)` itself, or `out[...] = gr.HTML(...)`
        if isinstance(up, ast.Return) or (isinstance(up, ast.Assign) and any(isinstance(t, ast.Subscript) for t in up.targets)):
            found.append(node.lineno)
    return sorted(set(found))


def test_no_handler_answers_with_a_layout_or_html():
    assert made_in_an_answer(ast.parse("def f():\n    return gr.Column(visible=True)\n")) == [2]  # the scan sees one
    assert made_in_an_answer(ast.parse("out['x'] = gr.HTML('', visible=False)\nout.update(y=gr.Tabs(selected=1))\n")) == [1, 2]
    assert made_in_an_answer(ast.parse("with gr.Row():\n    box = gr.HTML('')\n")) == []  # placed while building
    offenders = {p.name: lines for p in sorted(UI.glob("*.py")) if (lines := made_in_an_answer(ast.parse(p.read_text())))}
    assert not offenders, f"use gr.update(...) for these (file: lines): {offenders}"
