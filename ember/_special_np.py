"""Special functions on NumPy arrays (the cpu backend's `special()`; CuPy uses cupyx.scipy.special).

Names and signatures follow scipy.special: erf, erfc, erfinv, gammaln, digamma, polygamma(n, x).
Everything is computed in float64 and returned in the input's floating dtype. Accuracy is a few
ulp in float64 (relative; absolute near the zeros of gammaln and digamma).

erf/erfc use Chebyshev expansions, computed once with mpmath at 40 digits:
  |x| < 1:    erf(x) = x * P(x^2)
  1 <= x < 8: erfc(x) = exp(-x^2) * R(x), one expansion on each of [1, 2], [2, 4], [4, 8]
  x >= 8:     erfc(x) = exp(-x^2) / x * Q(1 / x^2)
"""
import math

import numpy as np

_ERF_SMALL = (0.9754769393826541, -0.14226120510371365, 0.010035582187599796, -0.0005768764699767485,
              2.741993125219606e-05, -1.1043175507344507e-06, 3.8488755420345036e-08, -1.1808582533875466e-09,
              3.2334215826050907e-11, -7.991015947004549e-13, 1.7990725113961456e-14, -3.718635487818682e-16,
              7.103599003627703e-18)
_ERFC_1_2 = (0.331427281639452, -0.0850021377067432, 0.009951127341466115, -0.0010810888102208325,
             0.0001102324363119495, -1.0636830518218601e-05, 9.775012680479055e-07, -8.597922867888315e-08,
             7.2677084117248425e-09, -5.923543840592542e-10, 4.6683928572294154e-11, -3.56612770156775e-12,
             2.6458779519104523e-13, -1.9101658673527567e-14, 1.343976588479829e-15, -9.228790549094326e-17,
             6.19267308464391e-18, -4.06522243264887e-19)
_ERFC_2_4 = (0.1874295690262241, -0.05794652883669097, 0.008595247387396534, -0.0012284613640242594,
             0.00016974366686180488, -2.2738329337044562e-05, 2.959844378804878e-06, -3.7513575581379714e-07,
             4.6372828761738244e-08, -5.599455392564088e-09, 6.613160896679916e-10, -7.648271522199816e-11,
             8.670904325876594e-12, -9.645456274382108e-13, 1.0536827959360625e-13, -1.1312630906760667e-14,
             1.1945180669174515e-15, -1.2413107525797286e-16, 1.2702463231091952e-17, -1.2807258651896556e-18)
_ERFC_4_8 = (0.09799557556862198, -0.03261716242283879, 0.005354444513048941, -0.0008675085617618387,
             0.0001387834577332989, -2.1933248302183236e-05, 3.425716824410705e-06, -5.289955530513349e-07,
             8.079076527537946e-08, -1.2207511691612988e-08, 1.8255151508559988e-09, -2.7024969193563974e-10,
             3.9617523035370546e-11, -5.7526190432001634e-12, 8.275752891376922e-13, -1.1798167744005172e-13,
             1.6671816834115386e-14, -2.3356284858639493e-15, 3.2446002710824344e-16, -4.468901482994143e-17,
             5.998323769100549e-18)
_ERFC_TAIL = (0.5620232535497205, -0.002154013397999809, 1.2201568452414311e-05, -1.1354857606087159e-07,
              1.4587616832425226e-09, -2.3767849239084634e-11, 4.670311262349688e-13, -1.0705011205110417e-14,
              2.795366217426715e-16, -8.170182821548205e-18)



def _short(c, tol=1e-9):
    """The series cut where its terms no longer matter in float32 and narrower types."""
    n = len(c)
    while builtins_abs(c[n - 1]) < tol * builtins_abs(c[0]):
        n -= 1
    return c[:n]


builtins_abs = abs
_FULL = (_ERF_SMALL, _ERFC_1_2, _ERFC_2_4, _ERFC_4_8, _ERFC_TAIL)
_SHORT = tuple(_short(c) for c in _FULL)

# Bernoulli numbers B2, B4, ..., B16 (for the Stirling and Euler-Maclaurin tails)
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)
_SQRT_PI = math.sqrt(math.pi)


def _f64(x):
    x = np.asarray(x)
    return x.astype(np.float64), (x.dtype if x.dtype.kind == "f" or x.dtype.kind == "V" else np.float64)


def _cheb(t, c):
    """Clenshaw evaluation of sum c[k] T_k(t)."""
    b1 = np.zeros_like(t)
    b2 = np.zeros_like(t)
    tmp = np.empty_like(t)
    t2 = 2 * t
    for ck in c[:0:-1]:
        np.multiply(t2, b1, out=tmp)
        tmp -= b2
        tmp += ck
        b1, b2, tmp = tmp, b1, b2
    b1 *= t
    b1 -= b2
    b1 += c[0]
    return b1


def _exp_neg_sq(x):
    """exp(-x*x) without the rounding error of x*x (split x into a short head and a tail)."""
    h = np.floor(x * 16) / 16
    return np.exp(-h * h) * np.exp(-(x - h) * (x + h))


def _erfc_pos(x, cs):
    """erfc for 1 <= x (finite or inf); float64 array; cs: the series (_FULL or _SHORT)."""
    out = np.zeros_like(x)
    for lo, hi, c, t in ((1, 2, cs[1], lambda v: 2 * v - 3), (2, 4, cs[2], lambda v: v - 3),
                         (4, 8, cs[3], lambda v: (v - 6) / 2)):
        m = (x >= lo) & (x < hi)
        if m.any():
            v = x[m]
            out[m] = _exp_neg_sq(v) * _cheb(t(v), c)
    m = (x >= 8) & (x < 28)   # erfc(28) is below the smallest float64
    if m.any():
        v = x[m]
        out[m] = _exp_neg_sq(v) / v * _cheb(128 / (v * v) - 1, cs[4])
    return out


def _erf_small(x, cs):
    return x * _cheb(2 * x * x - 1, cs[0])


def erf(x):
    x, dt = _f64(x)
    cs = _FULL if dt == np.float64 else _SHORT
    out = np.full_like(x, np.nan)
    a = np.abs(x)
    m = a < 1
    out[m] = _erf_small(x[m], cs)
    m = a >= 1
    out[m] = np.copysign(1 - _erfc_pos(a[m], cs), x[m])
    return out.astype(dt, copy=False)


def erfc(x):
    x, dt = _f64(x)
    cs = _FULL if dt == np.float64 else _SHORT
    out = np.full_like(x, np.nan)
    m = np.abs(x) < 1
    out[m] = 1 - _erf_small(x[m], cs)
    m = x >= 1
    out[m] = _erfc_pos(x[m], cs)
    m = x <= -1
    out[m] = 2 - _erfc_pos(-x[m], cs)
    return out.astype(dt, copy=False)


def erfinv(y):
    """Inverse of erf: a closed-form first guess (relative error < 2e-3), then Halley steps."""
    y, dt = _f64(y)
    a = np.abs(y)
    with np.errstate(all="ignore"):
        ln = np.log1p(-a * a)
        k = 2 / (math.pi * 0.147) + ln / 2
        x = np.sqrt(np.sqrt(k * k - ln / 0.147) - k)
        inner = (a > 0) & (a < 1)
        x = np.where(inner, x, 0.0)
        upper = a > 0.5
        for _ in range(3):
            # residual erf(x) - a, taken from erfc near 1 where 1 - a is exact
            r = np.where(upper, (1 - a) - erfc(x), erf(x) - a)
            d = 2 / _SQRT_PI * np.exp(-x * x)
            x = x - r / (d + x * r)
        x = np.where(inner, x, np.where(a == 1, np.inf, np.where(a == 0, 0.0, np.nan)))
    return np.copysign(x, y).astype(dt, copy=False)


def _shift_up(x, limit, term):
    """Sum of term(x + k) for k = 0, 1, ... while x + k < limit; returns (x shifted, the sum)."""
    z = x.copy()
    acc = np.zeros_like(x)
    m = (z < limit) & (z > -np.inf)
    while m.any():
        acc[m] += term(z[m])
        z[m] += 1
        m &= z < limit
    return z, acc


def gammaln(x):
    """log|Gamma(x)|: Stirling series for x >= 10, recurrence below, reflection for x < 0.5."""
    x, dt = _f64(x)
    out = np.full_like(x, np.nan)
    with np.errstate(all="ignore"):
        pos = x >= 0.5
        out[pos] = _gammaln_pos(x[pos])
        neg = x < 0.5
        if neg.any():
            v = x[neg]
            s = np.abs(np.sin(math.pi * (v - np.round(v))))
            r = math.log(math.pi) - np.log(s) - _gammaln_pos(1 - v)
            out[neg] = np.where((s == 0) | np.isinf(v), np.inf, r)
    return out.astype(dt, copy=False)


def _gammaln_pos(x):
    z, logs = _shift_up(x, 10.0, np.log)
    zi = 1 / z
    zi2 = zi * zi
    series = np.zeros_like(z)
    for k in range(len(_B2K), 0, -1):
        series = series * zi2 + _B2K[k - 1] / ((2 * k) * (2 * k - 1))
    r = (z - 0.5) * np.log(z) - z + 0.5 * math.log(2 * math.pi) + series * zi - logs
    return np.where(np.isinf(x), np.inf, r)


def digamma(x):
    """psi(x): asymptotic series for x >= 10, recurrence below, reflection for x < 0.5."""
    x, dt = _f64(x)
    out = np.full_like(x, np.nan)
    with np.errstate(all="ignore"):
        pos = x >= 0.5
        out[pos] = _digamma_pos(x[pos])
        neg = (x < 0.5) & (x != 0)
        if neg.any():
            v = x[neg]
            r = v - np.round(v)
            out[neg] = np.where(r == 0, np.nan, _digamma_pos(1 - v) - math.pi / np.tan(math.pi * r))
        zero = x == 0
        out[zero] = np.copysign(np.inf, -x[zero])   # -inf at +0, +inf at -0
    return out.astype(dt, copy=False)


def _digamma_pos(x):
    z, inv = _shift_up(x, 10.0, lambda v: 1 / v)
    zi2 = 1 / (z * z)
    series = np.zeros_like(z)
    for k in range(len(_B2K), 0, -1):
        series = series * zi2 + _B2K[k - 1] / (2 * k)
    r = np.log(z) - 0.5 / z - series * zi2 - inv
    return np.where(np.isinf(x), np.inf, r)


def polygamma(n, x):
    """n-th derivative of digamma: (-1)^(n+1) n! zeta(n+1, x), the Hurwitz zeta by Euler-Maclaurin."""
    n = int(n)
    if n == 0:
        return digamma(x)
    x, dt = _f64(x)
    s = n + 1
    with np.errstate(all="ignore"):
        limit = 10.0 + s
        z, acc = _shift_up(x, limit, lambda v: v ** -s)
        tail = z ** (1 - s) / (s - 1) + 0.5 * z ** -s
        rising = float(s)          # s (s+1) ... (s+2j-2)
        zp = z ** (-s - 1)          # z^(-s-2j+1)
        fact = 2.0                 # (2j)!
        for j in range(1, len(_B2K) + 1):
            tail = tail + _B2K[j - 1] / fact * rising * zp
            rising *= (s + 2 * j - 1) * (s + 2 * j)
            zp = zp / (z * z)
            fact *= (2 * j + 1) * (2 * j + 2)
        out = (-1) ** (n + 1) * math.factorial(n) * (acc + tail)
        out = np.where(np.isposinf(x), 0.0, out)
    return out.astype(dt, copy=False)
