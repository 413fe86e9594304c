"""Tensor printing in PyTorch's format (placeholder body: the printing helper completes it)."""
import numpy as _np


def tensor_repr(t):
    a = t._device.backend.asnumpy(t._data)
    body = _np.array2string(a.astype(_np.float64) if a.dtype.kind == "V" else a, separator=", ", prefix="tensor(")
    suffix = []
    if t.grad_fn is not None:
        suffix.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t._rg:
        suffix.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + s for s in suffix) + ")"
