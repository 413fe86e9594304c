"""ember.backends against torch.backends: the switches scripts set (cudnn.benchmark ...) exist, start
at torch's values and behave the same; the kernels they would pick do not exist in ember."""
import pytest

import ember
import ember.backends.cudnn
from tests.helpers import needs_torch, torch

pytestmark = needs_torch

FLAGS = ("enabled", "benchmark", "deterministic", "allow_tf32", "benchmark_limit")


def test_defaults_match_a_cpu_build_of_torch():
    for name in FLAGS:
        assert getattr(ember.backends.cudnn, name) == getattr(torch.backends.cudnn, name), name
    for name in ("allow_tf32", "allow_fp16_reduced_precision_reduction", "allow_bf16_reduced_precision_reduction"):
        assert getattr(ember.backends.cuda.matmul, name) == getattr(torch.backends.cuda.matmul, name), name
    assert ember.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert ember.backends.cudnn.version() is torch.backends.cudnn.version() is None
    assert ember.backends.mps.is_available() is torch.backends.mps.is_available()
    assert ember.backends.mps.is_built() is torch.backends.mps.is_built()
    assert ember.backends.cpu.get_cpu_capability() == torch.backends.cpu.get_cpu_capability()
    assert ember.backends.cuda.is_built() is ember.cuda.is_available()
    assert isinstance(ember.backends.mkldnn.is_available(), bool) and isinstance(ember.backends.openmp.is_available(), bool)


@pytest.mark.parametrize("lib", ["ember", "torch"])
def test_setting_and_the_flags_context(lib):
    cudnn = (ember if lib == "ember" else torch).backends.cudnn
    before = {n: getattr(cudnn, n) for n in FLAGS}
    try:
        cudnn.benchmark = True
        cudnn.deterministic = True
        with cudnn.flags(enabled=False, benchmark=False, deterministic=False):
            inside = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic, cudnn.allow_tf32)
        after = (cudnn.enabled, cudnn.benchmark, cudnn.deterministic)
    finally:
        for n, v in before.items():
            setattr(cudnn, n, v)
    assert inside == (False, False, False, True)
    assert after == (before["enabled"], True, True)
