"""Sliding windows: the one place that walks kernel offsets over a (padded) spatial grid.

Geometry for `nd` spatial dims: `kernel`, `stride`, `dilation` are nd-tuples, `pads` an nd-tuple of
(low, high) pairs, `out` the nd-tuple of window counts. Helpers here work on backend arrays:

- `im2col`: (N, C, *spatial) -> contiguous (N, *out, G, *kernel, C/G) (channels last, so the conv
  GEMM reads whole channel rows); `col2im` is its adjoint (strided adds per kernel offset).
- `im2col_cf`: (N, C, *spatial) -> (N, G, C/G * prod(kernel), prod(out)) (channels first: a
  per-sample GEMM with the weight gives NCHW output directly; used for large output grids).
- `offset_views`: one strided view of a padded array per kernel offset (pooling's building block).
- `FlatGrid`: stride-1 windows as contiguous slices of the flattened padded input, one per kernel
  offset (conv without im2col).

`Im2col` and `Col2im` are the differentiable pair (each is the other's backward), used by
`unfold`/`fold`.
"""
__all__ = []

import itertools
import math

from ._op import Op


def out_size(size, k, s, lo, hi, d, ceil_mode=False):
    """Number of windows along one dim (PyTorch's rule: with ceil_mode the last window must start
    inside the input or the low padding)."""
    n = (size + lo + hi - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (n - 1) * s >= size + lo:
        n -= 1
    return n


def extent(n, k, s, d):
    """Length of the padded range that n windows touch."""
    return (n - 1) * s + d * (k - 1) + 1 if n > 0 else 0


def window_slices(offset, stride, dilation, out):
    """Per-dim slices selecting, for one kernel offset, the element each window sees."""
    return tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for o, s, d, n in zip(offset, stride, dilation, out))


def offsets(kernel):
    return itertools.product(*(range(k) for k in kernel))


def padded_size(size, pads, out, kernel, stride, dilation):
    """Spatial size of a padded buffer holding the input and every window."""
    return tuple(max(m + lo + hi, extent(o, k, s, d)) for m, (lo, hi), o, k, s, d in zip(size, pads, out, kernel, stride, dilation))


def interior(pads, size):
    """Slices of a padded buffer's spatial dims that hold the input."""
    return tuple(slice(lo, lo + m) for (lo, _), m in zip(pads, size))


def padded(xp, x, pads, out, kernel, stride, dilation, fill=0):
    """x (N, C, *spatial) placed in a buffer filled with `fill`, large enough for every window
    (x itself when no padding is needed)."""
    sp = x.shape[2:]
    full = padded_size(sp, pads, out, kernel, stride, dilation)
    if full == sp and all(lo == 0 for lo, _ in pads):
        return x
    buf = xp.full(x.shape[:2] + full, fill, dtype=x.dtype)
    buf[(slice(None),) * 2 + interior(pads, sp)] = x
    return buf


def offset_views(buf, kernel, stride, dilation, out):
    """(kernel offset index, strided view of buf (N, C, *out)) for every kernel offset."""
    lead = (slice(None),) * (buf.ndim - len(kernel))
    for i, off in enumerate(offsets(kernel)):
        yield i, buf[lead + window_slices(off, stride, dilation, out)]


class FlatGrid:
    """Stride-1 windows over a zero-padded input whose padded grid is flattened: the windows' kernel
    offset t reads, for every output position, the element at `offsets[t]` + its index on the grid
    `ext` (the output extent along the first spatial dim, the padded one along the others), so each
    offset is one contiguous slice of length `size`; `ext` holds `out` plus padding columns."""

    def __init__(self, size, pads, out, kernel, dilation):
        self.grid = padded_size(size, pads, out, kernel, (1,) * len(kernel), dilation)
        self.pads, self.out = pads, tuple(out)
        self.ext = self.out[:1] + self.grid[1:]
        self.size = math.prod(self.ext)
        pitch = [math.prod(self.grid[i + 1:]) for i in range(len(kernel))]
        self.offsets = [sum(j * d * p for j, d, p in zip(off, dilation, pitch)) for off in offsets(kernel)]

    def buffer(self, xp, x):
        """x (N, C, *spatial) zero-padded and flattened: (N, C, L), long enough for every slice."""
        n, c = x.shape[:2]
        full = math.prod(self.grid)
        buf = xp.zeros((n, c, max(full, self.offsets[-1] + self.size)), dtype=x.dtype)
        buf[:, :, :full].reshape((n, c) + self.grid)[(slice(None),) * 2 + interior(self.pads, x.shape[2:])] = x
        return buf

    def crop(self, y):
        """(N, O, size) on the extended grid -> (N, O, *out) (a view)."""
        y = y.reshape(y.shape[:2] + self.ext)
        return y if self.ext == self.out else y[(slice(None),) * 2 + tuple(slice(0, m) for m in self.out)]


def im2col(dev, x, kernel, stride, pads, dilation, out, groups=1):
    """(N, C, *spatial) -> contiguous cols (N, *out, G, *kernel, C/G), zero padding."""
    xp = dev.xp
    nd = len(kernel)
    n, c = x.shape[:2]
    sp = x.shape[2:]
    buf = xp.zeros((n,) + padded_size(sp, pads, out, kernel, stride, dilation) + (c,), dtype=x.dtype)
    buf[(slice(None),) + interior(pads, sp)] = xp.moveaxis(x, 1, -1)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    win = dev.backend.sliding_window_view(buf, span, axis=tuple(range(1, nd + 1)))   # (N, *P, C, *span)
    win = win[(slice(None),) + tuple(slice(0, s * (o - 1) + 1, s) for s, o in zip(stride, out)) + (slice(None),)
              + tuple(slice(None, None, d) for d in dilation)]
    win = win.reshape((n,) + tuple(out) + (groups, c // groups) + tuple(kernel))
    order = tuple(range(nd + 2)) + tuple(range(nd + 3, 2 * nd + 3)) + (nd + 2,)
    return xp.ascontiguousarray(win.transpose(order))


def im2col_cf(dev, x, kernel, stride, pads, dilation, out, groups=1, batch_inside=False):
    """(N, C, *spatial) -> channels-first cols (N, G, C/G * prod(kernel), prod(out)), zero padding:
    rows ordered (C/G, *kernel) like a weight's (C/G, *kernel), so conv is W (O_g, K) @ cols per
    sample and lands in (N, O, *out) with no output transpose. No copy at all for a 1x1 kernel at
    stride 1 without padding; no padded buffer when padding is 0.
    batch_inside (groups 1): cols (C * prod(kernel), N * prod(out)) instead, for one 2-D GEMM over the batch."""
    xp = dev.xp
    nd = len(kernel)
    n, c = x.shape[:2]
    p = 1
    for o in out:
        p *= o
    shape = (-1, n * p) if batch_inside else (n, groups, -1, p)
    if all(k == 1 for k in kernel) and all(s == 1 for s in stride) and all(lo == 0 and hi == 0 for lo, hi in pads):
        return xp.ascontiguousarray(x.reshape(n, c, p).swapaxes(0, 1)).reshape(shape) if batch_inside \
            else x.reshape(shape)
    buf = padded(xp, x, pads, out, kernel, stride, dilation)
    if nd == 2 and stride != (1, 1) and dilation == (1, 1) and not batch_inside:
        return _strided_cols_cf(xp, buf, kernel, stride, out).reshape(shape)
    span = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    win = dev.backend.sliding_window_view(buf, span, axis=tuple(range(2, nd + 2)))   # (N, C, *P, *span)
    win = win[(slice(None),) * 2 + tuple(slice(0, s * (o - 1) + 1, s) for s, o in zip(stride, out))
              + tuple(slice(None, None, d) for d in dilation)]
    sp, kn = tuple(range(2, nd + 2)), tuple(range(nd + 2, 2 * nd + 2))
    order = (1,) + kn + (0,) + sp if batch_inside else (0, 1) + kn + sp
    return xp.ascontiguousarray(win.transpose(order)).reshape(shape)


def _strided_cols_cf(xp, buf, kernel, stride, out):
    """Channels-first cols (N, C, kh, kw, *out) of a strided 2-D conv from the stride phases of the
    padded input: each phase (rows a::sh, columns b::sw) copied once, then every kernel offset is a
    stride-1 slice of its phase, so the copies run over contiguous rows (ResNet's 7x7/2 stem: the
    strided gather was half its time)."""
    (kh, kw), (sh, sw), (oh, ow) = kernel, stride, out
    cols = xp.empty(buf.shape[:2] + (kh, kw, oh, ow), dtype=buf.dtype)
    for a in range(min(sh, kh)):
        for b in range(min(sw, kw)):
            phase = xp.ascontiguousarray(buf[:, :, a::sh, b::sw])
            for i in range(a, kh, sh):
                for j in range(b, kw, sw):
                    cols[:, :, i, j] = phase[:, :, i // sh:i // sh + oh, j // sw:j // sw + ow]
    return cols


def col2im(dev, cols, size, kernel, stride, pads, dilation):
    """Adjoint of im2col: cols (N, *out, G, *kernel, Cg) summed back into (N, C, *size)."""
    xp = dev.xp
    nd = len(kernel)
    n = cols.shape[0]
    out = cols.shape[1:nd + 1]
    g, cg = cols.shape[nd + 1], cols.shape[-1]
    buf = xp.zeros((n,) + padded_size(size, pads, out, kernel, stride, dilation) + (g, cg), dtype=cols.dtype)
    lead = (slice(None),) * (nd + 2)
    for off in offsets(kernel):
        buf[(slice(None),) + window_slices(off, stride, dilation, out)] += cols[lead + off]
    buf = buf[(slice(None),) + interior(pads, size)]
    return xp.ascontiguousarray(xp.moveaxis(buf.reshape((n,) + tuple(size) + (g * cg,)), -1, 1))


class Im2col(Op):
    def forward(ctx, x, kernel, stride, pads, dilation, out):
        ctx.geom = (kernel, stride, pads, dilation)
        ctx.size = x.shape[2:]
        return im2col(ctx.device, x, kernel, stride, pads, dilation, out)

    def backward(ctx, g):
        kernel, stride, pads, dilation = ctx.geom
        return Col2im.apply(g, size=ctx.size, kernel=kernel, stride=stride, pads=pads, dilation=dilation)


class Col2im(Op):
    def forward(ctx, cols, size, kernel, stride, pads, dilation):
        ctx.geom = (kernel, stride, pads, dilation)
        ctx.out = cols.shape[1:1 + len(kernel)]
        return col2im(ctx.device, cols, size, kernel, stride, pads, dilation)

    def backward(ctx, g):
        kernel, stride, pads, dilation = ctx.geom
        return Im2col.apply(g, kernel=kernel, stride=stride, pads=pads, dilation=dilation, out=ctx.out)
