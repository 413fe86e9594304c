"""Position-sensitive RoIPool (R-FCN): bin (i, j) of output channel ``c`` is the mean of input channel
``(c * bins_h + i) * bins_w + j`` over the bin's pixels.

Bins follow torchvision's forward kernel: rounded corners, a RoI of ``end - start`` pixels (at least
1), bin edges clipped to ``[0, size - 1]`` (so the last row and column are never read), empty bins 0.
The gradient is the exact gradient of this forward (torchvision's CPU backward clips the bins to
``size`` instead, so the two differ for bins that reach the last row or column)."""
from ... import nn
from ...nn.modules.utils import _pair
from ._separable import SeparablePlan, SeparablePool
from ._utils import _as_rois
from .ps_roi_align import _check_groups, _position_sensitive
from .roi_align import _check_pair, _in_compute_dtype
from .roi_pool import _bin_edges, _snapped_corners, _window_taps

__all__ = ["ps_roi_pool", "PSRoIPool"]


def _box_taps(xp, lo, hi):
    """Window taps with weight 1 / window length (0 for padding; an empty window weighs nothing)."""
    pos, inside = _window_taps(xp, lo, hi)
    length = xp.maximum(hi - lo, 1)[..., None]
    return pos, inside / length


def ps_roi_pool(input, boxes, output_size, spatial_scale=1.0):
    """PSRoIPool: ``input`` (N, C, H, W) with C a multiple of the bin count, ``boxes`` (K, 5) or a list
    of (L, 4) -> (K, C / (bins_h * bins_w), *output_size)."""
    rois = _as_rois(boxes)
    output_size = _pair(output_size)
    _check_pair(input, rois, "ps_roi_pool_forward_kernel")
    _check_groups(input, output_size)
    x, r = _in_compute_dtype(input, rois)
    xp = x._device.xp
    ra = r.detach()._data
    h, w = x.shape[-2:]
    x0, y0, x1, y1 = _snapped_corners(xp, ra, spatial_scale)
    row_lo, row_hi = _bin_edges(xp, y0, y1, output_size[0], h - 1, ra.dtype, 0)
    col_lo, col_hi = _bin_edges(xp, x0, x1, output_size[1], w - 1, ra.dtype, 0)
    row_pos, row_w = _box_taps(xp, row_lo, row_hi)
    col_pos, col_w = _box_taps(xp, col_lo, col_hi)
    plan = SeparablePlan.from_taps(xp, x._device.backend, ra[:, 0].astype(xp.int64), row_pos,
                                   row_w.astype(ra.dtype), col_pos, col_w.astype(ra.dtype))
    pooled = SeparablePool.apply(x, plan=plan, name="PsRoiPoolBackward0")
    return _position_sensitive(pooled, output_size).to(input.dtype)


class PSRoIPool(nn.Module):
    """See :func:`ps_roi_pool`."""

    def __init__(self, output_size, spatial_scale):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input, rois):
        return ps_roi_pool(input, rois, self.output_size, self.spatial_scale)

    def __repr__(self):
        return f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale})"
