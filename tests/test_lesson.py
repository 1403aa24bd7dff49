"""Lesson links (ui/lesson.py): every parameter, bad values noted (never raised), hostile query strings bounded, and
the link builder's round trip (settings → link → the same settings)."""
from __future__ import annotations

from urllib.parse import parse_qsl

import pytest

from genai_demo.explore.toy_presets import PRESETS
from genai_demo.i18n import t
from genai_demo.models import family, kinds
from genai_demo.training.settings import LIMITS
from genai_demo.ui.lesson import HIDEABLE, MAX_HIDE, MAX_NOTES, PARAMS, Env, hide_css, parse, query_string

ENV = Env(tabs=["train", "latent", "gan", "text", "toy", "learn"], kinds=kinds(view="train"),
          datasets=["mnist5k", "names", "tang"], max_steps=5000, presets=list(PRESETS))


def keys(lesson) -> list[str]:
    return [k for k, _ in lesson.notes]


@pytest.mark.parametrize(("query", "settings"), [
    ({"model": "gan"}, {"model": "gan"}),
    ({"model": "charlm", "data": "names"}, {"model": "charlm", "data": "names"}),
    ({"lr": "0.0005"}, {"lr": 0.0005}),
    ({"lr": "1e-3"}, {"lr": 0.001}),
    ({"batch": "32"}, {"batch_size": 32}),
    ({"beta": "4"}, {"beta": 4.0}),
    ({"dg": "3"}, {"d_steps": 3}),
    ({"seed": "5"}, {"seed": 5}),
    ({"steps": "1500"}, {"steps": 1500}),
    ({"steps": "2e3"}, {"steps": 2000}),
])
def test_each_setting_is_read_and_checked(query, settings):
    lesson = parse(query, ENV)
    assert lesson.settings == settings and lesson.notes == []


def test_tab_hide_preset_and_the_keys_others_read():
    lesson = parse({"tab": "gan", "hide": "lr, batch,advanced,lr", "lang": "zh", "lab": "mode-collapse"}, ENV)
    assert (lesson.tab, lesson.hide, lesson.notes) == ("gan", ("lr", "batch", "advanced"), [])
    assert parse({"preset": "collapse"}, ENV).tab == "toy"  # a preset belongs to the 2-D GAN game


@pytest.mark.parametrize(("query", "key", "quoted"), [
    ({"lr": "5"}, "lesson_note_range", "lr=5 is out of range (1e-06 – 0.1)"),
    ({"steps": "6000"}, "lesson_note_range", "steps=6000 is out of range (1 – 5,000)"),  # the app's cap, not 20,000
    ({"batch": "2.5"}, "lesson_note_whole", "batch=2.5 must be a whole number"),
    ({"seed": "abc"}, "lesson_note_number", "seed=abc is not a number"),
    ({"lr": "nan"}, "lesson_note_number", "lr=nan is not a number"),
    ({"lr": "inf"}, "lesson_note_number", "lr=inf"),
    ({"steps": "1_000"}, "lesson_note_number", "steps=1_000"),
    ({"model": "gpt5"}, "lesson_note_model", "model=gpt5 is not a model here"),
    ({"data": "cifar"}, "lesson_note_data", "data=cifar is not a data set here"),
    ({"model": "gan", "data": "tang"}, "lesson_note_data_fit", "GAN cannot learn from data=tang"),
    ({"tab": "labs"}, "lesson_note_tab", "tab=labs is not a tab of this app"),  # no Labs tab in ENV
    ({"hide": "lr,wings"}, "lesson_note_hide", "hide=wings"),
    ({"preset": "nope"}, "lesson_note_preset", "preset=nope"),
    ({"speed": "9"}, "lesson_note_unknown", "“speed” is not a setting"),
])
def test_a_bad_value_is_ignored_with_one_line_in_both_languages(query, key, quoted):
    lesson = parse(query, ENV)
    assert keys(lesson) == [key]
    bad = {"model", "data", "tab", "preset", "lr", "steps", "batch", "seed"} & set(query)
    assert not any(lesson.settings.get(PARAMS[k].control) for k in bad if k != "model" or key != "lesson_note_data_fit")
    (k, values), = lesson.notes
    assert quoted in t(k, "en", **values) and "\n" not in t(k, "en", **values)
    zh = t(k, "zh-CN", **values)
    assert zh.startswith("课程链接：") and "{" not in zh


def test_hide_keeps_the_known_names_of_a_partly_bad_list():
    assert parse({"hide": "lr,wings,seed"}, ENV).hide == ("lr", "seed")


@pytest.mark.parametrize("query", [
    {"hide": ",".join(["lr"] * 10_000)},
    {"hide": ",".join(f"x{i}" for i in range(10_000))},
    {"lr": "9" * 100_000},
    {"model": "ü" * 5000, "data": "\u202e\x00<script>alert(1)</script>"},
    {f"k{i}": "1" for i in range(5000)},
    {"lr": ["0.1", "0.2"], "seed": 3.5, None: None},
])
def test_hostile_query_strings_are_bounded_and_harmless(query):
    lesson = parse(query, ENV)
    assert len(lesson.notes) <= MAX_NOTES and len(lesson.hide) <= len(HIDEABLE)
    text = " ".join(t(k, "en", **v) for k, v in lesson.notes)
    assert len(text) < 2000
    for key, values in lesson.notes:
        t(key, "zh-CN", **values)  # every note can be said


def test_hide_reads_a_bounded_list():
    names = list(HIDEABLE) * 10
    assert parse({"hide": ",".join(names)}, ENV).hide == tuple(dict.fromkeys(names[:MAX_HIDE]))
    css = hide_css(("lr", "advanced"))
    assert "#train-lr" in css and "#train-hyper" in css and "display: none" in css and hide_css(()) == ""


@pytest.mark.parametrize(("settings", "tab", "hide", "lang"), [
    ({"model": "gan", "data": "mnist5k", "lr": 0.0005, "batch_size": 64, "d_steps": 2, "seed": 5, "steps": 1200},
     "gan", ("lr", "dg"), "en"),
    ({"model": "vae", "data": "mnist5k", "lr": 0.001, "batch_size": 128, "beta": 4.0, "seed": 0, "steps": 3000},
     "train", ("lr", "batch", "advanced"), "zh-CN"),
    ({"model": "charlm", "data": "names", "lr": 0.003, "batch_size": 32, "seed": 2**31 - 1, "steps": 5000},
     "text", (), "en"),
])
def test_a_built_link_reads_back_as_the_same_settings(settings, tab, hide, lang):
    q = query_string(settings, tab=tab, hide=hide, lang=lang)
    query = dict(parse_qsl(q))
    lesson = parse(query, ENV)
    assert lesson.notes == [] and lesson.tab == tab and lesson.hide == hide and lesson.settings == settings
    assert ("lang" in query) == (lang != "en")


def test_the_builder_leaves_out_what_does_not_apply():
    q = dict(parse_qsl(query_string({"model": "vae", "beta": 2.0, "d_steps": 3, "lr": 7.0, "seed": None})))
    assert q == {"model": "vae", "beta": "2"}  # D:G is a GAN setting; lr 7 is out of range; no seed given


@pytest.mark.parametrize("settings", [
    {"model": ["vae"], "data": {"x": 1}, "lr": "0.1", "seed": float("nan"), "steps": 10**9},
    {"model": "no-such", "data": "d" * 10_000, "batch_size": [1], "beta": None},
])
def test_the_builder_takes_whatever_a_script_sends_without_failing(settings):
    q = query_string(settings, tab="train", hide=[{"a": 1}, "lr", 7, "wings"], lang="zh-CN")
    assert q == "tab=train&hide=lr&lang=zh"


def test_every_param_is_a_known_setting_and_every_limit_is_reachable_from_a_link():
    assert {p.control for p in PARAMS.values() if p.control} - {"model", "data", "preset"} == set(LIMITS)


def test_the_page_offers_the_tabs_it_built_and_notes_are_escaped():
    import gradio as gr

    from genai_demo.training.runs import RunRegistry
    from genai_demo.ui import lesson_ui
    from genai_demo.ui.app import build_demo
    from genai_demo.ui.context import UIContext
    from genai_demo.ui.lesson import Lesson

    demo = build_demo(UIContext(registry=RunRegistry(max_running=1)))
    main = next(b for b in demo.blocks.values() if isinstance(b, gr.Tabs) and b.elem_id == "main-tabs")
    built = [b.id for b in demo.blocks.values() if isinstance(b, gr.Tab)]
    assert lesson_ui.tab_ids(main) == built and "train" in built  # read from the page, not a list kept by hand
    hostile = Lesson(notes=[("lesson_note_unknown", {"key": "<img src=x onerror=alert(1)>"})])
    md = lesson_ui.notes_markdown(hostile, "en")
    assert "<img" not in md and "&lt;img" in md


def test_the_models_change_handler_keeps_the_links_values():
    from genai_demo.ui.train_form import model_changed

    datasets = ["mnist5k", "names", "tang"]
    *_, lr, steps, _, data, batch = model_changed("charlm", "mnist5k", datasets, keep={"data": "tang", "lr": 0.003,
                                                                                       "steps": 800, "batch_size": 16})
    assert (lr, steps, data.value, batch.value) == (0.003, 800, "tang", 16)
    *_, lr, steps, _, data, batch = model_changed("charlm", "mnist5k", datasets)  # no link: the family's defaults
    spec = family("charlm")
    assert (data.value, steps, lr) == (spec.data, spec.steps, spec.lr)


def test_the_train_tabs_class_preset_is_a_lesson_setting_and_round_trips():
    """?train_preset=class sets the Train tab's preset choice (issue 16's class preset); a bad one is noted."""
    assert parse({"train_preset": "class"}, ENV).settings == {"preset": "class"}
    bad = parse({"train_preset": "turbo"}, ENV)
    assert bad.settings == {} and keys(bad) == ["lesson_note_train_preset"]
    assert "turbo" in t(*bad.notes[0][:1], "zh-CN", **bad.notes[0][1])
    link = query_string({"model": "gan", "lr": 0.001, "preset": "class"}, tab="train")
    assert ("train_preset", "class") in parse_qsl(link)
    assert parse(dict(parse_qsl(link)), ENV).settings == {"model": "gan", "lr": 0.001, "preset": "class"}
