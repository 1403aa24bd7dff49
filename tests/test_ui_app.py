"""The app shell: tab order and ids, each model tab refreshed when selected, the unload hook, a broken tab failing
loudly, the module-level `demo` Spaces imports."""
from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import gradio as gr
import pytest

from genai_demo.training.runs import RunRegistry
from genai_demo.ui import app as shell
from genai_demo.ui.context import UIContext
from genai_demo.ui.lang import in_language


def tab_labels(demo: gr.Blocks) -> list[str]:
    return [in_language(b.label) for b in demo.blocks.values() if isinstance(b, gr.Tab)]


def build() -> gr.Blocks:
    return shell.build_demo(UIContext(registry=RunRegistry(max_running=1)))


def test_tabs_in_order_with_their_ids():
    demo = build()
    assert tab_labels(demo) == ["Train", "Latent explorer", "GAN studio", "Next token", "2-D GAN", "Labs", "How it works"]
    tabs = [b for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert [(t.id, t.elem_id) for t in tabs] == [("train", "tab-train"), ("latent", "tab-latent"), ("gan", "tab-gan"),
                                                 ("text", "tab-text"), ("toy", "tab-toy"), ("labs", "tab-labs"),
                                                 ("learn", "tab-learn")]
    api = {d.api_name for d in demo.fns.values() if d.api_visibility == "public"}
    assert {"train", "status", "pause", "resume", "step", "stop"} <= api


def test_selecting_a_model_tab_refreshes_its_model_list():
    demo = build()
    tabs = {in_language(b.label): block_id for block_id, b in demo.blocks.items() if isinstance(b, gr.Tab)}
    on_select = {tab for d in demo.fns.values() if d.name == "choices" for tab, event in d.targets if event == "select"}
    assert on_select == {tabs["Latent explorer"], tabs["GAN studio"], tabs["Next token"]}


def test_progress_targets_are_only_what_shows_progress_so_an_event_does_not_make_the_page_reread_the_app():
    """After each event the page looks up and re-reads every component that was ever a progress target (a layout
    block with all its descendants): the tabs as a target of the page load, and every poll's outputs, made each poll
    cost the browser ~5 × what it does now (app.spare_the_page; bench/idle_page.py)."""
    demo = build()
    config = demo.get_config_file()
    kinds = {c["id"]: c["type"] for c in config["components"]}
    deps = config["dependencies"]
    targets = {d["id"]: d["show_progress_on"] if d["show_progress_on"] is not None else d["outputs"] for d in deps}
    layouts = {"tabs", "tabitem", "column", "row", "group", "accordion"}
    assert not {kinds[i] for ids in targets.values() for i in ids} & layouts
    assert all(not targets[d["id"]] for d in deps if d["show_progress"] == "hidden")  # every poll among them
    polls = [d for d in deps if any(event == "tick" for _, event in d["targets"])]
    assert polls and all(d["show_progress"] == "hidden" for d in polls)
    # the spinner of an event that shows one stays on its outputs (not the layouts among them)
    shown = [d for d in deps if d["show_progress"] != "hidden" and d["outputs"]]
    assert shown and all(targets[d["id"]] for d in shown)
    main_tabs = next(i for i, c in kinds.items() if c == "tabs")
    assert any(main_tabs in d["outputs"] for d in deps)  # the lesson link still sets the tab


def test_leaving_releases_the_runs_and_tells_the_tabs(monkeypatch):
    told = []
    monkeypatch.setattr(shell.train_tab, "forget", lambda ctx, session: told.append(session))
    ctx = UIContext(registry=RunRegistry(max_running=1))
    monkeypatch.setattr(ctx.registry, "release", lambda session: told.append(f"released {session}"))
    from genai_demo.ui.train_actions import TrainActions

    monkeypatch.setattr(TrainActions, "forget", lambda self, session: told.append(f"forgot {session}"))
    demo = shell.build_demo(ctx)
    (release,) = [d.fn for d in demo.fns.values() if any(event == "unload" for _, event in d.targets)]
    release(SimpleNamespace(session_hash="alice"))
    # runs first, then what the Train tab's handlers kept (opening seed, Reset's arming), then the tab's files
    assert told == ["released alice", "forgot alice", "alice"]


def test_a_broken_tab_stops_the_build_instead_of_hiding(monkeypatch):
    def broken(ctx, tab=None):
        raise RuntimeError("the GAN studio cannot be built")

    monkeypatch.setattr(shell.gan_tab, "build", broken)
    with pytest.raises(RuntimeError, match="cannot be built"):  # at start-up, in the log: not a note on the page
        build()


def test_app_py_exposes_demo_for_spaces():
    path = Path(__file__).resolve().parents[1] / "app.py"
    spec = importlib.util.spec_from_file_location("genai_demo_app_py", path)
    app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(app)  # what Spaces does: import the file, use `demo`
    assert isinstance(app.demo, gr.Blocks)
    kw = shell.launch_kwargs()
    assert kw["max_file_size"] == "10mb" and kw["css"] and kw["theme"] is not None


def test_no_picture_offers_a_share_button():
    """Gradio's share button uploads the picture to Hugging Face: offline on a school server it only fails, and on a
    small picture it covers the label (the reconstruction's did). Every shown picture keeps download/fullscreen."""
    demo = build()
    shown = [b for b in demo.blocks.values() if isinstance(b, gr.Image) and b.visible is not False]
    assert len(shown) >= 12  # every tab's pictures, not an empty scan
    offering = [b.elem_id for b in shown if "share" in (b.buttons or [])]
    assert not offering, offering


def test_a_picker_refresh_keeps_a_valid_pick_by_not_sending_a_value():
    """A refresh answers for the value the picker had when it was asked; sending that value back reset a pick the
    visitor made while it was on its way (CI: Show as code picked DCGAN, the panel's refresh put CGAN back)."""
    from genai_demo.ui.common import fresh_choices

    choices = [("GAN", "pretrained:gan"), ("DCGAN", "pretrained:dcgan")]
    kept = fresh_choices(choices, "pretrained:gan")
    # an update sends only what the handler passed (Gradio reads constructor_args): no value, so the picker keeps
    # whatever it holds by the time the answer lands
    assert kept.constructor_args == {"choices": choices}
    assert fresh_choices(choices, "run:gone", "pretrained:dcgan").value == "pretrained:dcgan"  # a stale pick: default
    assert fresh_choices(choices, "run:gone").value == "pretrained:gan"  # … or the first choice
    assert fresh_choices([], "run:gone").value is None
