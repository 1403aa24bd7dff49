"""Train tab with the tiny GPT in a real browser: pick it, Start, watch the names and both NLL curves grow."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import picture_step

COUNTER = "#train-step-count .step-counter"


def wait_for_step(page, at_least: int, timeout: int = 120_000) -> None:
    page.wait_for_function(
        f"() => Number(document.querySelector('{COUNTER}')?.dataset.step) >= {at_least}", timeout=timeout)


def test_train_the_tiny_gpt_and_watch_names_appear(page, shoot):
    data = page.locator("#train-data")
    expect(data).to_contain_text("MNIST-5k")
    expect(data).not_to_contain_text("First names")  # an image model: no text corpora offered
    page.locator("#train-model").get_by_text("Tiny GPT (next character)", exact=True).click()

    # the data choice becomes the names corpus, image data sets and the VAE / GAN knobs go away
    expect(data.get_by_label("First names (5,163, text)")).to_be_checked()
    expect(data).not_to_contain_text("MNIST-5k")
    expect(page.locator("#train-beta")).to_be_hidden()
    expect(page.locator("#train-dsteps")).to_be_hidden()
    expect(page.locator("#train-lr input")).to_have_value("0.001")
    expect(page.locator("#train-batch input[type=number]")).to_have_value("64")
    expect(page.locator("#train-grid-box")).to_be_hidden()  # the text box replaces the image grid
    expect(page.locator(".learn-link a")).to_have_text(re.compile("Next token"))

    page.locator("#train-steps input").fill("1200")
    page.locator("#train-start").click()
    wait_for_step(page, 1)
    expect(page.locator("#train-status")).to_contain_text("Tiny GPT")
    expect(page.locator("#train-status")).not_to_contain_text("D:G")
    box = page.locator("#train-text .train-text")
    expect(box).to_have_attribute("data-lines", "12")
    expect(box.locator("li")).to_have_count(12)
    wait_for_step(page, picture_step(250, 60))  # 250: name-like lines in the README's screenshot
    expect(page.locator("#train-formula-a .katex").first).to_be_visible()
    expect(page.locator("#train-formula-b")).to_contain_text("Bits per character")
    expect(page.locator("#train-loss-plot")).to_contain_text("held-out NLL")  # the held-out curve is in the legend
    expect(page.locator("#train-aux-plot")).to_contain_text("train bpc")
    expect(page.locator("#train-grid-caption")).to_contain_text("Sampled names")
    expect(page.locator("#train-text .train-text-summary")).to_contain_text("copied from the training names")
    page.locator("#train-pause").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "paused")
    page.wait_for_timeout(1200)  # one more poll: the last snapshot's names and curve points are drawn
    shoot("train-text")

    # the timeline scrubs back through text snapshots: step 0 is random characters
    first = box.locator("li").first.inner_text()
    number = page.locator("#train-timeline input[type=number]")
    expect(number).to_be_enabled()
    number.fill("0")
    number.press("Tab")
    expect(page.locator("#train-grid-caption")).to_contain_text("step 0 (from the timeline")
    expect(box.locator("li").first).not_to_have_text(first)

    # the paused run is offered as a model in the Next token tab
    page.get_by_role("tab", name="Next token").click()
    page.locator("#text-model input").click()  # the tab keeps its pick; the run is in the list
    expect(page.get_by_role("option", name=re.compile(r"Tiny GPT · names · your run r\d+"))).to_be_visible()
    page.keyboard.press("Escape")

    # back on Train, an image model brings the image data sets and the grid back
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-reset").click()  # Reset asks first: "Really discard? Press again"
    expect(page.locator("#train-reset")).to_contain_text("Really discard")
    page.locator("#train-reset").click()
    expect(page.locator("#train-status")).to_contain_text("No run yet")
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    expect(data.get_by_label("MNIST-5k (embedded digits)")).to_be_checked()
    expect(data).not_to_contain_text("First names")
    expect(page.locator("#train-grid-box")).to_be_visible()
    expect(page.locator("#train-text-box")).to_be_hidden()
