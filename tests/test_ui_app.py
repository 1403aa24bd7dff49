"""The app shell: tab order, placeholders for missing tabs, the module-level `demo` Spaces imports."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import gradio as gr

from genai_demo.training.runs import RunRegistry
from genai_demo.ui import app as shell
from genai_demo.ui.context import UIContext


def tab_labels(demo: gr.Blocks) -> list[str]:
    return [b.label for b in demo.blocks.values() if isinstance(b, gr.Tab)]


def test_tabs_in_order_with_next_token_only_when_it_exists():
    demo = shell.build_demo(UIContext(registry=RunRegistry(max_running=1)))
    expected = ["Train", "Latent explorer", "GAN studio", "Next token", "How it works"]
    if importlib.util.find_spec("genai_demo.ui.text_tab") is None:
        expected.remove("Next token")
    assert tab_labels(demo) == expected
    api = {d.api_name for d in demo.fns.values() if d.api_visibility == "public"}
    assert {"train", "status", "pause", "resume", "step", "stop"} <= api


def test_a_missing_or_broken_tab_becomes_a_note(monkeypatch, caplog):
    monkeypatch.setattr(shell, "TABS", [("Train", "train_tab", "train", False), ("Ghost", "no_such_tab", "ghost", False),
                                        ("Later", "no_such_tab_either", "later", True)])
    demo = shell.build_demo(UIContext(registry=RunRegistry(max_running=1)))
    assert tab_labels(demo) == ["Train", "Ghost"]  # an optional missing tab is simply left out
    notes = [b.value for b in demo.blocks.values() if isinstance(b, gr.Markdown)]
    assert any("Ghost tab is not available" in n for n in notes)


def test_app_py_exposes_demo_for_spaces():
    path = Path(__file__).resolve().parents[1] / "app.py"
    spec = importlib.util.spec_from_file_location("genai_demo_app_py", path)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)  # what Spaces does: import the file, use `demo`
    assert isinstance(app.demo, gr.Blocks)
    kw = shell.launch_kwargs()
    assert kw["max_file_size"] == "5mb" and kw["css"] and kw["theme"] is not None
