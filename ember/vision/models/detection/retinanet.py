"""RetinaNet (Lin et al. 2017, "Focal Loss for Dense Object Detection") with a ResNet-50-FPN backbone.

Also home of what the single-stage detectors (RetinaNet, FCOS, SSD) share: the forward skeleton
(:class:`_DenseDetector`), the per-location flattening of head outputs and the score-threshold /
top-k / NMS selection of detections."""
import math
from collections import OrderedDict
from functools import partial
from typing import Any, Optional

import ember
from .... import nn
from ...ops import boxes as box_ops
from ...ops import misc as misc_nn_ops
from ...ops.feature_pyramid_network import LastLevelP6P7
from ...ops.focal_loss import sigmoid_focal_loss
from .._api import WeightsEnum, register_model
from .._utils import handle_legacy_interface
from ..resnet import ResNet50_Weights, resnet50
from . import _utils as det_utils
from ._utils import _assert, _box_loss
from .anchor_utils import AnchorGenerator
from .backbone_utils import _resnet_fpn_extractor, _validate_trainable_layers
from .faster_rcnn import (_ENHANCED_RECIPE_DOCS, _PAPER_RECIPE_DOCS, _coco_weights, _load_detection_weights,
                          _resolve_num_classes)
from .generalized_rcnn import GeneralizedRCNN
from .rpn import permute_and_flatten
from .transform import GeneralizedRCNNTransform

__all__ = ["RetinaNet", "RetinaNet_ResNet50_FPN_Weights", "RetinaNet_ResNet50_FPN_V2_Weights",
           "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2"]


# ---------------------------------------------------------------------------------------------
# shared by the single-stage detectors

def _per_location(output, num_columns):
    """A head's ``(N, A * K, H, W)`` map as ``(N, H * W * A, K)`` rows, in the anchors' order."""
    N, _, H, W = output.shape
    return permute_and_flatten(output, N, None, num_columns, H, W)


def _check_target_boxes(targets, name_type, show_shape):
    """Training targets need ``boxes`` tensors of shape ``(N, 4)``; ``name_type``/``show_shape`` add
    what was given to the message (each detector words it its own way, as torchvision does)."""
    for target in targets:
        boxes = target["boxes"]
        got = f", got {type(boxes)}" if name_type else ""
        _assert(isinstance(boxes, ember.Tensor), f"Expected target boxes to be of type Tensor{got}.")
        got = f", got {boxes.shape}" if show_shape else ""
        _assert(len(boxes.shape) == 2 and boxes.shape[-1] == 4,
                f"Expected target boxes to be a tensor of shape [N, 4]{got}.")


def _unmatched(anchors_per_image):
    """The match vector of an image without objects: -1 (background) for every anchor."""
    return ember.full((anchors_per_image.shape[0],), -1, dtype=ember.int64, device=anchors_per_image.device)


def _top_scores(scores, num_classes, score_thresh, topk_candidates):
    """From one level's flattened ``(anchor, class)`` scores: those above ``score_thresh``, the best
    ``topk_candidates`` of them, with their anchor indices and class labels."""
    keep = scores > score_thresh
    scores = scores[keep]
    flat_idxs = ember.where(keep)[0]
    scores, order = scores.topk(det_utils._topk_min(flat_idxs, topk_candidates, 0))
    flat_idxs = flat_idxs[order]
    return scores, ember.div(flat_idxs, num_classes, rounding_mode="floor"), flat_idxs % num_classes


def _nms_detections(boxes, scores, labels, nms_thresh, detections_per_img):
    """Class-wise NMS, then the ``detections_per_img`` best: one image's detection dict."""
    keep = box_ops.batched_nms(boxes, scores, labels, nms_thresh)[:detections_per_img]
    return {"boxes": boxes[keep], "scores": scores[keep], "labels": labels[keep]}


class _DenseDetector(nn.Module):
    """The forward skeleton of the single-stage detectors: check the targets, transform the images,
    run the backbone; subclasses add the head, the anchors, the losses and the detections.
    Subclasses set ``_target_check`` (the wording of the boxes check) and the thresholds used by
    :meth:`_detections_from_levels`."""

    _target_check = dict(name_type=False, show_shape=False)

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    def _prepare(self, images, targets):
        """(ImageList, transformed targets, original ``(h, w)`` of each image)."""
        if self.training:
            if targets is None:
                _assert(False, "targets should not be none when in training mode")
            _check_target_boxes(targets, **self._target_check)
        original_image_sizes = []
        for img in images:
            val = img.shape[-2:]
            _assert(len(val) == 2,
                    f"expecting the last two dimensions of the Tensor to be H and W instead got {img.shape[-2:]}")
            original_image_sizes.append((val[0], val[1]))
        images, targets = self.transform(images, targets)
        if targets is not None:
            GeneralizedRCNN._check_degenerate_boxes(targets)
        return images, targets, original_image_sizes

    def _features(self, images):
        """The backbone's feature maps of the batch, as a list."""
        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        return list(features.values())

    @staticmethod
    def _split_levels(head_outputs, anchors, num_anchors_per_level):
        """Head outputs (dict of ``(N, HWA, K)``) and anchors cut back into per-level pieces."""
        split_outputs = {k: list(v.split(num_anchors_per_level, dim=1)) for k, v in head_outputs.items()}
        return split_outputs, [list(a.split(num_anchors_per_level)) for a in anchors]

    def _decode_boxes(self, rel_codes, anchors):
        return self.box_coder.decode_single(rel_codes, anchors)

    def _detections_from_levels(self, level_scores, level_deltas, level_anchors, image_shape):
        """One image's detections: per level, the top-scoring (anchor, class) pairs decoded into
        boxes clipped to the image; then NMS over all levels."""
        boxes, scores, labels = [], [], []
        for scores_per_level, deltas_per_level, anchors_per_level in zip(level_scores, level_deltas,
                                                                        level_anchors):
            top, anchor_idxs, top_labels = _top_scores(scores_per_level.flatten(), scores_per_level.shape[-1],
                                                       self.score_thresh, self.topk_candidates)
            decoded = self._decode_boxes(deltas_per_level[anchor_idxs], anchors_per_level[anchor_idxs])
            boxes.append(box_ops.clip_boxes_to_image(decoded, image_shape))
            scores.append(top)
            labels.append(top_labels)
        return _nms_detections(ember.cat(boxes, dim=0), ember.cat(scores, dim=0), ember.cat(labels, dim=0),
                               self.nms_thresh, self.detections_per_img)


# ---------------------------------------------------------------------------------------------
# RetinaNet

def _v1_to_v2_weights(state_dict, prefix):
    """Version-1 heads had plain conv+ReLU pairs: ``conv.{2i}`` is now ``conv.{i}.0``."""
    for i in range(4):
        for kind in ("weight", "bias"):
            old = f"{prefix}conv.{2 * i}.{kind}"
            if old in state_dict:
                state_dict[f"{prefix}conv.{i}.0.{kind}"] = state_dict.pop(old)


def _default_anchorgen():
    """Three octave scales (x1, x2^(1/3), x2^(2/3)) and three aspect ratios on P3 (32) ... P7 (512)."""
    anchor_sizes = tuple((x, int(x * 2 ** (1.0 / 3)), int(x * 2 ** (2.0 / 3))) for x in (32, 64, 128, 256, 512))
    return AnchorGenerator(anchor_sizes, ((0.5, 1.0, 2.0),) * len(anchor_sizes))


def _conv_tower(in_channels, norm_layer):
    """Four 3x3 conv(-norm)-ReLU layers of ``in_channels`` channels."""
    return nn.Sequential(*[misc_nn_ops.Conv2dNormActivation(in_channels, in_channels, norm_layer=norm_layer)
                           for _ in range(4)])


def _init_tower(tower, std=0.01):
    for layer in tower.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, std=std)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0)


class _VersionedHead(nn.Module):
    """Loads version-1 checkpoints of the RetinaNet heads (see :func:`_v1_to_v2_weights`)."""

    _version = 2

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if local_metadata.get("version", None) is None or local_metadata["version"] < 2:
            _v1_to_v2_weights(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)


class RetinaNetClassificationHead(_VersionedHead):
    """A conv tower and a 3x3 conv giving ``num_anchors * num_classes`` logits per location, its
    bias set so every class starts at probability ``prior_probability``. ``forward`` returns
    ``(N, sum HWA, num_classes)``; the loss is the sigmoid focal loss over the anchors not between
    the matching thresholds, per image divided by its number of foreground anchors."""

    def __init__(self, in_channels, num_anchors, num_classes, prior_probability=0.01, norm_layer=None):
        super().__init__()
        self.conv = _conv_tower(in_channels, norm_layer)
        _init_tower(self.conv)
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.cls_logits.weight, std=0.01)
        nn.init.constant_(self.cls_logits.bias, -math.log((1 - prior_probability) / prior_probability))
        self.num_classes = num_classes
        self.num_anchors = num_anchors
        self.BETWEEN_THRESHOLDS = det_utils.Matcher.BETWEEN_THRESHOLDS

    def compute_loss(self, targets, head_outputs, matched_idxs):
        losses = []
        for target, cls_logits, matched in zip(targets, head_outputs["cls_logits"], matched_idxs):
            foreground = matched >= 0
            num_foreground = foreground.sum()
            gt_classes = ember.zeros_like(cls_logits)
            gt_classes[foreground, target["labels"][matched[foreground]]] = 1.0
            valid = matched != self.BETWEEN_THRESHOLDS
            losses.append(sigmoid_focal_loss(cls_logits[valid], gt_classes[valid], reduction="sum")
                          / max(1, num_foreground))
        return sum(losses[1:], losses[0]) / len(targets)

    def forward(self, x):
        return ember.cat([_per_location(self.cls_logits(self.conv(f)), self.num_classes) for f in x], dim=1)


class RetinaNetRegressionHead(_VersionedHead):
    """A conv tower and a 3x3 conv giving ``num_anchors * 4`` box deltas per location (``(N, sum
    HWA, 4)``). The loss (``_loss_type``: "l1" on encoded deltas by default, "giou" in v2) covers
    the foreground anchors, per image divided by their number."""

    def __init__(self, in_channels, num_anchors, norm_layer=None):
        super().__init__()
        self.conv = _conv_tower(in_channels, norm_layer)
        self.bbox_reg = nn.Conv2d(in_channels, num_anchors * 4, kernel_size=3, stride=1, padding=1)
        nn.init.normal_(self.bbox_reg.weight, std=0.01)
        nn.init.zeros_(self.bbox_reg.bias)
        _init_tower(self.conv)
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        self._loss_type = "l1"

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        losses = []
        for target, bbox_regression, anchors_per_image, matched in zip(targets, head_outputs["bbox_regression"],
                                                                       anchors, matched_idxs):
            foreground = ember.where(matched >= 0)[0]
            matched_gt_boxes = target["boxes"][matched[foreground]]
            loss = _box_loss(self._loss_type, self.box_coder, anchors_per_image[foreground, :], matched_gt_boxes,
                             bbox_regression[foreground, :])
            losses.append(loss / max(1, foreground.numel()))
        return sum(losses[1:], losses[0]) / max(1, len(targets))

    def forward(self, x):
        return ember.cat([_per_location(self.bbox_reg(self.conv(f)), 4) for f in x], dim=1)


class RetinaNetHead(nn.Module):
    """RetinaNet's two subnets, run on every feature level: ``forward`` returns a dict with
    ``cls_logits`` and ``bbox_regression``; ``compute_loss`` the ``classification`` and
    ``bbox_regression`` losses."""

    def __init__(self, in_channels, num_anchors, num_classes, norm_layer=None):
        super().__init__()
        self.classification_head = RetinaNetClassificationHead(in_channels, num_anchors, num_classes,
                                                               norm_layer=norm_layer)
        self.regression_head = RetinaNetRegressionHead(in_channels, num_anchors, norm_layer=norm_layer)

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        return {"classification": self.classification_head.compute_loss(targets, head_outputs, matched_idxs),
                "bbox_regression": self.regression_head.compute_loss(targets, head_outputs, anchors, matched_idxs)}

    def forward(self, x):
        return {"cls_logits": self.classification_head(x), "bbox_regression": self.regression_head(x)}


class RetinaNet(_DenseDetector):
    """RetinaNet: a backbone (with an ``out_channels`` attribute, returning a tensor or an
    OrderedDict of feature maps), anchors on every level and a classification + box-regression head.

    Images (a list of ``(C, H, W)`` tensors in ``[0, 1]``) are normalised and resized as in
    Faster R-CNN (``min_size``, ``max_size``, ``image_mean``, ``image_std``). Training needs targets
    (``boxes`` ``(N, 4)`` as ``(x1, y1, x2, y2)``, ``labels`` int64) and returns the
    ``classification`` (focal) and ``bbox_regression`` losses; anchors match a box at IoU >=
    ``fg_iou_thresh``, are background below ``bg_iou_thresh`` and ignored in between (each box
    keeps its best anchors). Evaluation keeps, per level, the ``topk_candidates`` best
    (anchor, class) pairs scoring above ``score_thresh``, runs class-wise NMS at ``nms_thresh`` and
    returns per image at most ``detections_per_img`` ``boxes``, ``scores`` and ``labels``."""

    _target_check = dict(name_type=False, show_shape=False)

    def __init__(self, backbone, num_classes, min_size=800, max_size=1333, image_mean=None, image_std=None,
                 anchor_generator=None, head=None, proposal_matcher=None, score_thresh=0.05, nms_thresh=0.5,
                 detections_per_img=300, fg_iou_thresh=0.5, bg_iou_thresh=0.4, topk_candidates=1000, **kwargs):
        super().__init__()
        if not hasattr(backbone, "out_channels"):
            raise ValueError("backbone should contain an attribute out_channels specifying the number of output "
                             "channels (assumed to be the same for all the levels)")
        self.backbone = backbone
        if not isinstance(anchor_generator, (AnchorGenerator, type(None))):
            raise TypeError(f"anchor_generator should be of type AnchorGenerator or None instead of "
                            f"{type(anchor_generator)}")
        if anchor_generator is None:
            anchor_generator = _default_anchorgen()
        self.anchor_generator = anchor_generator
        if head is None:
            head = RetinaNetHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes)
        self.head = head
        if proposal_matcher is None:
            proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=True)
        self.proposal_matcher = proposal_matcher
        self.box_coder = det_utils.BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        self.transform = GeneralizedRCNNTransform(min_size, max_size, image_mean, image_std, **kwargs)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self._has_warned = False

    def compute_loss(self, targets, head_outputs, anchors):
        """Match every anchor to a target box (IoU), then the head's losses."""
        matched_idxs = []
        for anchors_per_image, target in zip(anchors, targets):
            if target["boxes"].numel() == 0:
                matched_idxs.append(_unmatched(anchors_per_image))
                continue
            matched_idxs.append(self.proposal_matcher(box_ops.box_iou(target["boxes"], anchors_per_image)))
        return self.head.compute_loss(targets, head_outputs, anchors, matched_idxs)

    def postprocess_detections(self, head_outputs, anchors, image_shapes):
        """Detections per image from per-level head outputs and anchors (lists, one entry a level)."""
        detections = []
        for index, image_shape in enumerate(image_shapes):
            scores = [ember.sigmoid(logits[index]) for logits in head_outputs["cls_logits"]]
            deltas = [reg[index] for reg in head_outputs["bbox_regression"]]
            detections.append(self._detections_from_levels(scores, deltas, anchors[index], image_shape))
        return detections

    def forward(self, images, targets=None):
        images, targets, original_image_sizes = self._prepare(images, targets)
        features = self._features(images)
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        if self.training:
            return self.eager_outputs(self.compute_loss(targets, head_outputs, anchors), [])
        locations_per_level = [f.shape[2] * f.shape[3] for f in features]
        anchors_per_location = head_outputs["cls_logits"].shape[1] // sum(locations_per_level)
        split_outputs, split_anchors = self._split_levels(
            head_outputs, anchors, [hw * anchors_per_location for hw in locations_per_level])
        detections = self.postprocess_detections(split_outputs, split_anchors, images.image_sizes)
        detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        return self.eager_outputs({}, detections)


class RetinaNet_ResNet50_FPN_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("https://download.pytorch.org/models/retinanet_resnet50_fpn_coco-eeacb38b.pth",
                            34014999, "https://github.com/pytorch/vision/tree/main/references/detection#retinanet",
                            {"box_map": 36.4}, 151.54, 130.267, _PAPER_RECIPE_DOCS)
    DEFAULT = COCO_V1


class RetinaNet_ResNet50_FPN_V2_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("https://download.pytorch.org/models/retinanet_resnet50_fpn_v2_coco-5905b1c5.pth",
                            38198935, "https://github.com/pytorch/vision/pull/5756", {"box_map": 41.5}, 152.238,
                            146.037, _ENHANCED_RECIPE_DOCS)
    DEFAULT = COCO_V1


def _resnet50_p3p7_backbone(weights, weights_backbone, progress, trainable_backbone_layers, norm_layer,
                            p6_in_channels):
    """ResNet-50 with an FPN over C3-C5 (P2 would add too many anchors) and P6/P7 on top."""
    is_trained = weights is not None or weights_backbone is not None
    trainable_backbone_layers = _validate_trainable_layers(is_trained, trainable_backbone_layers, 5, 3)
    if norm_layer is None:   # v1: frozen batch norm whenever anything pretrained is involved
        norm_layer = misc_nn_ops.FrozenBatchNorm2d if is_trained else nn.BatchNorm2d
    backbone = resnet50(weights=weights_backbone, progress=progress, norm_layer=norm_layer)
    return _resnet_fpn_extractor(backbone, trainable_backbone_layers, returned_layers=[2, 3, 4],
                                 extra_blocks=LastLevelP6P7(p6_in_channels, 256))


@register_model()
@handle_legacy_interface(weights=("pretrained", RetinaNet_ResNet50_FPN_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def retinanet_resnet50_fpn(*, weights: Optional[RetinaNet_ResNet50_FPN_Weights] = None, progress: bool = True,
                           num_classes: Optional[int] = None,
                           weights_backbone: Optional[ResNet50_Weights] = ResNet50_Weights.IMAGENET1K_V1,
                           trainable_backbone_layers: Optional[int] = None, **kwargs: Any) -> RetinaNet:
    """RetinaNet with a ResNet-50-FPN backbone ("Focal Loss for Dense Object Detection").
    ``weights_backbone`` defaults to ImageNet weights; pass ``weights_backbone=None`` to start from
    scratch. ``trainable_backbone_layers`` (0-5, default 3) counts from the last ResNet stage."""
    weights = RetinaNet_ResNet50_FPN_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    backbone = _resnet50_p3p7_backbone(weights, weights_backbone, progress, trainable_backbone_layers, None, 256)
    model = RetinaNet(backbone, num_classes, **kwargs)
    if weights is not None:
        _load_detection_weights(model, weights, progress, (RetinaNet_ResNet50_FPN_Weights.COCO_V1,))
    return model


@register_model()
@handle_legacy_interface(weights=("pretrained", RetinaNet_ResNet50_FPN_V2_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", ResNet50_Weights.IMAGENET1K_V1))
def retinanet_resnet50_fpn_v2(*, weights: Optional[RetinaNet_ResNet50_FPN_V2_Weights] = None,
                              progress: bool = True, num_classes: Optional[int] = None,
                              weights_backbone: Optional[ResNet50_Weights] = None,
                              trainable_backbone_layers: Optional[int] = None, **kwargs: Any) -> RetinaNet:
    """The improved RetinaNet of "Bridging the Gap Between Anchor-based and Anchor-free Detection via
    Adaptive Training Sample Selection": P6 from C5, GroupNorm in the heads, a GIoU box loss."""
    weights = RetinaNet_ResNet50_FPN_V2_Weights.verify(weights)
    weights_backbone = ResNet50_Weights.verify(weights_backbone)
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    backbone = _resnet50_p3p7_backbone(weights, weights_backbone, progress, trainable_backbone_layers,
                                       nn.BatchNorm2d, 2048)
    anchor_generator = _default_anchorgen()
    head = RetinaNetHead(backbone.out_channels, anchor_generator.num_anchors_per_location()[0], num_classes,
                         norm_layer=partial(nn.GroupNorm, 32))
    head.regression_head._loss_type = "giou"
    model = RetinaNet(backbone, num_classes, anchor_generator=anchor_generator, head=head, **kwargs)
    if weights is not None:
        _load_detection_weights(model, weights, progress)
    return model
