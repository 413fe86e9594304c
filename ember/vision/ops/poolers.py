"""Multi-scale RoIAlign: pool each box from the pyramid level that suits its size (FPN paper, eq. 1)."""
import math

import ember
from ... import nn
from .boxes import box_area
from .roi_align import roi_align

__all__ = ["MultiScaleRoIAlign"]


class LevelMapper:
    """Maps boxes to pyramid levels: ``floor(canonical_level + log2(sqrt(area) / canonical_scale) + eps)``,
    clamped to ``[k_min, k_max]`` and returned relative to ``k_min`` (int64)."""

    def __init__(self, k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
        self.k_min = k_min
        self.k_max = k_max
        self.s0 = canonical_scale
        self.lvl0 = canonical_level
        self.eps = eps

    def __call__(self, boxlists):
        side = ember.sqrt(ember.cat([box_area(b) for b in boxlists]))
        eps = ember.tensor(self.eps, dtype=side.dtype, device=side.device)
        levels = ember.floor(self.lvl0 + ember.log2(side / self.s0) + eps)
        levels = ember.clamp(levels, min=self.k_min, max=self.k_max)
        return levels.to(ember.int64) - self.k_min


def initLevelMapper(k_min, k_max, canonical_scale=224, canonical_level=4, eps=1e-6):
    return LevelMapper(k_min, k_max, canonical_scale, canonical_level, eps)


def _convert_to_roi_format(boxes):
    """Concatenate per-image boxes into ``(K, 5)`` rows ``(image_index, x1, y1, x2, y2)``."""
    concat = ember.cat(boxes, dim=0)
    ids = ember.cat([ember.full((b.shape[0], 1), i, dtype=concat.dtype, device=concat.device)
                     for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


def _infer_scale(feature, original_size):
    """The feature map's scale relative to the image, snapped to a power of two (from the height)."""
    approx = float(feature.shape[-2]) / float(original_size[0])
    return 2 ** float(ember.tensor(approx).log2().round())


def _setup_scales(features, image_shapes, canonical_scale, canonical_level):
    if not image_shapes:
        raise ValueError("images list should not be empty")
    largest = (max(s[0] for s in image_shapes), max(s[1] for s in image_shapes))
    scales = [_infer_scale(f, largest) for f in features]
    # each pyramid level halves the resolution, so the levels follow from the first and last scales
    lvl_min = -math.log2(scales[0])
    lvl_max = -math.log2(scales[-1])
    return scales, initLevelMapper(int(lvl_min), int(lvl_max), canonical_scale=canonical_scale,
                                   canonical_level=canonical_level)


def _filter_input(x, featmap_names):
    return [v for k, v in x.items() if k in featmap_names]


def _multiscale_roi_align(x_filtered, boxes, output_size, sampling_ratio, scales, mapper):
    """RoIAlign every box on its own level; the results come back in the order of ``boxes``."""
    if scales is None or mapper is None:
        raise ValueError("scales and mapper should not be None")
    rois = _convert_to_roi_format(boxes)
    if len(x_filtered) == 1:
        return roi_align(x_filtered[0], rois, output_size=output_size, spatial_scale=scales[0],
                         sampling_ratio=sampling_ratio)
    levels = mapper(boxes)
    dtype = x_filtered[0].dtype
    pooled, order = [], []
    for level, (feature, scale) in enumerate(zip(x_filtered, scales)):
        idx = ember.where(levels == level)[0]
        pooled.append(roi_align(feature, rois[idx], output_size=output_size, spatial_scale=scale,
                                sampling_ratio=sampling_ratio).to(dtype))
        order.append(idx)
    # undo the grouping by level: row j of the concatenation belongs to box order[j]
    return ember.cat(pooled, dim=0)[ember.argsort(ember.cat(order))]


class MultiScaleRoIAlign(nn.Module):
    """RoIAlign over several feature maps: each box is pooled from the level ``k`` given by
    ``floor(canonical_level + log2(sqrt(w * h) / canonical_scale))``; the levels' scales are inferred
    from the feature sizes on the first call.

    ``forward(x, boxes, image_shapes)``: ``x`` maps names to feature maps, ``boxes`` is one
    ``(N_i, 4)`` tensor of ``(x1, y1, x2, y2)`` image coordinates per image, ``image_shapes`` the
    images' ``(height, width)`` before the backbone. Returns ``(sum N_i, C, *output_size)``."""

    def __init__(self, featmap_names, output_size, sampling_ratio, *, canonical_scale=224, canonical_level=4):
        super().__init__()
        if isinstance(output_size, int):
            output_size = (output_size, output_size)
        self.featmap_names = featmap_names
        self.sampling_ratio = sampling_ratio
        self.output_size = tuple(output_size)
        self.scales = None
        self.map_levels = None
        self.canonical_scale = canonical_scale
        self.canonical_level = canonical_level

    def forward(self, x, boxes, image_shapes):
        x_filtered = _filter_input(x, self.featmap_names)
        if self.scales is None or self.map_levels is None:
            self.scales, self.map_levels = _setup_scales(x_filtered, image_shapes, self.canonical_scale,
                                                         self.canonical_level)
        return _multiscale_roi_align(x_filtered, boxes, self.output_size, self.sampling_ratio, self.scales,
                                     self.map_levels)

    def __repr__(self):
        return (f"{self.__class__.__name__}(featmap_names={self.featmap_names}, output_size={self.output_size}, "
                f"sampling_ratio={self.sampling_ratio})")
