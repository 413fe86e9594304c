"""Fused multiply-add (a * b + c with one rounding) on NumPy arrays, for float32 and float64.

PyTorch's CPU random kernels are compiled with FMA instructions (explicit ones, and products the
compiler fused), so reproducing their bits needs the single rounding NumPy does not offer."""
import numpy as np

_F32_MIDPOINT_MASK = np.int64((1 << 29) - 1)      # the 29 mantissa bits a float32 drops from a float64
_F32_MIDPOINT = np.int64(1 << 28)
_F32_TINY = float(np.finfo(np.float32).tiny)


def _two_sum_error(a, b, s):
    """The exact rounding error of s = a + b (Knuth's TwoSum)."""
    bb = s - a
    return (a - (s - bb)) + (b - bb)


def fma32(a, b, c, normal_range=False):
    """float32 a * b + c rounded once. The product of two float32 values is exact in float64, so only
    the float64 sum rounds; its rounding to float32 can be wrong only where that sum landed exactly
    on a float32 halfway point (or in float32's subnormal range, which callers that know their values
    stay clear of it skip with `normal_range`): those few are nudged toward the exact value before
    the final rounding."""
    s = np.multiply(a, b, dtype=np.float64)
    s = np.add(s, c, out=s) if isinstance(s, np.ndarray) else s + np.float64(c)
    bits = np.asarray(s).view(np.int64)
    doubtful = (bits & _F32_MIDPOINT_MASK) == _F32_MIDPOINT
    if not normal_range:
        doubtful |= np.abs(s) < _F32_TINY
    if np.any(doubtful):
        s = np.array(s, dtype=np.float64, copy=True)
        pb, cb = np.broadcast_arrays(np.multiply(a, b, dtype=np.float64), np.asarray(c, dtype=np.float64))
        err = _two_sum_error(pb[doubtful], cb[doubtful], s[doubtful])
        s[doubtful] = np.where(err == 0, s[doubtful], np.nextafter(s[doubtful], s[doubtful] + err))
    return np.asarray(s).astype(np.float32)


_SPLIT = 134217729.0      # 2**27 + 1 (Veltkamp's splitter for float64)


def _two_product_error(a, b, p):
    """The exact rounding error of p = a * b (Dekker's TwoProduct)."""
    ah = a * _SPLIT
    ah = ah - (ah - a)
    al = a - ah
    bh = b * _SPLIT
    bh = bh - (bh - b)
    bl = b - bh
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def fma64(a, b, c):
    """float64 a * b + c rounded once, from error-free transformations: the exact value is
    r + z + w with r = fl(s + v); r is right unless r + z sits exactly halfway and w tips it over."""
    a, b, c = np.broadcast_arrays(np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(c, np.float64))
    p = a * b
    e = _two_product_error(a, b, p)
    s = p + c
    t = _two_sum_error(p, c, s)
    v = t + e
    w = _two_sum_error(t, e, v)
    r = s + v
    z = _two_sum_error(s, v, r)
    toward = np.nextafter(r, r + z)                     # r's neighbour on z's side
    tie = (w != 0) & (z != 0) & (z == (toward - r) / 2) & ((w > 0) == (z > 0))
    return np.where(tie, toward, r)
