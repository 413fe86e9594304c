"""Operand preparation for elementwise ops: PyTorch's dtype promotion on raw arrays.

Forward functions call `promote(x, y)` on the raw operands (arrays or Python scalars); the result
has both sides in the dtype PyTorch would compute in. Python scalars stay Python scalars (NumPy 2
treats them as weak, as PyTorch does) unless they raise the category (int tensor + 2.5)."""
import builtins

from .. import _dtypes
from .._device import CPU

_SCALARS = frozenset((builtins.int, builtins.float, builtins.bool, builtins.complex))   # `type(v) in _SCALARS`
_pair_cache = {}
_from_np = _dtypes.from_np
_weak_cache = {}        # float dtype -> ({python scalar: read-only 0-d array}, largest finite value)
_WEAK_CACHE_SIZE = 64


def weak_scalar(y, dt):
    """A Python int/float meeting a float array of NumPy dtype `dt`, as a cached read-only 0-d array of dt
    (CPU only): NumPy takes it faster than the Python scalar and computes the same thing (y rounded to
    dt, as NumPy treats a weak scalar). Zero (its sign would be lost in the cache), NaN, values that
    would overflow dt, integers past 2**24, and scalars beyond a small cache come back as they are."""
    entry = _weak_cache.get(dt)
    if entry is None:
        entry = _weak_cache[dt] = ({}, float(CPU.xp.finfo(dt).max))
    cache = entry[0]
    a = cache.get(y)
    if a is not None:
        return a
    if not y or y != y or len(cache) >= _WEAK_CACHE_SIZE or not -entry[1] < y < entry[1] or \
            type(y) is not builtins.float and not -2 ** 24 < y < 2 ** 24:
        return y
    a = CPU.xp.array(y, dt)
    a.flags.writeable = False
    cache[y] = a
    return a


def pair_dtype(dx, dy, x0, y0):
    """NumPy dtype of `x <op> y` for arrays of dtypes dx, dy (x0/y0: is it 0-d)."""
    key = (dx, dy, x0, y0)
    r = _pair_cache.get(key)
    if r is None:
        a, b = _from_np(dx), _from_np(dy)
        if x0 == y0:
            res = _dtypes.promote_types(a, b)
        else:
            dim, zero = (b, a) if x0 else (a, b)
            res = _dtypes._combine(dim, zero)
        r = _pair_cache[key] = res.np
    return r


_scalar_np = _dtypes._scalar_np_cache


def scalar_dtype(dx, s):
    """NumPy dtype of `array(dx) <op> python scalar s`."""
    key = (dx, type(s))
    r = _scalar_np.get(key)
    if r is None:
        r = _scalar_np[key] = _dtypes.result_type_scalar(_from_np(dx), type(s)).np
    return r


def _fit_scalar(s, r):
    """The Python scalar as NumPy should meet an array of dtype r: integers wrap around like
    PyTorch's (NumPy 2 refuses out-of-range ints), and floats meeting bfloat16 become bfloat16
    (NumPy does not treat them as weak there)."""
    k = r.kind
    if k in "iu" and type(s) is builtins.int:
        bits = 8 * r.itemsize
        if k == "u":
            return s % (1 << bits) if not 0 <= s < (1 << bits) else s
        half = 1 << (bits - 1)
        return ((s + half) % (1 << bits)) - half if not -half <= s < half else s
    if k == "V" and type(s) in (builtins.float, builtins.int):
        return r.type(s)
    return s


def promote(x, y):
    """Both operands in the result dtype; scalars stay scalars."""
    tx, ty = type(x), type(y)
    if ty in _SCALARS:
        if tx in _SCALARS:
            raise TypeError("expected at least one Tensor operand")
        dx = x.dtype
        if dx.kind == "f" and ty is not complex:
            return x, y         # a real scalar meeting a float array: the array's dtype (the common case)
        r = _scalar_np.get((dx, ty))
        if r is None:
            r = scalar_dtype(dx, y)
        if r is not dx:
            x = x.astype(r)
        return x, (_fit_scalar(y, r) if r.kind in "iuV" else y)
    if tx in _SCALARS:
        dy = y.dtype
        r = _scalar_np.get((dy, tx))
        if r is None:
            r = scalar_dtype(dy, x)
        if r is not dy:
            y = y.astype(r)
        return (_fit_scalar(x, r) if r.kind in "iuV" else x), y
    dx, dy = x.dtype, y.dtype
    if dx is dy:
        return x, y
    r = pair_dtype(dx, dy, x.ndim == 0, y.ndim == 0)
    if dx is not r:
        x = x.astype(r)
    if dy is not r:
        y = y.astype(r)
    return x, y


def result_np(x, y):
    """The result dtype of promote(x, y) without casting."""
    tx, ty = type(x), type(y)
    if ty in _SCALARS:
        return scalar_dtype(x.dtype, y)
    if tx in _SCALARS:
        return scalar_dtype(y.dtype, x)
    if x.dtype is y.dtype:
        return x.dtype
    return pair_dtype(x.dtype, y.dtype, x.ndim == 0, y.ndim == 0)


def to_float(arr):
    """Integer/bool arrays become the default float dtype (PyTorch's rule for exp, sqrt, / ...)."""
    if arr.dtype.kind in "biu":
        return arr.astype(_dtypes.get_default_dtype().np)
    return arr


def scalar(v):
    """A Python number from a NumPy scalar (or the value itself)."""
    if type(v) in _SCALARS:
        return v
    if hasattr(v, "item") and getattr(v, "ndim", 1) == 0:
        return v.item()
    raise TypeError(f"unsupported operand type {type(v).__name__}")


def broadcast_error(shapes):
    """torch's error for array shapes that do not broadcast, met pairwise from the left as torch
    combines operands ("The size of tensor a (2) must match ..."); None when they broadcast."""
    acc = None
    for s in shapes:
        s = tuple(s)
        if acc is None:
            acc = s
            continue
        n = builtins.max(len(acc), len(s))
        a = (1,) * (n - len(acc)) + acc
        b = (1,) * (n - len(s)) + s
        for j in range(n - 1, -1, -1):
            if a[j] != b[j] and a[j] != 1 and b[j] != 1:
                return RuntimeError(f"The size of tensor a ({a[j]}) must match the size of tensor b ({b[j]}) at "
                                    f"non-singleton dimension {j}")
        acc = tuple(y if x == 1 else x for x, y in zip(a, b))
    return None


def numpy_broadcast_failure(e):
    """Whether ValueError e is NumPy's refusal to broadcast operands."""
    return "could not be broadcast" in str(e)
