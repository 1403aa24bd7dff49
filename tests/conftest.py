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
