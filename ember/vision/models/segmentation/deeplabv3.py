"""DeepLabV3 (Chen et al. 2017, "Rethinking Atrous Convolution for Semantic Image Segmentation")
on dilated ResNet-50/101 and MobileNetV3-Large backbones."""
from functools import partial
from typing import Any, Optional

import ember
from .... import nn
from .._api import Weights, WeightsEnum, register_model
from .._utils import IntermediateLayerGetter, handle_legacy_interface
from ..mobilenetv3 import MobileNet_V3_Large_Weights
from ..resnet import ResNet101_Weights, ResNet50_Weights, resnet101, resnet50
from ._meta import _COMMON_META
from ._presets import SemanticSegmentation
from ._utils import (_build_mobilenet_model, _build_resnet_model, _mobilenet_stage_indices, _resnet_features,
                     _SimpleSegmentationModel, _upsample)
from .fcn import FCNHead

__all__ = ["DeepLabV3", "DeepLabV3_ResNet50_Weights", "DeepLabV3_ResNet101_Weights",
           "DeepLabV3_MobileNet_V3_Large_Weights", "deeplabv3_mobilenet_v3_large", "deeplabv3_resnet50",
           "deeplabv3_resnet101"]


class DeepLabV3(_SimpleSegmentationModel):
    """DeepLabV3: ``backbone`` (returning "out" and, with an auxiliary head, "aux" feature maps),
    ``classifier`` (a DeepLabHead) for "out" and the optional ``aux_classifier`` for "aux"."""


class DeepLabHead(nn.Sequential):
    """ASPP over the features, a 3x3 conv + BatchNorm + ReLU, and a 1x1 conv to ``num_classes``."""

    def __init__(self, in_channels, num_classes, atrous_rates=(12, 24, 36)):
        super().__init__(
            ASPP(in_channels, atrous_rates),
            nn.Conv2d(256, 256, 3, padding=1, bias=False),
            nn.BatchNorm2d(256),
            nn.ReLU(),
            nn.Conv2d(256, num_classes, 1),
        )


class ASPPConv(nn.Sequential):
    """One atrous branch: 3x3 conv with the given ``dilation`` (size kept), BatchNorm, ReLU."""

    def __init__(self, in_channels, out_channels, dilation):
        super().__init__(
            nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )


class ASPPPooling(nn.Sequential):
    """The image-level branch: global average, 1x1 conv, BatchNorm, ReLU, spread back over the map."""

    def __init__(self, in_channels, out_channels):
        super().__init__(
            nn.AdaptiveAvgPool2d(1),
            nn.Conv2d(in_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
        )

    def forward(self, x):
        size = x.shape[-2:]
        for module in self:
            x = module(x)
        return _upsample(x, size)


class ASPP(nn.Module):
    """Atrous spatial pyramid pooling: a 1x1 branch, one ASPPConv per rate in ``atrous_rates`` and an
    ASPPPooling branch run side by side; their concatenation is projected to ``out_channels``
    (1x1 conv, BatchNorm, ReLU, dropout 0.5)."""

    def __init__(self, in_channels, atrous_rates, out_channels=256):
        super().__init__()
        branches = [nn.Sequential(nn.Conv2d(in_channels, out_channels, 1, bias=False), nn.BatchNorm2d(out_channels),
                                  nn.ReLU())]
        branches += [ASPPConv(in_channels, out_channels, rate) for rate in tuple(atrous_rates)]
        branches.append(ASPPPooling(in_channels, out_channels))
        self.convs = nn.ModuleList(branches)
        self.project = nn.Sequential(
            nn.Conv2d(len(self.convs) * out_channels, out_channels, 1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Dropout(0.5),
        )

    def forward(self, x):
        return self.project(ember.cat([branch(x) for branch in self.convs], dim=1))


def _deeplabv3_resnet(backbone, num_classes, aux):
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return DeepLabV3(_resnet_features(backbone, aux), DeepLabHead(2048, num_classes), aux_classifier)


def _deeplabv3_mobilenetv3(backbone, num_classes, aux):
    """Head on the last layer (C5, output stride 16); auxiliary FCNHead on C2 (output stride 8)."""
    features = backbone.features
    stages = _mobilenet_stage_indices(features)
    out_pos, aux_pos = stages[-1], stages[-4]
    return_layers = {str(out_pos): "out"}
    if aux:
        return_layers[str(aux_pos)] = "aux"
    aux_classifier = FCNHead(features[aux_pos].out_channels, num_classes) if aux else None
    classifier = DeepLabHead(features[out_pos].out_channels, num_classes)
    return DeepLabV3(IntermediateLayerGetter(features, return_layers=return_layers), classifier, aux_classifier)


class DeepLabV3_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_resnet50_coco-cd0a2569.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 42004074,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/segmentation#deeplabv3_resnet50",
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 66.4, "pixel_acc": 92.4}},
            "_ops": 178.722,
            "_file_size": 160.515,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_ResNet101_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_resnet101_coco-586e9e4e.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 60996202,
            # (torchvision's meta points this recipe at the fcn_resnet101 section)
            "recipe": "https://github.com/pytorch/vision/tree/main/references/segmentation#fcn_resnet101",
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 67.4, "pixel_acc": 92.4}},
            "_ops": 258.743,
            "_file_size": 233.217,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class DeepLabV3_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/deeplabv3_mobilenet_v3_large-fc3c493d.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 11029328,
            "recipe": ("https://github.com/pytorch/vision/tree/main/references/segmentation"
                       "#deeplabv3_mobilenet_v3_large"),
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.3, "pixel_acc": 91.2}},
            "_ops": 10.452,
            "_file_size": 42.301,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


@register_model()
@handle_legacy_interface(weights=("pretrained", DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def deeplabv3_resnet50(*, weights: Optional[DeepLabV3_ResNet50_Weights] = None, progress: bool = True,
                       num_classes: Optional[int] = None, aux_loss: Optional[bool] = None,
                       weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                       **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-50 backbone (output stride 8). ``num_classes`` counts the
    background (21 by default); ``aux_loss`` adds an FCNHead on layer3."""
    weights = DeepLabV3_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    return _build_resnet_model(_deeplabv3_resnet, resnet50, weights, progress, num_classes, aux_loss,
                               weights_backbone)


@register_model()
@handle_legacy_interface(weights=("pretrained", DeepLabV3_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
                         weights_backbone=("pretrained_backbone", ResNet101_Weights.IMAGENET1K_V1))
def deeplabv3_resnet101(*, weights: Optional[DeepLabV3_ResNet101_Weights] = None, progress: bool = True,
                        num_classes: Optional[int] = None, aux_loss: Optional[bool] = None,
                        weights_backbone: Optional[ResNet101_Weights] = ResNet101_Weights.IMAGENET1K_V1,
                        **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 with a dilated ResNet-101 backbone (output stride 8). ``num_classes`` counts the
    background (21 by default); ``aux_loss`` adds an FCNHead on layer3."""
    weights = DeepLabV3_ResNet101_Weights.verify(weights)
    weights_backbone = ResNet101_Weights.verify(weights_backbone)
    return _build_resnet_model(_deeplabv3_resnet, resnet101, weights, progress, num_classes, aux_loss,
                               weights_backbone)


@register_model()
@handle_legacy_interface(weights=("pretrained", DeepLabV3_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1),
                         weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def deeplabv3_mobilenet_v3_large(*, weights: Optional[DeepLabV3_MobileNet_V3_Large_Weights] = None,
                                 progress: bool = True, num_classes: Optional[int] = None,
                                 aux_loss: Optional[bool] = None,
                                 weights_backbone: Optional[MobileNet_V3_Large_Weights] =
                                 MobileNet_V3_Large_Weights.IMAGENET1K_V1,
                                 **kwargs: Any) -> DeepLabV3:
    """DeepLabV3 with a dilated MobileNetV3-Large backbone (output stride 16). ``num_classes`` counts
    the background (21 by default); ``aux_loss`` adds an FCNHead on the stride-8 features."""
    weights = DeepLabV3_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    return _build_mobilenet_model(_deeplabv3_mobilenetv3, weights, progress, num_classes, aux_loss, weights_backbone)
