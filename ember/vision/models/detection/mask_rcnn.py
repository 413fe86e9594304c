"""Mask R-CNN (He et al. 2017): Faster R-CNN plus a per-detection mask branch."""
from collections import OrderedDict
from typing import Any, Optional

from .... import nn
from ...ops import misc as misc_nn_ops
from ...ops.poolers import MultiScaleRoIAlign
from .._api import WeightsEnum, register_model
from .._utils import handle_legacy_interface
from ..resnet import ResNet50_Weights
from .faster_rcnn import (FasterRCNN, _coco_weights, _ENHANCED_RECIPE_DOCS, _load_detection_weights,
                          _PAPER_RECIPE_DOCS, _resnet50_fpn_backbone, _resnet50_fpn_v2_parts, _resolve_num_classes)

__all__ = ["MaskRCNN", "MaskRCNN_ResNet50_FPN_Weights", "MaskRCNN_ResNet50_FPN_V2_Weights", "maskrcnn_resnet50_fpn",
           "maskrcnn_resnet50_fpn_v2"]


class MaskRCNN(FasterRCNN):
    """Faster R-CNN with a mask branch: for each detection, features pooled at 14x14
    (``mask_roi_pool``) go through ``mask_head`` and ``mask_predictor`` to per-class 28x28 mask
    logits. Training targets also need ``masks`` (``(N, H, W)`` uint8) and the losses gain
    ``loss_mask``; evaluation adds ``masks`` (``(N, 1, H, W)`` probabilities in ``[0, 1]``, pasted
    into the original image; threshold e.g. at 0.5). The other arguments are FasterRCNN's; give
    either ``num_classes`` or your own predictors."""

    def __init__(self, backbone, num_classes=None, min_size=800, max_size=1333, image_mean=None, image_std=None,
                 rpn_anchor_generator=None, rpn_head=None, rpn_pre_nms_top_n_train=2000, rpn_pre_nms_top_n_test=1000,
                 rpn_post_nms_top_n_train=2000, rpn_post_nms_top_n_test=1000, rpn_nms_thresh=0.7,
                 rpn_fg_iou_thresh=0.7, rpn_bg_iou_thresh=0.3, rpn_batch_size_per_image=256,
                 rpn_positive_fraction=0.5, rpn_score_thresh=0.0, box_roi_pool=None, box_head=None,
                 box_predictor=None, box_score_thresh=0.05, box_nms_thresh=0.5, box_detections_per_img=100,
                 box_fg_iou_thresh=0.5, box_bg_iou_thresh=0.5, box_batch_size_per_image=512,
                 box_positive_fraction=0.25, bbox_reg_weights=None, mask_roi_pool=None, mask_head=None,
                 mask_predictor=None, **kwargs):
        if not isinstance(mask_roi_pool, (MultiScaleRoIAlign, type(None))):
            raise TypeError(f"mask_roi_pool should be of type MultiScaleRoIAlign or None instead of "
                            f"{type(mask_roi_pool)}")
        if num_classes is not None and mask_predictor is not None:
            raise ValueError("num_classes should be None when mask_predictor is specified")
        out_channels = backbone.out_channels
        if mask_roi_pool is None:
            mask_roi_pool = MultiScaleRoIAlign(featmap_names=["0", "1", "2", "3"], output_size=14, sampling_ratio=2)
        if mask_head is None:
            mask_head = MaskRCNNHeads(out_channels, (256, 256, 256, 256), 1)
        if mask_predictor is None:
            mask_predictor = MaskRCNNPredictor(256, 256, num_classes)   # 256: the mask head's last width
        super().__init__(
            backbone, num_classes, min_size, max_size, image_mean, image_std, rpn_anchor_generator, rpn_head,
            rpn_pre_nms_top_n_train, rpn_pre_nms_top_n_test, rpn_post_nms_top_n_train, rpn_post_nms_top_n_test,
            rpn_nms_thresh, rpn_fg_iou_thresh, rpn_bg_iou_thresh, rpn_batch_size_per_image, rpn_positive_fraction,
            rpn_score_thresh, box_roi_pool, box_head, box_predictor, box_score_thresh, box_nms_thresh,
            box_detections_per_img, box_fg_iou_thresh, box_bg_iou_thresh, box_batch_size_per_image,
            box_positive_fraction, bbox_reg_weights, **kwargs)
        self.roi_heads.mask_roi_pool = mask_roi_pool
        self.roi_heads.mask_head = mask_head
        self.roi_heads.mask_predictor = mask_predictor


class MaskRCNNHeads(nn.Sequential):
    """The mask head: one 3x3 conv(-norm)-ReLU block per entry of ``layers`` (its width), with
    ``dilation``."""

    _version = 2

    def __init__(self, in_channels, layers, dilation, norm_layer=None):
        blocks = []
        previous = in_channels
        for features in layers:
            blocks.append(misc_nn_ops.Conv2dNormActivation(previous, features, kernel_size=3, stride=1,
                                                            padding=dilation, dilation=dilation,
                                                            norm_layer=norm_layer))
            previous = features
        super().__init__(*blocks)
        for layer in self.modules():
            if isinstance(layer, nn.Conv2d):
                nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                if layer.bias is not None:
                    nn.init.zeros_(layer.bias)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # version 1 named the convs "mask_fcn1" ...: "mask_fcn1.weight" is now "0.0.weight"
        if local_metadata.get("version", None) is None or local_metadata["version"] < 2:
            for i in range(len(self)):
                for kind in ("weight", "bias"):
                    old = f"{prefix}mask_fcn{i + 1}.{kind}"
                    if old in state_dict:
                        state_dict[f"{prefix}{i}.0.{kind}"] = state_dict.pop(old)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class MaskRCNNPredictor(nn.Sequential):
    """2x upsampling transposed conv (``conv5_mask``) to ``dim_reduced`` channels, ReLU, and a 1x1
    conv to one mask logit map per class (``mask_fcn_logits``)."""

    def __init__(self, in_channels, dim_reduced, num_classes):
        super().__init__(OrderedDict([
            ("conv5_mask", nn.ConvTranspose2d(in_channels, dim_reduced, 2, 2, 0)),
            ("relu", nn.ReLU(inplace=True)),
            ("mask_fcn_logits", nn.Conv2d(dim_reduced, num_classes, 1, 1, 0)),
        ]))
        for name, param in self.named_parameters():
            if "weight" in name:
                nn.init.kaiming_normal_(param, mode="fan_out", nonlinearity="relu")


class MaskRCNN_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth", 44401393,
                            "https://github.com/pytorch/vision/tree/main/references/detection#mask-r-cnn",
                            {"box_map": 37.9, "mask_map": 34.6}, 134.38, 169.84, _PAPER_RECIPE_DOCS)
    DEFAULT = COCO_V1


class MaskRCNN_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("https://download.pytorch.org/models/maskrcnn_resnet50_fpn_v2_coco-73cbd019.pth",
                            46359409, "https://github.com/pytorch/vision/pull/5773",
                            {"box_map": 47.4, "mask_map": 41.8}, 333.577, 177.219, _ENHANCED_RECIPE_DOCS)
    DEFAULT = COCO_V1


@register_model()
@handle_legacy_interface(weights=("pretrained", MaskRCNN_ResNet50_FPN_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def maskrcnn_resnet50_fpn(*, weights: Optional[MaskRCNN_ResNet50_FPN_Weights] = None, progress: bool = True,
                          num_classes: Optional[int] = None,
                          weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                          trainable_backbone_layers: Optional[int] = None, **kwargs: Any) -> MaskRCNN:
    """Mask R-CNN with a ResNet-50-FPN backbone ("Mask R-CNN"). ``weights_backbone`` defaults to
    ImageNet weights for the ResNet-50; pass ``weights_backbone=None`` to start from scratch."""
    weights = MaskRCNN_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    backbone = _resnet50_fpn_backbone(weights, weights_backbone, progress, trainable_backbone_layers)
    model = MaskRCNN(backbone, num_classes=num_classes, **kwargs)
    if weights is not None:
        _load_detection_weights(model, weights, progress, (MaskRCNN_ResNet50_FPN_Weights.COCO_V1,))
    return model


@register_model()
@handle_legacy_interface(weights=("pretrained", MaskRCNN_ResNet50_FPN_V2_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def maskrcnn_resnet50_fpn_v2(*, weights: Optional[MaskRCNN_ResNet50_FPN_V2_Weights] = None, progress: bool = True,
                             num_classes: Optional[int] = None, weights_backbone: Optional[ResNet50_Weights] = None,
                             trainable_backbone_layers: Optional[int] = None, **kwargs: Any) -> MaskRCNN:
    """The improved Mask R-CNN ResNet-50-FPN of "Benchmarking Detection Transfer Learning with
    Vision Transformers": batch norm in the FPN and the heads, a 2-conv RPN head."""
    weights = MaskRCNN_ResNet50_FPN_V2_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    backbone, parts = _resnet50_fpn_v2_parts(weights, weights_backbone, progress, trainable_backbone_layers)
    mask_head = MaskRCNNHeads(backbone.out_channels, [256, 256, 256, 256], 1, norm_layer=nn.BatchNorm2d)
    model = MaskRCNN(backbone, num_classes=num_classes, mask_head=mask_head, **parts, **kwargs)
    if weights is not None:
        _load_detection_weights(model, weights, progress)
    return model
