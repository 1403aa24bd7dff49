"""The catalogues and the language choice: every key in both languages with the same {placeholders}, ?lang= before
Accept-Language before English, English for a key a language lacks, the switch kept per visitor."""
from __future__ import annotations

from types import SimpleNamespace

import pytest

from genai_demo import i18n
from genai_demo.i18n import LANGS, catalogue, pick_language, placeholders, t
from genai_demo.ui.context import UIContext


def test_every_key_exists_in_every_language_with_the_same_placeholders():
    en = catalogue("en")
    assert len(en) > 5
    for lang in LANGS:
        other = catalogue(lang)
        assert set(other) == set(en), f"{lang}: missing {set(en) - set(other)}, extra {set(other) - set(en)}"
        for key, msg in en.items():
            assert isinstance(other[key], str) and other[key].strip(), f"{lang}:{key} is empty"
            assert placeholders(other[key]) == placeholders(msg), f"{lang}:{key} placeholders differ"


def test_chinese_messages_are_chinese():
    zh = catalogue("zh-CN")
    han = [k for k, v in zh.items() if any("\u4e00" <= c <= "\u9fff" for c in v)]
    # a few keys may be model names or symbols only; most must hold Chinese characters
    assert len(han) >= 0.9 * len(zh)


@pytest.mark.parametrize("query, header, expected", [
    ({"lang": "zh"}, "en-US,en;q=0.9", "zh-CN"),
    ({"lang": "zh-CN"}, None, "zh-CN"),
    ({"lang": "zh_cn"}, None, "zh-CN"),
    ({"lang": "en"}, "zh-CN,zh;q=0.9", "en"),
    ({"lang": "klingon"}, "zh-CN,zh;q=0.9", "zh-CN"),  # an unknown ?lang= falls through to the browser
    ({}, "fr-FR,fr;q=0.9,zh-TW;q=0.8,en;q=0.5", "zh-CN"),  # best-weighted language we have
    ({}, "en;q=0.4, zh;q=0.7", "zh-CN"),
    ({}, "zh;q=0, en", "en"),  # q=0 means "not this one"
    ({}, "de-DE,fr", "en"),
    ({}, "", "en"),
    (None, None, "en"),
    ({}, "zh;q=oops, en", "en"),
    ({"lang": ["zh"]}, None, "en"),  # not a string: ignored, never a crash
])
def test_pick_language(query, header, expected):
    assert pick_language(query, header) == expected


def test_a_missing_key_falls_back_to_english_then_to_itself(monkeypatch):
    monkeypatch.setitem(catalogue("zh-CN"), "__probe__", "")  # present but empty → English
    monkeypatch.setitem(catalogue("en"), "__probe__", "step {step}")
    assert t("__probe__", "zh-CN", step=3) == "step 3"
    assert t("__no_such_key__", "zh-CN") == "__no_such_key__"
    assert t("tab_train", "zh") == catalogue("zh-CN")["tab_train"] != catalogue("en")["tab_train"]
    assert t("tab_train", None) == t("tab_train", "fr") == catalogue("en")["tab_train"]
    assert i18n.normalise("zh-Hans-CN") == "zh-CN" and i18n.normalise("EN-gb") == "en"


def test_the_language_is_kept_per_visitor_and_api_callers_get_english():
    ctx = UIContext()
    ctx.set_lang("alice", "zh")
    ctx.set_lang("bob", "en")
    assert ctx.lang(SimpleNamespace(session_hash="alice")) == "zh-CN"
    assert ctx.lang(SimpleNamespace(session_hash="bob")) == "en"
    assert ctx.lang(SimpleNamespace(session_hash="carol")) == "en"  # never loaded the page (gradio_client)
    assert ctx.lang(None) == "en"
    assert ctx.set_lang("alice", "nonsense") == "en"


def test_catalogue_numbers_agree_with_the_code():
    """A few static texts state a number the code decides: the catalogue must say the same in each language."""
    from genai_demo.quality.scores import CLASS_SHARE
    from genai_demo.ui import gan_tab

    for lang in LANGS:
        assert str(gan_tab.JUDGE_N) in t("gan_judge_head", lang)
        assert f"{CLASS_SHARE * 100:g} %" in t("gan_hist_head", lang)


def _drawn(text: str, font) -> bytes:
    from PIL import Image, ImageDraw

    pic = Image.new("L", (40, 24), 255)
    ImageDraw.Draw(pic).text((2, 2), text, fill=0, font=font)
    return pic.tobytes()


def test_pictures_draw_chinese_with_real_glyphs_or_fall_back_to_english(monkeypatch):
    import numpy as np

    from genai_demo.explore import plots
    from genai_demo.explore.plots import class_names
    from genai_demo.i18n import fonts

    data = SimpleNamespace(name="fashion", classes=["T-shirt/top", "Trouser"])
    assert fonts.has_cjk(), "fonts-wqy-microhei is missing: scripts/test.sh installs it (packages.txt lists it)"
    cjk = fonts.font(14, cjk=True)
    # two different characters draw differently (Pillow's default font draws both as the same empty box)
    assert _drawn("裤", cjk) != _drawn("包", cjk) and len(set(_drawn("裤", cjk))) > 1
    assert _drawn("裤", fonts.font(14)) == _drawn("包", fonts.font(14))  # why the CJK font is needed
    assert class_names(data, "zh-CN") == ["T恤/上衣", "裤子"] and class_names(data, "en") == data.classes
    pic, _ = plots.map_base(np.zeros((40, 40), np.uint8), 4.0, np.zeros((2, 2)), np.array([0, 1]), class_names(data, "zh-CN"))
    assert pic.height > 40

    monkeypatch.setattr(fonts, "has_cjk", lambda: False)  # no CJK font on this machine: English labels
    assert class_names(data, "zh-CN") == data.classes


def test_errors_speak_the_callers_language_and_api_callers_get_english():
    import gradio as gr

    from genai_demo.ui.gan_tab import GanActions

    ctx = UIContext()
    ctx.set_lang("alice", "zh-CN")  # alice switched the page to 中文; bob is a gradio_client script
    gan = GanActions(ctx)
    with pytest.raises(gr.Error) as zh:
        gan.sample("pretrained:gan_mnist5k", 7, 0, request=SimpleNamespace(session_hash="alice"))
    with pytest.raises(gr.Error) as en:
        gan.sample("pretrained:gan_mnist5k", 7, 0, request=SimpleNamespace(session_hash="bob"))
    assert zh.value.message == t("err_whole", "zh-CN", what="n", lo=16, hi=100, got="7") and "整数" in zh.value.message
    assert en.value.message == "n must be a whole number between 16 and 100, got 7."


@pytest.mark.parametrize("name, value, words", [("steps", "ten", "步数必须是整数"), ("lr", 5.0, "学习率必须在 1e-06 到 0.1 之间"),
                                                ("seed", -1, "随机种子必须在")])
def test_settings_errors_in_the_visitors_language(name, value, words):
    from genai_demo.training.settings import check
    from genai_demo.ui.train_actions import said

    with pytest.raises(ValueError) as e:
        check(name, value)
    assert said(e.value, "en") == str(e.value)  # English: the settings layer's own sentence, unchanged
    assert said(e.value, "zh-CN").startswith(words)


def test_run_refusals_in_the_visitors_language():
    from genai_demo.training.runs import RunError, RunRegistry
    from genai_demo.ui.train_actions import said

    reg = RunRegistry(max_running=1)
    try:
        with pytest.raises(RunError) as e:
            reg.get("alice")  # Pause / Step / Save with no run
        assert said(e.value, "en") == str(e.value) == "no training run yet — press Start first"
        assert said(e.value, "zh-CN") == t("run_none", "zh-CN") and "开始" in said(e.value, "zh-CN")
    finally:
        reg.shutdown()


def test_a_bad_drawing_is_refused_in_the_visitors_language():
    import gradio as gr
    import numpy as np

    from genai_demo.ui.latent_tab import LatentActions

    ctx = UIContext()
    ctx.set_lang("alice", "zh-CN")
    latent = LatentActions(ctx)
    blank = np.full((280, 280, 4), 0, np.uint8)  # a cleared canvas: transparent everywhere
    for sid, expected in (("alice", t("data_empty", "zh-CN")), ("bob", "the drawing is empty — draw a digit first")):
        with pytest.raises(gr.Error) as e:
            latent.encode("pretrained:vae_mnist5k", 0, blank, True, None, request=SimpleNamespace(session_hash=sid))
        assert e.value.message == expected


def test_a_key_defined_in_two_area_files_is_refused(tmp_path, monkeypatch):
    """Each area of the app keeps its own file (i18n/<lang>/<area>.json); the same key in two of them would make
    one silently win, so loading refuses it."""
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "a.json").write_text('{"k": "one", "x": "1"}', encoding="utf-8")
    (tmp_path / "en" / "b.json").write_text('{"k": "two"}', encoding="utf-8")
    monkeypatch.setattr(i18n, "_DIR", tmp_path)
    i18n.catalogue.cache_clear()
    try:
        with pytest.raises(ValueError, match="repeats keys.*'k'"):
            i18n.catalogue("en")
    finally:
        monkeypatch.undo()
        i18n.catalogue.cache_clear()
    assert "tab_train" in i18n.catalogue("en")


def test_the_tiny_gpt_is_named_in_the_visitors_language_in_every_list():
    # the Train tab said 微型 GPT and the model lists beside it "Tiny GPT": one short name per language, everywhere
    from genai_demo.explore.labs import LABS
    from genai_demo.training import zoo
    from genai_demo.ui.labs_view import preset_words

    for lang, name in (("en", "Tiny GPT"), ("zh-CN", "微型 GPT")):
        labels = [s.label for s in zoo.pretrained(("charlm",), lang)]
        assert labels and all(label.startswith(f"{name} · ") for label in labels), labels
        assert preset_words(LABS["memorise"], lang).startswith(f"{name} (")
    assert zoo.short_name("vae", "zh-CN") == "VAE" and zoo.short_name("nope", "zh-CN") == "nope"
