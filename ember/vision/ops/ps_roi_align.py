"""Position-sensitive RoIAlign (Light-Head R-CNN): bin (i, j) of output channel ``c`` averages input
channel ``(c * bins_h + i) * bins_w + j`` with RoIAlign's sampling (corners shifted by half a pixel,
no minimum RoI size; a bin with no samples is NaN, as in torchvision's kernel)."""
import ember
from ... import nn
from ...nn.modules.utils import _pair
from ._separable import SeparablePool
from ._utils import _as_rois
from .roi_align import _align_plan, _check_pair, _in_compute_dtype

__all__ = ["ps_roi_align", "PSRoIAlign"]


def _check_groups(input, output_size):
    bh, bw = output_size
    if input.shape[1] % (bh * bw) != 0:
        raise RuntimeError("input channels must be a multiple of pooling height * pooling width")


def _position_sensitive(pooled, output_size):
    """(K, C, bh, bw) pooled over every channel -> (K, C / (bh * bw), bh, bw): bin (i, j) of channel
    group ``c`` keeps its own channel ``c * bh * bw + i * bw + j``."""
    k, c, bh, bw = pooled.shape
    cells = bh * bw
    per_cell = pooled.reshape(k, c // cells, cells, cells)
    return ember.diagonal(per_cell, dim1=2, dim2=3).reshape(k, c // cells, bh, bw)


def ps_roi_align(input, boxes, output_size, spatial_scale=1.0, sampling_ratio=-1):
    """PSRoIAlign: ``input`` (N, C, H, W) with C a multiple of the bin count, ``boxes`` (K, 5) or a list
    of (L, 4) -> (K, C / (bins_h * bins_w), *output_size)."""
    rois = _as_rois(boxes)
    output_size = _pair(output_size)
    _check_pair(input, rois, "ps_roi_align_forward_kernel")
    _check_groups(input, output_size)
    x, r = _in_compute_dtype(input, rois)
    plan, grid_h, grid_w = _align_plan(x, r, output_size, spatial_scale, sampling_ratio, 0.5, None)
    out = _position_sensitive(SeparablePool.apply(x, plan=plan, name="PsRoiAlignBackward0"), output_size)
    no_samples = grid_h * grid_w == 0
    if bool(no_samples.any()):                      # torchvision divides by a zero sample count
        mask = ember.Tensor._wrap(no_samples[:, None, None, None], x._device)
        out = ember.where(mask, float("nan"), out)
    return out.to(input.dtype)


class PSRoIAlign(nn.Module):
    """See :func:`ps_roi_align`."""

    def __init__(self, output_size, spatial_scale, sampling_ratio):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio

    def forward(self, input, rois):
        return ps_roi_align(input, rois, self.output_size, self.spatial_scale, self.sampling_ratio)

    def __repr__(self):
        return (f"{self.__class__.__name__}(output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio})")
