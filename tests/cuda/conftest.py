"""Every test in tests/cuda runs with the fake CuPy installed (see fake_cupy.py) and the real state (no CUDA
backend on this machine) restored after each test; with EMBER_CUDA_TESTS=real they run on the machine's GPU
through the real CuPy instead (see backend.py)."""
import pytest

from .backend import REAL
from .fake_cupy import FAKE, installed


@pytest.fixture(autouse=True)
def fake_cuda():
    if not REAL:
        with installed() as cp:
            yield cp
        return
    import ember
    if not ember.cuda.is_available():
        pytest.fail("EMBER_CUDA_TESTS=real but ember finds no CUDA device (CuPy missing or no GPU)")
    cp = ember._device._cupy()
    yield cp
    cp.cuda.runtime.deviceSynchronize()       # an asynchronous kernel error shows in the test that caused it


@pytest.fixture
def fake_state():
    return FAKE
