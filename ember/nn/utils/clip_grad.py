"""Gradient clipping by total norm or by value (in place on `.grad`)."""
import math

import numpy as np

from ..._device import CPU
from ..._tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm", "clip_grads_with_norm_"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _host(t):
    a = t._device.backend.asnumpy(t._data)
    return a.astype(np.float64) if a.dtype.kind in "fV" else a


def _norm(values, p):
    if p == math.inf:
        return max((float(np.abs(v).max()) if v.size else 0.0) for v in values)
    if p == -math.inf:
        return min((float(np.abs(v).min()) if v.size else math.inf) for v in values)
    if p == 0:
        return float(sum(np.count_nonzero(v) for v in values))
    return float(sum(float((np.abs(v) ** p).sum()) for v in values)) ** (1.0 / p)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the norms of `tensors` (as if they were concatenated into one vector)."""
    from ... import tensor
    tensors = [t for t in _as_list(tensors) if t is not None]
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    total = _norm([_host(t) for t in tensors], norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`")
    return tensor(total, dtype=tensors[0].dtype, device=tensors[0].device)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales every gradient by min(1, max_norm / (total_norm + 1e-6))."""
    grads = [p._grad for p in _as_list(parameters) if p._grad is not None]
    if not grads:
        return
    coef = min(float(max_norm) / (float(total_norm) + 1e-6), 1.0)
    for g in grads:
        _scale_(g, coef)


def _scale_(g, coef):
    """g *= coef in place, on g's device."""
    dev = g._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_scale_, g, coef)
    a = g._data
    a[...] = (a * np.asarray(coef, dtype=np.float64)).astype(a.dtype) if a.dtype.kind == "V" else a * a.dtype.type(coef)
    g._bump()


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Clips the gradients' total norm to `max_norm` in place; returns the total norm before clipping."""
    parameters = _as_list(parameters)
    grads = [p._grad for p in parameters if p._grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite, foreach)
    clip_grads_with_norm_(parameters, max_norm, total.item(), foreach)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    import warnings
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient element to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        g = p._grad
        if g is not None:
            _clip_(g, clip_value)


def _clip_(g, clip_value):
    """g clamped to [-clip_value, clip_value] in place, on g's device."""
    dev = g._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_clip_, g, clip_value)
    g._data[...] = dev.xp.clip(g._data, -clip_value, clip_value)
    g._bump()
