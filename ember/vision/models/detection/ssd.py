"""SSD (Liu et al. 2016, "SSD: Single Shot MultiBox Detector"): default boxes on several feature
maps, per-map 3x3 conv predictors, hard-negative mining; SSD300 with a VGG-16 backbone."""
import warnings
from collections import OrderedDict
from typing import Any, Optional

import ember
from .... import nn
from ....nn import functional as F
from ...ops import boxes as box_ops
from .._api import WeightsEnum, register_model
from .._utils import handle_legacy_interface
from ..vgg import VGG16_Weights, vgg16
from . import _utils as det_utils
from ._utils import _assert
from .anchor_utils import DefaultBoxGenerator
from .backbone_utils import _validate_trainable_layers
from .faster_rcnn import _PAPER_RECIPE_DOCS, _coco_weights, _load_detection_weights, _resolve_num_classes
from .retinanet import _DenseDetector, _nms_detections, _per_location, _unmatched
from .transform import GeneralizedRCNNTransform

__all__ = ["SSD300_VGG16_Weights", "ssd300_vgg16"]


class SSD300_VGG16_Weights(WeightsEnum):
    COCO_V1 = _coco_weights("https://download.pytorch.org/models/ssd300_vgg16_coco-b556d3b4.pth", 35641826,
                            "https://github.com/pytorch/vision/tree/main/references/detection#ssd300-vgg16",
                            {"box_map": 25.1}, 34.858, 135.988, _PAPER_RECIPE_DOCS)
    DEFAULT = COCO_V1


def _xavier_init(module):
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.constant_(layer.bias, 0.0)


class SSDScoringHead(nn.Module):
    """One predictor per feature map (``module_list[i]`` runs on map ``i``), the outputs flattened to
    ``num_columns`` values per default box and concatenated: ``(N, sum HWA, num_columns)``."""

    def __init__(self, module_list, num_columns):
        super().__init__()
        self.module_list = module_list
        self.num_columns = num_columns

    def _get_result_from_module_list(self, x, idx):
        """``self.module_list[idx](x)`` (negative ``idx`` counts from the end)."""
        return self.module_list[idx](x)

    def forward(self, x):
        return ember.cat([_per_location(self._get_result_from_module_list(f, i), self.num_columns)
                          for i, f in enumerate(x)], dim=1)


class SSDClassificationHead(SSDScoringHead):
    """A 3x3 conv per feature map giving ``num_classes`` logits (background included) per box."""

    def __init__(self, in_channels, num_anchors, num_classes):
        cls_logits = nn.ModuleList([nn.Conv2d(c, num_classes * a, kernel_size=3, padding=1)
                                    for c, a in zip(in_channels, num_anchors)])
        _xavier_init(cls_logits)
        super().__init__(cls_logits, num_classes)


class SSDRegressionHead(SSDScoringHead):
    """A 3x3 conv per feature map giving 4 box deltas per default box."""

    def __init__(self, in_channels, num_anchors):
        bbox_reg = nn.ModuleList([nn.Conv2d(c, 4 * a, kernel_size=3, padding=1)
                                  for c, a in zip(in_channels, num_anchors)])
        _xavier_init(bbox_reg)
        super().__init__(bbox_reg, 4)


class SSDHead(nn.Module):
    """SSD's predictors: ``forward`` returns a dict with ``bbox_regression`` and ``cls_logits``."""

    def __init__(self, in_channels, num_anchors, num_classes):
        super().__init__()
        self.classification_head = SSDClassificationHead(in_channels, num_anchors, num_classes)
        self.regression_head = SSDRegressionHead(in_channels, num_anchors)

    def forward(self, x):
        return {"bbox_regression": self.regression_head(x), "cls_logits": self.classification_head(x)}


class SSD(_DenseDetector):
    """SSD: a backbone returning feature maps (a tensor or an OrderedDict; its ``out_channels``
    list, or probed with a ``size`` input), a :class:`DefaultBoxGenerator` and a head (by default
    an :class:`SSDHead`).

    Images are normalised and resized to exactly ``size`` = (w, h). Training needs targets
    (``boxes``, ``labels``) and returns the ``bbox_regression`` (smooth L1 on the matched default
    boxes) and ``classification`` losses, both divided by the number of matched boxes. A default
    box matches the target it overlaps most at IoU >= ``iou_thresh``, and every target its best
    box. The classification loss keeps all matched boxes and the hardest unmatched ones, ``(1 -
    positive_fraction) / positive_fraction`` times as many. Evaluation scores boxes by softmax,
    keeps per class the ``topk_candidates`` best above ``score_thresh``, runs class-wise NMS
    (``nms_thresh``) and returns at most ``detections_per_img`` ``boxes``, ``scores``, ``labels``."""

    _target_check = dict(name_type=True, show_shape=True)

    def __init__(self, backbone, anchor_generator, size, num_classes, image_mean=None, image_std=None, head=None,
                 score_thresh=0.01, nms_thresh=0.45, detections_per_img=200, iou_thresh=0.5, topk_candidates=400,
                 positive_fraction=0.25, **kwargs):
        super().__init__()
        self.backbone = backbone
        self.anchor_generator = anchor_generator
        self.box_coder = det_utils.BoxCoder(weights=(10.0, 10.0, 5.0, 5.0))
        if head is None:
            if hasattr(backbone, "out_channels"):
                out_channels = backbone.out_channels
            else:
                out_channels = det_utils.retrieve_out_channels(backbone, size)
            if len(out_channels) != len(anchor_generator.aspect_ratios):
                raise ValueError(f"The length of the output channels from the backbone ({len(out_channels)}) do not "
                                 f"match the length of the anchor generator aspect ratios "
                                 f"({len(anchor_generator.aspect_ratios)})")
            head = SSDHead(out_channels, self.anchor_generator.num_anchors_per_location(), num_classes)
        self.head = head
        self.proposal_matcher = det_utils.SSDMatcher(iou_thresh)
        image_mean = [0.485, 0.456, 0.406] if image_mean is None else image_mean
        image_std = [0.229, 0.224, 0.225] if image_std is None else image_std
        self.transform = GeneralizedRCNNTransform(min(size), max(size), image_mean, image_std, size_divisible=1,
                                                  fixed_size=size, **kwargs)
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.topk_candidates = topk_candidates
        self.neg_to_pos_ratio = (1.0 - positive_fraction) / positive_fraction
        self._has_warned = False

    def _match(self, anchors, targets):
        matched_idxs = []
        for anchors_per_image, target in zip(anchors, targets):
            if target["boxes"].numel() == 0:
                matched_idxs.append(_unmatched(anchors_per_image))
                continue
            matched_idxs.append(self.proposal_matcher(box_ops.box_iou(target["boxes"], anchors_per_image)))
        return matched_idxs

    def compute_loss(self, targets, head_outputs, anchors, matched_idxs):
        num_foreground = 0
        bbox_losses, class_targets = [], []
        for target, bbox_regression, cls_logits, anchors_per_image, matched in zip(
                targets, head_outputs["bbox_regression"], head_outputs["cls_logits"], anchors, matched_idxs):
            foreground = ember.where(matched >= 0)[0]
            foreground_matches = matched[foreground]
            num_foreground += foreground_matches.numel()
            matched_boxes = target["boxes"][foreground_matches]
            encoded = self.box_coder.encode_single(matched_boxes, anchors_per_image[foreground, :])
            bbox_losses.append(F.smooth_l1_loss(bbox_regression[foreground, :], encoded, reduction="sum"))
            labels = ember.zeros((cls_logits.shape[0],), dtype=target["labels"].dtype, device=target["labels"].device)
            labels[foreground] = target["labels"][foreground_matches]
            class_targets.append(labels)
        bbox_loss = ember.stack(bbox_losses)
        class_targets = ember.stack(class_targets)

        cls_logits = head_outputs["cls_logits"]
        num_classes = cls_logits.shape[-1]
        cls_loss = F.cross_entropy(cls_logits.view(-1, num_classes), class_targets.view(-1),
                                   reduction="none").view(class_targets.shape)
        positives = class_targets > 0
        hard_negatives = self._hard_negatives(cls_loss, positives)
        denominator = max(1, num_foreground)
        return {"bbox_regression": bbox_loss.sum() / denominator,
                "classification": (cls_loss[positives].sum() + cls_loss[hard_negatives].sum()) / denominator}

    def _hard_negatives(self, cls_loss, positives):
        """Per image, the ``neg_to_pos_ratio * #positives`` unmatched boxes with the highest loss."""
        num_negative = self.neg_to_pos_ratio * positives.sum(1, keepdim=True)
        negative_loss = cls_loss.clone()
        negative_loss[positives] = -float("inf")   # positives rank last
        _, order = negative_loss.sort(1, descending=True)
        rank = order.sort(1)[1]
        return rank < num_negative

    def postprocess_detections(self, head_outputs, image_anchors, image_shapes):
        """Per image: decode every default box, then per class (background excluded) the
        ``topk_candidates`` best scores above ``score_thresh``; class-wise NMS over all of them."""
        pred_scores = F.softmax(head_outputs["cls_logits"], dim=-1)
        num_classes = pred_scores.shape[-1]
        detections = []
        for deltas, scores, anchors, image_shape in zip(head_outputs["bbox_regression"], pred_scores,
                                                        image_anchors, image_shapes):
            boxes = box_ops.clip_boxes_to_image(self.box_coder.decode_single(deltas, anchors), image_shape)
            image_boxes, image_scores, image_labels = [], [], []
            for label in range(1, num_classes):
                score = scores[:, label]
                keep = score > self.score_thresh
                score, box = score[keep], boxes[keep]
                score, idxs = score.topk(det_utils._topk_min(score, self.topk_candidates, 0))
                image_boxes.append(box[idxs])
                image_scores.append(score)
                image_labels.append(ember.full_like(score, fill_value=label, dtype=ember.int64,
                                                    device=pred_scores.device))
            detections.append(_nms_detections(ember.cat(image_boxes, dim=0), ember.cat(image_scores, dim=0),
                                              ember.cat(image_labels, dim=0), self.nms_thresh,
                                              self.detections_per_img))
        return detections

    def forward(self, images, targets=None):
        images, targets, original_image_sizes = self._prepare(images, targets)
        features = self._features(images)
        head_outputs = self.head(features)
        anchors = self.anchor_generator(images, features)
        if self.training:
            losses = self.compute_loss(targets, head_outputs, anchors, self._match(anchors, targets))
            return self.eager_outputs(losses, [])
        detections = self.postprocess_detections(head_outputs, anchors, images.image_sizes)
        detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)
        return self.eager_outputs({}, detections)


class SSDFeatureExtractorVGG(nn.Module):
    """VGG-16's features as SSD's six (seven with ``highres``, for SSD512) feature maps: conv4_3
    L2-normalised and scaled per channel by ``scale_weight`` (initially 20), then conv5_3 ->
    pool5 (3x3, stride 1) -> dilated FC6 -> FC7 (``extra[0]``) and four (five) extra 1x1/3x3 blocks
    (``extra[1:]``). The third max-pool rounds up (``ceil_mode``) so 300 px give a 38 x 38 map."""

    def __init__(self, backbone, highres):
        super().__init__()
        pools = [i for i, layer in enumerate(backbone) if isinstance(layer, nn.MaxPool2d)]
        maxpool3_pos, maxpool4_pos = pools[2], pools[3]
        backbone[maxpool3_pos].ceil_mode = True
        self.scale_weight = nn.Parameter(ember.ones(512) * 20)
        self.features = nn.Sequential(*backbone[:maxpool4_pos])   # up to conv4_3
        extra = nn.ModuleList([
            self._extra_block(1024, 256, 512, kernel_size=3, padding=1, stride=2),   # conv8_2
            self._extra_block(512, 128, 256, kernel_size=3, padding=1, stride=2),    # conv9_2
            self._extra_block(256, 128, 256, kernel_size=3),                         # conv10_2
            self._extra_block(256, 128, 256, kernel_size=3),                         # conv11_2
        ])
        if highres:
            extra.append(self._extra_block(256, 128, 256, kernel_size=4))          # conv12_2
        _xavier_init(extra)
        fc = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=False),      # pool5, stride 1
            nn.Conv2d(in_channels=512, out_channels=1024, kernel_size=3, padding=6, dilation=6),   # FC6, atrous
            nn.ReLU(inplace=True),
            nn.Conv2d(in_channels=1024, out_channels=1024, kernel_size=1),          # FC7
            nn.ReLU(inplace=True),
        )
        _xavier_init(fc)
        extra.insert(0, nn.Sequential(*backbone[maxpool4_pos:-1], fc))            # conv5_3 (no pool5), FC6-7
        self.extra = extra

    @staticmethod
    def _extra_block(in_channels, mid_channels, out_channels, **conv):
        return nn.Sequential(nn.Conv2d(in_channels, mid_channels, kernel_size=1), nn.ReLU(inplace=True),
                             nn.Conv2d(mid_channels, out_channels, **conv), nn.ReLU(inplace=True))

    def forward(self, x):
        x = self.features(x)
        output = [self.scale_weight.view(1, -1, 1, 1) * F.normalize(x)]
        for block in self.extra:
            x = block(x)
            output.append(x)
        return OrderedDict([(str(i), v) for i, v in enumerate(output)])


def _vgg_extractor(backbone, highres, trainable_layers):
    """VGG's ``features`` with all but the last ``trainable_layers`` stages frozen, as SSD's extractor."""
    backbone = backbone.features
    stage_indices = [0] + [i for i, b in enumerate(backbone) if isinstance(b, nn.MaxPool2d)][:-1]
    num_stages = len(stage_indices)
    _assert(0 <= trainable_layers <= num_stages,
            f"trainable_layers should be in the range [0, {num_stages}]. Instead got {trainable_layers}")
    freeze_before = len(backbone) if trainable_layers == 0 else stage_indices[num_stages - trainable_layers]
    for block in list(backbone)[:freeze_before]:
        for parameter in block.parameters():
            parameter.requires_grad_(False)
    return SSDFeatureExtractorVGG(backbone, highres)


@register_model()
@handle_legacy_interface(weights=("pretrained", SSD300_VGG16_Weights.COCO_V1),
                         weights_backbone=("pretrained_backbone", VGG16_Weights.IMAGENET1K_FEATURES))
def ssd300_vgg16(*, weights: Optional[SSD300_VGG16_Weights] = None, progress: bool = True,
                 num_classes: Optional[int] = None,
                 weights_backbone: Optional[VGG16_Weights] = VGG16_Weights.IMAGENET1K_FEATURES,
                 trainable_backbone_layers: Optional[int] = None, **kwargs: Any) -> SSD:
    """SSD300 with a VGG-16 backbone ("SSD: Single Shot MultiBox Detector"). Images are resized to
    300 x 300 and normalised for the Caffe-style VGG weights (0-255 range, BGR means in RGB order).
    ``trainable_backbone_layers`` (0-5, default 4) counts from the last VGG stage."""
    weights = SSD300_VGG16_Weights.verify(weights)
    weights_backbone = VGG16_Weights.verify(weights_backbone)
    if "size" in kwargs:
        warnings.warn("The size of the model is already fixed; ignoring the parameter.")
    if weights is not None:
        weights_backbone = None
    num_classes = _resolve_num_classes(weights, num_classes)
    trainable_backbone_layers = _validate_trainable_layers(weights is not None or weights_backbone is not None,
                                                           trainable_backbone_layers, 5, 4)
    backbone = _vgg_extractor(vgg16(weights=weights_backbone, progress=progress), False, trainable_backbone_layers)
    anchor_generator = DefaultBoxGenerator([[2], [2, 3], [2, 3], [2, 3], [2], [2]],
                                           scales=[0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
                                           steps=[8, 16, 32, 64, 100, 300])
    defaults = {"image_mean": [0.48235, 0.45882, 0.40784],
                "image_std": [1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0]}   # undoes the 0-1 scaling
    model = SSD(backbone, anchor_generator, (300, 300), num_classes, **{**defaults, **kwargs})
    if weights is not None:
        _load_detection_weights(model, weights, progress)
    return model
