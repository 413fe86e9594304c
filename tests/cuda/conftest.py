"""Every test in tests/cuda runs with the fake CuPy installed (see fake_cupy.py); the real state
(no CUDA backend on this machine) is restored after each test."""
import pytest

from .fake_cupy import FAKE, installed


@pytest.fixture(autouse=True)
def fake_cuda():
    with installed() as cp:
        yield cp


@pytest.fixture
def fake_state():
    return FAKE
