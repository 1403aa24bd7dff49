"""The 2-D GAN tab in a real browser: play, the slow-motion steps, drawing your own data, the replay, a lesson link.

The canvas is read through the data attributes toy.js sets after each paint (hashes of the heat-map and of the fake
points it drew, the step, the mode), never through pixels.
"""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

PLANE = "#toy-view canvas.toy-plane"


def open_toy(page) -> None:
    page.get_by_role("tab", name="2-D GAN").click()
    expect(page.get_by_role("tab", name="2-D GAN")).to_have_attribute("aria-selected", "true")
    expect(page.locator(PLANE)).to_have_attribute("data-step", "0")  # the first poll drew the untrained game


def seen(page) -> dict:
    return page.evaluate(f"() => ({{...document.querySelector('{PLANE}').dataset}})")


def wait_step(page, at_least: int) -> dict:
    page.wait_for_function(f"n => Number(document.querySelector('{PLANE}').dataset.step) >= n", arg=at_least)
    return seen(page)


def test_play_moves_the_map_and_the_points_then_pause_holds(page, shoot):
    open_toy(page)
    # the longest game: the preset's 2,000 steps once ran out before the Pause below arrived (a CI run, both cores busy)
    page.locator("#toy-steps input").fill("20000")
    page.locator("#toy-steps input").press("Tab")
    before = seen(page)
    page.click("#toy-play")
    now = wait_step(page, 300)
    assert now["state"] == "playing" and now["heat"] != before["heat"] and now["fake"] != before["fake"]
    later = wait_step(page, int(now["step"]) + 200)
    assert later["heat"] != now["heat"] and later["fake"] != now["fake"]
    expect(page.locator("#toy-view .toy-modes")).to_contain_text("/ 8")
    page.locator("#toy-panel").scroll_into_view_if_needed()
    shoot("toy")
    page.click("#toy-pause")
    expect(page.locator(PLANE)).to_have_attribute("data-state", "paused")
    page.wait_for_timeout(1500)  # the chunk running when pause came still publishes its frame: let it land
    held = seen(page)
    page.wait_for_timeout(1500)
    assert seen(page)["step"] == held["step"]


def test_step_d_changes_only_the_map_and_step_g_only_the_points(page):
    open_toy(page)
    s0 = seen(page)
    page.click("#toy-step-d")
    s1 = wait_step(page, 1)
    assert s1["heat"] != s0["heat"] and s1["fake"] == s0["fake"]
    page.click("#toy-step-g")
    s2 = wait_step(page, 2)
    assert s2["fake"] != s1["fake"] and s2["heat"] == s1["heat"]
    page.click("#toy-step-both")
    s3 = wait_step(page, 3)
    assert s3["fake"] != s2["fake"] and s3["heat"] != s2["heat"]


def test_draw_your_own_distribution_and_train_on_it(page):
    open_toy(page)
    page.locator("#toy-data input").click()
    page.get_by_role("option", name="Draw your own").click()
    expect(page.locator(PLANE)).to_have_attribute("data-mode", "draw")
    box = page.locator(PLANE).bounding_box()
    for y0 in (0.3, 0.7):  # two strokes: two lines of points
        page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * y0)
        page.mouse.down()
        for i in range(1, 21):
            page.mouse.move(box["x"] + box["width"] * (0.2 + 0.03 * i), box["y"] + box["height"] * y0)
        page.mouse.up()
    assert int(seen(page)["drawn"]) >= 20
    page.click("#toy-reset")
    expect(page.locator(PLANE)).to_have_attribute("data-dist", "custom")
    expect(page.locator(PLANE)).to_have_attribute("data-mode", "live")
    start = seen(page)
    page.click("#toy-play")
    now = wait_step(page, 100)
    assert now["fake"] != start["fake"] and now["dist"] == "custom"


def test_scrub_the_replay(page):
    open_toy(page)
    page.click("#toy-play")
    wait_step(page, 400)
    page.click("#toy-pause")
    expect(page.locator(PLANE)).to_have_attribute("data-state", "paused")
    live = seen(page)
    page.locator("#toy-replay").scroll_into_view_if_needed()
    track = page.locator("#toy-replay input[type=range]").bounding_box()
    page.mouse.click(track["x"] + 2, track["y"] + track["height"] / 2)  # the far left: the first kept frame
    expect(page.locator(PLANE)).to_have_attribute("data-mode", "replay")
    expect(page.locator(PLANE)).to_have_attribute("data-step", "0")
    assert seen(page)["fake"] != live["fake"]
    expect(page.locator("#toy-view .toy-state")).to_contain_text("replay 1 /")
    page.click("#toy-step-both")  # any step goes back to the live game
    expect(page.locator(PLANE)).to_have_attribute("data-mode", "live")
    assert int(wait_step(page, int(live["step"]) + 1)["step"]) > int(live["step"])


@pytest.mark.link("?tab=toy&preset=collapse")
def test_lesson_link_opens_the_tab_with_the_preset(page):
    expect(page.get_by_role("tab", name="2-D GAN")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#toy-lr-g input")).to_have_value("0.01")
    expect(page.locator("#toy-view .toy-note")).to_contain_text("mode collapse")
