"""RoIPool (Fast R-CNN): the maximum of each bin of a RoI snapped to whole pixels.

As in torchvision's kernel: corners are rounded (half away from zero) after scaling, the RoI is
``end - start + 1`` pixels (at least 1), bin ``i`` spans ``[floor(i * size / bins),
ceil((i + 1) * size / bins))`` clipped to the map, an empty bin gives 0 and the first maximum in
row-major order wins (NaN never does). The winners are found on the raw arrays; the output is then
an ember gather of those positions, so its gradient (a scatter to the winners) comes from autograd.
"""
import ember
from ... import nn
from ..._tensor import Tensor
from ...nn.modules.utils import _pair
from ._utils import _as_rois
from .roi_align import _check_pair, _in_compute_dtype

__all__ = ["roi_pool", "RoIPool"]

_CHUNK_ELEMENTS = 1 << 22
_FLT_MAX = 3.4028234663852886e38       # torchvision starts each maximum at -FLT_MAX, in any dtype


def _round_half_away(xp, v):
    return xp.sign(v) * xp.floor(xp.abs(v) + v.dtype.type(0.5))


def _bin_edges(xp, start, end, bins, size, dtype, extra):
    """(K, bins) first and past-the-end pixel of each bin along one axis, clipped to [0, size].
    ``extra``: 1 when the RoI's last pixel is inclusive (RoIPool), 0 when not (PSRoIPool)."""
    length = xp.maximum(end - start + extra, 1).astype(dtype)
    bin_size = (length / dtype.type(bins))[:, None]
    b = xp.arange(bins, dtype=dtype)[None, :]
    lo = xp.floor(b * bin_size).astype(xp.int64) + start[:, None]
    hi = xp.ceil((b + dtype.type(1)) * bin_size).astype(xp.int64) + start[:, None]
    return xp.clip(lo, 0, size), xp.clip(hi, 0, size)


def _snapped_corners(xp, rois, spatial_scale):
    """RoI corners times spatial_scale, rounded half away from zero, as int64 (x0, y0, x1, y1)."""
    t = rois.dtype.type
    return [_round_half_away(xp, rois[:, i] * t(spatial_scale)).astype(xp.int64) for i in range(1, 5)]


def _window_taps(xp, lo, hi):
    """Positions (K, bins, L) covering each window [lo, hi) (padding repeats a window pixel) and
    whether each is inside its window."""
    span = int((hi - lo).max()) if lo.size else 0
    pos = lo[..., None] + xp.arange(max(span, 0))
    inside = pos < hi[..., None]
    return xp.where(inside, pos, xp.minimum(lo, xp.maximum(hi - 1, 0))[..., None]), inside


def _winners(xp, x, batch, rows, cols, row_in, col_in):
    """Flat (H * W) position of each bin's maximum per channel, (K, C, bh, bw) int64, -1 where the
    bin is empty or holds no value above -FLT_MAX."""
    n, c, h, w = x.shape
    k, bh, lh = rows.shape
    bw, lw = cols.shape[1:]
    best = xp.full((k, bh, bw, c), -1, dtype=xp.int64)
    window = lh * lw
    if k == 0 or c == 0 or window == 0:
        return xp.ascontiguousarray(best.transpose(0, 3, 1, 2))
    pixels = xp.ascontiguousarray(xp.moveaxis(x, 1, -1)).reshape(n * h * w, c)
    floor = x.dtype.type(-_FLT_MAX)
    step = max(1, _CHUNK_ELEMENTS // (bh * bw * window * c))
    for s in range(0, k, step):
        sl = slice(s, s + step)
        m = rows[sl].shape[0]
        where = rows[sl, :, None, :, None] * w + cols[sl, None, :, None, :]              # (m, bh, bw, lh, lw)
        inside = (row_in[sl, :, None, :, None] & col_in[sl, None, :, None, :]).reshape(m, bh, bw, window, 1)
        vals = xp.take(pixels, (batch[sl, None, None, None, None] * (h * w) + where).reshape(m, bh, bw, window),
                       axis=0)                                                        # (m, bh, bw, L, c)
        vals = xp.where(inside & (vals > floor), vals, -xp.inf)                       # NaN never wins
        arg = xp.argmax(vals, axis=3)                                                 # (m, bh, bw, c)
        found = xp.take_along_axis(vals, arg[:, :, :, None], axis=3)[:, :, :, 0] > floor
        pos = xp.take_along_axis(where.reshape(m, bh, bw, window), arg.reshape(m, bh, bw, c), axis=3)
        best[sl] = xp.where(found, pos, -1)
    return xp.ascontiguousarray(best.transpose(0, 3, 1, 2))


def roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """RoIPool: ``input`` (N, C, H, W), ``boxes`` (K, 5) ``(batch_index, x1, y1, x2, y2)`` or a list of
    per-image (L, 4) tensors -> (K, C, *output_size), the maximum of each bin."""
    rois = _as_rois(boxes)
    output_size = _pair(output_size)
    _check_pair(input, rois, "roi_pool_forward_kernel")
    x, r = _in_compute_dtype(input, rois)
    xp = x._device.xp
    arr, ra = x.detach()._data, r.detach()._data
    n, c, h, w = arr.shape
    bh, bw = output_size
    x0, y0, x1, y1 = _snapped_corners(xp, ra, spatial_scale)
    row_lo, row_hi = _bin_edges(xp, y0, y1, bh, h, arr.dtype, 1)
    col_lo, col_hi = _bin_edges(xp, x0, x1, bw, w, arr.dtype, 1)
    rows, row_in = _window_taps(xp, row_lo, row_hi)
    cols, col_in = _window_taps(xp, col_lo, col_hi)
    batch = ra[:, 0].astype(xp.int64)
    best = _winners(xp, arr, batch, rows, cols, row_in, col_in)
    empty = (row_hi <= row_lo)[:, None, :, None] | (col_hi <= col_lo)[:, None, None, :]      # (K, 1, bh, bw)
    plane = (batch[:, None] * c + xp.arange(c)[None, :])[:, :, None, None] * (h * w)
    index = Tensor._wrap(plane + xp.maximum(best, 0), x._device)
    found = Tensor._wrap(best >= 0, x._device)
    fill = Tensor._wrap(xp.where(empty, 0, -_FLT_MAX).astype(arr.dtype), x._device)
    out = ember.where(found, x.reshape(-1)[index], fill)
    return out.to(input.dtype)


class RoIPool(nn.Module):
    """See :func:`roi_pool`."""

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"
