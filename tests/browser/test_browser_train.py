"""Train and How-it-works tabs in a real browser: start a VAE run and watch it, pause, step, scrub, reset."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import picture_step
from tests.helpers import wait_until

COUNTER = "#train-step-count .step-counter"


def wait_for_step(page, at_least: int) -> None:
    """Retry (no fixed sleep) until the page's step counter reaches `at_least`."""
    page.wait_for_function(
        f"() => Number(document.querySelector('{COUNTER}')?.dataset.step) >= {at_least}", timeout=60_000)


def settled_step(page, quiet_ms: int = 1500) -> int:
    """The counter's value once it has not moved for quiet_ms (three 2 Hz polls): proof that it stopped."""
    page.evaluate("delete window.__steady")
    handle = page.wait_for_function(
        f"""() => {{
            const n = Number(document.querySelector('{COUNTER}')?.dataset.step);
            const w = window.__steady || (window.__steady = {{v: n, t: performance.now()}});
            if (n !== w.v) {{ w.v = n; w.t = performance.now(); return false; }}
            return performance.now() - w.t >= {quiet_ms} ? String(n) : false;
        }}""", polling=100, timeout=20_000)
    return int(handle.json_value())


def test_train_a_vae_watch_pause_step_scrub(page, shoot, ui_ctx):
    expect(page.get_by_role("tab", name="Train")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#train-status")).to_contain_text("No run yet")
    page.locator("#train-model").get_by_text("VAE", exact=True).click()
    page.locator("#train-steps input").fill("1500")
    page.locator("#train-start").click()

    # the counter grows and the curves, the grid and their formulas show up
    wait_for_step(page, 1)
    expect(page.locator("#train-status")).to_contain_text("running")
    wait_for_step(page, picture_step(600, 150))  # 600: recognisable digits in the README's screenshot
    expect(page.locator("#train-loss-plot canvas, #train-loss-plot svg").first).to_be_visible()
    expect(page.locator("#train-loss-plot")).not_to_contain_text("Empty")
    expect(page.locator("#train-grid img")).to_be_visible()
    expect(page.locator("#train-formula-a .katex").first).to_be_visible()
    expect(page.locator("#train-grid-caption")).to_contain_text("(live)")

    # Pause stops the counter: one Step then moves it by exactly one
    page.locator("#train-pause").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "paused")
    paused_at = settled_step(page)  # the counter stopped (after the step in flight)
    expect(page.locator("#train-start")).to_have_text(re.compile("Resume"))
    shoot("train")
    page.locator("#train-step").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-step", str(paused_at + 1))
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "paused")
    # the step's snapshot has reached the page (the timeline's end moves with it in the same tick)
    expect(page.locator("#train-grid-caption")).to_contain_text(f"step {paused_at + 1:,} (live)")

    # Save offers the weights as a .safetensors download
    page.locator("#train-save").click()
    link = page.locator("#train-file a[download]")
    expect(link).to_have_attribute("download", re.compile(r"^vae_mnist5k_step\d+\.safetensors$"))

    # scrub the timeline back to the first snapshot (step 0: pure noise), then to the end again
    number = page.locator("#train-timeline input[type=number]")
    expect(number).to_be_enabled()
    number.fill("0")
    number.press("Tab")  # blur → the slider's release event
    expect(page.locator("#train-grid-caption")).to_contain_text("step 0 (from the timeline")
    last = int(page.locator("#train-timeline input[type=range]").get_attribute("max"))
    number.fill(str(last))  # one scrub to the end is enough: a tick cannot pin it back (context.Pins)
    number.press("Tab")
    expect(page.locator("#train-grid-caption")).to_contain_text("(live)")

    # Resume, then Reset discards the run
    page.locator("#train-start").click()
    expect(page.locator(COUNTER)).to_have_attribute("data-state", "running")
    page.locator("#train-reset").click()  # Reset asks first: "Really discard? Press again"
    expect(page.locator("#train-reset")).to_contain_text("Really discard")
    page.locator("#train-reset").click()
    expect(page.locator("#train-status")).to_contain_text("No run yet")


def test_how_it_works_renders_formulas_and_diagrams(page, shoot):
    # the link on the Train tab opens How it works at the VAE section
    page.locator(".learn-link a").click()
    expect(page.get_by_role("tab", name="How it works")).to_have_attribute("aria-selected", "true")
    expect(page.locator("#learn-vae")).to_be_in_viewport()
    for section in ("gan", "dcgan", "vae", "cvae", "text"):
        expect(page.locator(f"#learn-{section}-diagram svg").first).to_be_visible()
        expect(page.locator(f"#learn-{section}-text .katex").first).to_be_visible()
    expect(page.locator("#learn-gan-text")).to_contain_text("D is punished")
    page.locator("#learn-gan").scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, 0)")
    shoot("how-it-works")


def test_closing_the_page_releases_the_visitors_run(page, ui_ctx):
    sid = page.evaluate("window.__gradio_session_hash__")
    page.locator("#train-steps input").fill("3000")
    page.locator("#train-start").click()
    wait_for_step(page, 1)
    (run,) = ui_ctx.registry.runs(sid)
    page.close()  # Gradio's unload → the app releases the session's runs
    # this visitor's run only: other tests' pages close (and release) at their own pace
    wait_until(lambda: not ui_ctx.registry.runs(sid), 20, what="the closed page's run to be released")
    wait_until(lambda: not run.trainer.busy, 20, what="the released run to stop training")
