"""Train on your own data in a real browser: upload 24 small PNGs → preview → train a VAE a few steps → samples and
the own-images measurements; paste text → train the tiny GPT a few steps → generate in the Next-token tab."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers.own_files import pngs, write_files

COUNTER = "#train-step-count .step-counter"


def wait_for_step(page, at_least: int, timeout: int = 120_000) -> None:
    page.wait_for_function(
        f"() => Number(document.querySelector('{COUNTER}')?.dataset.step) >= {at_least}", timeout=timeout)


def open_section(page):
    page.locator("#own-data").get_by_text("Train on your own images or text").click()
    expect(page.locator("#own-images-go")).to_be_visible()


def test_own_images_preview_then_train_a_vae(page, shoot, tmp_path):
    open_section(page)
    expect(page.locator("#own-images-limits")).to_contain_text("20–2,000 images")
    page.locator("#own-images-files input[type=file]").set_input_files(write_files(tmp_path, pngs(24)))
    expect(page.locator("#own-images-files")).to_contain_text("img023")  # all 24 uploaded (the name is shown in two parts)
    page.locator("#own-images-go").click()
    expect(page.locator("#own-images-status")).to_contain_text("24 images")
    expect(page.locator("#own-images-status")).to_contain_text("22 for training, 2 held out")
    expect(page.locator("#own-images-preview img")).to_be_visible()
    data = page.locator("#train-data")
    expect(data.get_by_label("Your images (24)")).to_be_checked()  # the VAE is chosen: the list picks the upload
    page.locator("#own-images-preview").scroll_into_view_if_needed()
    shoot("own-images-preview")

    page.locator("#train-steps input").fill("120")
    page.locator("#train-batch input[type=number]").fill("16")
    page.locator("#train-batch input[type=number]").press("Tab")
    page.locator("#train-start").click()
    wait_for_step(page, 1)
    expect(page.locator("#train-status")).to_contain_text("your images")
    wait_for_step(page, 120)  # a short run: it finishes
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "finished")
    expect(page.locator("#train-grid img")).to_be_visible()
    # both plots reach the run's last step: Gradio's LinePlot lost data that came while it redrew for a new y range,
    # and a finished run's curves stayed tens of steps short (train_poll.SETTLE_S re-sends them once they settle)
    for plot in ("#train-loss-plot", "#train-aux-plot"):  # a point's label: "<x title>: 120; nats / image: …; series: …"
        page.wait_for_function("""(plot) => [...document.querySelectorAll(plot + ' [aria-roledescription="point"]')]
            .some(p => /: 120$/.test((p.getAttribute('aria-label') || '').split(';')[0]))""", arg=plot, timeout=20_000)
    page.locator("#train-quality-now").click()
    card = page.locator("#train-quality .own-quality")
    expect(card).to_be_visible(timeout=60_000)
    expect(card).to_contain_text("Distance to the nearest training image")
    expect(card).to_contain_text("nats")
    page.locator("#train-grid").scroll_into_view_if_needed()
    shoot("own-images-training")

    # explorable like any run: the Latent explorer lists it under "your images"
    page.get_by_role("tab", name="Latent explorer").click()
    page.locator("#latent-model input").click()
    expect(page.get_by_role("option", name=re.compile(r"VAE · your images · your run r\d+"))).to_be_visible()
    page.keyboard.press("Escape")


def test_own_text_trains_the_tiny_gpt_and_generates(page, shoot):
    open_section(page)
    words = ["amber", "birch", "cedar", "delta", "ember", "fjord", "grove", "heron"]
    text = "\n".join(f"{w} {v}" for w in words for v in words)  # 64 two-word lines
    page.locator("#own-text-paste textarea").fill(text)
    page.locator("#train-model").get_by_text("Tiny GPT (next character)", exact=True).click()
    # the model's own data list first: its answer, landing after the text's, would list the corpora without it
    expect(page.locator("#train-data").get_by_label("First names (5,163, text)")).to_be_checked()
    page.locator("#own-text-go").click()
    expect(page.locator("#own-text-status")).to_contain_text("64 lines")
    expect(page.locator("#own-text-sample")).to_contain_text("amber amber")
    expect(page.locator("#train-data").get_by_label("Your text (64 lines)")).to_be_checked()
    page.locator("#train-steps input").fill("60")
    page.locator("#train-batch input[type=number]").fill("16")  # a few short steps: 2 busy cores are slow
    page.locator("#train-batch input[type=number]").press("Tab")
    page.locator("#train-start").click()
    wait_for_step(page, 60)
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "finished")
    box = page.locator("#train-text .train-text")
    expect(box.locator("li").first).to_be_visible()
    expect(page.locator("#train-text .train-text-summary")).to_be_visible()  # lines tagged against the visitor's text
    page.locator("#train-text").scroll_into_view_if_needed()
    shoot("own-text-training")

    page.get_by_role("tab", name="Next token").click()
    page.locator("#text-model input").click()
    page.get_by_role("option", name=re.compile(r"Tiny GPT · your text · your run r\d+")).click()
    expect(page.locator("#text-model-info")).to_contain_text("your text")
    prompt = page.locator("#text-prompt textarea, #text-prompt input").first
    expect(prompt).to_have_attribute("placeholder", "the first letters of a line")  # own text: its own prompt hint
    page.locator("#text-generate").click()
    expect(page.locator("#text-lines .chip").first).to_be_visible(timeout=60_000)
    expect(page.locator("#text-lines")).to_contain_text(re.compile("new|memorised|real line, unseen"))


def test_closing_the_page_frees_the_visitors_data(page, tmp_path):
    from genai_demo.data import own_store
    from tests.helpers import wait_until

    before = set(own_store.STORE._mine)
    open_section(page)
    page.locator("#own-images-files input[type=file]").set_input_files(write_files(tmp_path, pngs(20)))
    expect(page.locator("#own-images-files")).to_contain_text("img019")
    page.locator("#own-images-go").click()
    expect(page.locator("#own-images-status")).to_contain_text("20 images")
    mine = set(own_store.STORE._mine) - before
    assert len(mine) == 1
    handle = own_store.STORE.names(next(iter(mine)))[0]
    page.close()  # Gradio's unload → train_tab.forget → the store lets go
    wait_until(lambda: own_store.STORE.get(handle) is None, 60, what="the data to be freed after the page closed")
