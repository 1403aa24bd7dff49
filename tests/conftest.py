"""Fixtures for every test. Shared helpers (Tiny, serve_app, wait_until, …) live in tests/helpers/; the browser
harness is tests/browser/conftest.py."""
import pytest
import torch


@pytest.fixture
def one_thread():
    """2 shared cores: one torch thread is both fast enough and fair to the other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
