"""What the classroom walkthrough found (issue 13, item 6), checked in Debian's chromium: each failed before its fix."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.test_browser_train import COUNTER, wait_for_step

TOAST = ".toast-body"


def start_paused_vae(page, steps: str = "5000") -> None:  # the form's maximum: a shorter run could finish before Pause
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    page.locator("#train-steps input").fill(steps)
    page.locator("#train-start").click()
    wait_for_step(page, 120)  # a few snapshots on the timeline …
    # … which lag the step counter on a loaded machine: wait for one past step 100 before pausing
    page.wait_for_function("() => Number(document.querySelector('#train-timeline input[type=range]')?.max) >= 100",
                           timeout=120_000)
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
    assert int(slider.get_attribute("max")) >= 100  # the timeline counts steps, as the caption does
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
    expect(page.locator("#train-quality")).to_contain_text("measured at step")  # (the idle hint says "confident" too)
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
    expect(page.locator(TOAST).first).to_contain_text("5 is more than this field allows: at most 0.1")  # not Gradio's
    page.locator("#train-status").click()  # … so leaving it once more sends nothing new
    page.wait_for_timeout(2000)  # a second answer would have arrived by now (Gradio groups it: "Error (2)")
    said = " ".join(page.locator(TOAST).all_inner_texts())
    assert said.count("more than this field allows") == 1 and "maximum value" not in said, said


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


def test_the_walk_fits_its_picture_and_the_cgans_has_a_row_per_class_under_its_label(page, shoot):
    page.get_by_role("tab", name="GAN studio").click()
    expect(page.locator("#gan-walk img")).to_be_visible()  # the plain GAN's one-row walk
    # … in a box as tall as the strip at this width (a fixed 140 px box left ~30 px empty above and below it)
    page.wait_for_function("""() => { const i = document.querySelector('#gan-walk img');
        return i && i.complete && i.naturalWidth > 0; }""")
    fit = page.evaluate("""() => { const i = document.querySelector('#gan-walk img');
        const box = document.querySelector('#gan-walk').getBoundingClientRect();
        return [box.height, i.getBoundingClientRect().width * i.naturalHeight / i.naturalWidth]; }""")
    assert fit[1] - 1 <= fit[0] <= fit[1] + 8, fit
    page.locator("#gan-model input").click()
    page.get_by_role("option", name=re.compile(r"^CGAN")).first.click()
    expect(page.locator("#gan-class input")).to_have_value("one row per class")  # not "random classes"
    walk = page.locator("#gan-walk")
    page.wait_for_function("() => document.querySelector('#gan-walk')?.getBoundingClientRect().height >= 500")
    label = page.locator("#gan-walk-label")
    expect(label).to_contain_text("where the prior has its mass")  # the whole label, above the picture
    assert label.bounding_box()["y"] + label.bounding_box()["height"] <= walk.bounding_box()["y"] + 1
    walk.scroll_into_view_if_needed()
    shoot("walkthrough-cgan-walk")


def test_the_latent_explorer_follows_a_live_run_by_itself(page):
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    page.locator("#train-steps input").fill("3000")
    page.locator("#train-start").click()
    wait_for_step(page, 60)
    page.get_by_role("tab", name="Latent explorer").click()
    page.locator("#latent-model input").click()
    page.get_by_role("option", name=re.compile(r"your run")).first.click()
    box = page.locator("#latent-model input")
    first = box.input_value()
    assert "running" in first
    # no slider, no ↻: the poll brings the run's new step into the list (and its new weights into the map)
    expect(box).not_to_have_value(first, timeout=30_000)
    assert "your run" in box.input_value()
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-pause").click()


def test_no_cut_off_texts(browser, app_url, screenshot_dir):
    from tests.browser.conftest import PATIENCE_MS

    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        page.set_default_timeout(PATIENCE_MS)
        page.goto(app_url)
        page.get_by_role("tab", name="Next token").click()
        name = page.locator("#text-model input")
        expect(name).to_have_value(re.compile(r"pretrained \(\d+ steps\)"))
        fits = name.evaluate("e => e.scrollWidth <= e.clientWidth")
        assert fits, name.input_value()  # the whole name shows, the ▾ beside it, not over it
        page.get_by_role("tab", name="How it works").click()  # before the phone size hides some tabs behind "⋯"
        page.set_viewport_size({"width": 390, "height": 844})
        formula = page.locator("#learn-gan-text .katex-display").first
        formula.scroll_into_view_if_needed()
        expect(formula).to_be_visible()
        # the minimax game on two lines fits a phone (and a wider formula would scroll sideways, not be clipped)
        assert formula.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), formula.inner_text()
        assert formula.evaluate("e => getComputedStyle(e).overflowX") == "auto"
        expect(page.locator("#learn-text-text")).not_to_contain_text("This section grows")
        page.screenshot(path=str(screenshot_dir / "walkthrough-phone-minimax.png"))
    finally:
        context.close()
