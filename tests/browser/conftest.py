"""Playwright harness: the real app in Debian's chromium (never skipped; a missing browser is a failure).

Fixtures (stable names — every tests/browser/test_*.py uses them):

``ui_ctx`` (session)
    The UIContext the app is built with: a RunRegistry that trains one run at a time (so a test sees the
    queue rules of a small Space) and allows at most 5,000 steps per run. Tests may inspect it, e.g.
    ``ui_ctx.registry.runs(session)``; the registry is shut down at the end of the session.
``app_url`` (session)
    Base URL ("http://127.0.0.1:PORT/") of ``build_demo(ui_ctx)`` launched with the app's own
    ``launch_kwargs()`` (theme, css, head script) on a free local port, in a background thread.
``browser`` (session)
    Chromium from /usr/bin/chromium, headless, no sandbox / GPU / background networking.
``page`` (function)
    A fresh browser context (its own Gradio session) at 1400×1000 with the app loaded (tabs visible).
    Closing it at teardown fires Gradio's unload, which releases the session's runs.
``shoot`` (function)
    ``shoot("train")`` saves the page's viewport as docs/screenshots/train.png (the README uses them).

Use retrying assertions (``expect(locator).to_have_…``) rather than sleeps; components have elem_ids
(``#train-start``, ``#train-step-count``, …) — see genai_demo/ui/*_tab.py.
"""
from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from genai_demo.training.runs import RunRegistry
from genai_demo.ui.app import build_demo, launch_kwargs
from genai_demo.ui.context import UIContext

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def ui_ctx():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000))
    yield ctx
    ctx.registry.shutdown()


@pytest.fixture(scope="session")
def app_url(ui_ctx):
    demo = build_demo(ui_ctx)
    port = free_port()
    demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs())
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium — run "
                    "`sudo apt-get install chromium` (scripts/test.sh does it)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport=VIEWPORT)
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    pg.goto(app_url)
    pg.locator("#main-tabs").wait_for(state="visible")
    yield pg
    context.close()


@pytest.fixture
def shoot(page):
    def save(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return save
