"""ember.vision.ops: torchvision.ops for ember -- box utilities and NMS, RoI pooling, box losses,
and the layers detection and classification models share."""
import importlib

from .boxes import (batched_nms, box_area, box_convert, box_iou, clip_boxes_to_image, complete_box_iou,
                    distance_box_iou, generalized_box_iou, masks_to_boxes, nms, remove_small_boxes)
from .ciou_loss import complete_box_iou_loss
from .deform_conv import DeformConv2d, deform_conv2d
from .diou_loss import distance_box_iou_loss
from .drop_block import DropBlock2d, DropBlock3d, drop_block2d, drop_block3d
from .focal_loss import sigmoid_focal_loss
from .giou_loss import generalized_box_iou_loss
from .misc import MLP, Conv2dNormActivation, Conv3dNormActivation, FrozenBatchNorm2d, Permute, SqueezeExcitation
from .ps_roi_align import PSRoIAlign, ps_roi_align
from .ps_roi_pool import PSRoIPool, ps_roi_pool
from .roi_align import RoIAlign, roi_align
from .roi_pool import RoIPool, roi_pool
from .stochastic_depth import StochasticDepth, stochastic_depth

__all__ = [
    "masks_to_boxes", "deform_conv2d", "DeformConv2d", "nms", "batched_nms", "remove_small_boxes",
    "clip_boxes_to_image", "box_convert", "box_area", "box_iou", "generalized_box_iou", "distance_box_iou",
    "complete_box_iou", "roi_align", "RoIAlign", "roi_pool", "RoIPool", "ps_roi_align", "PSRoIAlign", "ps_roi_pool",
    "PSRoIPool", "MultiScaleRoIAlign", "FeaturePyramidNetwork", "sigmoid_focal_loss", "stochastic_depth",
    "StochasticDepth", "FrozenBatchNorm2d", "Conv2dNormActivation", "Conv3dNormActivation", "SqueezeExcitation",
    "MLP", "Permute", "generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss", "drop_block2d",
    "DropBlock2d", "drop_block3d", "DropBlock3d",
]

# Defined by the detection models' modules; imported on first use so this package also works
# without them (and without an import cycle: they import from this package).
_LAZY = {
    "MultiScaleRoIAlign": "poolers",
    "FeaturePyramidNetwork": "feature_pyramid_network",
    "LastLevelMaxPool": "feature_pyramid_network",
    "LastLevelP6P7": "feature_pyramid_network",
}


def __getattr__(name):
    module = _LAZY.get(name)
    if module is not None:
        try:
            value = getattr(importlib.import_module(f".{module}", __name__), name)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{module}":
                raise
            raise AttributeError(f"module '{__name__}' has no attribute '{name}' (ember.vision.ops.{module} is "
                                 "not available)") from None
        globals()[name] = value
        return value
    raise AttributeError(f"module '{__name__}' has no attribute '{name}'")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
