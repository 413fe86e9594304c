"""Device objects and the array backends behind them.

A device knows its array module (`device.xp`: NumPy on 'cpu', CuPy on 'cuda') and a backend object
holding the few operations where NumPy and CuPy differ. Op code reaches arrays only through these.
"""
import numpy as _np


class _Backend:
    """Where NumPy and CuPy differ; one instance per array module."""

    def __init__(self, xp):
        self.xp = xp
        self._special = None

    # scatter-add: out[idx] += values, accumulating repeated indices
    def index_add(self, out, index, values):
        if self.xp is _np:
            _np.add.at(out, index, values)
        else:
            self.xp.add.at(out, index, values)

    def sliding_window_view(self, x, window_shape, axis):
        if self.xp is _np:
            return _np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)
        return self.xp.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)

    def special(self):
        """Module with erf, erfc, erfinv, gammaln, digamma, i0 ... for this backend's arrays."""
        if self._special is None:
            if self.xp is _np:
                from . import _special_np
                self._special = _special_np
            else:
                import cupyx.scipy.special as sp
                self._special = sp
        return self._special

    def asnumpy(self, a):
        return a if self.xp is _np else self.xp.asnumpy(a)


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
        d = object.__new__(cls)
        d.type = typ
        d.index = index
        d.xp = None
        d.backend = None
        d._str = typ if index is None else f"{typ}:{index}"
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

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self._str,))

    def __enter__(self):
        from . import _factory
        self._prev = _factory._default_device[0]
        _factory._default_device[0] = self
        return self

    def __exit__(self, *exc):
        from . import _factory
        _factory._default_device[0] = getattr(self, "_prev", CPU)
        return False


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
        except Exception:  # noqa: BLE001  (no CuPy, no driver, no device)
            _cuda_state["cupy"] = None
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


def device_of_array(a):
    """The device holding a backend array."""
    if type(a) is _np.ndarray or isinstance(a, _np.ndarray):
        return CPU
    cp = _cupy()
    if cp is not None and isinstance(a, cp.ndarray):
        return resolve(device("cuda", a.device.id))
    return CPU
