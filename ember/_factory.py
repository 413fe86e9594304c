"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty(+_like), arange, linspace ..."""
import builtins
import numbers

import numpy as _np

from . import _dtypes
from ._device import CPU, resolve, device_of_array
from ._tensor import Tensor

_wrap = Tensor._wrap
_default_device = [CPU]


def _dev(device):
    return _default_device[0] if device is None else resolve(device)


def _finish(t, requires_grad):
    if requires_grad:
        t.requires_grad = True
    return t


def _infer_dtype(data):
    """The dtype PyTorch infers for nested Python data: bool < int64 < default float < complex."""
    kind = 0
    stack = [data]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, Tensor):
            d = v.dtype
            kind = builtins.max(kind, {0: 0, 1: 1, 2: 2, 3: 3}[d._cat])
            if d._cat >= 2:
                return None    # let the tensors' own dtype decide below
        elif isinstance(v, builtins.bool) or isinstance(v, _np.bool_):
            pass
        elif isinstance(v, numbers.Integral):
            kind = builtins.max(kind, 1)
        elif isinstance(v, numbers.Real):
            kind = builtins.max(kind, 2)
        elif isinstance(v, numbers.Complex):
            kind = 3
        else:
            raise TypeError(f"Could not infer dtype of {type(v).__name__}")
    return (_dtypes.bool, _dtypes.int64, _dtypes.get_default_dtype(),
            _dtypes.complex64 if _dtypes.get_default_dtype() is _dtypes.float32 else _dtypes.complex128)[kind]


def _to_array(data, dtype, xp):
    """Backend array for `data` (copied), in `dtype` or the dtype PyTorch would infer."""
    if isinstance(data, Tensor):
        a = data._data
        if dtype is None:
            dtype = data.dtype
        return xp.array(a if xp is _np else a, dtype=dtype.np, copy=True) if xp is _np or True else None
    if isinstance(data, _np.ndarray) or (hasattr(data, "__array__") and not isinstance(data, (list, tuple))):
        a = _np.asarray(data) if not hasattr(data, "__cuda_array_interface__") else data
        if dtype is None:
            dtype = _dtypes.from_np(a.dtype)
        return xp.array(a, dtype=dtype.np, copy=True)
    if isinstance(data, _np.generic):
        data = data.item()
    if dtype is None:
        dtype = _infer_dtype(data)
    if dtype is None:   # nested list holding float tensors
        dtype = _dtypes.get_default_dtype()
        if isinstance(data, (list, tuple)):
            flat = [x for x in _flatten_tensors(data)]
            for x in flat:
                dtype = _dtypes.promote_types(dtype, x.dtype) if x.dtype._cat >= 2 else dtype
    try:
        a = _np.array(_untensor(data), dtype=dtype.np if dtype is not _dtypes.bfloat16 else _np.float32)
    except ValueError as e:
        if "inhomogeneous" in str(e) or "sequence" in str(e):
            raise ValueError(f"expected sequence of length mismatch: {e}") from None
        raise
    if dtype is _dtypes.bfloat16:
        a = a.astype(dtype.np)
    return a if xp is _np else xp.asarray(a)


def _flatten_tensors(data):
    for v in data:
        if isinstance(v, (list, tuple)):
            yield from _flatten_tensors(v)
        elif isinstance(v, Tensor):
            yield v


def _untensor(data):
    if isinstance(data, Tensor):
        if data._data.ndim:
            return [_untensor(x) for x in data._data.tolist()] if False else data._device.backend.asnumpy(data._data).tolist()
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_untensor(v) for v in data]
    return data


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays, tensors)."""
    if isinstance(data, Tensor):
        import warnings
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or "
            "sourceTensor.clone().detach().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2)
    dev = _dev(device) if device is not None or not isinstance(data, Tensor) else data._device
    a = _to_array(data, dtype, dev.xp)
    return _finish(_wrap(a, dev), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor() but shares memory with a NumPy array or tensor when dtype and device allow."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype or device) else data
    if isinstance(data, _np.ndarray):
        dev = _dev(device)
        if dev is CPU and (dtype is None or dtype.np == data.dtype):
            return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (writes show in both)."""
    if not isinstance(ndarray, _np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    _dtypes.from_np(ndarray.dtype)
    if ndarray.dtype.byteorder == ">":
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return _wrap(ndarray, CPU)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    a = _np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    return _finish(_wrap(a, CPU), requires_grad)


def _size(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    if len(size) == 1 and hasattr(size[0], "__iter__") and not isinstance(size[0], Tensor):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = int(s)
        if not isinstance(s, (int, _np.integer)) or isinstance(s, builtins.bool):
            raise TypeError(f"empty(): argument 'size' must be tuple of ints, but found element of type "
                            f"{type(s).__name__} at pos {len(out)}")
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {list(size)}")
        out.append(int(s))
    return tuple(out)


def _filled(kind, size, fill, dtype, device, requires_grad):
    dev = _dev(device)
    d = dtype if dtype is not None else _dtypes.get_default_dtype()
    xp = dev.xp
    if kind == 0:
        a = xp.zeros(size, dtype=d.np)
    elif kind == 1:
        a = xp.ones(size, dtype=d.np)
    elif kind == 2:
        a = xp.empty(size, dtype=d.np)
    else:
        a = xp.full(size, fill, dtype=d.np)
    return _finish(_wrap(a, dev), requires_grad)


def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(0, _size(size), None, dtype, device, requires_grad)


def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False):
    return _filled(1, _size(size), None, dtype, device, requires_grad)


def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None):
    return _filled(2, _size(size), None, dtype, device, requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = _infer_dtype(fill_value)
    return _filled(3, _size((size,)), fill_value, dtype, device, requires_grad)


def _like(input, dtype, device):
    return (input.dtype if dtype is None else dtype), (input._device if device is None else device)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(0, input._data.shape, None, d, dev, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(1, input._data.shape, None, d, dev, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(2, input._data.shape, None, d, dev, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    d, dev = _like(input, dtype, device)
    return _filled(3, input._data.shape, fill_value, d, dev, requires_grad)


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and larger bound inconsistent with step sign")
    if dtype is None:
        dtype = _dtypes.int64 if all(isinstance(v, (int, _np.integer)) for v in vals) else _dtypes.get_default_dtype()
    dev = _dev(device)
    import math
    n = builtins.max(0, math.ceil((end - start) / step))
    if dtype.is_floating_point:
        a = (start + step * _np.arange(n, dtype=_np.float64)).astype(dtype.np)
    else:
        a = _np.arange(start, start + n * step, step)[:n].astype(dtype.np)
    if dev is not CPU:
        a = dev.xp.asarray(a)
    return _finish(_wrap(a, dev), requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    import warnings
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in [start, end).",
                  UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    n = int((end - start) // step) + 1
    d = dtype or _dtypes.get_default_dtype()
    a = (start + step * _np.arange(n, dtype=_np.float64)).astype(d.np)
    return _finish(_wrap(_dev(device).xp.asarray(a), _dev(device)), requires_grad)


def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    d = dtype or _dtypes.get_default_dtype()
    start = start.item() if isinstance(start, Tensor) else start
    end = end.item() if isinstance(end, Tensor) else end
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    # PyTorch computes the two halves from each end for symmetry
    idx = _np.arange(steps, dtype=_np.float64)
    step = (end - start) / (steps - 1) if steps > 1 else 0.0
    half = steps // 2
    a = _np.where(idx < half, start + step * idx, end - step * (steps - 1 - idx))
    if d.is_floating_point:
        a = a.astype(d.np)
    else:
        a = a.astype(d.np) if False else _np.trunc(a).astype(d.np)
    dev = _dev(device)
    return _finish(_wrap(dev.xp.asarray(a), dev), requires_grad)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    d = dtype or _dtypes.get_default_dtype()
    lin = linspace(start, end, steps, dtype=_dtypes.float64)._data
    a = _np.power(base, lin).astype(d.np)
    dev = _dev(device)
    return _finish(_wrap(dev.xp.asarray(a), dev), requires_grad)


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    d = dtype or _dtypes.get_default_dtype()
    dev = _dev(device)
    return _finish(_wrap(dev.xp.eye(n, n if m is None else m, dtype=d.np), dev), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    d = dtype or _dtypes.get_default_dtype()
    dev = _dev(device)
    return _finish(_wrap(dev.xp.asarray(s, dtype=d.np), dev), requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    return empty(size, dtype=dtype, device=device, requires_grad=requires_grad)


def legacy_new(cls, dtype, args, device):
    """Tensor(...) / FloatTensor(...): sizes -> uninitialised, sequence/array -> copy in `dtype`."""
    if not args:
        t = _wrap(_dev(device).xp.empty((0,), dtype=dtype.np), _dev(device))
    elif len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if src.dtype is not dtype:
            raise TypeError(f"expected {dtype._legacy} (got {src.dtype._legacy})")
        t = _wrap(src._data, src._device)
        t._base = src
        t._vc = src._shared_vc()
    elif all(isinstance(a, (int, _np.integer)) and not isinstance(a, builtins.bool) for a in args) or \
            (len(args) == 1 and type(args[0]).__name__ == "Size"):
        size = _size(args)
        dev = _dev(device)
        t = _wrap(dev.xp.zeros(size, dtype=dtype.np), dev)
    elif len(args) == 1:
        data = args[0]
        if isinstance(data, (int, float)) and not isinstance(data, builtins.bool):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        t = _wrap(_to_array(data, dtype, _dev(device).xp), _dev(device))
    else:
        raise TypeError(f"new() received an invalid combination of arguments")
    if cls is not Tensor:
        t2 = object.__new__(cls)
        t2.__dict__.update(t.__dict__)
        t = t2
    return t


def _legacy_type(name, dtype):
    """FloatTensor & co.: constructors that are also isinstance() checks on the dtype."""
    class _Meta(type):
        def __instancecheck__(cls, obj):
            return isinstance(obj, Tensor) and obj.dtype is dtype

        def __call__(cls, *args, device=None):
            return legacy_new(Tensor, dtype, args, device)

    return _Meta(name, (), {"_legacy_dtype": dtype, "dtype": dtype})


FloatTensor = _legacy_type("FloatTensor", _dtypes.float32)
DoubleTensor = _legacy_type("DoubleTensor", _dtypes.float64)
HalfTensor = _legacy_type("HalfTensor", _dtypes.float16)
BFloat16Tensor = _legacy_type("BFloat16Tensor", _dtypes.bfloat16)
LongTensor = _legacy_type("LongTensor", _dtypes.int64)
IntTensor = _legacy_type("IntTensor", _dtypes.int32)
ShortTensor = _legacy_type("ShortTensor", _dtypes.int16)
CharTensor = _legacy_type("CharTensor", _dtypes.int8)
ByteTensor = _legacy_type("ByteTensor", _dtypes.uint8)
BoolTensor = _legacy_type("BoolTensor", _dtypes.bool)
