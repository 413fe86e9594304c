"""PyTorch's float32 Box-Muller block kernel as its x86 builds run it (AVX2), reproduced operation by
operation in NumPy.

The kernel turns 16 uniforms into 16 normals: with u1 = 1 - data[0:8] and u2 = data[8:16],
radius = sqrt(-2 log u1), theta = 2 pi u2, out[0:8] = radius cos(theta), out[8:16] = radius sin(theta).
log and sincos are Cephes-style polynomial approximations (avx_mathfun); the compiler fused their
multiply-adds into FMA instructions, so those steps round once here too (checked bit for bit against
torch's output on millions of samples)."""
import numpy as np

from ._fma import fma32 as _fma32

_CHUNK = 1 << 16          # elements per pass: keeps the float64 temporaries in cache


def fma32(a, b, c):
    return _fma32(a, b, c, normal_range=True)      # the polynomials' values stay far from subnormals

_f = np.float32
_MIN_NORM = np.array(0x00800000, np.int32).view(np.float32)
_HALF_BITS = np.int32(0x3F000000)                       # bit pattern of 0.5f
_LOG_POLY = tuple(_f(v) for v in (
    7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1, 1.4249322787E-1, -1.6668057665E-1,
    2.0000714765E-1, -2.4999993993E-1, 3.3333331174E-1))
_LOG_Q1, _LOG_Q2 = _f(-2.12194440e-4), _f(0.693359375)
_SQRTHF = _f(0.707106781186547524)
_FOPI = _f(1.27323954473516)                            # 4 / pi
_DP = (_f(-0.78515625), _f(-2.4187564849853515625e-4), _f(-3.77489497744594108e-8))
_COS_POLY = (_f(2.443315711809948E-005), _f(-1.388731625493765E-003), _f(4.166664568298827E-002))
_SIN_POLY = (_f(-1.9515295891E-4), _f(8.3321608736E-3), _f(-1.6666654611E-1))
_TWO_PI = _f(2.0 * np.pi)
_SIGN = np.int32(-2 ** 31)


def _log(x):
    """Cephes logf for x in (0, 1] (the kernel never passes anything else)."""
    x = np.maximum(x, _MIN_NORM)
    xi = x.view(np.int32)
    e = ((xi >> 23) - 0x7E).astype(np.float32)           # exponent + 1
    x = ((xi & ~np.int32(0x7F800000)) | _HALF_BITS).view(np.float32)   # mantissa in [0.5, 1)
    small = x < _SQRTHF
    e = e - small.astype(np.float32)
    x = (x - _f(1)) + np.where(small, x, _f(0))
    z = x * x
    y = np.full_like(x, _LOG_POLY[0])
    for coef in _LOG_POLY[1:]:
        y = fma32(y, x, coef)
    y = y * x
    y = fma32(y, z, e * _LOG_Q1)
    y = y - z * _f(0.5)
    return fma32(e, _LOG_Q2, x + y)


def _sincos(x):
    """Cephes sinf and cosf of x >= 0 together."""
    j = (x * _FOPI).astype(np.int32)
    j = (j + 1) & ~np.int32(1)
    y = j.astype(np.float32)
    sin_sign = (j & 4) << 29
    cos_sign = (~(j - 2) & 4) << 29
    use_cos_poly_for_sin = (j & 2) == 0
    for dp in _DP:
        x = fma32(y, dp, x)
    z = x * x
    c = np.full_like(x, _COS_POLY[0])
    c = fma32(c, z, _COS_POLY[1])
    c = fma32(c, z, _COS_POLY[2])
    c = c * z
    c = fma32(c, z, -(z * _f(0.5))) + _f(1)
    s = np.full_like(x, _SIN_POLY[0])
    s = fma32(s, z, _SIN_POLY[1])
    s = fma32(s, z, _SIN_POLY[2])
    s = s * z
    s = fma32(s, x, x)
    sin = np.where(use_cos_poly_for_sin, s, c)
    cos = np.where(use_cos_poly_for_sin, c, s)
    return (sin.view(np.int32) ^ sin_sign).view(np.float32), (cos.view(np.int32) ^ cos_sign).view(np.float32)


def box_muller_blocks(data, mean, std):
    """Normals from uniforms `data` (float32, length a multiple of 16), block by block, as torch's AVX2 kernel."""
    if data.size <= _CHUNK:
        return _box_muller(data, mean, std)
    out = np.empty_like(data)
    for i in range(0, data.size, _CHUNK):
        out[i:i + _CHUNK] = _box_muller(data[i:i + _CHUNK], mean, std)
    return out


def _box_muller(data, mean, std):
    blocks = data.reshape(-1, 16)
    u1 = _f(1) - blocks[:, :8]
    radius = np.sqrt(_f(-2) * _log(u1))
    sin, cos = _sincos(_TWO_PI * blocks[:, 8:])
    out = np.empty_like(blocks)
    out[:, :8] = radius * cos
    out[:, 8:] = radius * sin
    if std == 1 and mean == 0:
        out += _f(0)                  # fma(n, 1, 0) turns -0 into +0
    elif mean == 0:                   # fma(n, std, 0): the float32 product, one rounding either way
        out *= _f(std)
        out += _f(0)
    else:
        out = _fma32(out, _f(std), _f(mean))
    return out.reshape(-1)
