"""FCN (Long et al. 2015, "Fully Convolutional Networks for Semantic Segmentation") on dilated
ResNet-50/101 backbones."""
from functools import partial
from typing import Any, Optional

from .... import nn
from .._api import Weights, WeightsEnum, register_model
from .._utils import handle_legacy_interface
from ..resnet import ResNet101_Weights, ResNet50_Weights, resnet101, resnet50
from ._meta import _COMMON_META
from ._presets import SemanticSegmentation
from ._utils import _build_resnet_model, _resnet_features, _SimpleSegmentationModel

__all__ = ["FCN", "FCN_ResNet50_Weights", "FCN_ResNet101_Weights", "fcn_resnet50", "fcn_resnet101"]


class FCN(_SimpleSegmentationModel):
    """Fully convolutional network: ``backbone`` (returning "out" and, with an auxiliary head, "aux"
    feature maps), ``classifier`` for "out" and the optional ``aux_classifier`` for "aux"."""


class FCNHead(nn.Sequential):
    """3x3 conv to a quarter of the channels, BatchNorm, ReLU, dropout 0.1, 1x1 conv to ``channels``."""

    def __init__(self, in_channels, channels):
        inter_channels = in_channels // 4
        super().__init__(
            nn.Conv2d(in_channels, inter_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(inter_channels),
            nn.ReLU(),
            nn.Dropout(0.1),
            nn.Conv2d(inter_channels, channels, 1),
        )


class FCN_ResNet50_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/fcn_resnet50_coco-1167a1af.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 35322218,
            "recipe": "https://github.com/pytorch/vision/tree/main/references/segmentation#fcn_resnet50",
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 60.5, "pixel_acc": 91.4}},
            "_ops": 152.717,
            "_file_size": 135.009,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


class FCN_ResNet101_Weights(WeightsEnum):
    COCO_WITH_VOC_LABELS_V1 = Weights(
        url="https://download.pytorch.org/models/fcn_resnet101_coco-7ecb50ca.pth",
        transforms=partial(SemanticSegmentation, resize_size=520),
        meta={
            **_COMMON_META,
            "num_params": 54314346,
            # (torchvision's meta points this recipe at the deeplabv3_resnet101 section)
            "recipe": "https://github.com/pytorch/vision/tree/main/references/segmentation#deeplabv3_resnet101",
            "_metrics": {"COCO-val2017-VOC-labels": {"miou": 63.7, "pixel_acc": 91.9}},
            "_ops": 232.738,
            "_file_size": 207.711,
        },
    )
    DEFAULT = COCO_WITH_VOC_LABELS_V1


def _fcn_resnet(backbone, num_classes, aux):
    aux_classifier = FCNHead(1024, num_classes) if aux else None
    return FCN(_resnet_features(backbone, aux), FCNHead(2048, num_classes), aux_classifier)


@register_model()
@handle_legacy_interface(weights=("pretrained", FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fcn_resnet50(*, weights: Optional[FCN_ResNet50_Weights] = None, progress: bool = True,
                 num_classes: Optional[int] = None, aux_loss: Optional[bool] = None,
                 weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1, **kwargs: Any) -> FCN:
    """FCN with a ResNet-50 backbone (strides of layer3/layer4 replaced by dilation: output stride 8).
    ``num_classes`` counts the background (21 by default); ``aux_loss`` adds an FCNHead on layer3."""
    weights = FCN_ResNet50_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    return _build_resnet_model(_fcn_resnet, resnet50, weights, progress, num_classes, aux_loss, weights_backbone)


@register_model()
@handle_legacy_interface(weights=("pretrained", FCN_ResNet101_Weights.COCO_WITH_VOC_LABELS_V1),
                         weights_backbone=("pretrained_backbone", ResNet101_Weights.IMAGENET1K_V1))
def fcn_resnet101(*, weights: Optional[FCN_ResNet101_Weights] = None, progress: bool = True,
                  num_classes: Optional[int] = None, aux_loss: Optional[bool] = None,
                  weights_backbone: Optional[ResNet101_Weights] = ResNet101_Weights.IMAGENET1K_V1,
                  **kwargs: Any) -> FCN:
    """FCN with a ResNet-101 backbone (strides of layer3/layer4 replaced by dilation: output stride 8).
    ``num_classes`` counts the background (21 by default); ``aux_loss`` adds an FCNHead on layer3."""
    weights = FCN_ResNet101_Weights.verify(weights)
    weights_backbone = ResNet101_Weights.verify(weights_backbone)
    return _build_resnet_model(_fcn_resnet, resnet101, weights, progress, num_classes, aux_loss, weights_backbone)
