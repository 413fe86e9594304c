"""PyTorch's CPU sampling kernels, reproduced on NumPy arrays from an mt19937 stream (ember._mt19937).

Every function draws from `eng` exactly the words PyTorch's kernel draws, in the same order, and
returns the samples as a flat array in PyTorch's element order, bit for bit. The shared building
blocks are PyTorch's two uniform transforms: one word's low 24 bits for float kernels, and a 64-bit
draw's low 53 bits for double ones. Dispatch on dtypes and shapes stays in ember.random."""
import math

import numpy as np
import ml_dtypes

from . import _libm
from ._avx2_normal import box_muller_blocks
from ._fma import fma32, fma64

_LOW24 = np.uint64((1 << 24) - 1)
_LOW53 = np.uint64((1 << 53) - 1)
_F64 = np.dtype(np.float64)
_REDUCED = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))
_MANTISSA_DIGITS = {np.dtype(np.float64): 53, np.dtype(np.float32): 24, np.dtype(np.float16): 11,
                    np.dtype(ml_dtypes.bfloat16): 8}


# ---- uniform -------------------------------------------------------------------------------------
def unit_float(eng, n):
    """n float32 uniforms in [0, 1): a word's low 24 bits / 2**24."""
    return (eng.u32(n) & _LOW24).astype(np.float32) * np.float32(2.0 ** -24)


def unit_double(eng, n):
    """n float64 uniforms in [0, 1): a 64-bit draw's low 53 bits / 2**53."""
    return (eng.u64(n) & _LOW53).astype(np.float64) * 2.0 ** -53


def uniform(eng, n, dtype, low, high):
    """uniform_(low, high): float64 in double arithmetic, the other float types in float32 then
    rounded; a sample that rounds up to `high` becomes `low`."""
    dtype = np.dtype(dtype)
    # with low == 0 the fused u * (high - low) + low is the plain product (one rounding either way):
    # rand() and uniform_(0, b) skip the exact-FMA emulation
    if dtype == _F64:
        u = unit_double(eng, n)
        v = u * float(high) if low == 0 else fma64(u, high - low, low)
        return np.where(v == high, low, v)
    lo, hi = np.float32(low), np.float32(high)
    u = unit_float(eng, n)
    v = (u * hi if lo == 0 else fma32(u, hi - lo, lo)).astype(dtype)
    high_s, low_s = np.array(high).astype(dtype), np.array(low).astype(dtype)
    return np.where(v == high_s, low_s, v)


# ---- normal --------------------------------------------------------------------------------------
def normal_block_fill(eng, n, dtype, mean, std):
    """normal_ of a contiguous tensor of n >= 16 elements: Box-Muller on blocks of 16 uniforms;
    when n is not a multiple of 16 the last 16 elements are redone from 16 fresh uniforms."""
    dtype = np.dtype(dtype)
    full, tail = n - n % 16, n % 16 != 0
    if dtype == _F64:
        # n uniforms first (the tail block's overwritten ones included), then the tail's 16
        u = unit_double(eng, n + 16 * tail)
        out = _box_muller_double(u[:full], mean, std)
        if tail:
            out = np.concatenate([out[:n - 16], _box_muller_double(u[n:], mean, std)])
        return out
    if dtype == np.dtype(np.float32):
        u = unit_float(eng, n + 16 * tail)
        out = box_muller_blocks(u[:full], mean, std)
        if tail:
            out = np.concatenate([out[:n - 16], box_muller_blocks(u[n:], mean, std)])
        return out
    # half and bfloat16: float32 blocks of 16 drawn one after another, then the tail's 16
    u = unit_float(eng, full + 16 * tail)
    out = box_muller_blocks(u, mean, std)
    if tail:
        out = np.concatenate([out[:n - 16], out[full:]])
    return out.astype(dtype)


def _box_muller_double(u, mean, std):
    blocks = u.reshape(-1, 16)
    radius = np.sqrt(-2.0 * _libm.log(1.0 - blocks[:, :8]))
    theta = (2.0 * math.pi) * blocks[:, 8:]
    out = np.concatenate([radius * _libm.cos(theta), radius * _libm.sin(theta)], axis=1).reshape(-1)
    return _scaled(out, std, mean)


def _scaled(x, std, mean):
    """fma(x, std, mean) in float64; with mean 0 that is the plain product (+ 0.0: a -0 product is +0
    after the fused add too), which skips the exact-FMA emulation."""
    if mean == 0:
        return (x if std == 1 else x * float(std)) + 0.0
    return fma64(x, std, mean)


def standard_normal_pairs(eng, n):
    """n standard normals from PyTorch's scalar sampler, which makes two at a time and keeps the
    second in the generator's cache: the cached one first, then cos/sin pairs, the last sin cached
    again when it is not used. Float64."""
    out = np.empty(n, np.float64)
    start = 0
    if n and eng.double_normal is not None:
        out[0] = eng.double_normal
        eng.double_normal = None
        start = 1
    pairs = (n - start + 1) // 2
    if pairs:
        u = unit_double(eng, 2 * pairs)
        u1, u2 = u[0::2], u[1::2]
        radius = np.sqrt(-2.0 * _libm.log1p(-u2))
        theta = (2.0 * math.pi) * u1
        both = np.empty(2 * pairs, np.float64)
        both[0::2] = radius * _libm.cos(theta)
        both[1::2] = radius * _libm.sin(theta)
        out[start:] = both[:n - start]
        if (n - start) % 2:
            eng.double_normal = float(both[-1])
    return out


def normal_scalar_path(eng, n, mean, std):
    """normal_ of a small (< 16 elements) or non-contiguous tensor: the scalar sampler, in double
    (the caller rounds to the tensor's dtype)."""
    return _scaled(standard_normal_pairs(eng, n), std, mean)


# ---- integers ------------------------------------------------------------------------------------
def random_from_to(eng, n, dtype, span, base):
    """random_(from, to): (draw mod span) + from, a 64-bit draw when span >= 2**28, else one word."""
    draws = eng.u64(n) if span >= 1 << 28 else eng.u32(n)
    v = (draws % np.uint64(span) + np.uint64(base & 0xFFFFFFFFFFFFFFFF)).view(np.int64)
    return v.astype(dtype)


def random_full_64(eng, n, dtype):
    """random_(-2**63, None) on int64 (and float types): all 64 bits of a draw, as int64."""
    return eng.u64(n).view(np.int64).astype(dtype)


def random_default(eng, n, dtype):
    """random_() without bounds: [0, max] of integer types, [0, 2**digits] of float types, a bit for bool."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return (eng.u32(n) & np.uint64(1)).astype(np.bool_)
    if dtype.kind == "f" or dtype in _REDUCED:
        digits = _MANTISSA_DIGITS[dtype]
        draws = eng.u64(n) if dtype == _F64 else eng.u32(n)
        return (draws % np.uint64((1 << digits) + 1)).astype(dtype)
    draws = eng.u64(n) if dtype == np.int64 else eng.u32(n)
    return (draws % np.uint64(int(np.iinfo(dtype).max) + 1)).astype(dtype)


def adjust_float_bounds(low, high, dtype):
    """PyTorch's update_from/update_to: bounds past a float type's exact integers move inward to
    ones it can represent."""
    digits = _MANTISSA_DIGITS[np.dtype(dtype)]

    def cast(v):
        return int(np.array(float(v)).astype(dtype).astype(np.float64))
    if low is not None and cast(low + 1) < low:
        low = cast(low + 1) + (1 << (abs(low + 1).bit_length() - 1 - digits + 1))
    if high is not None and cast(high - 1) >= high:
        high = cast(high - 1) - (1 << (abs(high - 1).bit_length() - 1 - digits + 1))
    return low, high


# ---- other distributions -------------------------------------------------------------------------
def bernoulli_scalar(eng, n, p):
    """bernoulli_(p) for a Python float p: a double uniform per element, success when below p."""
    return unit_double(eng, n) < p


def bernoulli_tensor(eng, p):
    """bernoulli_(p) for a probability array p (already in the output's element order): float64
    probabilities are compared with double uniforms, other float types with float uniforms."""
    if p.dtype == _F64:
        return unit_double(eng, p.size) < p.reshape(-1)
    return unit_float(eng, p.size) < p.reshape(-1).astype(np.float32)


def exponential(eng, n, lambd):
    return (-1.0 / lambd) * _libm.log1p(-unit_double(eng, n))


def geometric(eng, n, p):
    with np.errstate(divide="ignore"):
        return np.ceil(_libm.log(unit_double(eng, n)) / math.log1p(-p))


def log_normal(eng, n, mean, std):
    return _libm.exp(fma64(standard_normal_pairs(eng, n), std, mean))


def cauchy(eng, n, median, sigma):
    return fma64(sigma, _libm.tan(math.pi * (unit_double(eng, n) - 0.5)), median)


def poisson(eng, rates):
    """PyTorch's sample_poisson per rate: multiplying uniforms below exp(-rate) for rates under 10,
    Hoermann's transformed rejection above. Each sample takes a data-dependent number of draws,
    so this one walks the rates one by one."""
    def u():
        return float(unit_double(eng, 1)[0])

    out = np.empty(rates.size, np.float64)
    for i, lam in enumerate(rates.reshape(-1).tolist()):
        if lam >= 10:
            slam, loglam = math.sqrt(lam), math.log(lam)
            b = 0.931 + 2.53 * slam
            a = -0.059 + 0.02483 * b
            inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
            vr = 0.9277 - 3.6224 / (b - 2)
            while True:
                big_u = u() - 0.5
                v = u()
                us = 0.5 - abs(big_u)
                k = math.floor((2 * a / us + b) * big_u + lam + 0.43)
                if us >= 0.07 and v <= vr:
                    break
                if k < 0 or (us < 0.013 and v > us):
                    continue
                if (math.log(v) + math.log(inv_alpha) - math.log(a / (us * us) + b)
                        <= -lam + k * loglam - math.lgamma(k + 1.0)):
                    break
            out[i] = k
        elif lam == 0:
            out[i] = 0
        else:
            enlam, k, prod = math.exp(-lam), 0, 1.0
            while True:
                prod *= u()
                if prod <= enlam:
                    break
                k += 1
            out[i] = k
    return out


# ---- permutations and categorical draws ----------------------------------------------------------
def randperm(eng, n):
    """PyTorch's randperm as a list: swap r[i] with r[i + draw % (n - i)] for i < n - 1 (one word per
    draw); from 2**32 / 20 elements on, the inside-out shuffle with 64-bit draws."""
    if n < 0xFFFFFFFF // 20:
        if n < 2:
            return list(range(n))
        span = np.arange(n, 1, -1, dtype=np.uint64)
        targets = (eng.u32(n - 1) % span + np.arange(n - 1, dtype=np.uint64)).tolist()
        r = list(range(n))
        for i, j in enumerate(targets):
            r[i], r[j] = r[j], r[i]
        return r
    draws = (eng.u64(n) % np.arange(1, n + 1, dtype=np.uint64)).tolist()
    r = [0] * n
    for i, z in enumerate(draws):
        r[i] = r[z]
        r[z] = i
    return r


def multinomial_with_replacement(eng, probs, num_samples):
    """Per row, in float (float32 for half and bfloat16): running sum, divided by the total, last
    entry set to 1; each sample is the first bucket whose cumulative value reaches a double uniform."""
    work = np.float32 if probs.dtype in _REDUCED else probs.dtype
    out = np.empty((probs.shape[0], num_samples), np.int64)
    for i, row in enumerate(probs.astype(work)):
        cum = np.cumsum(row, dtype=work)
        cum = cum / cum[-1]
        cum[-1] = 1
        out[i] = np.searchsorted(cum.astype(np.float64), unit_double(eng, num_samples), side="left")
    return out


def multinomial_without_replacement(eng, probs, num_samples):
    """The exponential-race form PyTorch uses without replacement (or for a single sample):
    keys p / q with q ~ Exp(1) drawn in the input's dtype, the num_samples largest keys."""
    q = exponential(eng, probs.size, 1.0).astype(probs.dtype).reshape(probs.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        keys = probs / q
    order = np.argsort(-keys.astype(np.float64), axis=-1, kind="stable")
    return order[:, :num_samples]
