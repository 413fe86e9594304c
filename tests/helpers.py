"""Shared test helpers: torch as the oracle, conversions, comparisons."""
import numpy as np
import pytest

import ember

try:
    import torch
except ImportError:   # parity tests skip cleanly without the oracle
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the parity oracle) is not installed")


def to_torch(t, requires_grad=None):
    """A torch tensor with the same values/dtype as an ember tensor (or NumPy array)."""
    a = t.detach().numpy() if isinstance(t, ember.Tensor) else np.asarray(t)
    if a.dtype == ember.bfloat16.np:
        out = torch.from_numpy(a.astype(np.float32).copy()).to(torch.bfloat16)
    else:
        out = torch.from_numpy(np.array(a, copy=True))
    rg = t.requires_grad if requires_grad is None and isinstance(t, ember.Tensor) else bool(requires_grad)
    return out.requires_grad_(rg)


def to_ember(t, requires_grad=None):
    a = t.detach()
    if a.dtype == torch.bfloat16:
        arr = a.float().numpy().astype(ember.bfloat16.np)
    else:
        arr = a.numpy().copy()
    out = ember.from_numpy(arr)
    rg = t.requires_grad if requires_grad is None else requires_grad
    return out.requires_grad_(rg) if rg else out


def dtype_name(d):
    return str(d).split(".")[-1]


def assert_same(e, t, rtol=1e-5, atol=1e-6, check_dtype=True):
    """ember tensor e equals torch tensor t: shape, dtype (by name) and values."""
    assert isinstance(e, ember.Tensor), f"expected an ember.Tensor, got {type(e)}"
    assert tuple(e.shape) == tuple(t.shape), f"shape {tuple(e.shape)} != torch {tuple(t.shape)}"
    if check_dtype:
        assert dtype_name(e.dtype) == dtype_name(t.dtype), f"dtype {e.dtype} != torch {t.dtype}"
    ea = e.detach().numpy()
    ta = t.detach().float().numpy() if t.dtype == torch.bfloat16 else t.detach().numpy()
    if ea.dtype == ember.bfloat16.np:
        ea = ea.astype(np.float32)
    if ea.dtype.kind in "fc":
        np.testing.assert_allclose(ea, ta, rtol=rtol, atol=atol, equal_nan=True)
    else:
        np.testing.assert_array_equal(ea, ta)
