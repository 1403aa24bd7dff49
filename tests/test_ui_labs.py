"""Labs tab and the side-by-side comparison: handlers as plain functions with fake requests, real short runs."""
from __future__ import annotations

import os
import time
from types import SimpleNamespace

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import pytest  # noqa: E402

from genai_demo.explore.labs import LABS  # noqa: E402
from genai_demo.i18n import t  # noqa: E402
from genai_demo.training.runs import RunRegistry  # noqa: E402
from genai_demo.training.settings import checked  # noqa: E402
from genai_demo.ui import compare, labs_tab  # noqa: E402
from genai_demo.ui.context import UIContext  # noqa: E402
from genai_demo.ui.labs_tab import LabsActions, link_lab, link_note  # noqa: E402
from tests.helpers import wait_until  # noqa: E402


def req(session: str):
    return SimpleNamespace(session_hash=session)


@pytest.fixture
def actions():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    yield LabsActions(ctx)
    ctx.registry.shutdown()


def test_links_name_a_lab_or_say_why_not():
    assert link_lab({"lab": "mode-collapse"}) == "mode-collapse"
    assert link_lab({}) is None and link_lab(None) is None
    assert link_lab({"lab": "nope"}) is None and link_lab({"lab": ["d-wins"]}) is None
    assert link_note({"lab": "d-wins"}) == "" and link_note({}) == ""
    note = link_note({"lab": "<b>x</b>" * 50}, "en")
    assert note.startswith("There is no lab called") and len(note) < 200 and "\n" not in note
    assert "没有名为" in link_note({"lab": "nope"}, "zh-CN")


def test_run_needs_a_prediction_and_a_real_lab(actions):
    with pytest.raises(gr.Error, match="Choose a prediction first"):
        actions.run("mode-collapse", None, req("a"))
    for bad in (7, -1, True, "1", 1.5):
        with pytest.raises(gr.Error):
            actions.run("mode-collapse", bad, req("a"))
    with pytest.raises(gr.Error, match="no lab called"):
        actions.run("../etc", 1, req("a"))
    assert actions.ctx.registry.runs("a") == []  # nothing started by any of these


def test_picking_a_lab_clears_the_prediction(actions):
    out = actions.picked("d-wins", req("a"))
    assert "D:G" in out["intro"] and out["choice"].value is None and out["run"].interactive is False
    actions.ctx.set_lang("z", "zh-CN")
    zh = actions.picked("beta-map", req("z"))
    assert "β 与隐空间地图" in zh["intro"] and zh["hint"] == t("labs_choose_first", "zh-CN")


def test_lab_runs_to_its_detector_and_grades_the_prediction(actions):
    a, me = actions, req("alice")
    out = a.run("mode-collapse", 1, me)  # predicted: "samples of only one to three kinds"
    run = a.ctx.registry.current("alice")
    assert run.id in out["hint"] and run.cfg.hp.lr == LABS["mode-collapse"].runs[0]["lr"] and run.cfg.seed == 0

    def fired():
        a.measure(me)
        return a.desk.get("alice").detection
    d = wait_until(fired, timeout=90, every=0.3, what="the mode-collapse detector")
    a.ctx.registry.stop("alice")
    assert d.values["classes"] <= 3
    view = a.tick("mode-collapse", {}, me)
    assert t("labs_right", "en", choice=t("lab_mode_collapse_choice_1")) in view["result"]
    assert f"at step {d.step:,}" in view["result"] and "Why" in view["result"]
    assert view["grid"] is not None and view["curve"] is not None and view["body"]["visible"] is True
    assert f"The detector fired at step {d.step:,}" in view["status"]
    a.desk.get("alice").choice = 0  # the same run judged for someone who predicted "all ten digits"
    again = a.tick("mode-collapse", view["view"], me)
    assert "✘" in again["result"] and t("lab_mode_collapse_choice_0") in again["result"]
    assert a.tick("mode-collapse", again["view"], me) == {}  # nothing changed: an idle tick sends nothing


def test_another_lab_shown_does_not_show_this_labs_result(actions):
    a, me = actions, req("bob")
    a.run("d-wins", 1, me)
    out = a.tick("memorise", {"result": "an earlier lab's result"}, me)
    assert out["status"] == t("labs_idle") and out["result"] == ""
    assert out["body"]["visible"] is False  # no empty picture and plot frames for a lab not run yet
    assert "body" not in a.tick("memorise", out["view"], me)  # said once
    shown = a.tick("d-wins", out["view"], me)  # the lab that runs: its picture and curve
    assert shown["body"]["visible"] is True
    labs_tab.forget(a.ctx, "bob")  # no build() here: nothing registered, nothing fails


def test_compare_two_runs_overlays_curves_and_names_the_difference():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000, idle_s=600))
    try:
        for beta in (0.0, 4.0):
            run = ctx.registry.start("c", checked({"model": "vae", "steps": 30, "beta": beta, "seed": 3}))
            assert run.trainer.join(60)
        out = compare.tick(ctx, None, None, None, {}, req("c"))  # nothing picked yet: the newest two
        a_id, b_id = out["a"].value, out["b"].value
        assert out["body"]["visible"] is True  # the curve and both pictures show up
        assert {a_id, b_id} == {r.id for r in ctx.registry.runs("c")} and a_id != b_id
        metric = out["metric"].value
        assert metric == "val_loss"  # held-out −ELBO: comparable across β
        assert out["pic_a"] is not None and out["pic_b"] is not None  # both grids, next to each other
        assert "β 4" in out["pic_a_cap"] + out["pic_b_cap"] and "step 30" in out["pic_a_cap"]
        out = compare.tick(ctx, a_id, b_id, metric, {**out["view"], "curve": None}, req("c"))
        series = sorted(set(out["curve"]["series"]))
        assert len(series) == 2 and any("β 0" in s for s in series) and any("β 4" in s for s in series)
        assert not any("seed" in s for s in series)  # the legend names only what differs
        same = compare.tick(ctx, a_id, a_id, metric, out["view"], req("c"))
        assert same["note"] == t("compare_same")
        alone = compare.tick(ctx, None, None, None, {}, req("nobody"))
        assert alone["note"].startswith("Start two runs")
        assert alone["body"]["visible"] is False  # no empty plot and picture frames under that note
        assert "body" not in compare.tick(ctx, None, None, None, alone["view"], req("nobody"))  # sent once
    finally:
        ctx.registry.shutdown()


def test_the_app_builds_with_the_labs_tab():
    from genai_demo.ui.app import build_demo
    demo = build_demo(UIContext(registry=RunRegistry(max_running=1)))
    ids = {getattr(b, "elem_id", None) for b in demo.blocks.values()}
    assert {"tab-labs", "labs-run", "labs-choice", "compare-curve"} <= ids
    # both plots' x title follows the visitor's language (a plot option: the ticks never send it)
    ctx = UIContext(registry=RunRegistry(max_running=1))
    try:
        with gr.Blocks():
            labs_tab.build(ctx)
        titles = {c.elem_id: render("zh-CN") for c, render in ctx.lang_texts if isinstance(c, gr.LinePlot)}
    finally:
        ctx.registry.shutdown()
    assert set(titles) == {"labs-curve", "compare-curve"}
    assert all(u.x_title == t("labs_curve_step", "zh-CN") == "步数" for u in titles.values())
    time.sleep(0)  # keep the demo alive until here


def test_two_run_lab_starts_the_second_run_after_the_first(actions, monkeypatch):
    """The β lab with 30-step runs (the preset's 400 would take a minute): run 2 starts once run 1 finished; they are
    too short for the detector (it compares from step 200), so the result says it never fired and grades that."""
    import dataclasses
    short = dataclasses.replace(LABS["beta-map"], runs=tuple({**f, "steps": 30} for f in LABS["beta-map"].runs))
    monkeypatch.setitem(LABS, "beta-map", short)
    a, me = actions, req("dora")
    a.run("beta-map", 2, me)  # "about the same"
    first = a.ctx.registry.current("dora")
    assert first.cfg.hp.beta == 0.0 and first.trainer.join(60)

    def second():
        a.measure(me)
        runs = a.ctx.registry.runs("dora")
        return len(runs) == 2 and runs[-1].trainer.join(0.2) and runs[-1]
    run2 = wait_until(second, timeout=60, every=0.2, what="the β = 4 run")
    assert run2.cfg.hp.beta == 4.0 and a.desk.get("dora").runs == [first.id, run2.id]
    a.measure(me)
    out = a.tick("beta-map", {}, me)
    assert a.desk.get("dora").detection is None
    assert t("labs_missed", "en", run=run2.id, step="30") in out["result"]
    assert t("labs_right", "en", choice=t("lab_beta_map_choice_2")) in out["result"]  # nothing fired: "about the same"
    assert set(out["curve"]["series"]) == {"held-out KL (nats) (β = 0)", "held-out KL (nats) (β = 4)"}


def test_compare_lists_only_shared_curves():
    vae = SimpleNamespace(history={"step": [10], "loss": [1], "kl": [2]}, evals={"step": [10], "val_loss": [3]})
    gan = SimpleNamespace(history={"step": [10], "d_loss": [1], "g_loss": [2]}, evals={"step": []})
    assert compare.metrics([vae, vae]) == ["loss", "kl", "val_loss"]
    assert compare.metrics([vae, gan]) == []  # the tick then says so (compare_no_metric) and still shows both grids


def test_scripts_sending_odd_values_get_no_crash(actions):
    a, me = actions, req("eve")
    for odd in (["x"], {"a": 1}, 3, None, "x" * 10_000):
        assert a.tick(odd, {}, me)["status"] == t("labs_idle")  # the first lab is shown instead
        out = compare.tick(a.ctx, odd, odd, odd, {}, me)
        assert out["note"].startswith("Start two runs")
        with pytest.raises(gr.Error) as e:
            a.run(odd, 1, me)
        assert len(str(e.value)) < 200
