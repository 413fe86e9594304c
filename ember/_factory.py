"""Tensor creation: tensor, as_tensor, from_numpy, zeros/ones/full/empty(+_like), arange, linspace ..."""
import builtins
import math
import operator
import warnings
from collections.abc import Sequence

import numpy as _np

from . import _dtypes
from ._device import CPU, resolve, transfer
from ._tensor import Tensor
from .autograd.grad_mode import _enabled as _grad_enabled


# ---- out= and pin_memory= of the factories ---------------------------------------------------
_NO_PINNING = ("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator is "
               "available on this system.")


def factory_kwargs(fn):
    """Give factory `fn` torch's out= and pin_memory= semantics. out: the result is written into
    `out` (resized to the result's shape) and `out` is returned; dtype defaults to out's, and a
    different explicit dtype is an error. pin_memory=True: the result in page-locked memory (CUDA
    backend), an error without an accelerator."""
    import functools
    import inspect
    name = fn.__name__.rstrip("_")
    params = inspect.signature(fn).parameters
    takes_dtype, takes_device = "dtype" in params, "device" in params

    @functools.wraps(fn)
    def wrapper(*args, out=None, **kw):
        if kw.get("pin_memory"):
            from .cuda import is_available
            if not is_available():
                raise RuntimeError(_NO_PINNING)
            del kw["pin_memory"]
            return wrapper(*args, out=out, **kw).pin_memory()
        if "pin_memory" in kw and "pin_memory" not in params:
            del kw["pin_memory"]            # pin_memory=False: accepted by every factory, as in torch
        if out is None:
            return fn(*args, **kw)
        if takes_dtype:
            dtype = kw.get("dtype")
            if dtype is None:
                kw["dtype"] = out.dtype
            elif dtype is not out.dtype:
                from ._ops._registry import _torch_name
                raise RuntimeError(f"dtype {_torch_name(dtype)} does not match dtype of out parameter "
                                   f"({_torch_name(out.dtype)})")
        if out._rg and _grad_enabled[0]:
            raise RuntimeError(f"aten::{name}(): functions with out=... arguments don't support automatic "
                               "differentiation, but one of the arguments requires grad.")
        if takes_device:
            kw.setdefault("device", out.device)
        out._device.call(_write_out, fn(*args, **kw), out)
        out._bump()
        return out
    return wrapper


def _write_out(r, out):
    """out <- factory result r (out resized to r's shape), on out's device."""
    a = r._data if r._data.dtype == out._data.dtype else r._data.astype(out._data.dtype)
    if out._data.shape != a.shape:
        out._data = out._device.xp.empty(a.shape, dtype=out._data.dtype)
    out._data[...] = a


_wrap = Tensor._wrap
_default_device = [CPU]
_PY_SCALARS = frozenset((builtins.bool, builtins.int, builtins.float, builtins.complex))


def _dev(device):
    return _default_device[0] if device is None else resolve(device)


def _finish(t, requires_grad):
    if requires_grad:
        if t.dtype._cat < 2:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require gradients")
        t.requires_grad = True
    return t


def _default_complex():
    return _dtypes.complex128 if _dtypes.get_default_dtype() is _dtypes.float64 else _dtypes.complex64


# ---- nested Python data -> array -----------------------------------------------------------------
def _is_seq(v):
    return isinstance(v, (list, tuple, range, _np.ndarray)) or \
        (isinstance(v, Sequence) and not isinstance(v, (str, bytes, Tensor)))


def _scalar_dtype(v):
    """dtype PyTorch infers for one leaf value (None: not a scalar)."""
    if isinstance(v, (_np.generic, _np.ndarray)):   # before the Python types: np.float64 is a float
        return _dtypes.from_np(v.dtype)
    if isinstance(v, builtins.bool):
        return _dtypes.bool
    if isinstance(v, builtins.int):
        return _dtypes.int64
    if isinstance(v, builtins.float):
        return _dtypes.get_default_dtype()
    if isinstance(v, builtins.complex):
        return _default_complex()
    if isinstance(v, Tensor):
        return v.dtype
    return None


def _infer_dtype(data):
    """The dtype torch.tensor(data) gets: leaves' dtypes promoted; empty sequences count as float."""
    d = _scalar_dtype(data)
    if d is not None:
        return d
    if isinstance(data, str):
        raise TypeError("new(): invalid data type 'str'")
    if not _is_seq(data):
        raise RuntimeError(f"Could not infer dtype of {type(data).__name__}")
    if not len(data):
        return _dtypes.get_default_dtype()
    kinds = set(map(type, data))
    if kinds <= {builtins.int}:
        return _dtypes.int64
    if kinds <= {builtins.int, builtins.float}:
        return _dtypes.get_default_dtype()
    d = None
    for v in data:
        dv = _infer_dtype(v)
        d = dv if d is None else _dtypes.promote_types(d, dv)
    return d


def _shape_of(data):
    """Sizes found by following the first element down (PyTorch checks the rest while filling)."""
    shape = []
    while _is_seq(data):
        if isinstance(data, _np.ndarray):
            return shape + list(data.shape)
        shape.append(len(data))
        if not len(data):
            break
        data = data[0]
    return shape


def _gather(v, shape, dim, out, leaf_error):
    if dim == len(shape):
        if _is_seq(v):
            raise TypeError(leaf_error(v))
        if isinstance(v, Tensor):
            if v.numel() != 1:
                raise ValueError("only one element tensors can be converted to Python scalars")
            v = v.item()
        out.append(v)
        return
    if not _is_seq(v):
        raise TypeError("not a sequence")
    if len(v) != shape[dim]:
        raise ValueError(f"expected sequence of length {shape[dim]} at dim {dim} (got {len(v)})")
    if isinstance(v, _np.ndarray) and list(v.shape) == shape[dim:]:
        out.extend(v.ravel().tolist())
    elif dim == len(shape) - 1 and set(map(type, v)) <= _PY_SCALARS:
        out.extend(v)
    else:
        for x in v:
            _gather(x, shape, dim + 1, out, leaf_error)


def _check_range(a, dtype):
    """PyTorch refuses Python values that overflow an integer target (unsigned ones may wrap from negatives)."""
    if a.dtype.kind == "c" and dtype._cat < 3:
        raise TypeError("must be real number, not complex")
    if dtype._cat != 1 or a.dtype.kind not in "iuf" or not a.size:
        return
    info = _np.iinfo(dtype.np)
    lo = -builtins.int(info.max) if info.min == 0 else builtins.int(info.min)
    bad = not _np.isfinite(a).all() if a.dtype.kind == "f" else False
    if bad or a.max() > info.max or a.min() < lo:
        raise RuntimeError(f"value cannot be converted to type {dtype.name} without overflow")


def _from_python(data, dtype):
    """NumPy array for nested Python data, with PyTorch's shape/type checks and conversions."""
    natural = _infer_dtype(data)
    target = natural if dtype is None else dtype
    shape = _shape_of(data)
    if target._cat >= 2:
        def leaf_error(v):
            return f"must be real number, not {type(v).__name__}"
    else:
        def leaf_error(v):
            return f"'{type(v).__name__}' object cannot be interpreted as an integer"
    flat = []
    _gather(data, shape, 0, flat, leaf_error)
    build = natural.np if natural._cat != 2 else _np.float64   # Python floats round once, to the target
    try:
        a = _np.array(flat, dtype=build).reshape(shape)
    except OverflowError:
        raise ValueError("Overflow when unpacking long long") from None
    if target is not natural or a.dtype != target.np:
        _check_range(a, target)
        with _np.errstate(all="ignore"):
            a = a.astype(target.np)
    return a


def _native(a):
    return a if a.dtype.isnative else a.astype(a.dtype.newbyteorder("="))


def _to_array(data, dtype, dev):
    """A new array of device `dev` holding `data`, in `dtype` or the dtype PyTorch infers."""
    if dev is not CPU and dev.needs_switch():
        return dev.call(_to_array, data, dtype, dev)
    xp = dev.xp
    if isinstance(data, Tensor):
        a = data._data
        if xp is not data._device.xp:
            a = data._device.backend.asnumpy(a)
        return xp.array(a, dtype=None if dtype is None else dtype.np, copy=True)
    if isinstance(data, _np.ndarray):
        a = _native(data)
        d = _dtypes.from_np(a.dtype) if dtype is None else dtype
        return xp.array(a, dtype=d.np, copy=True)
    a = _from_python(data, dtype)
    return a if xp is _np else xp.asarray(a)


@factory_kwargs
def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data` (nested lists, numbers, arrays, tensors)."""
    if isinstance(data, Tensor):
        warnings.warn(
            "To copy construct from a tensor, it is recommended to use sourceTensor.clone().detach() or "
            "sourceTensor.clone().detach().requires_grad_(True), rather than torch.tensor(sourceTensor).",
            UserWarning, stacklevel=2)
        dev = data._device if device is None else resolve(device)
    else:
        dev = _dev(device)
    return _finish(_wrap(_to_array(data, dtype, dev), dev), requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like tensor(), but shares memory with a NumPy array or tensor when dtype and device allow."""
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device) if (dtype is not None or device is not None) else data
    if isinstance(data, _np.ndarray) and _dev(device) is CPU and data.dtype.isnative and \
            (dtype is None or dtype.np == data.dtype):
        return from_numpy(data)
    dev = _dev(device)
    return _wrap(_to_array(data, dtype, dev), dev)


asarray = as_tensor


def from_numpy(ndarray):
    """A tensor sharing memory with `ndarray` (writes show in both)."""
    if not isinstance(ndarray, _np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    if not ndarray.dtype.isnative:
        raise ValueError("given numpy array has byte order different from the native byte order. "
                         "Conversion between byte orders is currently not supported.")
    ndarray = _dtypes.with_canonical_dtype(ndarray)     # also refuses unsupported dtypes
    if any(s < 0 for s in ndarray.strides):
        raise ValueError("At least one stride in the given numpy array is negative, and tensors with negative "
                         "strides are not currently supported. (You can probably work around this by making a "
                         "copy of your array  with array.copy().) ")
    return _wrap(ndarray, CPU)


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    a = _np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    return _finish(_wrap(a, CPU), requires_grad)


# ---- sizes ----------------------------------------------------------------------------------------
def _as_int(v):
    """v as a Python int if it is an integer (not bool), else None."""
    if isinstance(v, builtins.bool):
        return None
    try:
        return operator.index(v)
    except TypeError:
        return None


def _size(args, fn="empty", pos=1):
    """A shape from `f(2, 3)` / `f((2, 3))` / `f([2, 3])`, with PyTorch's argument errors."""
    if len(args) == 1 and _as_int(args[0]) is None:
        seq = args[0]
        if not isinstance(seq, (tuple, list)):
            raise TypeError(f"{fn}(): argument 'size' (position {pos}) must be tuple of ints, not {type(seq).__name__}")
        dims = []
        for i, v in enumerate(seq):
            n = builtins.int(v) if isinstance(v, builtins.bool) else _as_int(v)
            if n is None:
                raise TypeError(f"{fn}(): argument 'size' (position {pos}) must be tuple of ints, but found element "
                                f"of type {type(v).__name__} at pos {i}")
            dims.append(n)
    else:
        dims = []
        for i, v in enumerate(args):
            n = _as_int(v)
            if n is None:
                raise TypeError(f"{fn}(): argument 'size' failed to unpack the object at pos {i + 1} with error "
                                f"\"type must be tuple of ints,but got {type(v).__name__}\"")
            dims.append(n)
    if any(d < 0 for d in dims):
        if fn == "zeros":
            raise RuntimeError("zeros: Dimension size must be non-negative.")
        raise RuntimeError(f"Trying to create tensor with negative dimension {builtins.min(dims)}: {dims}")
    return tuple(dims)


def _sizes(size, kw, fn):
    """Shape from varargs `size` or the `size=` keyword (the only extra keyword accepted)."""
    kw_size = kw.pop("size", None)
    if kw:
        raise TypeError(f"{fn}() got an unexpected keyword argument '{next(iter(kw))}'")
    if kw_size is not None and not size:
        size = (kw_size,)
    if not size:
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ()")
    return _size(size, fn)


def _filled(fn, shape, fill, dtype, device, requires_grad):
    dev = _dev(device)
    if dev is not CPU and dev.needs_switch():
        return dev.call(_filled, fn, shape, fill, dtype, dev, requires_grad)
    d = _dtypes.get_default_dtype() if dtype is None else dtype
    xp = dev.xp
    if fn == "zeros":
        a = xp.zeros(shape, dtype=d.np)
    elif fn == "ones":
        a = xp.ones(shape, dtype=d.np)
    elif fn == "empty":
        a = xp.empty(shape, dtype=d.np)
    else:
        with _np.errstate(all="ignore"):
            a = xp.full(shape, fill, dtype=d.np)
    return _finish(_wrap(a, dev), requires_grad)


@factory_kwargs
def zeros(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False, **kw):
    return _filled("zeros", _sizes(size, kw, "zeros"), None, dtype, device, requires_grad)


@factory_kwargs
def ones(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False, **kw):
    return _filled("ones", _sizes(size, kw, "ones"), None, dtype, device, requires_grad)


@factory_kwargs
def empty(*size, out=None, dtype=None, layout=None, device=None, requires_grad=False, pin_memory=False,
          memory_format=None, **kw):
    return formatted(_filled("empty", _sizes(size, kw, "empty"), None, dtype, device, requires_grad), memory_format)


def formatted(t, memory_format, like=None):
    """t relaid out in `memory_format`; preserve_format (the default of the *_like factories) follows
    `like`'s channels-last layout, as torch does for dense tensors."""
    from ._layout import channels_last, channels_last_3d, in_format, is_in_format
    name = getattr(memory_format, "name", "preserve_format")
    if name == "preserve_format":
        if like is None or like._data.flags.c_contiguous:
            return t
        memory_format = next((f for f in (channels_last, channels_last_3d) if is_in_format(like._data, f)), None)
        if memory_format is None:
            return t
    elif name == "contiguous_format":
        return t
    t._data = t._device.call(in_format, t._device.xp, t._data, memory_format)
    return t


def _fill_dtype(fill_value):
    if isinstance(fill_value, Tensor):
        return fill_value.dtype
    return _scalar_dtype(fill_value) or _dtypes.get_default_dtype()


@factory_kwargs
def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if _as_int(size) is not None:
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not {type(size).__name__}")
    if dtype is None:
        dtype = _fill_dtype(fill_value)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return _filled("full", _size((size,), "full"), fill_value, dtype, device, requires_grad)


def _like(fn, input, fill, dtype, device, requires_grad):
    return _filled(fn, input._data.shape, fill, input.dtype if dtype is None else dtype,
                   input._device if device is None else device, requires_grad)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return formatted(_like("zeros", input, None, dtype, device, requires_grad), memory_format, input)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return formatted(_like("ones", input, None, dtype, device, requires_grad), memory_format, input)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    return formatted(_like("empty", input, None, dtype, device, requires_grad), memory_format, input)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=None):
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    return formatted(_like("full", input, fill_value, dtype, device, requires_grad), memory_format, input)


_C_TYPE = {_dtypes.float32: "float", _dtypes.float64: "double", _dtypes.float16: "c10::Half",
           _dtypes.bfloat16: "c10::BFloat16", _dtypes.complex64: "c10::complex<float>",
           _dtypes.complex128: "c10::complex<double>", _dtypes.int8: "signed char", _dtypes.int16: "short int",
           _dtypes.int32: "int", _dtypes.int64: "long int", _dtypes.uint8: "unsigned char", _dtypes.bool: "bool"}


# ---- ranges ---------------------------------------------------------------------------------------
def _number(v):
    return v.item() if isinstance(v, Tensor) else v


def _not_implemented(kernel, dtype):
    return NotImplementedError(f'"{kernel}" not implemented for \'{_dtypes.SCALAR_NAME[dtype]}\'')


@factory_kwargs
def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if dtype is None:
        ints = all(isinstance(v, (builtins.int, _np.integer)) for v in (start, end, step))
        dtype = _dtypes.int64 if ints else _dtypes.get_default_dtype()
    if dtype._cat in (0, 3):
        raise _not_implemented("arange_cpu", dtype)
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) / step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    n = math.ceil((end - start) / step)
    if dtype is _dtypes.int64:   # PyTorch counts int64 ranges in integers, from truncated bounds
        s0, e0, st = builtins.int(start), builtins.int(end), builtins.int(step)
        num = e0 - s0 + st - (1 if st > 0 else -1)
        n = builtins.max(0, abs(num) // abs(st) * (1 if (num >= 0) == (st > 0) else -1))
    if dtype._cat == 1:   # integer ranges step in the integer type: start and step are truncated
        a = builtins.int(start) + builtins.int(step) * _np.arange(n, dtype=_np.int64)
    else:
        a = start + step * _np.arange(n, dtype=_np.float64)
    dev = _dev(device)
    return _finish(_wrap(transfer(a.astype(dtype.np), CPU, dev), dev), requires_grad)


def range_(start=0, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    if end is None:
        start, end = 0, start
    n = builtins.int((end - start) // step) + 1
    d = dtype or _dtypes.get_default_dtype()
    a = (start + step * _np.arange(n, dtype=_np.float64)).astype(d.np)
    dev = _dev(device)
    return _finish(_wrap(transfer(a, CPU, dev), dev), requires_grad)


def _steps(steps):
    if _as_int(steps) is None:
        raise TypeError(f"linspace(): argument 'steps' (position 3) must be int, not {type(steps).__name__}")
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    return builtins.int(steps)


@factory_kwargs
def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    start, end, steps = _number(start), _number(end), _steps(steps)
    cplx = isinstance(start, builtins.complex) or isinstance(end, builtins.complex)
    d = dtype or (_default_complex() if cplx else _dtypes.get_default_dtype())
    if d is _dtypes.bool:
        raise _not_implemented("linspace_cpu", d)
    # the first half counts up from start, the second half down from end (PyTorch's symmetric scheme)
    idx = _np.arange(steps, dtype=_np.float64)
    if d is _dtypes.float32 and not cplx:    # torch works in float32: endpoints and step rounded first
        f32 = _np.float32
        start, end = builtins.float(f32(start)), builtins.float(f32(end))
        step = builtins.float((f32(end) - f32(start)) / f32(steps - 1)) if steps > 1 else 0.0
    else:
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
    a = _np.where(idx < steps // 2, start + step * idx, end - step * (steps - 1 - idx)) if steps != 1 else \
        _np.array([start])
    if d._cat == 1:
        a = _np.trunc(a)
    dev = _dev(device)
    return _finish(_wrap(transfer(a.astype(d.np), CPU, dev), dev), requires_grad)


@factory_kwargs
def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    d = dtype or _dtypes.get_default_dtype()
    lin = linspace(start, end, steps, dtype=_dtypes.float64, device=CPU)._data
    with _np.errstate(all="ignore"):
        a = _np.power(builtins.float(base), lin)
    if d._cat == 1:
        a = _np.trunc(a)
    dev = _dev(device)
    return _finish(_wrap(transfer(a.astype(d.np), CPU, dev), dev), requires_grad)


@factory_kwargs
def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    for name, v, pos in (("n", n, 1), ("m", m, 2)):
        if v is not None and _as_int(v) is None:
            raise TypeError(f"eye(): argument '{name}' (position {pos}) must be int, not {type(v).__name__}")
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    d = dtype or _dtypes.get_default_dtype()
    dev = _dev(device)
    if dev is not CPU and dev.needs_switch():
        return dev.call(eye, n, m, dtype=d, device=dev, requires_grad=requires_grad)
    return _finish(_wrap(dev.xp.eye(n, n if m is None else m, dtype=d.np), dev), requires_grad)


def scalar_tensor(s, *, dtype=None, device=None, requires_grad=False):
    d = dtype or _dtypes.get_default_dtype()
    if isinstance(s, builtins.complex) and d._cat < 3:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPE[d]} without overflow")
    dev = _dev(device)
    if dev is not CPU and dev.needs_switch():
        return dev.call(scalar_tensor, s, dtype=d, device=dev, requires_grad=requires_grad)
    return _finish(_wrap(dev.xp.asarray(s, dtype=d.np), dev), requires_grad)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    return empty(size, dtype=dtype, device=device, requires_grad=requires_grad)


# ---- legacy constructors: Tensor(...), FloatTensor(...) -------------------------------------------
def _options(d, dev):
    return (f"TensorOptions(dtype={_C_TYPE.get(d, d.name)}, device={dev}, layout=Strided, requires_grad=false "
            "(default), pinned_memory=false (default), memory_format=(nullopt))")


def legacy_new(cls, dtype, args, device, strict=False):
    """Tensor(...) / FloatTensor(...): sizes -> uninitialised (zeros here), data -> copy in `dtype`,
    a tensor -> an alias of it (FloatTensor & co. insist on their dtype: `strict`)."""
    dev = _dev(device)
    if dev is not CPU and dev.needs_switch():
        return dev.call(legacy_new, cls, dtype, args, dev, strict)
    if not args:
        t = _wrap(dev.xp.empty((0,), dtype=dtype.np), dev)
    elif len(args) == 1 and isinstance(args[0], Tensor):
        src = args[0]
        if strict and src.dtype is not dtype:
            raise TypeError(f"expected {_options(dtype, dev)} (got {_options(src.dtype, src._device)})")
        t = _wrap(src._data, src._device)
        t._base = src
        t._vc = src._shared_vc()
    elif _as_int(args[0]) is not None or (len(args) == 1 and type(args[0]).__name__ == "Size"):
        t = _wrap(dev.xp.zeros(_size(args, "new"), dtype=dtype.np), dev)
    elif len(args) == 1:
        data = args[0]
        if isinstance(data, (builtins.int, builtins.float, builtins.complex)):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        t = _wrap(_to_array(data, dtype, dev), dev)
    else:
        raise TypeError(f"new() received an invalid combination of arguments - got "
                        f"({', '.join(type(a).__name__ for a in args)})")
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
            return legacy_new(Tensor, dtype, args, device, strict=True)

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

