"""The Labs tab in a real browser: a lab's link, predicting before running, one lab end to end until its detector
speaks, an unknown lab's note, and two runs compared side by side."""
from __future__ import annotations

import re

from playwright.sync_api import expect

DETECTOR_MS = 150_000  # mode collapse fires at step 100: ~25 s on two busy cores, far more under a full test run


def test_lab_link_prediction_first_then_the_detector_speaks(open_page, app_url, screenshot_dir):
    page = open_page(app_url + "?lab=mode-collapse")
    expect(page.get_by_role("tab", name="Labs")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#labs-pick input[value='mode-collapse']")).to_be_checked()
    expect(page.locator("#labs-goal")).to_contain_text("a learning rate 25 times too large")
    expect(page.locator("#labs-link input, #labs-link textarea").first).to_have_value(re.compile(r"\?lab=mode-collapse$"))
    run = page.locator("#labs-run")
    expect(run).to_be_disabled()  # a prediction comes first
    page.locator("#labs-choice").get_by_text("Samples of only one to three kinds: the variety collapses").click()
    expect(run).to_be_enabled()
    run.click()
    expect(page.locator("#labs-hint")).to_contain_text("Lab started")
    # the status names the watched run; on busy cores the detector can fire before this line reads it, so any of the
    # run's three wordings counts ("Watching run r8: …", "Run r8: step … The detector fired …", "Run r8 ended …")
    expect(page.locator("#labs-status")).to_contain_text(re.compile(r"(Watching run|Run) r\d+(:| ended) "))
    result = page.locator("#labs-result")
    expect(result).to_contain_text(re.compile(r"Classes covered fell to [0-3]/10 at step \d"), timeout=DETECTOR_MS)
    expect(result).to_contain_text("✔ Your prediction was right")
    expect(page.locator("#labs-grid img")).to_be_visible()
    expect(page.locator("#labs-curve")).not_to_contain_text("Empty")
    page.mouse.wheel(0, 330)  # the lab's texts, the grid, the curve and the detector's sentence in one view
    expect(page.locator("#labs-result")).to_be_in_viewport()
    page.screenshot(path=str(screenshot_dir / "labs.png"))


def test_unknown_lab_link_gets_a_note_not_an_error(open_page, app_url):
    page = open_page(app_url + "?lab=no-such-lab")
    expect(page.locator("#labs-note")).to_contain_text("There is no lab called “no-such-lab”")
    expect(page.get_by_role("tab", name="Labs")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#labs-pick input[value='gan-learns']")).to_be_checked()


def test_two_runs_side_by_side(page, shoot):
    # two short VAE runs from the Train tab, β = 0 and β = 4
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    page.locator("#train-steps input").fill("60")
    for beta in ("0", "4"):
        box = page.locator("#train-beta input[type='number']")
        box.fill(beta)
        box.press("Enter")
        page.locator("#train-start").click()
        expect(page.locator("#train-step-count [data-state]").first).to_have_attribute("data-state", "finished",
                                                                                       timeout=90_000)
    page.get_by_role("tab", name="Labs").click()
    compare = page.locator("#compare")
    compare.scroll_into_view_if_needed()
    expect(page.locator("#compare-curve")).to_contain_text("β 0", timeout=30_000)
    expect(page.locator("#compare-curve")).to_contain_text("β 4")
    expect(page.locator("#compare-grid-a img")).to_be_visible()
    expect(page.locator("#compare-grid-b img")).to_be_visible()
    expect(page.locator("#compare-cap-a")).to_contain_text("step 60")
    for picker in ("#compare-a", "#compare-b"):  # a long run name ends in "…" before the ▾, not under it
        gap = page.locator(picker).evaluate("""e => { const i = e.querySelector('input');
            const arrow = e.querySelector('svg path') || e.querySelector('svg');  // the drawn ▾, not its square box
            return arrow.getBoundingClientRect().left - i.getBoundingClientRect().right; }""")
        assert gap >= 0, (picker, gap)
    shoot("labs-compare")


def test_lab_link_in_chinese(open_page, app_url, screenshot_dir):
    page = open_page(app_url + "?lab=d-wins&lang=zh")
    expect(page.get_by_role("tab", name="实验")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#labs-goal")).to_contain_text("判别器赢了")
    expect(page.locator("#labs-goal")).to_contain_text("批量 32")
    expect(page.locator("#labs-choice")).to_contain_text("D 几乎识破每一张假图")
    expect(page.locator("#labs-status")).to_contain_text("尚未开始")
    expect(page.locator("#compare-note")).to_contain_text("先开始两次训练")
    expect(page.locator("#compare-curve")).to_be_hidden()  # no empty frames under the note
    expect(page.locator("#compare-grid-a")).to_be_hidden()
    page.screenshot(path=str(screenshot_dir / "zh-labs.png"))
