"""The 2-D GAN tab's handlers (genai_demo/ui/toy_tab.py) without a page: presets reach their lessons, the slow-motion
steps move only one player, the replay, the per-visitor registry's bounds, and bad input → one-sentence gr.Error."""
from __future__ import annotations

import html
import json
import re
from types import SimpleNamespace

import gradio as gr
import pytest

from genai_demo.explore.toy_data import check_points
from genai_demo.explore.toy_metrics import collapse_message
from genai_demo.explore.toy_presets import PRESETS
from genai_demo.explore.toy_sessions import ToySessions
from genai_demo.i18n import LANGS, t
from genai_demo.ui import toy_tab
from genai_demo.ui.context import UIContext
from genai_demo.ui.toy_actions import said
from genai_demo.ui.toy_tab import SETTINGS, ToyActions
from genai_demo.ui.toy_view import view_html
from tests.helpers import wait_until

REQ = SimpleNamespace(session_hash="toy-visitor-1")


@pytest.fixture
def ctx():
    c = UIContext(toys=ToySessions(max_runs=2, idle_s=600, cores=1.0))
    yield c
    c.toys.shutdown()


def controls(**over) -> dict:
    v = dict(zip(SETTINGS, ("healthy", "ring8", 0, 2000, 2e-3, 1e-3, "adam", "nonsat", 1, 1, 2), strict=True))
    return {**v, **over}


def payload(a: ToyActions, have: dict | None = None, req=REQ) -> dict | None:
    out = a.poll(json.dumps(have or {}), controls(), req)
    return None if isinstance(out, dict) and out.get("__type__") == "update" else json.loads(out)


def play_to_end(a: ToyActions, name: str) -> dict:
    """Load a preset through the tab's handlers, press play and wait for its last step; the final payload."""
    values = a.load_preset(name, request=REQ)
    assert values[2] == PRESETS[name].steps
    a.play(controls(preset=name), REQ)
    game = a.ctx.toys.get(REQ.session_hash)
    wait_until(lambda: game.run.state == "finished", timeout=120, what=f"the {name} preset to finish")
    return payload(a)


def test_healthy_preset_covers_the_ring_through_the_handlers(ctx):
    p = play_to_end(ToyActions(ctx), "healthy")
    f = p["frame"]
    assert f["step"] == PRESETS["healthy"].steps and f["modes"] == 8
    assert f["modes_covered"] >= 7, f["modes_covered"]
    assert p["scene"]["dist"] == "ring8" and "all 8 modes" in p["shows"]


def test_collapse_preset_loses_the_ring_through_the_handlers(ctx):
    p = play_to_end(ToyActions(ctx), "collapse")
    assert p["frame"]["modes_covered"] <= 2, p["frame"]["modes_covered"]
    assert p["frame"]["collapse"] and "modes lost" in p["frame"]["collapse"]


def test_step_d_moves_only_the_map_and_step_g_only_the_points(ctx):
    a = ToyActions(ctx)
    first = payload(a)["frame"]  # the poll creates the game lazily from the controls
    for kind, moved, still in (("d", "heat", "fake"), ("g", "fake", "heat")):
        a.step(kind, controls(), REQ)
        assert ctx.toys.get(REQ.session_hash).run.wait_idle(30)
        now = payload(a)["frame"]
        assert now[moved] != first[moved] and now[still] == first[still], kind
        first = now
    assert (now["d_updates"], now["g_updates"]) == (1, 1)


def test_switching_to_the_minimax_loss_redraws_the_arrows_without_a_step(ctx):
    a = ToyActions(ctx)
    payload(a)
    a.step("d", controls(), REQ)  # D learns a little: the fakes now sit where D says "fake", D(x) < ½
    run = ctx.toys.get(REQ.session_hash).run
    run.wait_idle(30)
    before = payload(a)["frame"]
    a.configure({**controls(), "loss": "minimax", "lr_g": 5e-4}, REQ)
    wait_until(lambda: payload(a)["frame"]["config"]["loss"] == "minimax", timeout=30, what="the loss to change")
    run.wait_idle(30)
    after = payload(a)["frame"]
    assert after["step"] == before["step"] and after["config"]["lr_g"] == 5e-4
    assert after["grad"] < before["grad"]  # scaled by D(x) < ½ instead of 1 - D(x) > ½


def test_poll_skips_what_the_page_already_has_and_sends_history_since(ctx):
    a = ToyActions(ctx)
    p = payload(a)
    assert p["scene"] and p["frame"]["step"] == 0
    assert payload(a, {"game": p["game"], "since": None, "key": p["key"]}) is None  # unchanged: skipped
    a.step("both", controls(), REQ)
    ctx.toys.get(REQ.session_hash).run.wait_idle(30)
    q = payload(a, {"game": p["game"], "since": 0, "key": p["key"]})
    assert q["scene"] is None and q["frame"]["history"]["step"] == [1]
    assert payload(a, {"game": "garbage", "since": "x", "key": 3})["scene"]  # a garbled page gets everything


def test_replay_shows_a_kept_frame_and_play_returns_live(ctx):
    a = ToyActions(ctx)
    with pytest.raises(gr.Error, match="nothing to replay"):
        a.scrub(50, request=REQ)
    payload(a)
    for _ in range(3):
        a.step("both", controls(), REQ)
    ctx.toys.get(REQ.session_hash).run.wait_idle(30)
    a.scrub(0, request=REQ)
    p = payload(a)
    assert p["replay"]["i"] == 0 and p["view"]["step"] == 0 and p["frame"]["step"] == 3
    assert a.play(controls(), REQ) == 100
    assert "view" not in payload(a)


def test_draw_your_own_trains_on_the_points(ctx):
    a = ToyActions(ctx)
    pts = [[-1.0, -1.0], [-0.95, -1.0], [1.0, 1.0], [1.05, 1.0], [0.0, 1.5]]
    a.reset(json.dumps(pts), controls(dist="custom", steps=50), REQ)
    p = payload(a)
    assert p["scene"]["dist"] == "custom" and p["frame"]["modes"] == 3 and p["shows"] == ""
    a.play(controls(dist="custom"), REQ)
    wait_until(lambda: ctx.toys.get(REQ.session_hash).run.state == "finished", timeout=60, what="50 steps")


def test_registry_is_bounded_forgets_and_sweeps(ctx):
    a = ToyActions(ctx)
    for sid in ("a", "b"):
        payload(a, req=SimpleNamespace(session_hash=sid))
    full = payload(a, req=SimpleNamespace(session_hash="c"))
    assert "All 2" in full["message"] and "frame" not in full  # refused politely, in the page, no exception
    with pytest.raises(gr.Error, match="All 2"):
        a.play(controls(), SimpleNamespace(session_hash="c"))
    toy_tab.forget(ctx, "a")
    assert len(ctx.toys) == 1 and payload(a, req=SimpleNamespace(session_hash="c"))["frame"]
    ctx.toys.idle_s = 0
    assert ctx.toys.sweep() == 2 and len(ctx.toys) == 0


def test_poll_with_values_no_page_sends_answers_one_sentence(ctx):
    a = ToyActions(ctx)
    out = json.loads(a.poll(["not", "a", "string"], controls(preset=["x"], dist={"a": 1}), REQ))
    assert out == {"message": "Choose the data from the list: ring8, grid25, moons, spiral, line or your own drawing."}
    out = json.loads(a.poll("{}", controls(seed="zero"), REQ))
    assert "seed" in out["message"] and "frame" not in out


def test_a_lazy_default_game_never_replaces_one_a_button_made(ctx):
    a = ToyActions(ctx)
    a.load_preset("collapse", request=REQ)
    made = ctx.toys.get(REQ.session_hash)
    a.reset("[]", controls(), REQ, if_absent=True)  # what a poll does when it found no game a moment earlier
    assert ctx.toys.get(REQ.session_hash) is made and payload(a)["frame"]["config"]["lr_g"] == 1e-2
    a.reset("[]", controls(), REQ)  # a button always replaces
    assert ctx.toys.get(REQ.session_hash).number == made.number + 1 and made.run.state in ("idle", "stopped")


def test_lesson_link_names_a_preset():
    # the lesson-link parser (ui/lesson.py) reads ?preset= for the 2-D GAN game; a preset alone opens its tab
    from genai_demo.explore.toy_presets import PRESETS
    from genai_demo.ui.lesson import Env, parse

    env = Env(tabs=["train", "toy"], kinds=["gan"], datasets=["mnist5k"], presets=list(PRESETS))
    assert (parse({"tab": "toy", "preset": "collapse"}, env).preset, parse({"preset": "collapse"}, env).tab) == ("collapse", "toy")
    bad = parse({"tab": "toy", "preset": "nope"}, env)
    assert bad.preset is None and bad.tab == "toy" and bad.notes[0][0] == "lesson_note_preset"


BAD = [
    ("reset", ("[]", controls(dist="custom")), "at least 3 points"),
    ("reset", ("not json", controls(dist="custom")), "at least 3 points"),
    ("reset", ("{\"a\": 1}", controls(dist="custom")), "list of (x, y) pairs"),
    ("reset", (json.dumps([[0, 0], [1, 1], [9, 9]]), controls(dist="custom")), "inside the plane"),
    ("reset", (json.dumps([[0, 0]] * 1001), controls(dist="custom")), "at most 1000"),
    ("reset", ("[]", controls(dist="torus")), "Choose the data"),
    ("reset", ("[]", controls(dist=["ring8"])), "Choose the data"),
    ("reset", (json.dumps([[0, 0], [1, "a"], [1, 1]]), controls(dist="custom")), "pairs of numbers"),
    ("reset", ("[]", controls(seed=-1)), "seed"),
    ("reset", ("[]", controls(seed=float("nan"))), "seed"),
    ("reset", ("[]", controls(steps=0)), "last step"),
    ("reset", ("[]", controls(lr_d="abc")), "learning rate"),
    ("reset", ("[]", controls(lr_g=5)), "learning rate"),
    ("reset", ("[]", controls(noise_dim=99)), "noise dimension"),
    ("reset", ("[]", controls(optimizer="rmsprop")), "optimiser"),
    ("configure", ({**controls(), "loss": "hinge"},), "loss"),
    ("configure", ({**controls(), "d_steps": 0},), "between 1 and 10"),
    ("load_preset", ("nope",), "Unknown preset"),
    ("scrub", (500,), "between 0 and 100"),
]


@pytest.mark.parametrize("method,args,words", BAD, ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(BAD)])
def test_bad_input_is_one_sentence(ctx, method, args, words):
    a = ToyActions(ctx)
    if method == "scrub":
        payload(a)
        a.step("both", controls(), REQ)
        ctx.toys.get(REQ.session_hash).run.wait_idle(30)
    with pytest.raises(gr.Error) as e:
        getattr(a, method)(*args, request=REQ)
    msg = e.value.message
    assert words in msg and "\n" not in msg and "Error" not in msg and "/" not in msg.replace("D(G(z))", ""), msg


# ---- the visitor's language ---------------------------------------------------------------------------------------
ZH = SimpleNamespace(session_hash="toy-visitor-zh")
HAN = re.compile(r"[\u4e00-\u9fff]")
# what a Chinese sentence may keep in Latin letters: the data sets' and losses' API names, symbols of the formulas
LATIN_OK = {"ring", "grid", "moons", "spiral", "line", "adam", "sgd", "nonsat", "minimax", "log", "JS", "SGD",
            "healthy", "collapse", "oscillation",  # preset names, as a lesson link spells them
            "nan", "abc", "torus", "rmsprop", "hinge", "nope"}  # the last ones: the visitor's own values, quoted back


def latin_words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z]{2,}", text)) - LATIN_OK


@pytest.mark.parametrize("method,args,words", BAD, ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(BAD)])
def test_bad_input_is_one_chinese_sentence_for_a_chinese_visitor(ctx, method, args, words):
    ctx.set_lang(ZH.session_hash, "zh")
    a = ToyActions(ctx)
    if method == "scrub":
        payload(a, req=ZH)
        a.step("both", controls(), ZH)
        ctx.toys.get(ZH.session_hash).run.wait_idle(30)
    with pytest.raises(gr.Error) as e:
        getattr(a, method)(*args, request=ZH)
    msg = e.value.message
    assert HAN.search(msg) and not latin_words(msg) and "\n" not in msg, msg


def test_the_poll_speaks_the_visitors_language_and_a_switch_resends_it(ctx):
    ctx.set_lang(ZH.session_hash, "zh")
    a = ToyActions(ctx)
    a.load_preset("collapse", request=ZH)
    p = payload(a, req=ZH)
    assert p["shows"] == t("toy_preset_collapse_shows", "zh-CN") and HAN.search(p["shows"])
    assert payload(a, {"game": p["game"], "key": p["key"]}, req=ZH) is None  # unchanged: skipped
    ctx.set_lang(ZH.session_hash, "en")  # the EN | 中文 switch
    again = payload(a, {"game": p["game"], "key": p["key"]}, req=ZH)
    assert again is not None and again["shows"] == PRESETS["collapse"].shows("en")


def test_collapse_line_and_refusals_from_explore_in_both_languages():
    events = [{"step": 1200, "lost": 6, "modes": 8, "recovered": 2000}]
    assert collapse_message(events, "en") == "6 of 8 modes lost at step 1,200, recovered at step 2,000"
    zh = collapse_message(events, "zh-CN")
    assert HAN.search(zh) and all(n in zh for n in ("1,200", "6", "8", "2,000")) and not latin_words(zh)
    assert collapse_message([], "zh-CN") is None
    with pytest.raises(ValueError) as e:
        check_points([[0, 0], [1, 1], [9, 9]])
    assert said(e.value, "en") == str(e.value)  # the English catalogue says what explore/ says
    assert HAN.search(said(e.value, "zh-CN"))


@pytest.mark.parametrize("lang", LANGS)
def test_the_canvas_panel_is_written_in_the_visitors_language(lang):
    panel = view_html(lang)
    words = json.loads(html.unescape(re.search(r'data-texts="([^"]*)"', panel)[1]))
    assert words["states"]["playing"] == t("toy_state_playing", lang) and words["bits"] == t("toy_stat_bits", lang)
    if lang == "zh-CN":
        visible = re.sub(r"<[^>]+>", " ", panel.split("data-texts")[0] + panel.split('">', 1)[1])
        assert HAN.search(visible) and not latin_words(html.unescape(visible)), latin_words(visible)


def test_the_poll_slows_on_a_still_game_and_a_button_speeds_it_up(ctx):
    """Each event costs the page time: a paused or finished game is polled once a second, not 8 times; Play, a
    step, Reset and a scrub bring the poll back to full speed at once (the tab's own handlers, as the page calls them)."""
    with gr.Blocks() as demo:
        tab = toy_tab.build(ctx)
    fns = {f.name: f.fn for f in demo.fns.values()}
    timer, frame = tab.timer, next(b for f in demo.fns.values() if f.name == "on_tick" for b in f.outputs if b is not tab.timer)
    values = list(controls().values())

    def tick(have: str, pace: float) -> dict:
        return fns["on_tick"](have, *values, pace, REQ)

    first = tick("{}", toy_tab.POLL_S)  # a new game drawn: a change, so the poll stays fast
    assert isinstance(first[frame], str) and timer not in first
    shown = json.loads(first[frame])
    have = json.dumps({"game": shown["game"], "since": shown["frame"]["step"], "key": shown["key"]})
    still = tick(have, toy_tab.POLL_S)  # nothing new on a game nobody plays: slow down
    assert still[timer].value == toy_tab.STILL_POLL_S
    assert timer not in tick(have, toy_tab.STILL_POLL_S)  # already slow: the timer is not sent again
    replay, fast = fns["on_play"](*values, REQ)
    assert replay == 100 and fast.value == toy_tab.POLL_S
    run = ctx.toys.get(REQ.session_hash).run
    wait_until(lambda: run.frame()["step"] > shown["frame"]["step"], what="a step after Play")
    playing = tick(have, toy_tab.STILL_POLL_S)  # a new frame: fast again (Play already said so)
    assert isinstance(playing[frame], str) and playing[timer].value == toy_tab.POLL_S
    seen = json.loads(playing[frame])
    have = json.dumps({"game": seen["game"], "since": seen["frame"]["step"], "key": seen["key"]})
    assert timer not in tick(have, toy_tab.POLL_S)  # between two frames of a game that plays: still 8 Hz
    fns["on_pause"](*values, REQ)
    for name in ("on_step", "on_reset"):
        args = values if name == "on_step" else ["[]", *values]
        assert fns[name](*args, REQ)[1].value == toy_tab.POLL_S
    assert fns["on_scrub"](0, REQ).value == toy_tab.POLL_S
