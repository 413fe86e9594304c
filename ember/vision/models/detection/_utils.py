"""Pieces shared by the detectors: box encoding, anchor/proposal matching, balanced sampling."""
import math
from collections import OrderedDict

import ember
from ....nn import functional as F

__all__ = ["BalancedPositiveNegativeSampler", "BoxCoder", "BoxLinearCoder", "Matcher", "SSDMatcher", "encode_boxes",
           "overwrite_eps", "retrieve_out_channels"]


def _assert(condition, message):
    """torch._assert: an AssertionError carrying ``message`` when ``condition`` is false."""
    if not condition:
        raise AssertionError(message)


class BalancedPositiveNegativeSampler:
    """Draws at most ``batch_size_per_image`` elements per image, of which at most
    ``positive_fraction`` are positives (label >= 1); negatives (label 0) fill the rest and
    label -1 is never drawn. Returns two lists of uint8 masks (positives, negatives)."""

    def __init__(self, batch_size_per_image, positive_fraction):
        self.batch_size_per_image = batch_size_per_image
        self.positive_fraction = positive_fraction

    def __call__(self, matched_idxs):
        pos_masks, neg_masks = [], []
        for labels in matched_idxs:
            positive = ember.where(labels >= 1)[0]
            negative = ember.where(labels == 0)[0]
            num_pos = min(positive.numel(), int(self.batch_size_per_image * self.positive_fraction))
            num_neg = min(negative.numel(), self.batch_size_per_image - num_pos)
            chosen_pos = positive[ember.randperm(positive.numel(), device=positive.device)[:num_pos]]
            chosen_neg = negative[ember.randperm(negative.numel(), device=negative.device)[:num_neg]]
            pos_mask = ember.zeros_like(labels, dtype=ember.uint8)
            neg_mask = ember.zeros_like(labels, dtype=ember.uint8)
            pos_mask[chosen_pos] = 1
            neg_mask[chosen_neg] = 1
            pos_masks.append(pos_mask)
            neg_masks.append(neg_mask)
        return pos_masks, neg_masks


def _corners(boxes):
    """(x1, y1, x2, y2) columns of ``(N, 4)`` boxes, each ``(N, 1)``."""
    return [boxes[:, i].unsqueeze(1) for i in range(4)]


def encode_boxes(reference_boxes, proposals, weights):
    """Regression targets ``(dx, dy, dw, dh)`` that move ``proposals`` onto ``reference_boxes``,
    scaled by ``weights`` (a 4-element tensor for x, y, w, h)."""
    wx, wy, ww, wh = weights[0], weights[1], weights[2], weights[3]
    px1, py1, px2, py2 = _corners(proposals)
    gx1, gy1, gx2, gy2 = _corners(reference_boxes)
    ex_w, ex_h = px2 - px1, py2 - py1
    ex_cx, ex_cy = px1 + 0.5 * ex_w, py1 + 0.5 * ex_h
    gt_w, gt_h = gx2 - gx1, gy2 - gy1
    gt_cx, gt_cy = gx1 + 0.5 * gt_w, gy1 + 0.5 * gt_h
    dx = wx * (gt_cx - ex_cx) / ex_w
    dy = wy * (gt_cy - ex_cy) / ex_h
    dw = ww * ember.log(gt_w / ex_w)
    dh = wh * ember.log(gt_h / ex_h)
    return ember.cat((dx, dy, dw, dh), dim=1)


class BoxCoder:
    """Encodes boxes as offsets ``(dx, dy, dw, dh)`` relative to reference boxes (Faster R-CNN's
    parametrisation) and decodes them back; ``dw``/``dh`` are clipped at ``bbox_xform_clip`` before
    the exponential."""

    def __init__(self, weights, bbox_xform_clip=math.log(1000.0 / 16)):
        self.weights = weights
        self.bbox_xform_clip = bbox_xform_clip

    def encode(self, reference_boxes, proposals):
        per_image = [len(b) for b in reference_boxes]
        targets = self.encode_single(ember.cat(reference_boxes, dim=0), ember.cat(proposals, dim=0))
        return targets.split(per_image, 0)

    def encode_single(self, reference_boxes, proposals):
        weights = ember.as_tensor(self.weights, dtype=reference_boxes.dtype, device=reference_boxes.device)
        return encode_boxes(reference_boxes, proposals, weights)

    def decode(self, rel_codes, boxes):
        _assert(isinstance(boxes, (list, tuple)), "This function expects boxes of type list or tuple.")
        _assert(isinstance(rel_codes, ember.Tensor), "This function expects rel_codes of type torch.Tensor.")
        total = sum(b.shape[0] for b in boxes)
        if total > 0:
            rel_codes = rel_codes.reshape(total, -1)
        pred = self.decode_single(rel_codes, ember.cat(boxes, dim=0))
        if total > 0:
            pred = pred.reshape(total, -1, 4)
        return pred

    def decode_single(self, rel_codes, boxes):
        boxes = boxes.to(rel_codes.dtype)
        widths = boxes[:, 2] - boxes[:, 0]
        heights = boxes[:, 3] - boxes[:, 1]
        ctr_x = boxes[:, 0] + 0.5 * widths
        ctr_y = boxes[:, 1] + 0.5 * heights

        wx, wy, ww, wh = self.weights
        dx = rel_codes[:, 0::4] / wx
        dy = rel_codes[:, 1::4] / wy
        dw = ember.clamp(rel_codes[:, 2::4] / ww, max=self.bbox_xform_clip)
        dh = ember.clamp(rel_codes[:, 3::4] / wh, max=self.bbox_xform_clip)

        cx = dx * widths[:, None] + ctr_x[:, None]
        cy = dy * heights[:, None] + ctr_y[:, None]
        half_w = 0.5 * (ember.exp(dw) * widths[:, None])
        half_h = 0.5 * (ember.exp(dh) * heights[:, None])
        return ember.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h), dim=2).flatten(1)


class BoxLinearCoder:
    """FCOS's encoding: distances from the reference box centre to the four edges of the target,
    optionally divided by the reference box's width/height."""

    def __init__(self, normalize_by_size=True):
        self.normalize_by_size = normalize_by_size

    @staticmethod
    def _sizes(boxes):
        w = boxes[..., 2] - boxes[..., 0]
        h = boxes[..., 3] - boxes[..., 1]
        return ember.stack((w, h, w, h), dim=-1)

    def encode(self, reference_boxes, proposals):
        cx = 0.5 * (reference_boxes[..., 0] + reference_boxes[..., 2])
        cy = 0.5 * (reference_boxes[..., 1] + reference_boxes[..., 3])
        targets = ember.stack((cx - proposals[..., 0], cy - proposals[..., 1], proposals[..., 2] - cx,
                               proposals[..., 3] - cy), dim=-1)
        if self.normalize_by_size:
            targets = targets / self._sizes(reference_boxes)
        return targets

    def decode(self, rel_codes, boxes):
        boxes = boxes.to(dtype=rel_codes.dtype)
        cx = 0.5 * (boxes[..., 0] + boxes[..., 2])
        cy = 0.5 * (boxes[..., 1] + boxes[..., 3])
        if self.normalize_by_size:
            rel_codes = rel_codes * self._sizes(boxes)
        return ember.stack((cx - rel_codes[..., 0], cy - rel_codes[..., 1], cx + rel_codes[..., 2],
                            cy + rel_codes[..., 3]), dim=-1)


class Matcher:
    """Assigns each prediction (column of an M x N quality matrix, M ground truths) the ground truth
    it overlaps best: index >= 0 when the quality is >= ``high_threshold``, ``BETWEEN_THRESHOLDS``
    (-2) in ``[low, high)``, ``BELOW_LOW_THRESHOLD`` (-1) below ``low_threshold``. With
    ``allow_low_quality_matches`` the best prediction(s) of every ground truth keep their match."""

    BELOW_LOW_THRESHOLD = -1
    BETWEEN_THRESHOLDS = -2

    def __init__(self, high_threshold, low_threshold, allow_low_quality_matches=False):
        self.BELOW_LOW_THRESHOLD = -1
        self.BETWEEN_THRESHOLDS = -2
        _assert(low_threshold <= high_threshold, "low_threshold should be <= high_threshold")
        self.high_threshold = high_threshold
        self.low_threshold = low_threshold
        self.allow_low_quality_matches = allow_low_quality_matches

    def __call__(self, match_quality_matrix):
        if match_quality_matrix.numel() == 0:
            if match_quality_matrix.shape[0] == 0:
                raise ValueError("No ground-truth boxes available for one of the images during training")
            raise ValueError("No proposal boxes available for one of the images during training")
        best_quality, matches = match_quality_matrix.max(dim=0)
        all_matches = matches.clone() if self.allow_low_quality_matches else None
        matches[best_quality < self.low_threshold] = self.BELOW_LOW_THRESHOLD
        matches[(best_quality >= self.low_threshold) & (best_quality < self.high_threshold)] = \
            self.BETWEEN_THRESHOLDS
        if self.allow_low_quality_matches:
            self.set_low_quality_matches_(matches, all_matches, match_quality_matrix)
        return matches

    def set_low_quality_matches_(self, matches, all_matches, match_quality_matrix):
        """Give back their match to the predictions that are some ground truth's best (ties included)."""
        best_per_gt = match_quality_matrix.max(dim=1)[0]
        preds = ember.where(match_quality_matrix == best_per_gt[:, None])[1]
        matches[preds] = all_matches[preds]


class SSDMatcher(Matcher):
    """A single-threshold Matcher where every ground truth also claims its best prediction."""

    def __init__(self, threshold):
        super().__init__(threshold, threshold, allow_low_quality_matches=False)

    def __call__(self, match_quality_matrix):
        matches = super().__call__(match_quality_matrix)
        best_pred = match_quality_matrix.max(dim=1)[1]
        matches[best_pred] = ember.arange(best_pred.shape[0], dtype=ember.int64, device=best_pred.device)
        return matches


def overwrite_eps(model, eps):
    """Set ``eps`` of every FrozenBatchNorm2d in ``model`` (old checkpoints were trained with eps=0)."""
    from ...ops.misc import FrozenBatchNorm2d
    for module in model.modules():
        if isinstance(module, FrozenBatchNorm2d):
            module.eps = eps


def retrieve_out_channels(model, size):
    """Channel counts of the feature maps ``model`` returns for a ``size`` = (w, h) input."""
    was_training = model.training
    model.eval()
    with ember.no_grad():
        device = next(model.parameters()).device
        features = model(ember.zeros((1, 3, size[1], size[0]), device=device))
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        out_channels = [f.shape[1] for f in features.values()]
    if was_training:
        model.train()
    return out_channels


def _topk_min(input, orig_kval, axis):
    return min(orig_kval, input.shape[axis])


def _box_loss(type, box_coder, anchors_per_image, matched_gt_boxes_per_image, bbox_regression_per_image, cnf=None):
    """Summed box regression loss of one image: "l1"/"smooth_l1" on encoded targets, or an IoU
    loss ("giou", "diou", "ciou") on decoded boxes."""
    _assert(type in ["l1", "smooth_l1", "ciou", "diou", "giou"], f"Unsupported loss: {type}")
    if type in ("l1", "smooth_l1"):
        target = box_coder.encode_single(matched_gt_boxes_per_image, anchors_per_image)
        if type == "l1":
            return F.l1_loss(bbox_regression_per_image, target, reduction="sum")
        beta = cnf["beta"] if cnf is not None and "beta" in cnf else 1.0
        return F.smooth_l1_loss(bbox_regression_per_image, target, reduction="sum", beta=beta)
    from ... import ops
    loss_fn = {"ciou": "complete_box_iou_loss", "diou": "distance_box_iou_loss",
               "giou": "generalized_box_iou_loss"}[type]
    boxes = box_coder.decode_single(bbox_regression_per_image, anchors_per_image)
    eps = cnf["eps"] if cnf is not None and "eps" in cnf else 1e-7
    return getattr(ops, loss_fn)(boxes, matched_gt_boxes_per_image, reduction="sum", eps=eps)
