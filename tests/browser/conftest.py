"""Playwright harness: the real app in Debian's chromium (never skipped; a missing browser is a failure).

Fixtures (stable names — every tests/browser/test_*.py uses them):

``ui_ctx`` (session)
    The UIContext the app is built with: a RunRegistry that trains one run at a time (so a test sees the
    queue rules of a small Space) and allows at most 5,000 steps per run. Tests may inspect it, e.g.
    ``ui_ctx.registry.runs(session)``; the registry is shut down at the end of the session.
``app_url`` (session)
    Base URL ("http://127.0.0.1:PORT/") of ``build_demo(ui_ctx)`` launched with the app's own
    ``launch_kwargs()`` (theme, css, head script) on a free local port, in a background thread
    (``tests.helpers.serve_app``).
``browser`` (session)
    Chromium from /usr/bin/chromium, headless, no sandbox / GPU / background networking.
``page`` (function)
    A fresh page (its own Gradio session: its own session hash) at 1400×1000 with the app loaded (tabs visible),
    opened at the link of the test's ``@pytest.mark.link("?lang=zh")`` when it has one (one page load, not two).
    Closing it at teardown fires Gradio's unload, which releases the session's runs.
``open_page`` (function)
    ``open_page(url, **context_options)``: another such page, on any launched app (a second visitor, an app built
    with other settings). Pages without options share the worker's one browser context (``shared_context``), so the
    app's ~1.7 MB of scripts are compiled once per worker, not once per test (measured here: 4.8 s of chromium CPU
    per page open in a fresh context, 1.2 s in a warm one — the suite is CPU-bound on 2 cores); the app keeps no
    cookies or storage, so a page is as fresh a visitor as a new context. Options (a locale, a phone) get a context
    of their own. All are closed at teardown. ``page`` is ``open_page(app_url + link)``.
``shoot`` (function)
    ``shoot("train")`` saves the page's viewport as train.png in ``screenshot_dir`` (session): pytest's temp folder
    (its path is printed at the end of the run), or the folder named by $GENAI_DEMO_SCREENSHOTS —
    ``scripts/screenshots.sh`` sets it to docs/screenshots to refresh the README's pictures. A plain run never
    writes into the checkout.

Use retrying assertions (``expect(locator).to_have_…``) rather than sleeps; components have elem_ids
(``#train-start``, ``#train-step-count``, …) — see genai_demo/ui/*_tab.py.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from genai_demo.training.runs import RunRegistry
from genai_demo.ui.context import UIContext
from tests.helpers import serve_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 1000}
PATIENCE_MS = 20_000  # default timeout of page actions and expect() assertions
# a page's first render: the whole app's config and ~4,000 nodes, ~2 s of a free core here; with three test workers
# on two busy cores one took over 20 s once (a slow machine is not a failed page)
FIRST_RENDER_MS = 60_000
SCREENSHOTS_ENV = "GENAI_DEMO_SCREENSHOTS"  # where shoot() writes when set; otherwise a temp folder
SCREENSHOTS_KEY = pytest.StashKey[Path]()  # the folder, for the line tests/conftest.py prints at the end


def picture_step(docs: int, test: int) -> int:
    """The step a flow trains to before its screenshot: the README's pictures (scripts/screenshots.sh sets
    $GENAI_DEMO_SCREENSHOTS) need a model trained far enough to look like something (`docs`); a test run checks the
    same flow on a few snapshots (`test`) — the suite is CPU-bound, and each step here is a step of a real model."""
    return docs if os.environ.get(SCREENSHOTS_ENV) else test


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def ui_ctx():
    ctx = UIContext(registry=RunRegistry(max_running=1, max_steps=5000))
    yield ctx
    ctx.registry.shutdown()
    ctx.toys.shutdown()


@pytest.fixture(scope="session")
def app_url(ui_ctx):
    with serve_app(ctx=ui_ctx) as (url, _):
        yield url


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the browser tests need Debian's chromium — run "
                    "`sudo apt-get install chromium` (scripts/test.sh does it)", pytrace=False)
    from playwright.sync_api import expect, sync_playwright

    # expect()'s own default is 5 s, the page's is 20 s (below): with both cores busy a first render of a tab can
    # take longer than 5 s, so a retrying assertion gets the page's patience unless a test asks for more
    expect.set_options(timeout=PATIENCE_MS)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def shared_context(browser):
    context = browser.new_context(viewport=VIEWPORT)
    yield context
    context.close()


@pytest.fixture
def open_page(browser, shared_context):
    pages, contexts = [], []

    def open_(url: str, **options):
        if options:
            contexts.append(browser.new_context(**{"viewport": VIEWPORT, **options}))
        pg = (contexts[-1] if options else shared_context).new_page()
        pages.append(pg)
        pg.set_default_timeout(PATIENCE_MS)
        pg.goto(url)
        pg.locator("#main-tabs").wait_for(state="visible", timeout=FIRST_RENDER_MS)
        return pg

    yield open_
    for pg in pages:
        pg.close()
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page, app_url, request):
    link = request.node.get_closest_marker("link")
    return open_page(app_url + (link.args[0] if link else ""))


@pytest.fixture(scope="session")
def screenshot_dir(request, tmp_path_factory) -> Path:
    wanted = os.environ.get(SCREENSHOTS_ENV)
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):  # pytest -n: a worker's temp is <run's temp>/popen-gwN; share the run's
        base = base.parent
    folder = Path(wanted).resolve() if wanted else base / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    request.config.stash[SCREENSHOTS_KEY] = folder
    return folder


@pytest.fixture
def shoot(page, screenshot_dir):
    def save(name: str) -> Path:
        path = screenshot_dir / f"{name}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 1000, path  # a real picture of the page, not an empty file
        return path

    return save
