"""save/load in PyTorch's file format (the serialization helper completes this module)."""
import numpy as _np


def _rebuild_tensor(array, requires_grad, is_param):
    from ._tensor import Tensor
    t = Tensor._wrap(array, __import__("ember")._device.CPU)
    if is_param:
        from .nn.parameter import Parameter
        return Parameter(t, requires_grad)
    t._rg = requires_grad
    return t


def _reduce_tensor(t):
    """Plain pickling (copy.deepcopy of modules, multiprocessing): array + flags."""
    arr = _np.ascontiguousarray(t._device.backend.asnumpy(t._data))
    return (_rebuild_tensor, (arr, t._rg, t._is_param))
