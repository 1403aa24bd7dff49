"""Next token tab with the Tang-poem model in a real browser: choose it, the prompt box asks for Chinese, the model
writes Chinese characters and the finished couplets are tagged. Uses the shipped checkpoints/charlm_tang.safetensors.

The screenshot (text-tang.png) is the check that chromium has a CJK font (scripts/test.sh installs
fonts-wqy-microhei): without one the characters are drawn as empty boxes.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from genai_demo.training.zoo import checkpoint_dir

HAN = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def shipped_checkpoint():
    if not (checkpoint_dir() / "charlm_tang.safetensors").is_file():
        pytest.fail(f"checkpoints/charlm_tang.safetensors is missing in {checkpoint_dir()} — see genai_demo/assets/CORPUS.md",
                    pytrace=False)


def test_the_tang_model_writes_chinese_verse(page, shoot):
    page.get_by_role("tab", name="Next token").click()
    expect(page.locator("#text-model-info")).to_contain_text("bits/char")
    page.locator("#text-model input").click()
    page.get_by_role("option", name=re.compile(r"^Tiny GPT · tang · pretrained")).click()
    expect(page.locator("#text-model-info")).to_contain_text("trained on tang")
    prompt = page.locator("#text-prompt textarea, #text-prompt input").first
    expect(prompt).to_have_attribute("placeholder", "e.g. 床前明月光")
    expect(page.locator("#text-legend")).to_contain_text("real line, unseen")

    prompt.fill("床前明月光")
    expect(page.locator("#text-output .tok-p")).to_have_count(5)  # the prompt, drawn before anything is generated
    expect(page.locator("#text-probs button").first).to_be_visible()  # the bars of p(next | 床前明月光)
    page.locator("#text-generate").click()
    expect(page.locator("#text-status")).to_contain_text("Step 60:", timeout=30_000)
    expect(page.locator("#text-output .tok-m, #text-output .tok-nl")).to_have_count(60)
    written = "".join(page.locator("#text-output .tok-m").all_inner_texts())
    assert len(HAN.findall(written)) >= 30, written  # Chinese characters, not Latin letters
    bars = " ".join(page.locator("#text-probs button").all_inner_texts())
    assert HAN.search(bars) or "，" in bars or "。" in bars, bars  # the bars are labelled with the characters
    expect(page.locator("#text-lines .chip").first).to_be_visible()
    expect(page.locator("#text-lines")).to_contain_text(re.compile("new|memorised|real line, unseen"))
    page.mouse.move(5, 5)
    shoot("text-tang")


@pytest.mark.link("?lang=zh")
def test_a_chinese_page_opens_on_the_tang_model(page):
    page.get_by_role("tab", name="下一个词元").click()
    expect(page.locator("#text-model input")).to_have_value(re.compile(r"^微型 GPT · tang · 预训练"))  # named in Chinese
    prompt = page.locator("#text-prompt textarea, #text-prompt input").first
    expect(prompt).to_have_attribute("placeholder", "例如 床前明月光")  # the catalogue's words, translated in the page
    expect(page.locator("#text-legend")).to_contain_text("已完成的诗句")
