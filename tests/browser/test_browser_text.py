"""Next token tab in a real browser: type a prompt, generate, watch the text grow and the bars, force a character.

Uses the harness in conftest.py (app_url, page, shoot) and the shipped checkpoints/charlm_names.safetensors.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from genai_demo.training.zoo import checkpoint_dir


@pytest.fixture(autouse=True)
def shipped_checkpoint():
    if not (checkpoint_dir() / "charlm_names.safetensors").is_file():
        pytest.fail(f"checkpoints/charlm_names.safetensors is missing in {checkpoint_dir()} — see genai_demo/assets/CORPUS.md",
                    pytrace=False)


def output_text(page) -> str:
    return page.locator("#text-output .tok-text").inner_text()


def test_generate_streams_text_and_a_click_forces_a_character(page, shoot):
    page.get_by_role("tab", name="Next token").click()
    expect(page.locator("#text-model-info")).to_contain_text("bits/char")
    prompt = page.locator("#text-prompt textarea, #text-prompt input").first
    prompt.fill("Ma")
    expect(page.locator("#text-output .tok-p")).to_have_count(2)  # the prompt, drawn before anything is generated
    expect(page.locator("#text-probs button").first).to_be_visible()  # the bars of p(next | "Ma")

    page.locator("#text-generate").click()
    # streaming has begun (which step the page shows when we look depends on the machine's speed) …
    expect(page.locator("#text-status")).to_contain_text(re.compile(r"Step \d+:"))
    expect(page.locator("#text-status")).to_contain_text("Step 60:", timeout=30_000)  # … and it ended after 60
    # the 60 model characters: one span each (newlines are a ⏎ span), after the prompt's two
    expect(page.locator("#text-output .tok-m, #text-output .tok-nl")).to_have_count(60)
    expect(page.locator("#text-lines .chip").first).to_be_visible()  # finished names, checked against the corpus
    expect(page.locator("#text-lines")).to_contain_text(re.compile("new|memorised"))
    expect(page.locator("#text-probs button")).to_have_count(10)
    shoot("text")

    # click the second most likely bar: that character is appended as "yours" and the model finishes the line
    page.locator("#text-probs button").nth(1).click()
    expect(page.locator("#text-status")).to_contain_text("You chose")
    expect(page.locator("#text-output .tok-y")).to_have_count(1)
