"""SSDlite (MobileNetV2 paper, section 6.2): SSD with depthwise-separable predictors and extra
layers; SSDlite320 on a MobileNetV3-Large backbone."""
import warnings
from collections import OrderedDict
from functools import partial
from typing import Any, Callable, Optional

from .... import nn
from ...ops.misc import Conv2dNormActivation
from .._api import WeightsEnum, register_model
from .._utils import handle_legacy_interface
from ..mobilenetv3 import MobileNet_V3_Large_Weights, mobilenet_v3_large
from . import _utils as det_utils
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .faster_rcnn import _PAPER_RECIPE_DOCS, _coco_weights, _load_detection_weights, _resolve_num_classes
from .ssd import SSD, SSDScoringHead

__all__ = ["SSDLite320_MobileNet_V3_Large_Weights", "ssdlite320_mobilenet_v3_large"]


def _prediction_block(in_channels, out_channels, kernel_size, norm_layer):
    """A depthwise conv-norm-ReLU6, then a 1x1 projection to ``out_channels``."""
    return nn.Sequential(
        Conv2dNormActivation(in_channels, in_channels, kernel_size=kernel_size, groups=in_channels,
                             norm_layer=norm_layer, activation_layer=nn.ReLU6),
        nn.Conv2d(in_channels, out_channels, 1),
    )


def _extra_block(in_channels, out_channels, norm_layer):
    """1x1 to half the output channels, a 3x3 depthwise of stride 2, 1x1 to ``out_channels``; each
    conv-norm-ReLU6."""
    mid = out_channels // 2
    layer = partial(Conv2dNormActivation, norm_layer=norm_layer, activation_layer=nn.ReLU6)
    return nn.Sequential(layer(in_channels, mid, kernel_size=1),
                         layer(mid, mid, kernel_size=3, stride=2, groups=mid),
                         layer(mid, out_channels, kernel_size=1))


def _normal_init(module):
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=0.03)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDLiteClassificationHead(SSDScoringHead):
    """A depthwise-separable predictor per feature map giving ``num_classes`` logits per box."""

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer):
        cls_logits = nn.ModuleList([_prediction_block(c, num_classes * a, 3, norm_layer)
                                    for c, a in zip(in_channels, num_anchors)])
        _normal_init(cls_logits)
        super().__init__(cls_logits, num_classes)


class SSDLiteRegressionHead(SSDScoringHead):
    """A depthwise-separable predictor per feature map giving 4 box deltas per box."""

    def __init__(self, in_channels, num_anchors, norm_layer):
        bbox_reg = nn.ModuleList([_prediction_block(c, 4 * a, 3, norm_layer)
                                  for c, a in zip(in_channels, num_anchors)])
        _normal_init(bbox_reg)
        super().__init__(bbox_reg, 4)


class SSDLiteHead(nn.Module):
    """SSDlite's predictors: ``forward`` returns a dict with ``bbox_regression`` and ``cls_logits``."""

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer):
        super().__init__()
        self.classification_head = SSDLiteClassificationHead(in_channels, num_anchors, num_classes, norm_layer)
        self.regression_head = SSDLiteRegressionHead(in_channels, num_anchors, norm_layer)

    def forward(self, x):
        return {"bbox_regression": self.regression_head(x), "cls_logits": self.classification_head(x)}


class SSDLiteFeatureExtractorMobileNet(nn.Module):
    """A MobileNet's ``features`` cut inside block ``c4_pos`` (after its expansion layer, MobileNetV3
    paper section 6.3) into two feature maps, followed by four extra blocks of 512, 256, 256 and
    128 channels (scaled by ``width_mult``, at least ``min_depth``): six maps in all."""

    def __init__(self, backbone, c4_pos, norm_layer, width_mult=1.0, min_depth=16):
        super().__init__()
        if backbone[c4_pos].use_res_connect:
            raise ValueError("backbone[c4_pos].use_res_connect should be False")
        self.features = nn.Sequential(
            nn.Sequential(*backbone[:c4_pos], backbone[c4_pos].block[0]),        # up to the C4 expansion
            nn.Sequential(backbone[c4_pos].block[1:], *backbone[c4_pos + 1:]),   # C4 depthwise to the end
        )

        def depth(d):
            return max(min_depth, int(d * width_mult))

        self.extra = nn.ModuleList([
            _extra_block(backbone[-1].out_channels, depth(512), norm_layer),
            _extra_block(depth(512), depth(256), norm_layer),
            _extra_block(depth(256), depth(256), norm_layer),
            _extra_block(depth(256), depth(128), norm_layer),
        ])
        _normal_init(self.extra)

    def forward(self, x):
        output = []
        for block in self.features:
            x = block(x)
            output.append(x)
        for block in self.extra:
            x = block(x)
            output.append(x)
        return OrderedDict([(str(i), v) for i, v in enumerate(output)])


def _mobilenet_extractor(backbone, trainable_layers, norm_layer):
    """A MobileNetV2/V3's ``features`` with all but the last ``trainable_layers`` stages frozen, cut
    at its last strided block (C4) into :class:`SSDLiteFeatureExtractorMobileNet`."""
    backbone = backbone.features
    # stage boundaries: the first block, every strided block (C1 ... Cn-1), and the last block
    stage_indices = [0] + [i for i, b in enumerate(backbone) if getattr(b, "_is_cn", False)] + [len(backbone) - 1]
    num_stages = len(stage_indices)
    if not 0 <= trainable_layers <= num_stages:
        raise ValueError(f"trainable_layers should be in the range [0, {num_stages}], instead got {trainable_layers}")
    freeze_before = len(backbone) if trainable_layers == 0 else stage_indices[num_stages - trainable_layers]
    for block in list(backbone)[:freeze_before]:
        for parameter in block.parameters():
            parameter.requires_grad_(False)
    return SSDLiteFeatureExtractorMobileNet(backbone, stage_indices[-2], norm_layer)


class SSDLite320_MobileNet_V3_Large_Weights(WeightsEnum):
    COCO_V1 = _coco_weights(
        "https://download.pytorch.org/models/ssdlite320_mobilenet_v3_large_coco-a79551df.pth", 3440060,
        "https://github.com/pytorch/vision/tree/main/references/detection#ssdlite320-mobilenetv3-large",
        {"box_map": 21.3}, 0.583, 13.418, _PAPER_RECIPE_DOCS)
    DEFAULT = COCO_V1


@register_model()
@handle_legacy_interface(weights=("pretrained", SSDLite320_MobileNet_V3_Large_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", MobileNet_V3_Large_Weights.IMAGENET1K_V1))
def ssdlite320_mobilenet_v3_large(
        *, weights: Optional[SSDLite320_MobileNet_V3_Large_Weights] = None, progress: bool = True,
        num_classes: Optional[int] = None,
        weights_backbone: Optional[MobileNet_V3_Large_Weights] = MobileNet_V3_Large_Weights.IMAGENET1K_V1,
        trainable_backbone_layers: Optional[int] = None, norm_layer: Optional[Callable[..., nn.Module]] = None,
        **kwargs: Any) -> SSD:
    """SSDlite with 320 x 320 inputs on a MobileNetV3-Large backbone ("Searching for MobileNetV3").
    Without pretrained backbone weights the backbone's last blocks are halved ("reduced tail") and
    its convs re-initialised. ``trainable_backbone_layers`` (0-6, default 6) counts from the last
    stage; ``norm_layer`` defaults to BatchNorm2d(eps=0.001, momentum=0.03). Extra ``kwargs`` go
    to both ``mobilenet_v3_large`` and :class:`SSD`, as in torchvision."""
    weights = SSDLite320_MobileNet_V3_Large_Weights.verify(weights)
    weights_backbone = MobileNet_V3_Large_Weights.verify(weights_backbone)
    if "size" in kwargs:
        warnings.warn("The size of the model is already fixed; ignoring the parameter.")
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    trainable_backbone_layers = _validate_trainable_layers(weights is not None or weights_backbone is not None,
                                                           trainable_backbone_layers, 6, 6)
    reduce_tail = weights_backbone is None   # MobileNetV3 paper, table 6
    if norm_layer is None:
        norm_layer = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)
    backbone = mobilenet_v3_large(weights=weights_backbone, progress=progress, norm_layer=norm_layer,
                                  reduced_tail=reduce_tail, **kwargs)
    if weights_backbone is None:
        _normal_init(backbone)
    backbone = _mobilenet_extractor(backbone, trainable_backbone_layers, norm_layer)
    size = (320, 320)
    anchor_generator = DefaultBoxGenerator([[2, 3] for _ in range(6)], min_ratio=0.2, max_ratio=0.95)
    out_channels = det_utils.retrieve_out_channels(backbone, size)
    num_anchors = anchor_generator.num_anchors_per_location()
    if len(out_channels) != len(anchor_generator.aspect_ratios):
        raise ValueError(f"The length of the output channels from the backbone {len(out_channels)} do not match the "
                         f"length of the anchor generator aspect ratios {len(anchor_generator.aspect_ratios)}")
    defaults = {"score_thresh": 0.001, "nms_thresh": 0.55, "detections_per_img": 300, "topk_candidates": 300,
                "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5]}   # [0, 1] -> [-1, 1]
    model = SSD(backbone, anchor_generator, size, num_classes,
                head=SSDLiteHead(out_channels, num_anchors, num_classes, norm_layer), **{**defaults, **kwargs})
    if weights is not None:
        _load_detection_weights(model, weights, progress)
    return model
