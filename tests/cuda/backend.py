"""Which CuPy the tests in tests/cuda run on: the fake one (tests/cuda/fake_cupy.py; the default, and
all CI has) or a real GPU's, with `EMBER_CUDA_TESTS=real` on a machine with CuPy and an NVIDIA GPU."""
import os

import pytest

import ember

REAL = os.environ.get("EMBER_CUDA_TESTS") == "real"

# tests that read the fake's own records (pinned allocations, seeds, synchronize calls) or need two devices
fake_only = pytest.mark.skipif(REAL, reason="checks the fake CuPy itself (EMBER_CUDA_TESTS=real)")
real_only = pytest.mark.skipif(not REAL, reason="needs a real GPU: run with EMBER_CUDA_TESTS=real")


def array_type():
    """The ndarray type of the CuPy ember is using now (real or fake)."""
    return ember._device._cupy().ndarray
