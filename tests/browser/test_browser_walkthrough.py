"""What the classroom walkthrough found (issue 13, item 6), checked in Debian's chromium: each failed before its fix."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_browser_train import COUNTER, wait_for_step

TOAST = ".toast-body"


def start_paused_vae(page, steps: str = "3000") -> None:
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    page.locator("#train-steps input").fill(steps)
    page.locator("#train-start").click()
    wait_for_step(page, 120)  # a few snapshots on the timeline
    page.locator("#train-pause").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "paused")
    expect(page.locator("#train-start")).to_contain_text("Resume")


def test_a_paused_run_and_another_model_say_a_new_run_starts(page, shoot):
    start_paused_vae(page, "1500")
    page.locator("#train-model").get_by_text("CVAE", exact=True).click()
    expect(page.locator("#train-start")).to_contain_text("Start new run")  # said before the press
    expect(page.locator("#train-steps input")).to_have_value("1500")  # what the visitor typed stays
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    expect(page.locator("#train-start")).to_contain_text("Resume")  # back to the paused run's model: it resumes
    page.locator("#train-model").get_by_text("CVAE", exact=True).click()
    page.locator("#train-start").click()
    expect(page.locator(TOAST).filter(has_text="new CVAE run starts at step 0")).to_be_visible()
    expect(page.locator("#train-status")).to_contain_text("CVAE")
    shoot("walkthrough-new-run")


def test_keyboard_scrubbing_moves_the_grid_and_nothing_jumps(page, shoot):
    start_paused_vae(page)
    caption, slider = page.locator("#train-grid-caption"), page.locator("#train-timeline input[type=range]")
    expect(caption).to_contain_text("(live)")
    y_live = slider.bounding_box()["y"]
    last = int(slider.get_attribute("max"))
    assert last >= 100  # the timeline counts steps, as the caption does
    slider.focus()
    page.keyboard.press("Home")
    expect(caption).to_contain_text("step 0 (from the timeline")
    expect(page.locator("#train-timeline input[type=number]")).to_have_value("0")
    assert slider.bounding_box()["y"] == y_live  # the caption's box kept its height: the slider did not move
    page.keyboard.press("ArrowRight")  # one step right: the next snapshot, whatever its step
    expect(caption).not_to_contain_text("step 0 (")
    shown = re.search(r"step ([\d,]+)", caption.inner_text()).group(1).replace(",", "")
    expect(page.locator("#train-timeline input[type=number]")).to_have_value(shown)  # the box says the same step
    shoot("walkthrough-scrubbed")
    page.keyboard.press("End")
    expect(caption).to_contain_text("(live)")
    assert slider.bounding_box()["y"] == y_live


def test_reset_asks_first_and_clears_the_quality_card(page):
    start_paused_vae(page)
    page.locator("#train-quality-now").click()
    expect(page.locator("#train-quality")).to_contain_text("confiden", ignore_case=True)
    reset = page.locator("#train-reset")
    reset.focus()
    page.keyboard.press("Enter")  # a keyboard user: the first press asks …
    expect(reset).to_contain_text("Really discard")
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "paused")
    page.keyboard.press("Enter")  # … the second discards
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "none")
    expect(reset).not_to_contain_text("Really")
    expect(page.locator("#train-quality")).to_contain_text("Start an image run", timeout=4000)  # not the old scores


def test_an_invalid_learning_rate_is_reported_once(page):
    start_paused_vae(page)
    lr = page.locator("#train-lr input")
    lr.fill("5")
    lr.press("Enter")  # applies it (the field is left) …
    expect(page.locator(TOAST).first).to_contain_text("maximum value")
    page.locator("#train-status").click()  # … so leaving it once more sends nothing new
    page.wait_for_timeout(2000)  # a second answer would have arrived by now (Gradio groups it: "Error (2)")
    said = " ".join(page.locator(TOAST).all_inner_texts())
    assert said.count("maximum value") == 1, said


def test_the_seed_is_fresh_unless_the_link_names_one(browser, app_url):
    from tests.browser.conftest import VIEWPORT

    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        seeds = set()
        for _ in range(2):
            page.goto(app_url)
            box = page.locator("#train-seed input")
            expect(box).not_to_have_value("0")  # not the shipped model's seed
            seeds.add(box.input_value())
        page.goto(app_url + "?seed=5")
        expect(page.locator("#train-seed input")).to_have_value("5")
        assert "0" not in seeds
    finally:
        context.close()
