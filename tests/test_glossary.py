"""The glossary (ui/glossary.py): every gloss_*_term has its _text in both languages, the section lists every entry
(alphabetical, searchable in both languages), the ⓘ carries the explanation, and the tabs' terms are covered."""
from __future__ import annotations

import html
import re

import pytest

from genai_demo.i18n import LANGS, catalogue
from genai_demo.ui import glossary
from genai_demo.ui.train_view import PLOTS


def test_every_term_has_a_text_in_both_languages_and_the_reverse():
    for lang in LANGS:
        keys = catalogue(lang)
        terms = {k[len("gloss_"):-len("_term")] for k in keys if k.startswith("gloss_") and k.endswith("_term")}
        texts = {k[len("gloss_"):-len("_text")] for k in keys if k.startswith("gloss_") and k.endswith("_text")}
        assert terms == texts == set(glossary.ids()), lang
        for i in terms:
            assert keys[f"gloss_{i}_text"].strip() and keys[f"gloss_{i}_term"].strip()
    assert len(glossary.ids()) >= 30


def test_chinese_entries_are_written_in_chinese():
    for i, _, text in glossary.entries("zh-CN"):
        assert re.search(r"[\u4e00-\u9fff]", text), i  # not left in English


@pytest.mark.parametrize("lang", LANGS)
def test_the_section_lists_every_entry_alphabetically(lang):
    page = glossary.section_html(lang)
    found = re.findall(r'<details class="gloss-entry" id="gloss-([a-z0-9_]+)"', page)
    assert sorted(found) == glossary.ids()
    names = [html.unescape(n) for n in re.findall(r"<summary>(.*?)</summary>", page)]
    assert names == sorted(names, key=lambda n: n.lstrip("−-").casefold())
    assert 'id="gloss-search"' in page and 'id="learn-glossary"' in page


def test_a_chinese_page_still_finds_english_terms():
    page = glossary.section_html("zh-CN")
    entry = re.search(r'id="gloss-frechet" data-search="([^"]*)"', page).group(1)
    assert "fréchet" in html.unescape(entry) and "弗雷歇" in html.unescape(entry)


def test_info_links_to_the_entry_and_explains_on_hover():
    tip = glossary.info("kl", "en")
    assert 'href="#gloss-kl"' in tip and "How different two probability distributions" in tip and tip.endswith("ⓘ</a>")
    assert "衡量两个概率分布" in glossary.info("kl", "zh-CN")
    assert glossary.term("bce", "en", short=True).startswith("BCE<a")
    with pytest.raises(ValueError):
        glossary.info("no_such_term")


def test_the_plots_terms_and_the_tabs_lines_name_real_entries():
    for pair in PLOTS.values():
        for plot in pair:
            assert plot.gloss, plot.key
            md = plot.markdown_in("zh-CN")
            assert all(f"#gloss-{g}" in md for g in plot.gloss)
    line = glossary.terms_line(["lr", "seed"], "zh-CN")
    assert "本页术语" in line and "学习率" in line and line.count("ⓘ") == 2
