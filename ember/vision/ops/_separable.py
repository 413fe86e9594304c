"""Separable RoI pooling: the primitive behind roi_align, ps_roi_align and ps_roi_pool.

Each of those ops averages the input over sample points laid out on a per-RoI grid, and every
sample's weight is a product of a row weight and a column weight (bilinear taps, box windows). So
for RoI ``k`` on image ``b_k`` the pooled map is two small matrix products,

    out[k, c] = Wy[k] @ x[b_k, c][ys[k]][:, xs[k]] @ Wx[k].T

where ``ys[k]`` / ``xs[k]`` are the distinct rows / columns the RoI reads (padded to a common length
with zero weights) and ``Wy[k]`` (bins_h, rows), ``Wx[k]`` (bins_w, cols) fold the taps together.
Only those rows x columns are gathered (channels-last, so each read is a contiguous run of channels),
RoIs are processed in chunks of similar size to bound memory, and the adjoint (the gradient, a
scatter-add of the same products) is its own op, so gradients of gradients work too.
"""
from ..._ops._op import Op

_CHUNK_ELEMENTS = 1 << 22      # gathered values per chunk (x channels), bounds the working memory


class SeparablePlan:
    """Where and how much each RoI reads: ``batch`` (K,), ``ys`` (K, U) / ``xs`` (K, V) int64 positions,
    ``wy`` (K, bins_h, U) / ``wx`` (K, bins_w, V) weights; ``ny`` / ``nx`` (K,) the real lengths."""

    def __init__(self, batch, ys, wy, ny, xs, wx, nx):
        self.batch, self.ys, self.wy, self.ny = batch, ys, wy, ny
        self.xs, self.wx, self.nx = xs, wx, nx
        self._chunks = {}

    @classmethod
    def from_taps(cls, xp, backend, batch, row_pos, row_w, col_pos, col_w):
        """Build from taps: ``*_pos`` (K, bins, T) int64 positions and ``*_w`` their weights."""
        ys, wy, ny = _fold_taps(xp, backend, row_pos, row_w)
        xs, wx, nx = _fold_taps(xp, backend, col_pos, col_w)
        return cls(batch, ys, wy, ny, xs, wx, nx)

    def chunks(self, xp, channels):
        """(RoI indices, rows, cols) per chunk: RoIs by increasing size, each chunk padded to its largest."""
        if channels not in self._chunks:
            order = xp.argsort(self.ny * self.nx, kind="stable")
            ny, nx = self.ny[order].tolist(), self.nx[order].tolist()
            spans, start, rows, cols = [], 0, 0, 0
            for i in range(len(ny)):
                r, c = max(rows, ny[i]), max(cols, nx[i])
                if i > start and (i + 1 - start) * r * c * channels > _CHUNK_ELEMENTS:
                    spans.append((order[start:i], rows, cols))
                    start, r, c = i, ny[i], nx[i]
                rows, cols = r, c
            if len(ny) > start:
                spans.append((order[start:], rows, cols))
            self._chunks[channels] = spans
        return self._chunks[channels]

    def _flat_rows(self, sel, u, v, height, width):
        """(k, u, v) indices of the read pixels in the (N * H * W) channels-last rows."""
        base = self.batch[sel, None] * height + self.ys[sel, :u]
        return (base[:, :, None] * width) + self.xs[sel, None, :v]

    def _weights(self, xp, sel, u, v):
        """The chunk's weight matrices, (m, bins_h, u) and (m, bins_w, v).

        The contractions go through einsum: with only 7 or 14 bins, BLAS gemm (OpenBLAS sgemm in
        particular) is several times slower here than einsum's own loops."""
        return xp.ascontiguousarray(self.wy[sel, :, :u]), xp.ascontiguousarray(self.wx[sel, :, :v])

    def pool(self, xp, x):
        """(N, C, H, W) -> (K, C, bins_h, bins_w)."""
        n, c, h, w = x.shape
        k, bh, bw = self.batch.shape[0], self.wy.shape[1], self.wx.shape[1]
        out = xp.zeros((k, bh, bw, c), dtype=x.dtype)
        if k and c and x.size:
            pixels = xp.ascontiguousarray(xp.moveaxis(x, 1, -1)).reshape(n * h * w, c)
            for sel, u, v in self.chunks(xp, c):
                wy, wx = self._weights(xp, sel, u, v)
                g = xp.take(pixels, self._flat_rows(sel, u, v, h, w), axis=0)          # (m, u, v, c)
                out[sel] = xp.einsum("kqv,kpvc->kpqc", wx, xp.einsum("kpu,kuvc->kpvc", wy, g))
        return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))

    def spread(self, xp, backend, g, shape):
        """The adjoint of `pool`: (K, C, bins_h, bins_w) -> (N, C, H, W), overlapping reads summed."""
        n, c, h, w = shape
        k, bh, bw = g.shape[0], self.wy.shape[1], self.wx.shape[1]
        out = xp.zeros(n * h * w * c, dtype=g.dtype)
        if k and c and out.size:
            gl = xp.moveaxis(g, 1, -1)                                                    # (K, bh, bw, c)
            channel = xp.arange(c)
            for sel, u, v in self.chunks(xp, c):
                wy, wx = self._weights(xp, sel, u, v)
                t = xp.einsum("kqv,kpqc->kpvc", wx, gl[sel])                             # (m, bh, v, c)
                s = xp.einsum("kpu,kpvc->kuvc", wy, t)                                   # (m, u, v, c)
                idx = self._flat_rows(sel, u, v, h, w)[..., None] * c + channel
                backend.index_add(out, idx.reshape(-1), s.reshape(-1))
        return xp.ascontiguousarray(out.reshape(n, h, w, c).transpose(0, 3, 1, 2))


def _fold_taps(xp, backend, pos, weight):
    """Per RoI, the distinct positions among its taps (sorted, zero-padded) and the (bins, positions)
    matrix of the taps' summed weights."""
    k, bins, taps = pos.shape
    flat = pos.reshape(k, bins * taps)
    if k == 0 or flat.shape[1] == 0:
        return (xp.zeros((k, 0), dtype=xp.int64), xp.zeros((k, bins, 0), dtype=weight.dtype),
                xp.zeros(k, dtype=xp.int64))
    order = xp.argsort(flat, axis=1, kind="stable")
    ranked = xp.take_along_axis(flat, order, axis=1)
    first = xp.ones(ranked.shape, dtype=bool)
    first[:, 1:] = ranked[:, 1:] != ranked[:, :-1]
    rank = xp.cumsum(first, axis=1) - 1                      # slot of each sorted tap
    counts = rank[:, -1] + 1
    width = int(counts.max())
    rows = xp.arange(k)[:, None]
    slot = xp.empty_like(rank)
    slot[rows, order] = rank                                  # slot of each tap in its original place
    uniq = xp.zeros((k, width), dtype=xp.int64)
    uniq[rows, rank] = ranked
    bin_of = xp.repeat(xp.arange(bins), taps)[None, :]
    mat = xp.zeros(k * bins * width, dtype=weight.dtype)
    backend.index_add(mat, ((rows * bins + bin_of) * width + slot).reshape(-1), weight.reshape(-1))
    return uniq, mat.reshape(k, bins, width), counts


class SeparablePool(Op):
    """x (N, C, H, W) pooled by a SeparablePlan -> (K, C, bins_h, bins_w); linear in x."""
    _name = "RoiAlignBackward0"

    def forward(ctx, x, plan, name=None):
        if name is not None:
            ctx._name = name
        ctx.plan, ctx.shape = plan, x.shape
        return plan.pool(ctx.xp, x)

    def backward(ctx, g):
        return SeparableSpread.apply(g, plan=ctx.plan, shape=ctx.shape,
                                     name=ctx._name.replace("Backward0", "BackwardBackward0"))


class SeparableSpread(Op):
    """The adjoint of SeparablePool (its backward): (K, C, bins_h, bins_w) -> (N, C, H, W)."""

    def forward(ctx, g, plan, shape, name):
        ctx._name = name
        ctx.plan = plan
        return plan.spread(ctx.xp, ctx.device.backend, g, shape)

    def backward(ctx, gg):
        return SeparablePool.apply(gg, plan=ctx.plan, name=ctx._name.replace("BackwardBackward0", "Backward0"))
