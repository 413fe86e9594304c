"""Shared helpers for the optimizer/scheduler parity tests."""
import numpy as np

import ember
from tests.helpers import to_ember, torch


def e2t_state(value):
    """torch version of an (ember) state value; non-tensors unchanged."""
    if isinstance(value, ember.Tensor):
        return torch.from_numpy(np.array(value.detach().numpy(), copy=True))
    if isinstance(value, dict):
        return {k: e2t_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(e2t_state(v) for v in value)
    return value


def t2e_state(value):
    """ember copy of a torch state value (tensors copied, containers rebuilt)."""
    if isinstance(value, torch.Tensor):
        return to_ember(value, requires_grad=False)
    if isinstance(value, dict):
        return {k: t2e_state(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(t2e_state(v) for v in value)
    return value


def assert_state_equal(e, t, rtol=1e-10, atol=1e-12):
    """Same structure, same keys, same tensor dtypes and values, same plain values."""
    if isinstance(t, torch.Tensor):
        assert isinstance(e, ember.Tensor), f"expected a tensor, got {e!r}"
        assert str(e.dtype).split(".")[-1] == str(t.dtype).split(".")[-1]
        assert tuple(e.shape) == tuple(t.shape)
        np.testing.assert_allclose(e.detach().numpy(), t.detach().numpy(), rtol=rtol, atol=atol)
    elif isinstance(t, dict):
        assert isinstance(e, dict) and set(e) == set(t), f"keys {sorted(map(str, e))} != {sorted(map(str, t))}"
        for k in t:
            assert_state_equal(e[k], t[k], rtol, atol)
    elif isinstance(t, (list, tuple)):
        assert type(e) is type(t) and len(e) == len(t)
        for a, b in zip(e, t):
            assert_state_equal(a, b, rtol, atol)
    elif isinstance(t, float):
        assert isinstance(e, (float, int)) and np.isclose(e, t, rtol=rtol, atol=atol), (e, t)
    else:
        assert e == t, (e, t)
