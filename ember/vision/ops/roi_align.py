"""RoIAlign (Mask R-CNN): average of bilinearly interpolated samples on a regular grid in each bin.

The sample positions follow torchvision's kernel step by step, in the input's dtype (RoI corners
times ``spatial_scale`` less the ``aligned`` half-pixel offset; ``sampling_ratio`` samples per bin
side, or ``ceil(roi_size / bins)`` when it is <= 0; samples outside ``[-1, size]`` count as zero, the
rest are clamped to the map). The interpolation weights are separable, so the pooling itself is the
`_separable` primitive, whose gradient with respect to the input is exact and differentiable again.
"""
import ember
from ... import nn
from ..._dtypes import SCALAR_NAME
from ...nn.modules.utils import _pair
from ._separable import SeparablePlan, SeparablePool
from ._utils import _as_rois

__all__ = ["roi_align", "RoIAlign"]


def _bilinear_taps(xp, start, length, bins, grid, size):
    """Taps of the samples along one axis: (K, bins, 2 * G) int64 positions and weights (each tap's
    bilinear weight, divided by the RoI's sample count ``grid`` on this axis)."""
    dtype = start.dtype
    one = dtype.type(1)
    k = start.shape[0]
    g = max(int(grid.max()), 0) if k else 0
    bin_size = (length / dtype.type(bins))[:, None, None]
    steps = xp.arange(g, dtype=dtype) + dtype.type(0.5)
    per = xp.maximum(grid, 1).astype(dtype)[:, None, None]
    pos = (start[:, None, None] + xp.arange(bins, dtype=dtype)[None, :, None] * bin_size) + \
        steps[None, None, :] * bin_size / per
    valid = (xp.arange(g)[None, None, :] < grid[:, None, None]) & (pos >= -1) & (pos <= size)
    pos = xp.where(valid & (pos > 0), pos, dtype.type(0))
    low = pos.astype(xp.int64)
    at_end = low >= size - 1
    low = xp.where(at_end, size - 1, low)
    high = xp.where(at_end, size - 1, low + 1)
    frac = xp.where(at_end, dtype.type(0), pos - low.astype(dtype))
    scale = valid.astype(dtype) / per
    weights = xp.stack([(one - frac) * scale, frac * scale], axis=-1).reshape(k, bins, 2 * g)
    taps = xp.stack([low, high], axis=-1).reshape(k, bins, 2 * g)
    # an unused tap points at a position the RoI reads anyway, so it adds no row/column to gather
    used = xp.repeat(valid, 2, axis=-1)
    fill = xp.where(used, taps, size).min(axis=(1, 2)) if g else xp.zeros(k, dtype=xp.int64)
    fill = xp.where(fill >= size, 0, fill)
    return xp.where(used, taps, fill[:, None, None]), weights


def _sampling_grid(xp, length, bins, sampling_ratio):
    """Samples per bin side for each RoI: the fixed ratio, or ceil(length / bins) (<= 0: no samples)."""
    if sampling_ratio > 0:
        return xp.full(length.shape, sampling_ratio, dtype=xp.int64)
    per_bin = xp.ceil(length / length.dtype.type(bins))
    return xp.nan_to_num(per_bin, nan=0.0, posinf=0.0, neginf=0.0).astype(xp.int64)


def _align_plan(input, rois, output_size, spatial_scale, sampling_ratio, offset, min_size):
    """The SeparablePlan of RoIAlign-style sampling (also PSRoIAlign's: offset 0.5, no minimum size)
    and the per-RoI sample counts per bin side (rows, columns)."""
    xp = input._device.xp
    r = rois.detach()._data
    dtype = r.dtype
    t = dtype.type
    scale = t(spatial_scale)
    corners = [r[:, i] * scale - t(offset) for i in range(1, 5)]
    x0, y0, x1, y1 = corners
    width, height = x1 - x0, y1 - y0
    if min_size is not None:
        width, height = xp.maximum(width, t(min_size)), xp.maximum(height, t(min_size))
    bh, bw = output_size
    size_h, size_w = input.shape[-2:]
    grid_h, grid_w = _sampling_grid(xp, height, bh, sampling_ratio), _sampling_grid(xp, width, bw, sampling_ratio)
    row_pos, row_w = _bilinear_taps(xp, y0, height, bh, grid_h, size_h)
    col_pos, col_w = _bilinear_taps(xp, x0, width, bw, grid_w, size_w)
    batch = r[:, 0].astype(xp.int64)
    plan = SeparablePlan.from_taps(xp, input._device.backend, batch, row_pos, row_w, col_pos, col_w)
    return plan, grid_h, grid_w


def _check_pair(input, rois, kernel):
    """torchvision's checks of the input and the (K, 5) RoIs, shared by the RoI ops."""
    if rois.size(1) != 5:
        raise RuntimeError("rois must have shape as Tensor[K, 5]")
    if input.dtype is not rois.dtype:
        raise RuntimeError("input should have the same type as rois")
    if input.dim() < 4:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(input.dim(), 1)}, "
                         f"{max(input.dim(), 1) - 1}], but got 3)")
    if input.dim() > 4:
        raise RuntimeError(f"{kernel}: expected a 4D input (N, C, H, W), but got {input.dim()}D")
    if input.dtype not in (ember.float16, ember.float32, ember.float64):
        raise RuntimeError(f'"{kernel}" not implemented for \'{SCALAR_NAME[input.dtype]}\'')
    n = input.shape[0]
    if rois.shape[0]:
        idx = rois[:, 0].detach()
        if bool(((idx <= -1) | (idx >= n)).any()):
            raise IndexError(f"{kernel}: RoI batch index out of range for an input of batch size {n}")


def _in_compute_dtype(input, rois):
    """Half-precision inputs are pooled in float32 (the result is cast back)."""
    if input.dtype is ember.float16:
        return input.float(), rois.float()
    return input, rois


def roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1, aligned=False):
    """RoIAlign: ``input`` (N, C, H, W), ``boxes`` a (K, 5) tensor of ``(batch_index, x1, y1, x2, y2)`` or a
    list of per-image (L, 4) tensors -> (K, C, *output_size)."""
    rois = _as_rois(boxes)
    output_size = _pair(output_size)
    _check_pair(input, rois, "roi_align_forward_kernel")
    x, r = _in_compute_dtype(input, rois)
    plan, _, _ = _align_plan(x, r, output_size, spatial_scale, sampling_ratio, 0.5 if aligned else 0.0,
                             None if aligned else 1.0)
    return SeparablePool.apply(x, plan=plan).to(input.dtype)


class RoIAlign(nn.Module):
    """See :func:`roi_align`."""

    def __init__(self, output_size, spatial_scale, sampling_ratio, aligned=False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input, rois):
        return roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio, self.aligned)

    def __repr__(self):
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned})")
