"""float64 log1p, log, exp, sin, cos and tan on arrays, bit-identical to the C library's (the one this
Python process, and so torch, calls).

PyTorch's CPU samplers call these libm functions element by element; NumPy's own vectorised
versions differ from libm in the last bit for a fraction of inputs. Two ways to agree with libm
without a Python loop per element:
- log1p: glibc's log1p is the fdlibm algorithm in double arithmetic (x86-64 glibc runs a build
  with fused multiply-adds in the polynomial); it is reproduced operation by operation
  (`_fdlibm_log1p`).
- the others are (nearly) correctly rounded in glibc: where the long double result lies clearly
  away from a halfway point between two doubles, libm's answer is that result rounded; the few
  inputs near a halfway point are handed to `math` one by one.
Each method is checked against `math` on sample inputs the first time it is used; one that
disagrees (another C library) is replaced by calling `math` for every element."""
import math

import numpy as np

from ._fma import fma64

_MARGIN = 0.1      # ulps from a halfway point inside which the long double result is not trusted
_LONG_DOUBLE_OK = np.finfo(np.longdouble).nmant >= 60


def _per_element(fn, x):
    return np.fromiter(map(fn, x.ravel().tolist()), np.float64, x.size).reshape(x.shape)


def _rounded_or_libm(ld_fn, math_fn, x):
    x = np.asarray(x, np.float64)
    if not _LONG_DOUBLE_OK:
        return _per_element(math_fn, x)
    with np.errstate(all="ignore"):
        wide = ld_fn(x.astype(np.longdouble))
        r = wide.astype(np.float64)
        ulps = np.abs((wide - r) / np.spacing(np.abs(r)).astype(np.longdouble)).astype(np.float64)
    unsure = ~(ulps < 0.5 - _MARGIN) & np.isfinite(r)     # inf and NaN come out the same everywhere
    if unsure.any():
        r[unsure] = _per_element(math_fn, x[unsure])
    return r


# ---- fdlibm log1p ---------------------------------------------------------------------------------
_LN2_HI, _LN2_LO = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LP = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01, 2.222219843214978396e-01,
       1.818357216161805012e-01, 1.531383769920937332e-01, 1.479819860511658591e-01)


def _high_word(x):
    return (x.view(np.int64) >> 32).astype(np.int32)


def _with_high_word(x, hi):
    low = x.view(np.int64) & np.int64(0xFFFFFFFF)
    return ((hi.astype(np.int64) << 32) | low).view(np.float64)


def _fdlibm_log1p(x):
    x = np.asarray(x, np.float64)
    hx = _high_word(x)
    ax = hx & np.int32(0x7FFFFFFF)
    with np.errstate(all="ignore"):
        # argument reduction: 1 + x = 2**k * (1 + f), sqrt(2)/2 < 1 + f < sqrt(2); c corrects 1 + x's rounding
        direct = (hx < 0x3FDA827A) & ((hx > 0) | (hx <= np.int32(-0x402D413D)))   # -0.2929 < x < 0.41422
        u = 1.0 + x
        hu = _high_word(u)
        k = (hu >> 20) - 1023
        c = np.where(k > 0, 1.0 - (u - x), x - (u - 1.0)) / u
        huge = hx >= 0x43400000
        u = np.where(huge, x, u)
        c = np.where(huge, 0.0, c)
        hu = np.where(huge, hx, hu)
        k = np.where(huge, (hx >> 20) - 1023, k)
        hu = hu & 0x000FFFFF
        low_half = hu < 0x6A09E
        u = _with_high_word(u, np.where(low_half, hu | 0x3FF00000, hu | 0x3FE00000))
        k = np.where(low_half, k, k + 1)
        hu = np.where(low_half, hu, (0x00100000 - hu) >> 2)
        f = np.where(direct, x, u - 1.0)
        k = np.where(direct, 0, k).astype(np.float64)
        hu = np.where(direct, 1, hu)
        c = np.where(direct, 0.0, c)
        hfsq = 0.5 * f * f
        # |f| < 2**-20: a short series
        r_small = hfsq * (1.0 - 0.66666666666666666 * f)
        small = np.where(k == 0, f - r_small, k * _LN2_HI - ((r_small - (k * _LN2_LO + c)) - f))
        small = np.where(f == 0, np.where(k == 0, 0.0, k * _LN2_HI + (c + k * _LN2_LO)), small)
        # the general case: log(1 + f) = f - (hfsq - s * (hfsq + R(s*s))), s = f / (2 + f)
        s = f / (2.0 + f)
        z = s * s
        z2 = z * z
        z4 = z2 * z2
        z6 = z4 * z2
        # the multiply-adds of R(z) as x86-64 glibc's FMA build of log1p fuses them (checked against libm)
        big_r = fma64(z6, fma64(z, _LP[6], _LP[5]), fma64(z4, fma64(z, _LP[4], _LP[3]),
                                                          fma64(z, _LP[0], z2 * fma64(z, _LP[2], _LP[1]))))
        general = np.where(k == 0, f - (hfsq - s * (hfsq + big_r)),
                           k * _LN2_HI - ((hfsq - (s * (hfsq + big_r) + (k * _LN2_LO + c))) - f))
        out = np.where(hu == 0, small, general)
        # |x| < 2**-29, x <= -1, inf and NaN
        out = np.where(ax < 0x3E200000, np.where(ax < 0x3C900000, x, x - x * x * 0.5), out)
        out = np.where((hx < 0x3FDA827A) & (ax >= 0x3FF00000), np.where(x == -1.0, -np.inf, np.nan), out)
        out = np.where(hx >= 0x7FF00000, x + x, out)
    return out


# ---- self-check on first use ----------------------------------------------------------------------
def _probe_inputs(name):
    rng = np.random.Generator(np.random.PCG64(12345))
    u = rng.random(4096)
    if name == "log1p":
        return np.concatenate([-u, u, -u * 1e-6, u * 1e3, -u ** 8, [0.0, -0.0, 1e-300, -0.5, -0.2929, 0.41422]])
    name = name.split("/")[0]
    if name == "log":
        return np.concatenate([u, 1 - u, u * 1e-200, [1.0, 0.5, 2.0 ** -1074]])
    if name == "exp":
        return (u - 0.5) * 40
    if name == "tan":
        return np.pi * (u - 0.5)
    return 2 * np.pi * u


_checked = {}


def _checked_method(name, fast, math_fn):
    ok = _checked.get(name)
    if ok is None:
        x = _probe_inputs(name)
        ok = _checked[name] = bool(np.array_equal(fast(x), _per_element(math_fn, x), equal_nan=True))
    return fast if ok else (lambda x: _per_element(math_fn, np.asarray(x, np.float64)))


_CHUNK = 1 << 15       # elements per pass of the many-step emulation: its temporaries then stay in cache


def _chunked(fn, x):
    x = np.asarray(x, np.float64)
    if x.size <= _CHUNK:
        return fn(x)
    flat = x.reshape(-1)
    out = np.empty_like(flat)
    for i in range(0, flat.size, _CHUNK):
        out[i:i + _CHUNK] = fn(flat[i:i + _CHUNK])
    return out.reshape(x.shape)


# below this many elements `math` itself (libm, by definition right) is cheaper than any vectorised route
_SMALL = 64


def log1p(x):
    x = np.asarray(x, np.float64)
    if x.size < _SMALL:
        return _per_element(math.log1p, x)
    return _chunked(_checked_method("log1p", _fdlibm_log1p, math.log1p), x)


def _make(name, np_fn, math_fn):
    """NumPy's own function where it already is libm's (it agrees on every probe input), else the
    long double rounding with libm for the undecided few."""
    def fn(x):
        if np.size(x) < _SMALL:
            return _per_element(math_fn, np.asarray(x, np.float64))
        if _checked.get(name + "/numpy") is None:
            _checked_method(name + "/numpy", np_fn, math_fn)
        if _checked[name + "/numpy"]:
            return np_fn(np.asarray(x, np.float64))
        return _checked_method(name, lambda v: _rounded_or_libm(np_fn, math_fn, v), math_fn)(x)
    fn.__name__ = name
    return fn


log = _make("log", np.log, math.log)
exp = _make("exp", np.exp, math.exp)
sin = _make("sin", np.sin, math.sin)
cos = _make("cos", np.cos, math.cos)
tan = _make("tan", np.tan, math.tan)
