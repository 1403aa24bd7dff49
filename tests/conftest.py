"""Fixtures for every test. Shared helpers (Tiny, serve_app, wait_until, …) live in tests/helpers/; the browser
harness is tests/browser/conftest.py."""
import sys

import pytest
import torch


@pytest.fixture
def one_thread():
    """2 shared cores: one torch thread is both fast enough and fair to the other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(autouse=True)
def _release_cogroup_registries():
    """After each test, stop the runs of the registries tests/helpers/cogroup.py made, even when the test failed
    half-way: a run left paused keeps its thread, and a later test counting the process's training threads (test_load)
    would fail for it (seen in one pytest -n worker)."""
    yield
    cogroup = sys.modules.get("tests.helpers.cogroup")  # not imported: nothing to release
    while cogroup is not None and cogroup.OPEN:
        cogroup.OPEN.pop().shutdown()


def pytest_terminal_summary(terminalreporter, config):
    """Print where the browser tests' screenshots are: a person checks the UI by looking at them. Here, not in
    tests/browser/conftest.py: under pytest -n the controller loads only this conftest (it collects nothing)."""
    browser = sys.modules.get("tests.browser.conftest")
    folder = config.stash.get(browser.SCREENSHOTS_KEY, None) if browser is not None else None
    if folder is None and getattr(config, "workerinput", None) is None and hasattr(config, "_tmp_path_factory"):
        shared = config._tmp_path_factory.getbasetemp() / "screenshots"  # the workers' shared folder (pytest -n)
        folder = shared if shared.is_dir() else None
    if folder is not None:
        terminalreporter.write_line(f"browser screenshots: {folder}")
