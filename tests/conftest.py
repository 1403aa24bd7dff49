import os
import sys

import pytest
import torch

# Tests import each other's tiny fixtures (test_trainer.Tiny) as plain modules.
sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture
def one_thread():
    """2 shared cores: one torch thread is both fast enough and fair to the other processes."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

