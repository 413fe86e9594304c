"""Pooling (torch.nn.functional.*pool*): max/avg/lp over sliding windows, adaptive and fractional
pooling, max_unpool.

Regular windows walk the kernel offsets of a padded array (`window.offset_views`): a max is the
running maximum of K strided views, an average the running sum. Max pooling remembers which offset
won (`arg`); its gradient adds into the same strided views (`ArgScatter`, adjoint `ArgGather`).
Irregular windows (adaptive max, fractional max) gather by flat per-plane indices; their gradient
scatters by those indices (`FlatScatter`, adjoint `FlatGather`). Adaptive average pooling is a
product of per-axis averaging matrices (`SeparableLinear`, shared with interpolate).
"""
__all__ = ['max_pool1d', 'max_pool2d', 'max_pool3d', 'max_pool1d_with_indices', 'max_pool2d_with_indices',
           'max_pool3d_with_indices', 'max_unpool1d', 'max_unpool2d', 'max_unpool3d', 'avg_pool1d', 'avg_pool2d',
           'avg_pool3d', 'lp_pool1d', 'lp_pool2d', 'lp_pool3d', 'adaptive_max_pool1d', 'adaptive_max_pool2d',
           'adaptive_max_pool3d', 'adaptive_max_pool1d_with_indices', 'adaptive_max_pool2d_with_indices',
           'adaptive_max_pool3d_with_indices', 'adaptive_avg_pool1d', 'adaptive_avg_pool2d', 'adaptive_avg_pool3d',
           'fractional_max_pool2d', 'fractional_max_pool3d', 'fractional_max_pool2d_with_indices',
           'fractional_max_pool3d_with_indices']

import math

import numpy as _np

from .._device import CPU
from ._op import Op
from .window import out_size, offset_views, offsets, padded, padded_size, interior, window_slices

_NAMES = ("one", "two", "three")


# ---- argument handling --------------------------------------------------------------------------
def _tuple(v, nd, what):
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(what)
    return tuple(int(i) for i in v)


def _batched(input, nd, name):
    if input.ndim not in (nd + 1, nd + 2) or input.numel() == 0 and input.ndim == nd + 1:
        if nd == 1:
            raise RuntimeError(f"{name}: Expected 2D or 3D (batch mode) tensor with optional 0 dim batch size for "
                               f"input, but got:{list(input.shape)}")
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for input")
    if input.ndim == nd + 1:
        return input.reshape((1,) + tuple(input.shape)), True
    return input, False


def _unbatch(t, unbatched):
    return t.reshape(tuple(t.shape[1:])) if unbatched else t


def _geometry(name, nd, x, kernel_size, stride, padding, dilation, ceil_mode):
    n = _NAMES[nd - 1]
    k = _tuple(kernel_size, nd, f"{name}: kernel_size must either be a single int, or a tuple of {n} ints")
    s = k if stride is None or (not isinstance(stride, int) and len(stride) == 0) else \
        _tuple(stride, nd, f"{name}: stride must either be omitted, a single int, or a tuple of {n} ints")
    p = _tuple(padding, nd, f"{name}: padding must either be a single int, or a tuple of {n} ints")
    d = _tuple(dilation, nd, f"{name}: dilation must be either a single int, or a tuple of {n} ints")
    if any(v == 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got {_kv(('kT', 'kH', 'kW'), k)}")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got "
                           f"{_kv(('dilationT', 'dilationH', 'dilationW'), d)}")
    for kk, pp, dd in zip(k, p, d):
        if pp < 0 or pp > ((kk - 1) * dd + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got pad={pp}, "
                               f"kernel_size={kk} and dilation={dd}")
    out = tuple(out_size(m, kk, ss, pp, pp, dd, ceil_mode) for m, kk, ss, pp, dd in zip(x.shape[2:], k, s, p, d))
    if any(o <= 0 for o in out):
        size = "x".join(map(str, x.shape[1:]))
        raise RuntimeError(f"Given input size: ({size}). Calculated output size: "
                           f"({'x'.join(map(str, (x.shape[1],) + out))}). Output size is too small")
    return k, s, tuple((pp, pp) for pp in p), d, out


def _kv(names, vals):
    return " ".join(f"{a}: {v}" for a, v in zip(names[len(names) - len(vals):], vals))


def _lowest(xp, dtype):
    return -_np.inf if dtype.kind in "fcV" else xp.iinfo(dtype).min


# ---- max over regular windows -------------------------------------------------------------------
def _valid(kernel, stride, pads, dilation, out, size):
    """Per kernel offset: boolean (broadcastable to out) marking windows whose element is real input,
    or None when no window ever reaches padding."""
    if all(lo == 0 for lo, _ in pads) and all((o - 1) * s + d * (k - 1) < m
                                               for o, s, d, k, m in zip(out, stride, dilation, kernel, size)):
        return None
    nd = len(kernel)
    masks = []
    for off in offsets(kernel):
        m = True
        for i, (o, s, d, (lo, _), n, j) in enumerate(zip(out, stride, dilation, pads, size, off)):
            pos = _np.arange(o) * s + j * d - lo
            m = m & ((pos >= 0) & (pos < n)).reshape((o,) + (1,) * (nd - 1 - i))
        masks.append(m)
    return masks


def _max_windows(xp, x, kernel, stride, pads, dilation, out, want_arg):
    buf = padded(xp, x, pads, out, kernel, stride, dilation, _lowest(xp, x.dtype))
    views = [v for _, v in offset_views(buf, kernel, stride, dilation, out)]
    separable = _separable(kernel, stride, dilation)
    if not want_arg:
        if separable:
            # separable: the max along the last dim over every row, then over the row offsets
            rows = _max_of(xp, _last_dim_windows(buf, kernel, stride, dilation, out))
            views = [rows[t] for t in _leading_windows(buf.ndim, kernel, stride, dilation, out)]
        return _max_of(xp, views), None
    valid = _valid(kernel, stride, pads, dilation, out, x.shape[2:])
    best = None
    if len(views) < 256:
        if separable:
            best, arg = _max_arg_separable(xp, buf, kernel, stride, dilation, out)
        else:
            best, arg = _max_arg_tree(xp, views)
        # padding holds the lowest value, so it can only tie for a window whose maximum is that value;
        # such windows (rare) go through the masked path below
        if valid is not None and bool((best == _lowest(xp, x.dtype)).any()):
            best = None
    if best is None:
        best = _max_of(xp, views)
        arg = xp.zeros(best.shape, dtype=xp.uint8 if len(views) < 256 else xp.int64)
        for i in reversed(range(len(views))):    # the first offset holding the maximum wins, as in PyTorch
            hit = views[i] == best
            if valid is not None:
                hit &= xp.asarray(valid[i])
            xp.copyto(arg, i, where=hit)
    if best.dtype.kind == "f":
        nan = xp.isnan(best)
        if nan.any():                    # PyTorch: a NaN always takes over, so the last NaN wins
            for i, v in enumerate(views):
                xp.copyto(arg, i, where=xp.isnan(v) & nan)
    return best, arg


def _max_of(xp, views):
    """Elementwise maximum of the views, in a new array."""
    if len(views) == 1:
        return views[0].copy()
    best = xp.maximum(views[0], views[1])
    for v in views[2:]:
        xp.maximum(best, v, out=best)
    return best


def _separable(kernel, stride, dilation):
    """Whether the max is better taken in two passes (last dim, then the others): when windows
    overlap along a leading dim, so that each last-dim maximum serves several windows (3x3 stride
    2 pools); for tiling windows (2x2 stride 2) the extra pass only costs."""
    return kernel[-1] > 1 and any(d * (k - 1) + 1 > s for k, s, d in zip(kernel[:-1], stride[:-1], dilation[:-1]))


def _last_dim_windows(buf, kernel, stride, dilation, out):
    """One strided view of buf per kernel offset along the last spatial dim (the others whole)."""
    k, s, d, o = kernel[-1], stride[-1], dilation[-1], out[-1]
    lead = (slice(None),) * (buf.ndim - 1)
    return [buf[lead + (slice(j * d, j * d + s * (o - 1) + 1, s),)] for j in range(k)]


def _leading_windows(ndim, kernel, stride, dilation, out):
    """Index tuples, one per offset of the kernel's leading dims, selecting windows along those dims
    of an array whose last spatial dim was already reduced (the second separable pass)."""
    lead = (slice(None),) * (ndim - len(kernel))
    return [lead + window_slices(off, stride[:-1], dilation[:-1], out[:-1]) for off in offsets(kernel[:-1])]


def _max_arg_tree(xp, views):
    """Running (max, first offset holding it) over the kernel offsets, combined pairwise: each pair
    costs one comparison, one maximum and one select on the output grid. Ties keep the earlier
    offset (strict >); NaNs are fixed up by the caller."""
    items = [(v, i, False) for i, v in enumerate(views)]      # (values, offset index or array, owned)
    while len(items) > 1:
        nxt = []
        for j in range(0, len(items) - 1, 2):
            (ma, ia, own), (mb, ib, _) = items[j], items[j + 1]
            later = xp.greater(mb, ma)
            m = xp.maximum(ma, mb, out=ma) if own else xp.maximum(ma, mb)
            if isinstance(ia, int) and isinstance(ib, int):
                arg = later.view(xp.uint8)            # bool -> 0/1 in place, no pass over the data
                if ib - ia != 1:
                    arg *= xp.uint8(ib - ia)
                if ia:
                    arg += xp.uint8(ia)
            else:
                arg = _select(xp, later, xp.uint8(ib) if isinstance(ib, int) else ib,
                              xp.uint8(ia) if isinstance(ia, int) else ia)
            nxt.append((m, arg, True))
        if len(items) % 2:
            nxt.append(items[-1])
        items = nxt
    m, arg, own = items[0]
    if not own:
        m = m.copy()
    if isinstance(arg, int):
        arg = xp.full(m.shape, arg, dtype=xp.uint8)
    return m, arg


def _select(xp, cond, a, b):
    """where(cond, a, b) for uint8 offset indices, by arithmetic (b + cond * (a - b), exact with uint8
    wrap-around): where and masked copies branch per element, slow on unpredictable conditions."""
    r = xp.subtract(a, b)
    r *= cond.view(xp.uint8)
    r += b
    return r


def _max_arg_separable(xp, buf, kernel, stride, dilation, out):
    """(max, first offset holding it) in two passes: along the last spatial dim over the whole padded
    buffer, then over the remaining offsets on that result. Window order is row-major, so the first
    maximal row of the first pass's row maxima, and within it the first maximal column, is the first
    maximal element of the window (ties as in `_max_arg_tree`)."""
    k = kernel[-1]
    rmax, rarg = _max_arg_tree(xp, _last_dim_windows(buf, kernel, stride, dilation, out))
    sel = _leading_windows(buf.ndim, kernel, stride, dilation, out)
    best, arg = _max_arg_tree(xp, [rmax[t] for t in sel])
    col = rarg[sel[0]]
    for i in range(1, len(sel)):
        col = _select(xp, arg == i, rarg[sel[i]], col)
    arg *= xp.uint8(k)
    arg += col
    return best, arg


def _flat_indices(xp, arg, kernel, stride, pads, dilation, size):
    """Offset index per window -> flat index into the (unpadded) input plane."""
    nd = len(kernel)
    plane = [math.prod(size[i + 1:]) for i in range(nd)]
    table = xp.asarray([sum(j * d * p for j, d, p in zip(off, dilation, plane)) for off in offsets(kernel)],
                       dtype=xp.int64)
    base = 0
    for i, (o, s, (lo, _), p) in enumerate(zip(arg.shape[2:], stride, pads, plane)):
        base = base + ((xp.arange(o, dtype=xp.int64) * s - lo) * p).reshape((o,) + (1,) * (nd - 1 - i))
    return base + table[arg.astype(xp.int64)]


class MaxPool(Op):
    differentiable_outputs = (0,)

    def forward(ctx, x, kernel, stride, pads, dilation, out, with_indices):
        nd = len(kernel)
        ctx._name = f"MaxPool{nd}DWithIndicesBackward0"
        best, arg = _max_windows(ctx.xp, x, kernel, stride, pads, dilation, out,
                                 with_indices or ctx._needs is not None)
        ctx.geom = (kernel, stride, pads, dilation, x.shape)
        ctx.arg = arg
        if with_indices:
            return best, _flat_indices(ctx.xp, arg, kernel, stride, pads, dilation, x.shape[2:])
        return best

    def backward(ctx, g, *_):
        return ArgScatter.apply(g, arg=ctx.arg, geom=ctx.geom)


def _scatter_add_winners(xp, g, arg, geom, full):
    """Overlapping windows: sum each window's gradient onto its winner with one weighted bincount
    over flat indices into the padded buffer (accumulated in float64), then crop the padding."""
    kernel, stride, pads, dilation, shape = geom
    nd = len(kernel)
    plane = [math.prod(full[i + 1:]) for i in range(nd)]
    table = xp.asarray([sum(j * d * p for j, d, p in zip(off, dilation, plane)) for off in offsets(kernel)],
                       dtype=xp.intp)
    idx = table[arg]
    for i, (o, s, p) in enumerate(zip(arg.shape[2:], stride, plane)):
        idx += (xp.arange(o, dtype=xp.intp) * (s * p)).reshape((o,) + (1,) * (nd - 1 - i))
    size = math.prod(full)
    idx += (xp.arange(shape[0] * shape[1], dtype=xp.intp) * size).reshape(tuple(shape[:2]) + (1,) * nd)
    res = xp.bincount(idx.reshape(-1), weights=g.reshape(-1), minlength=shape[0] * shape[1] * size)
    res = res.reshape(tuple(shape[:2]) + tuple(full))
    return res[(slice(None),) * 2 + interior(pads, shape[2:])].astype(g.dtype)


class ArgScatter(Op):
    """Gradient of a windowed max: each window's gradient goes to the element that won."""
    _name = "MaxPoolWithIndicesBackwardBackward0"

    def forward(ctx, g, arg, geom):
        kernel, stride, pads, dilation, shape = geom
        ctx.arg, ctx.geom = arg, geom
        xp = ctx.xp
        out = g.shape[2:]
        full = padded_size(shape[2:], pads, out, kernel, stride, dilation)
        disjoint = all(s >= d * (k - 1) + 1 for k, s, d in zip(kernel, stride, dilation))
        if disjoint and g.dtype.kind == "f" and all(lo == 0 for lo, _ in pads) and full == shape[2:]:
            # windows tile the input: every element is written once (a product with the win mask),
            # so no zero fill is needed where the tiles cover everything
            tiled = all(k == s and d == 1 and o * s == m
                        for k, s, d, o, m in zip(kernel, stride, dilation, out, shape[2:]))
            if bool(xp.isfinite(g).all()):     # 0 * inf would leak NaNs into non-winning elements
                res = xp.empty(shape, dtype=g.dtype) if tiled else xp.zeros(shape, dtype=g.dtype)
                for i, v in offset_views(res, kernel, stride, dilation, out):
                    xp.multiply(g, arg == i, out=v)
                return res
        if not disjoint and g.dtype.kind == "f":
            return _scatter_add_winners(xp, g, arg, geom, full)
        buf = xp.zeros(shape[:2] + full, dtype=g.dtype)
        zero = xp.zeros((), dtype=g.dtype)
        for i, v in offset_views(buf, kernel, stride, dilation, out):
            if disjoint:                 # no element is in two windows: write the winners in place
                xp.copyto(v, g, where=arg == i)
            else:
                v += xp.where(arg == i, g, zero)
        return xp.ascontiguousarray(buf[(slice(None),) * 2 + interior(pads, shape[2:])])

    def backward(ctx, gg):
        return ArgGather.apply(gg, arg=ctx.arg, geom=ctx.geom)


class ArgGather(Op):
    """Adjoint of ArgScatter: read, per window, the element that won."""

    def forward(ctx, x, arg, geom):
        kernel, stride, pads, dilation, _ = geom
        ctx.arg, ctx.geom = arg, geom
        xp = ctx.xp
        out = arg.shape[2:]
        buf = padded(xp, x, pads, out, kernel, stride, dilation)
        res = xp.zeros(arg.shape, dtype=x.dtype)
        for i, v in offset_views(buf, kernel, stride, dilation, out):
            res = xp.where(arg == i, v, res)
        return res

    def backward(ctx, g):
        return ArgScatter.apply(g, arg=ctx.arg, geom=ctx.geom)


def _max_poolnd(nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    name = f"max_pool{nd}d"
    x, unbatched = _batched(input, nd, name)
    geom = _geometry(name, nd, x, kernel_size, stride, padding, dilation, ceil_mode)
    k, s, pads, d, out = geom
    r = MaxPool.apply(x, kernel=k, stride=s, pads=pads, dilation=d, out=out, with_indices=bool(return_indices))
    if return_indices:
        return _unbatch(r[0], unbatched), _unbatch(r[1], unbatched)
    return _unbatch(r, unbatched)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False, return_indices=False):
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_poolnd(1, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_poolnd(2, input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                            return_indices=True):
    return _max_poolnd(3, input, kernel_size, stride, padding, dilation, ceil_mode, True)


# ---- sums over regular windows (avg_pool, lp_pool) ----------------------------------------------
class WindowSum(Op):
    """Sum over each window, divided by `div` (an int or an array over the output grid)."""

    def forward(ctx, x, kernel, stride, pads, out, div, name="WindowSumBackward0"):
        ctx._name = name
        ctx.geom = (kernel, stride, pads, x.shape)
        ctx.div = div
        xp = ctx.xp
        dil = (1,) * len(kernel)
        buf = padded(xp, x, pads, out, kernel, stride, dil)
        total = None
        for _, v in offset_views(buf, kernel, stride, dil, out):
            total = v.copy() if total is None else xp.add(total, v, out=total)
        if x.dtype.kind in "iub":
            return xp.trunc(total / div).astype(total.dtype)
        return total / (div if isinstance(div, int) else xp.asarray(div, dtype=total.dtype))

    def backward(ctx, g):
        return WindowSumT.apply(g, geom=ctx.geom, div=ctx.div)


class WindowSumT(Op):
    """Adjoint of WindowSum: each window's value / div added onto the elements it covers."""

    def forward(ctx, g, geom, div):
        kernel, stride, pads, shape = geom
        ctx.geom, ctx.div = geom, div
        xp = ctx.xp
        out = ctx.out = g.shape[2:]
        dil = (1,) * len(kernel)
        g = g / (div if isinstance(div, int) else xp.asarray(div, dtype=g.dtype))
        buf = xp.zeros(shape[:2] + padded_size(shape[2:], pads, out, kernel, stride, dil), dtype=g.dtype)
        for _, v in offset_views(buf, kernel, stride, dil, out):
            v += g
        return xp.ascontiguousarray(buf[(slice(None),) * 2 + interior(pads, shape[2:])])

    def backward(ctx, gg):
        kernel, stride, pads, _ = ctx.geom
        return WindowSum.apply(gg, kernel=kernel, stride=stride, pads=pads, out=ctx.out, div=ctx.div)


def _divisor(size, kernel, stride, pads, out, count_include_pad):
    """Per-window element count (PyTorch's rule), as a NumPy array over the output grid, or an int."""
    nd = len(kernel)
    div = 1
    for i, (n, k, s, (p, _), o) in enumerate(zip(size, kernel, stride, pads, out)):
        start = _np.arange(o) * s - p
        end = _np.minimum(start + k, n + p)
        if count_include_pad:
            cnt = end - start
        else:
            cnt = _np.minimum(end, n) - _np.maximum(start, 0)
        div = div * cnt.reshape((o,) + (1,) * (nd - 1 - i))
    flat = _np.asarray(div).reshape(-1)
    return int(flat[0]) if (flat == flat[0]).all() else div


def _avg_poolnd(nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
    name = f"avg_pool{nd}d"
    x, unbatched = _batched(input, nd, name)
    k, s, pads, _, out = _geometry(name, nd, x, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    div = divisor_override if divisor_override is not None else \
        _divisor(x.shape[2:], k, s, pads, out, count_include_pad)
    r = WindowSum.apply(x, kernel=k, stride=s, pads=pads, out=out, div=div, name=f"AvgPool{nd}DBackward0")
    return _unbatch(r, unbatched)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True):
    return _avg_poolnd(1, input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_poolnd(2, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    return _avg_poolnd(3, input, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override)


def _lp_poolnd(nd, input, norm_type, kernel_size, stride, ceil_mode):
    k = _tuple(kernel_size, nd, f"lp_pool{nd}d: kernel_size must either be a single int, or a tuple of "
                                f"{_NAMES[nd - 1]} ints")
    out = _avg_poolnd(nd, input.pow(norm_type), kernel_size, stride, 0, ceil_mode, True, None)
    return (out * math.prod(k)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_poolnd(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_poolnd(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    return _lp_poolnd(3, input, norm_type, kernel_size, stride, ceil_mode)


# ---- separable linear maps (adaptive average pooling; interpolate reuses it) --------------------
class SeparableLinear(Op):
    """y = x with matrix M_i (out_i, in_i) applied along spatial axis i (None: axis untouched)."""

    def forward(ctx, x, mats, name):
        ctx._name = name
        ctx.mats = mats
        xp = ctx.xp
        y = x
        for i, m in enumerate(mats):
            if m is not None:
                y = xp.moveaxis(xp.tensordot(y, m.astype(x.dtype, copy=False), axes=([2 + i], [1])), -1, 2 + i)
        return xp.ascontiguousarray(y)

    def backward(ctx, g):
        name = ctx._name.replace("Backward0", "BackwardBackward0")
        return SeparableLinear.apply(g, mats=tuple(None if m is None else m.T for m in ctx.mats), name=name)


def _adaptive_bounds(n, o):
    i = _np.arange(o)
    return (i * n) // o, ((i + 1) * n + o - 1) // o


def _avg_matrix(xp, n, o):
    start, end = _adaptive_bounds(n, o)
    cols = _np.arange(n)
    m = ((cols >= start[:, None]) & (cols < end[:, None])) / (end - start)[:, None]
    return xp.asarray(m)


def _adaptive_size(name, nd, x, output_size):
    osz = (output_size,) * nd if isinstance(output_size, int) or output_size is None else tuple(output_size)
    if len(osz) == 1 and nd > 1:
        osz = osz * nd
    if len(osz) != nd:
        raise RuntimeError(f"{name}: output_size must be {nd}")
    return tuple(n if o is None else int(o) for n, o in zip(x.shape[2:], osz))


def _adaptive_input(name, nd, input, colon=False):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{name}(): Expected {nd + 1}D or {nd + 2}D tensor, but got{':' if colon else ''} "
                           f"{list(input.shape)}")
    if input.ndim == nd + 1:
        return input.reshape((1,) + tuple(input.shape)), True
    return input, False


def _adaptive_avg_poolnd(nd, input, output_size):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_adaptive_avg_poolnd, nd, input, output_size)
    name = f"adaptive_avg_pool{nd}d"
    x, unbatched = _adaptive_input(name, nd, input)
    osz = _adaptive_size(name, nd, x, output_size)
    xp = x._device.xp
    mats = tuple(None if n == o else _avg_matrix(xp, n, o) for n, o in zip(x.shape[2:], osz))
    r = SeparableLinear.apply(x, mats=mats, name=f"AdaptiveAvgPool{nd}DBackward0")
    return _unbatch(r, unbatched)


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg_poolnd(1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    return _adaptive_avg_poolnd(2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    return _adaptive_avg_poolnd(3, input, output_size)


# ---- max over irregular windows, by flat per-plane indices --------------------------------------
def _gather_max(xp, x, index_arrays):
    """x (N, C, *sp); index_arrays: flat per-plane indices (broadcastable to (N, C, L)), one per kernel
    offset, in window order. Returns (max (N, C, L), flat index of the first maximum)."""
    flat = x.reshape(x.shape[:2] + (-1,))
    best = idx = nan = None
    for ind in index_arrays:
        ind = xp.broadcast_to(ind, flat.shape[:2] + ind.shape[-1:])
        v = xp.take_along_axis(flat, ind, axis=2)
        if best is None:
            best, idx = v, ind.copy()
            nan = xp.isnan(v) if v.dtype.kind == "f" else None
            continue
        upd = v > best
        if nan is not None:
            upd |= xp.isnan(v)
        best = xp.where(upd, v, best)
        idx = xp.where(upd, ind, idx)
    return best, idx


class FlatGather(Op):
    """x (N, C, *sp) read at flat per-plane indices idx (N, C, *out)."""

    def forward(ctx, x, idx):
        ctx.idx, ctx.shape = idx, x.shape
        flat = x.reshape(x.shape[:2] + (-1,))
        return ctx.xp.take_along_axis(flat, idx.reshape(idx.shape[:2] + (-1,)), axis=2).reshape(idx.shape)

    def backward(ctx, g):
        return FlatScatter.apply(g, idx=ctx.idx, shape=ctx.shape, accumulate=True)


class FlatScatter(Op):
    """Zeros of `shape` with g (N, C, *out) added (or, accumulate=False, written) at flat indices."""

    def forward(ctx, g, idx, shape, accumulate):
        ctx.idx = idx
        xp = ctx.xp
        n, c = shape[:2]
        plane = math.prod(shape[2:])
        out = xp.zeros(n * c * plane, dtype=g.dtype)
        pos = (idx.reshape(n * c, -1) + (xp.arange(n * c, dtype=idx.dtype) * plane)[:, None]).reshape(-1)
        if accumulate:
            ctx.device.backend.index_add(out, pos, g.reshape(-1))
        else:
            out[pos] = g.reshape(-1)
        return out.reshape(shape)

    def backward(ctx, gg):
        return FlatGather.apply(gg, idx=ctx.idx)


def _max_by_indices(x, index_arrays, out, name, return_indices):
    xp = x._device.xp
    _, idx = _gather_max(xp, x._data, index_arrays)
    idx = idx.reshape(x.shape[:2] + out)
    r = FlatGather.apply(x, idx=idx)
    if r.grad_fn is not None:
        r.grad_fn._name = name
    from .._tensor import Tensor
    return (r, Tensor._wrap(idx, x._device)) if return_indices else r


def _window_indices(starts, lengths, size):
    """Flat indices per kernel offset for windows with per-dim starts (..., out_i) and lengths (...)."""
    nd = len(size)
    plane = [math.prod(size[i + 1:]) for i in range(nd)]
    for off in offsets(lengths):
        flat = 0
        for i, (st, j, p) in enumerate(zip(starts, off, plane)):
            shaped = (st + j) * p
            flat = flat + shaped.reshape(shaped.shape[:-1] + (1,) * i + shaped.shape[-1:] + (1,) * (nd - 1 - i))
        yield flat.reshape(flat.shape[:-nd] + (-1,))


def _adaptive_max_poolnd(nd, input, output_size, return_indices):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_adaptive_max_poolnd, nd, input, output_size, return_indices)
    name = f"adaptive_max_pool{nd}d"
    x, unbatched = _adaptive_input(name, nd, input, colon=True)
    osz = _adaptive_size(name, nd, x, output_size)
    xp = x._device.xp
    size = x.shape[2:]
    starts, kmax = [], []
    for n, o in zip(size, osz):
        st, en = _adaptive_bounds(n, o)
        kmax.append(int((en - st).max()) if o else 1)
        starts.append((st, en))
    # offsets past a window's end repeat its last element: harmless for a max, first occurrence still wins
    clipped = []
    for off in offsets(kmax):
        flat = 0
        for i, ((st, en), j) in enumerate(zip(starts, off)):
            pos = _np.minimum(st + j, en - 1)
            flat = flat + (pos * math.prod(size[i + 1:])).reshape((len(st),) + (1,) * (nd - 1 - i))
        clipped.append(xp.asarray(_np.asarray(flat, dtype=_np.int64).reshape(-1)))
    r = _max_by_indices(x, clipped, osz, f"AdaptiveMaxPool{nd}DBackward0", return_indices)
    if return_indices:
        return _unbatch(r[0], unbatched), _unbatch(r[1], unbatched)
    return _unbatch(r, unbatched)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    return _adaptive_max_poolnd(3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max_poolnd(1, input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max_poolnd(2, input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    return _adaptive_max_poolnd(3, input, output_size, True)


# ---- fractional max pooling ---------------------------------------------------------------------
def _fractional_starts(samples, n, o, k, np_dtype):
    """PyTorch's pseudo-random window starts for one dim: samples (N, C) -> (N, C, o)."""
    if o == 1:
        return _np.full(samples.shape + (1,), n - k, dtype=_np.int64)
    alpha = np_dtype.type(n - k) / np_dtype.type(o - 1)
    i = _np.arange(o - 1, dtype=np_dtype)
    u = samples.astype(np_dtype)[..., None]
    seq = ((i + u) * alpha).astype(_np.int64) - (u * alpha).astype(_np.int64)
    last = _np.full(samples.shape + (1,), n - k, dtype=_np.int64)
    return _np.concatenate([seq, last], axis=-1)


def _fractional_max_poolnd(nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_fractional_max_poolnd, nd, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)
    name = f"fractional_max_pool{nd}d"
    if output_size is None and output_ratio is None:
        raise ValueError(f"{name} requires specifying either an output_size or an output_ratio")
    x, unbatched = _batched(input, nd, name)
    k = _tuple(kernel_size, nd, f"{name}: kernel_size must either be a single int, or a tuple of "
                                f"{_NAMES[nd - 1]} ints")
    size = x.shape[2:]
    if output_size is None:
        ratio = tuple(output_ratio) if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        osz = tuple(int(n * r) for n, r in zip(size, ratio))
    else:
        osz = _tuple(output_size, nd, f"{name}: output_size must be a single int or a tuple of {nd} ints")
    for dim, n, o, kk in zip(("time", "height", "width")[3 - nd:], size, osz, k):
        if o + kk - 1 > n:
            raise RuntimeError(f"{name}(): pool {dim} {kk} too large relative to input {dim} {n}")
    if _random_samples is None:
        from ..random import rand
        _random_samples = rand(x.shape[0], x.shape[1], nd, dtype=x.dtype, device=x.device)
    elif unbatched and _random_samples.ndim == 2:
        _random_samples = _random_samples.reshape((1,) + tuple(_random_samples.shape))
    samples = x._device.backend.asnumpy(_random_samples._data)
    np_dtype = _np.dtype(_np.float64 if x.dtype.name == "float64" else _np.float32)
    # PyTorch's sample order: (width, height) in 2-D, (time, height, width) in 3-D
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [_fractional_starts(samples[..., order[i]], n, o, kk, np_dtype)
              for i, (n, o, kk) in enumerate(zip(size, osz, k))]
    xp = x._device.xp
    idx = [xp.asarray(a) for a in _window_indices(starts, k, size)]
    r = _max_by_indices(x, idx, osz, f"FractionalMaxPool{nd}DBackward0", return_indices)
    if return_indices:
        return _unbatch(r[0], unbatched), _unbatch(r[1], unbatched)
    return _unbatch(r, unbatched)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional_max_poolnd(2, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None, return_indices=False,
                          _random_samples=None):
    return _fractional_max_poolnd(3, input, kernel_size, output_size, output_ratio, return_indices, _random_samples)


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return _fractional_max_poolnd(2, input, kernel_size, output_size, output_ratio, True, _random_samples)


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=True, _random_samples=None):
    return _fractional_max_poolnd(3, input, kernel_size, output_size, output_ratio, True, _random_samples)


# ---- max_unpool ---------------------------------------------------------------------------------
def _max_unpoolnd(nd, input, indices, kernel_size, stride, padding, output_size):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_max_unpoolnd, nd, input, indices, kernel_size, stride, padding, output_size)
    name = f"max_unpool{nd}d"
    k = _tuple(kernel_size, nd, f"{name}: kernel_size must be a single int or a tuple of {nd} ints")
    s = k if stride is None else _tuple(stride, nd, f"{name}: stride must be a single int or a tuple of {nd} ints")
    p = _tuple(padding, nd, f"{name}: padding must be a single int or a tuple of {nd} ints")
    insz = tuple(input.shape[-nd:])
    default = tuple((n - 1) * ss - 2 * pp + kk for n, ss, pp, kk in zip(insz, s, p, k))
    if output_size is None:
        osz = default
    else:
        osz = tuple(output_size)
        if len(osz) == nd + 2:
            osz = osz[2:]
        if len(osz) != nd:
            raise ValueError(f"output_size should be a sequence containing {nd} or {nd + 2} elements, but it has a "
                             f"length of '{len(osz)}'")
        for i, (o, dflt, ss) in enumerate(zip(osz, default, s)):
            if not dflt - ss < o < dflt + ss:
                raise ValueError(f'invalid output_size "{tuple(osz)}" (dim {i} must be between {dflt - ss} and '
                                 f'{dflt + ss})')
    unbatched = input.ndim == nd + 1
    x = input.reshape((1,) + tuple(input.shape)) if unbatched else input
    idx = indices._data.reshape(x.shape)
    plane = math.prod(osz)
    if idx.size and (int(idx.max()) >= plane or int(idx.min()) < 0):
        bad = int(idx.max()) if int(idx.max()) >= plane else int(idx.min())
        raise RuntimeError(f"Found an invalid max index: {bad} (output volumes are of size {'x'.join(map(str, osz))})")
    r = FlatScatter.apply(x, idx=idx, shape=tuple(x.shape[:2]) + tuple(osz), accumulate=False)
    if r.grad_fn is not None:
        r.grad_fn._name = f"MaxUnpool{nd}DBackward0"
    return _unbatch(r, unbatched)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    return _max_unpoolnd(3, input, indices, kernel_size, stride, padding, output_size)
