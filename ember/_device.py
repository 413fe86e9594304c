"""Device objects and the array backends behind them.

A device knows its array module (`device.xp`: NumPy on 'cpu', CuPy on 'cuda') and a backend object
holding the few operations where NumPy and CuPy differ. Op code reaches arrays only through these.
"""
import numpy as _np


class _Backend:
    """Where NumPy and CuPy differ; one instance per array module."""

    def __init__(self, xp):
        self.xp = xp
        # NumPy: work blocked to stay in the CPU's caches pays (per-sample loops); a GPU wants few big kernels
        self.on_host = xp is _np
        self._special = None
        self._zeros = {}
        self._blas_axpy = None

    def zero(self, dtype):
        """A read-only 0-d zero of `dtype` (cached): NumPy meets it faster than a Python 0 (relu's max and compare)."""
        z = self._zeros.get(dtype)
        if z is None:
            z = self._zeros[dtype] = self.xp.zeros((), dtype=dtype)
            if hasattr(z, "flags") and hasattr(z.flags, "writeable"):
                z.flags.writeable = False
        return z

    # scatter-add: out[idx] += values, accumulating repeated indices
    def index_add(self, out, index, values):
        self.scatter("add", out, index, values)

    def scatter(self, op, out, index, values):
        """`xp.<op>.at(out, index, values)` for op in add, multiply, maximum, minimum: out[index] op= values,
        every repeated index taking effect. CuPy has `.at` only for some ops and dtypes (CUDA atomics)."""
        if self.xp is _np:
            getattr(_np, op).at(out, index, values)
            return
        dt = out.dtype
        if dt in _CUPY_AT.get(op, ()):
            getattr(self.xp, op).at(out, index, self.xp.asarray(values, dtype=dt))
        elif op == "add" and dt == _np.int64:    # two's-complement addition: the same bits as uint64
            self.xp.add.at(out.view(_np.uint64), index, self.xp.asarray(values, dtype=dt).view(_np.uint64))
        else:
            _scatter_by_sorting(self.xp, op, out, index, values)

    def sliding_window_view(self, x, window_shape, axis):
        """NumPy's sliding_window_view (window axes appended); on CuPy made from strides directly: CuPy's own
        spends about 200 us of Python per call."""
        if self.xp is _np:
            return _np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)
        shape = list(x.shape)
        for ax, w in zip(axis, window_shape):
            shape[ax] -= w - 1
        strides = x.strides + tuple(x.strides[ax] for ax in axis)
        return self.xp.lib.stride_tricks.as_strided(x, tuple(shape) + tuple(window_shape), strides)

    def special(self):
        """Module with erf, erfc, erfinv, gammaln, digamma, i0 ... for this backend's arrays."""
        if self._special is None:
            if self.xp is _np:
                from . import _special_np
                self._special = _special_np
            else:
                import cupyx.scipy.special as sp
                self._special = _CupySpecial(sp, self.xp)
        return self._special

    def axpy(self, alpha, x, y, tmp=None):
        """y += alpha * x in place: on NumPy arrays one fused multiply-add pass through BLAS where it can
        (torch's `y.add_(x, alpha=alpha)` rounding, half the memory traffic); `tmp`: scratch like y."""
        if self.xp is _np:
            axpy = self._blas_axpy
            if axpy is None:        # ctypes and the BLAS lookup load on the first update, not at import
                from ._blas import axpy
                self._blas_axpy = axpy
            if axpy(alpha, x, y):
                return
            if y.flags.c_contiguous and x.shape == y.shape and x.dtype == y.dtype and y.dtype.char in "fd":
                if tmp is None or not tmp.flags.c_contiguous:
                    tmp = _np.empty_like(y)
                tmp[...] = x            # x in another memory order: copied (exactly) into y's
                if axpy(alpha, tmp, y):
                    return
        if tmp is None:
            y += alpha * x
        else:
            self.xp.multiply(x, alpha, out=tmp)
            y += tmp

    def asnumpy(self, a):
        return a if self.xp is _np else self.xp.asnumpy(a)


class _CupySpecial:
    """cupyx.scipy.special, but polygamma takes a Python int order (CuPy's wants an array) and keeps x's dtype."""

    def __init__(self, sp, xp):
        self._sp = sp
        self._xp = xp

    def __getattr__(self, name):
        return getattr(self._sp, name)

    def polygamma(self, n, x):
        return self._sp.polygamma(self._xp.asarray(n), x).astype(x.dtype, copy=False)


# dtypes CuPy's `ufunc.at` supports (CUDA atomics): no int64, int8/16, bool, complex
_CUPY_AT = {
    "add": frozenset(_np.dtype(c) for c in "iILQefd"),
    "maximum": frozenset(_np.dtype(c) for c in "iILQfd"),
    "minimum": frozenset(_np.dtype(c) for c in "iILQfd"),
}


def accumulate(xp, op, x, axis):
    """`xp.<op>.accumulate(x, axis=axis)` (running maximum/minimum ...) for either array module: CuPy has
    `ufunc.accumulate` only for add and multiply."""
    if xp is _np or op in ("add", "multiply"):
        return getattr(xp, op).accumulate(x, axis=axis)
    f = getattr(xp, op)
    y = xp.moveaxis(x, axis, -1).copy()
    n, k = y.shape[-1], 1
    while k < n:                                   # Hillis-Steele scan: log2(n) steps
        y[..., k:] = f(y[..., k:], y[..., :-k])
        k *= 2
    return xp.moveaxis(y, -1, axis)


def _scatter_by_sorting(xp, op, out, index, values):
    """out[index] op= values with repeated indices combined first (segmented scan over the sorted
    positions), for the ops/dtypes without a CuPy `.at`."""
    lin = xp.arange(out.size).reshape(out.shape)[index]
    if not lin.size:
        return
    v = xp.broadcast_to(xp.asarray(values, dtype=out.dtype), lin.shape).reshape(-1)
    lin = lin.reshape(-1)
    order = xp.argsort(lin)
    seg, v = lin[order], v[order]
    f = getattr(xp, op)
    n, k = seg.size, 1
    while k < n:
        v[k:] = xp.where(seg[k:] == seg[:-k], f(v[k:], v[:-k]), v[k:])
        k *= 2
    last = xp.concatenate([seg[1:] != seg[:-1], xp.ones(1, dtype=bool)])
    pos = xp.unravel_index(seg[last], out.shape)
    out[pos] = f(out[pos], v[last])


class device:
    """`ember.device('cpu')`, `ember.device('cuda', 0)`, `ember.device('cuda:1')`."""

    __slots__ = ("type", "index", "xp", "backend", "_str")
    _cache = {}

    def __new__(cls, type_or_device, index=None):
        if isinstance(type_or_device, device):
            return type_or_device
        if isinstance(type_or_device, int) and not isinstance(type_or_device, bool):
            type_or_device, index = "cuda", type_or_device
        if not isinstance(type_or_device, str):
            raise TypeError(f"device() received an invalid combination of arguments - got ({type(type_or_device).__name__})")
        key = (type_or_device, index)
        d = cls._cache.get(key)
        if d is not None:
            return d
        typ, _, idx = type_or_device.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(f"type (string) must not include an index because index was passed explicitly: {type_or_device}")
            if not idx.isdigit():
                raise RuntimeError(f"Invalid device string: '{type_or_device}'")
            index = int(idx)
        if typ not in ("cpu", "cuda", "meta", "mps"):
            raise RuntimeError(
                "Expected one of cpu, cuda, mps, meta device type at start of device string: " + type_or_device)
        d = cls._cache.get((typ, index))    # one object per device: 'cuda:1' is device('cuda', 1)
        if d is None:
            d = object.__new__(cls)
            d.type = typ
            d.index = index
            d.xp = None
            d.backend = None
            d._str = typ if index is None else f"{typ}:{index}"
            cls._cache[(typ, index)] = d
        cls._cache[key] = d
        return d

    def __repr__(self):
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self):
        return self._str

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    __hash__ = object.__hash__     # one object per device (see __new__): identity hashing, in C

    def __reduce__(self):
        return (device, (self._str,))

    def needs_switch(self):
        """True for a CUDA device other than CuPy's current one: CuPy allocates and runs kernels on the
        current device, so work for this device must go through `call`. (False for an unresolved device.)"""
        return self.type == "cuda" and self.xp is not None and self.index != _cuda_state["get_device"]()

    def call(self, fn, *args, **kwargs):
        """fn(*args, **kwargs) with this device CuPy's current device, the previous one restored after;
        switches only when `needs_switch()`."""
        if not self.needs_switch():
            return fn(*args, **kwargs)
        with self.xp.cuda.Device(self.index):
            return fn(*args, **kwargs)

    def __enter__(self):
        from . import _factory
        dev = resolve(self)
        _ctx_stack.append(_factory._default_device[0])
        _factory._default_device[0] = dev
        return self

    def __exit__(self, *exc):
        from . import _factory
        _factory._default_device[0] = _ctx_stack.pop() if _ctx_stack else CPU
        return False


_ctx_stack = []     # default devices saved by `with ember.device(...)` (devices are shared objects)


_NP_BACKEND = _Backend(_np)

CPU = device("cpu")
CPU.xp = _np
CPU.backend = _NP_BACKEND

_cuda_state = {}


def _cupy():
    """The CuPy module if a working CUDA device is present, else None (checked once)."""
    if "cupy" not in _cuda_state:
        try:
            import cupy
            cupy.cuda.runtime.getDeviceCount()
            _cuda_state["cupy"] = cupy
            _cuda_state["backend"] = _Backend(cupy)
            _cuda_state["get_device"] = cupy.cuda.runtime.getDevice
        except Exception:  # noqa: BLE001  (no CuPy, no driver, no device)
            _cuda_state["cupy"] = None
        else:
            from .cuda.memory import _peak_tracker
            _peak_tracker()         # peak memory counted from the first use of CUDA on
    return _cuda_state["cupy"]


def resolve(dev):
    """A ready device object (with xp) for a str/int/device argument; clear error if unavailable."""
    if dev is None:
        from . import _factory
        return _factory._default_device[0]
    if type(dev) is device and dev.xp is not None:
        return dev
    d = device(dev)
    if d.type == "cpu":
        return CPU
    if d.type == "cuda":
        cp = _cupy()
        if cp is None:
            raise RuntimeError(
                "Torch not compiled with CUDA enabled: ember found no usable CUDA device "
                "(install the 'ember[cuda]' extra (CuPy) on a machine with an NVIDIA GPU)")
        if d.index is None:
            d = device("cuda", cp.cuda.runtime.getDevice())
        if d.index >= cp.cuda.runtime.getDeviceCount():
            raise RuntimeError(
                f"CUDA error: invalid device ordinal (device {d.index} requested, "
                f"{cp.cuda.runtime.getDeviceCount()} available)")
        d.xp = cp
        d.backend = _cuda_state["backend"]
        return d
    raise RuntimeError(f"ember has no backend for device type '{d.type}'")


def transfer(a, src, dst):
    """A copy of backend array `a` (on device `src`) on device `dst` (both resolved devices)."""
    if dst.xp is _np:
        return src.backend.asnumpy(a)
    if src.xp is _np:
        return dst.call(dst.xp.asarray, a)          # CuPy allocates on the *current* device
    return dst.call(dst.xp.array, a, copy=True)     # device -> device (asarray would keep it where it is)


def device_of_array(a):
    """The device holding a backend array."""
    if type(a) is _np.ndarray or isinstance(a, _np.ndarray):
        return CPU
    cp = _cupy()
    if cp is not None and isinstance(a, cp.ndarray):
        return resolve(device("cuda", a.device.id))
    return CPU
