"""Sample quality in a real browser: the GAN studio's "Judge these samples" and the Train tab's readout card.

Uses the harness in conftest.py (app_url, page, shoot) and the shipped checkpoints and classifiers.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from genai_demo.training.zoo import checkpoint_dir

NEEDED = ("gan_mnist5k", "classifier_mnist5k")


@pytest.fixture(autouse=True)
def shipped_checkpoints():
    missing = [s for s in NEEDED if not (checkpoint_dir() / f"{s}.safetensors").is_file()]
    if missing:
        pytest.fail(f"shipped checkpoints missing in {checkpoint_dir()}: {', '.join(missing)}", pytrace=False)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()
    expect(page.get_by_role("tab", name=name)).to_have_attribute("aria-selected", "true")


def hide_toasts(page) -> None:
    """Keep other handlers' toasts out of the README picture (e.g. the walk's GIF clean-up, which can race another
    request deleting the same old file — reported, not ours); this test's own checks have all passed by now."""
    page.add_style_tag(content=".toast-wrap { display: none !important; }")


def test_gan_studio_judges_the_shown_samples(page, shoot):
    open_tab(page, "GAN studio")
    expect(page.locator("#gan-grid img").first).to_have_attribute("src", re.compile(r"\S"))  # samples shown
    expect(page.locator("#gan-judge-box")).to_be_hidden()  # nothing judged yet
    page.locator("#gan-judge").click()
    table = page.locator("#gan-judge-table table")
    expect(table).to_be_visible(timeout=60_000)
    expect(table).to_contain_text("classifier confidence")
    expect(table).to_contain_text("classes covered")
    expect(table).to_contain_text("Fréchet distance")
    expect(page.locator("#gan-judge-table")).to_contain_text("500 samples (seed 0)")
    expect(page.locator("#gan-judge-hist .quality-hist")).to_be_visible()
    expect(page.locator("#gan-judge-pairs img").first).to_have_attribute("src", re.compile(r"\S"))
    page.locator("#gan-judge-box").scroll_into_view_if_needed()
    page.wait_for_timeout(600)  # the smooth scroll settles
    hide_toasts(page)
    shoot("gan-judge")


def test_train_tab_readout_measures_a_running_gan(page, shoot):
    open_tab(page, "Train")
    expect(page.locator("#train-quality")).to_contain_text("Start an image run")
    page.locator("#train-model").get_by_text("GAN", exact=True).click()
    expect(page.locator("#train-dsteps")).to_be_visible()  # the model's defaults are in: they no longer overwrite ours
    page.locator("#train-steps input").fill("200")
    page.locator("#train-steps input").press("Enter")
    page.locator("#train-start").click()
    expect(page.locator("#train-step-count .step-counter")).to_have_attribute("data-total", "200")
    page.locator("#train-quality-now").click()  # no need to wait for the 6 s timer
    card = page.locator("#train-quality .quality-card[data-step]")
    expect(card).to_be_visible(timeout=30_000)
    for text in ("classifier confidence", "classes covered", "Fréchet distance", "measured at step"):
        expect(card).to_contain_text(text)
    expect(page.locator("#train-quality .quality-hist")).to_be_visible()
    expect(page.locator("#train-step-count .step-counter")).to_have_attribute("data-state", "finished", timeout=60_000)
    expect(card).to_have_attribute("data-step", "200", timeout=20_000)  # the timer's next tick (every 6 s) measures it
    page.locator("#train-quality").scroll_into_view_if_needed()
    hide_toasts(page)
    shoot("train-quality")
