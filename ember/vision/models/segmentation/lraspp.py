"""Lite R-ASPP (Howard et al. 2019, "Searching for MobileNetV3") on a dilated MobileNetV3-Large."""
from collections import OrderedDict
from functools import partial
from typing import Any, Optional

from .... import nn
from .._api import Weights, WeightsEnum, register_model
from .._utils import IntermediateLayerGetter, handle_legacy_interface
from ..mobilenetv3 import MobileNet_V3_Large_Weights
from ._meta import _VOC_CATEGORIES
from ._presets import SemanticSegmentation
from ._utils import _build_mobilenet_model, _mobilenet_stage_indices, _upsample

__all__ = ["LRASPP", "LRASPP_MobileNet_V3_Large_Weights", "lraspp_mobilenet_v3_large"]


class LRASPP(nn.Module):
    """Lite R-ASPP: ``backbone`` returns "low" (``low_channels``) and "high" (``high_channels``)
    feature maps, an LRASPPHead scores them, and the scores are upsampled to the input's size
    (returned in an OrderedDict under "out")."""

    def __init__(self, backbone, low_channels, high_channels, num_classes, inter_channels=128):
        super().__init__()
        self.backbone = backbone
        self.classifier = LRASPPHead(low_channels, high_channels, num_classes, inter_channels)

    def forward(self, input):
        scores = self.classifier(self.backbone(input))
        result = OrderedDict()
        result["out"] = _upsample(scores, input.shape[-2:])
        return result


class LRASPPHead(nn.Module):
    """High-level features: a 1x1 conv + BatchNorm + ReLU branch gated by a global-average sigmoid
    attention branch, upsampled to the low-level size and classified; added to a 1x1 classifier of
    the low-level features."""

    def __init__(self, low_channels, high_channels, num_classes, inter_channels):
        super().__init__()
        self.cbr = nn.Sequential(
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(inplace=True),
        )
        self.scale = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(high_channels, inter_channels, 1, bias=False),
            nn.Sigmoid(),
        )
        self.low_classifier = nn.Conv2d(low_channels, num_classes, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_classes, 1)

    def forward(self, input):
        low, high = input["low"], input["high"]
        gated = self.cbr(high) * self.scale(high)
        gated = _upsample(gated, low.shape[-2:])
        return self.low_classifier(low) + self.high_classifier(gated)


def _lraspp_mobilenetv3(backbone, num_classes, aux=None):
    """Low-level features from C2 (output stride 8), high-level ones from the last layer C5 (stride 16)."""
    features = backbone.features
    stages = _mobilenet_stage_indices(features)
    low_pos, high_pos = stages[-4], stages[-1]
    getter = IntermediateLayerGetter(features, return_layers={str(low_pos): "low", str(high_pos): "high"})
    return LRASPP(getter, features[low_pos].out_channels, features[high_pos].out_channels, num_classes)


class LRASPP_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/lraspp_mobilenet_v3_large-d234d4ea.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            "num_params": 3221538,
            "categories": _VOC_CATEGORIES,
            "min_size": (1, 1),
            "recipe": "https://github.com/pytorch/vision/tree/main/references/segmentation#lraspp_mobilenet_v3_large",
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 57.9, "pixel_acc": 91.2}},
            "_ops": 2.086,
            "_file_size": 12.49,
            "_docs": """
                These weights were trained on a subset of COCO, using only the 20 categories that are present in the
                Pascal VOC dataset.
            """,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model()
@handle_legacy_interface(weights=("pretrained", LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
                         weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def lraspp_mobilenet_v3_large(*, weights: Optional[LRASPP_MobileNet_V3_Large_Weights] = None, progress: bool = True,
                              num_classes: Optional[int] = None,
                              weights_backbone: Optional[MobileNet_V3_Large_Weights] =
                              MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                              **kwargs: Any) -> LRASPP:
    """Lite R-ASPP with a dilated MobileNetV3-Large backbone. ``num_classes`` counts the background
    (21 by default); there is no auxiliary head (``aux_loss=True`` raises NotImplementedError)."""
    if kwargs.pop("aux_loss", False):
        raise NotImplementedError("This model does not use auxiliary loss")
    weights = LRASPP_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    return _build_mobilenet_model(_lraspp_mobilenetv3, weights, progress, num_classes, None, weights_backbone)
