"""FCOS (Tian et al. 2019, "FCOS: Fully Convolutional One-Stage Object Detection"): anchor-free
detection with a ResNet-50-FPN backbone; every feature-map location predicts its distances to the
four sides of an object, a class and a centre-ness."""
import math
from functools import partial
from typing import Any, Optional

import ember
from .... import nn
from ....nn import functional as F
from ...ops.focal_loss import sigmoid_focal_loss
from ...ops.giou_loss import generalized_box_iou_loss
from .._api import WeightsEnum, register_model
from .._utils import handle_legacy_interface
from ..resnet import ResNet50_Weights
from . import _utils as det_utils
from .anchor_utils import AnchorGenerator
from .faster_rcnn import _PAPER_RECIPE_DOCS, _coco_weights, _load_detection_weights, _resolve_num_classes
from .retinanet import _DenseDetector, _per_location, _resnet50_p3p7_backbone, _unmatched
from .transform import GeneralizedRCNNTransform

__all__ = ["FCOS", "FCOS_ResNet50_FPN_Weights", "fcos_resnet50_fpn"]


def _norm_conv_tower(in_channels, num_convs, norm_layer):
    """``num_convs`` times 3x3 conv, norm (GroupNorm(32) by default), ReLU, as one flat Sequential."""
    if norm_layer is None:
        norm_layer = partial(nn.GroupNorm, 32)
    layers = []
    for _ in range(num_convs):
        layers += [nn.Conv2d(in_channels, in_channels, kernel_size=3, stride=1, padding=1), norm_layer(in_channels),
                   nn.ReLU()]
    return nn.Sequential(*layers)


def _init_convs(layers, std=0.01):
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=std)
            nn.init.constant_(layer.bias, 0)


class FCOSClassificationHead(nn.Module):
    """A conv tower, then a 3x3 conv giving ``num_anchors * num_classes`` logits per location (bias
    set to the ``prior_probability``); ``forward`` returns ``(N, sum HWA, num_classes)``."""

    def __init__(self, in_channels, num_anchors, num_classes, num_convs=4, prior_probability=0.01, norm_layer=None):
        super().__init__()
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.conv = _norm_conv_tower(in_channels, num_convs, norm_layer)
        _init_convs(self.conv.children())
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability))

    def forward(self, x):
        return ember.cat([_per_location(self.cls_logits(self.conv(f)), self.num_classes) for f in x], dim=1)


class FCOSRegressionHead(nn.Module):
    """A conv tower shared by two 3x3 convs: the (ReLU'd, so non-negative) distances to the box sides
    (``bbox_reg``) and the centre-ness logit (``bbox_ctrness``). ``forward`` returns
    ``((N, sum HWA, 4), (N, sum HWA, 1))``."""

    def __init__(self, in_channels, num_anchors, num_convs=4, norm_layer=None):
        super().__init__()
        self.conv = _norm_conv_tower(in_channels, num_convs, norm_layer)
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1, padding=1)
        self.bbox_ctrness = nn.Conv2d(in_channels, num_anchors * 1, kernel_size=3, stride=1, padding=1)
        _init_convs([self.bbox_reg, self.bbox_ctrness])
        _init_convs(self.conv.children())

    def forward(self, x):
        regression, ctrness = [], []
        for features in x:
            shared = self.conv(features)
            regression.append(_per_location(F.relu(self.bbox_reg(shared)), 4))
            ctrness.append(_per_location(self.bbox_ctrness(shared), 1))
        return ember.cat(regression, dim=1), ember.cat(ctrness, dim=1)


def _centerness(distances):
    """sqrt(min(l, r) / max(l, r) * min(t, b) / max(t, b)) of ``(..., 4)`` ``(l, t, r, b)`` distances."""
    left_right = distances[:, :, [0, 2]]
    top_bottom = distances[:, :, [1, 3]]
    return ember.sqrt((left_right.min(dim=-1)[0] / left_right.max(dim=-1)[0])
                      * (top_bottom.min(dim=-1)[0] / top_bottom.max(dim=-1)[0]))


class FCOSHead(nn.Module):
    """FCOS's classification and regression (+ centre-ness) heads. ``forward`` returns a dict with
    ``cls_logits``, ``bbox_regression`` and ``bbox_ctrness``; ``compute_loss`` the
    ``classification`` (focal), ``bbox_regression`` (GIoU) and ``bbox_ctrness`` (BCE) losses,
    all summed over the batch and divided by the number of foreground locations."""

    def __init__(self, in_channels, num_anchors, num_classes, num_convs=4):
        super().__init__()
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        self.classification_head = FCOSClassificationHead(in_channels, num_anchors, num_classes, num_convs)
        self.regression_head = FCOSRegressionHead(in_channels, num_anchors, num_convs)

    @staticmethod
    def _matched_targets(targets, matched_idxs):
        """Per image, the class (-1 for background) and box matched to every location."""
        classes, boxes = [], []
        for target, matched in zip(targets, matched_idxs):
            if len(target["labels"]) == 0:
                gt_classes = target["labels"].new_zeros((len(matched),))
                gt_boxes = target["boxes"].new_zeros((len(matched), 4))
            else:
                gt_classes = target["labels"][matched.clip(min=0)]
                gt_boxes = target["boxes"][matched.clip(min=0)]
            gt_classes[matched < 0] = -1
            classes.append(gt_classes)
            boxes.append(gt_boxes)
        return ember.stack(classes), ember.stack(boxes)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        cls_logits = head_outputs["cls_logits"]
        gt_classes, gt_boxes = self._matched_targets(targets, matched_idxs)
        anchors = ember.stack(anchors)
        foreground = gt_classes >= 0
        num_foreground = foreground.sum().item()

        class_targets = ember.zeros_like(cls_logits)
        class_targets[foreground, gt_classes[foreground]] = 1.0
        loss_cls = sigmoid_focal_loss(cls_logits, class_targets, reduction="sum")

        pred_boxes = self.box_coder.decode(head_outputs["bbox_regression"], anchors)
        loss_bbox_reg = generalized_box_iou_loss(pred_boxes[foreground], gt_boxes[foreground], reduction="sum")

        distances = self.box_coder.encode(anchors, gt_boxes)
        if len(distances) == 0:
            ctrness_targets = distances.new_zeros(distances.shape[:-1])
        else:
            ctrness_targets = _centerness(distances)
        pred_ctrness = head_outputs["bbox_ctrness"].squeeze(dim=2)
        loss_ctrness = F.binary_cross_entropy_with_logits(pred_ctrness[foreground], ctrness_targets[foreground],
                                                          reduction="sum")
        denominator = max(1, num_foreground)
        return {"classification": loss_cls / denominator, "bbox_regression": loss_bbox_reg / denominator,
                "bbox_ctrness": loss_ctrness / denominator}

    def forward(self, x):
        bbox_regression, bbox_ctrness = self.regression_head(x)
        return {"cls_logits": self.classification_head(x), "bbox_regression": bbox_regression,
                "bbox_ctrness": bbox_ctrness}


class FCOS(_DenseDetector):
    """FCOS: a backbone (with ``out_channels``; a tensor or an OrderedDict of maps), one "anchor" per
    location (a square as large as the level's stride, only its centre and size matter) and an
    :class:`FCOSHead`.

    Images are normalised and resized as in Faster R-CNN. Training needs targets (``boxes``,
    ``labels``) and returns the ``classification``, ``bbox_regression`` and ``bbox_ctrness``
    losses. A location is assigned the smallest box that contains it, whose centre lies within
    ``center_sampling_radius`` strides of it, and whose largest side distance fits the level's
    range (4 to 8 strides; the first level has no lower and the last no upper bound). Evaluation
    scores ``sqrt(sigmoid(class) * sigmoid(centre-ness))`` and keeps, as RetinaNet does, the
    ``topk_candidates`` best per level above ``score_thresh``, then NMS (``nms_thresh``) and the
    ``detections_per_img`` best."""

    _target_check = dict(name_type=False, show_shape=True)

    def __init__(self, backbone, num_classes, min_size=800, max_size=1333, image_mean=None, image_std=None,
                 anchor_generator=None, head=None, center_sampling_radius=1.5, score_thresh=0.2, nms_thresh=0.6,
                 detections_per_img=100, topk_candidates=1000, **kwargs):
        super().__init__()
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the number of output "
                             "channels (assumed to be the same for all the levels)")
        self.backbone = backbone
        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"anchor_generator should be of type AnchorGenerator or None, instead  got "
                            f"{type(anchor_generator)}")
        if anchor_generator is None:
            anchor_sizes = ((8,), (16,), (32,), (64,), (128,))   # the strides of P3 ... P7
            anchor_generator = AnchorGenerator(anchor_sizes, ((1.0,),) * len(anchor_sizes))
        self.anchor_generator = anchor_generator
        if self.anchor_generator.num_anchors_per_location()[0] != 1:
            raise ValueError(f"anchor_generator.num_anchors_per_location()[0] should be 1 instead of "
                             f"{anchor_generator.num_anchors_per_location()[0]}")
        if head is None:
            head = FCOSHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes)
        self.head = head
        self.box_coder = det_utils.BoxLinearCoder(normalize_by_size=True)
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        self.transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        self.center_sampling_radius = center_sampling_radius
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self._has_warned = False

    def _match(self, anchors, gt_boxes, num_anchors_per_level):
        """Index of the box assigned to every location of one image (-1: background)."""
        gt_centers = (gt_boxes[:, :2] + gt_boxes[:, 2:]) / 2
        centers = (anchors[:, :2] + anchors[:, 2:]) / 2
        strides = anchors[:, 2] - anchors[:, 0]
        # centre sampling: the box centre lies within radius * stride of the location (Chebyshev)
        match = (centers[:, None, :] - gt_centers[None, :, :]).abs_().max(dim=2).values \
            < self.center_sampling_radius * strides[:, None]
        # the location lies inside the box
        x, y = centers.unsqueeze(dim=2).unbind(dim=1)
        x0, y0, x1, y1 = gt_boxes.unsqueeze(dim=0).unbind(dim=2)
        distances = ember.stack([x - x0, y - y0, x1 - x, y1 - y], dim=2)
        match &= distances.min(dim=2).values > 0
        # the box's extent from the location suits the level
        lower = strides * 4
        lower[:num_anchors_per_level[0]] = 0
        upper = strides * 8
        upper[-num_anchors_per_level[-1]:] = float("inf")
        extent = distances.max(dim=2).values
        match &= (extent > lower[:, None]) & (extent < upper[:, None])
        # ties go to the smallest box
        areas = (gt_boxes[:, 2] - gt_boxes[:, 0]) * (gt_boxes[:, 3] - gt_boxes[:, 1])
        preference = match.to(ember.float32) * (1e8 - areas[None, :])
        best, matched = preference.max(dim=1)
        matched[best < 1e-5] = -1
        return matched

    def compute_loss(self, targets, head_outputs, anchors, num_anchors_per_level):
        matched_idxs = []
        for anchors_per_image, target in zip(anchors, targets):
            if target["boxes"].numel() == 0:
                matched_idxs.append(_unmatched(anchors_per_image))
                continue
            matched_idxs.append(self._match(anchors_per_image, target["boxes"], num_anchors_per_level))
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def _decode_boxes(self, rel_codes, anchors):
        return self.box_coder.decode(rel_codes, anchors)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        """Detections per image from per-level head outputs and anchors (lists, one entry a level)."""
        detections = []
        for index, image_shape in enumerate(image_shapes):
            scores = [ember.sqrt(ember.sigmoid(logits[index]) * ember.sigmoid(ctrness[index]))
                      for logits, ctrness in zip(head_outputs["cls_logits"], head_outputs["bbox_ctrness"])]
            deltas = [reg[index] for reg in head_outputs["bbox_regression"]]
            detections.append(self._detections_from_levels(scores, deltas, anchors[index], image_shape))
        return detections

    def forward(self, images, targets=None):
        images, targets, original_image_sizes = self._prepare(images, targets)
        features = self._features(images)
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        num_anchors_per_level = [f.shape[2] * f.shape[3] for f in features]
        if self.training:
            return self.eager_outputs(self.compute_loss(targets, head_outputs, anchors, num_anchors_per_level), [])
        split_outputs, split_anchors = self._split_levels(head_outputs, anchors, num_anchors_per_level)
        detections = self.postprocess_detections(split_outputs, split_anchors, images.image_sizes)
        detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        return self.eager_outputs({}, detections)


class FCOS_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights(
        "https://download.pytorch.org/models/fcos_resnet50_fpn_coco-99b0c9b7.pth", 32269600,
        "https://github.com/pytorch/vision/tree/main/references/detection#fcos-resnet-50-fpn", {"box_map": 39.2},
        128.207, 123.608, _PAPER_RECIPE_DOCS)
    DEFAULT = COCO_V1


@register_model()
@handle_legacy_interface(weights=("pretrained", FCOS_ResNet50_FPN_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def fcos_resnet50_fpn(*, weights: Optional[FCOS_ResNet50_FPN_Weights] = None, progress: bool = True,
                      num_classes: Optional[int] = None,
                      weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                      trainable_backbone_layers: Optional[int] = None, **kwargs: Any) -> FCOS:
    """FCOS with a ResNet-50-FPN backbone (P3-P7). ``weights_backbone`` defaults to ImageNet weights;
    ``trainable_backbone_layers`` (0-5, default 3) counts from the last ResNet stage."""
    weights = FCOS_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    backbone = _resnet50_p3p7_backbone(weights, weights_backbone, progress, trainable_backbone_layers, None, 256)
    model = FCOS(backbone, num_classes, **kwargs)
    if weights is not None:
        _load_detection_weights(model, weights, progress)
    return model
