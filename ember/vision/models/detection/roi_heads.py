"""The second stage of the R-CNN models: per-proposal classification and box refinement, plus the
optional mask and keypoint branches, with their losses and post-processing."""
import ember
from .... import nn
from ....nn import functional as F
from ...ops import boxes as box_ops
from ...ops.roi_align import roi_align
from . import _utils as det_utils

__all__ = ["RoIHeads", "fastrcnn_loss", "maskrcnn_loss", "maskrcnn_inference", "keypointrcnn_loss",
           "keypointrcnn_inference", "paste_masks_in_image"]


# ---- box branch ----------------------------------------------------------------------------------
def fastrcnn_loss(class_logits, box_regression, labels, regression_targets):
    """Cross-entropy over the sampled proposals, and smooth-L1 (beta 1/9) of the positives' deltas
    for their own class, summed and divided by the number of sampled proposals."""
    labels = ember.cat(labels, dim=0)
    regression_targets = ember.cat(regression_targets, dim=0)
    classification_loss = F.cross_entropy(class_logits, labels)
    pos = ember.where(labels > 0)[0]
    N = class_logits.shape[0]
    box_regression = box_regression.reshape(N, box_regression.shape[-1] // 4, 4)
    box_loss = F.smooth_l1_loss(box_regression[pos, labels[pos]], regression_targets[pos], beta=1 / 9,
                                reduction="sum")
    return classification_loss, box_loss / labels.numel()


# ---- mask branch ---------------------------------------------------------------------------------
def maskrcnn_inference(x, labels):
    """Per image, the ``(K, 1, M, M)`` probabilities of each detection's mask for its predicted class."""
    mask_prob = x.sigmoid()
    per_image = [label.shape[0] for label in labels]
    labels = ember.cat(labels)
    mask_prob = mask_prob[ember.arange(x.shape[0], device=labels.device), labels][:, None]
    return mask_prob.split(per_image, dim=0)


def project_masks_on_boxes(gt_masks, boxes, matched_idxs, M):
    """Crop each proposal's matched gt mask to the proposal and resample it to ``M x M`` (RoIAlign)."""
    rois = ember.cat([matched_idxs.to(boxes)[:, None], boxes], dim=1)
    return roi_align(gt_masks[:, None].to(rois), rois, (M, M), 1.0)[:, 0]


def maskrcnn_loss(mask_logits, proposals, gt_masks, gt_labels, mask_matched_idxs):
    """Binary cross-entropy between each positive proposal's mask logits for its gt class and its gt
    mask projected onto the proposal."""
    M = mask_logits.shape[-1]
    labels = ember.cat([gl[idxs] for gl, idxs in zip(gt_labels, mask_matched_idxs)], dim=0)
    mask_targets = ember.cat([project_masks_on_boxes(m, p, i, M)
                              for m, p, i in zip(gt_masks, proposals, mask_matched_idxs)], dim=0)
    if mask_targets.numel() == 0:
        return mask_logits.sum() * 0
    picked = mask_logits[ember.arange(labels.shape[0], device=labels.device), labels]
    return F.binary_cross_entropy_with_logits(picked, mask_targets)


def expand_boxes(boxes, scale):
    """Grow boxes about their centres by ``scale``."""
    half_w = (boxes[:, 2] - boxes[:, 0]) * 0.5 * scale
    half_h = (boxes[:, 3] - boxes[:, 1]) * 0.5 * scale
    cx = (boxes[:, 2] + boxes[:, 0]) * 0.5
    cy = (boxes[:, 3] + boxes[:, 1]) * 0.5
    return ember.stack((cx - half_w, cy - half_h, cx + half_w, cy + half_h), dim=1)


def expand_masks(mask, padding):
    """Zero-pad ``(..., M, M)`` masks by ``padding``; also return the size ratio (M + 2p) / M."""
    M = mask.shape[-1]
    return F.pad(mask, (padding,) * 4), float(M + 2 * padding) / M


def paste_mask_in_image(mask, box, im_h, im_w):
    """Resize an ``M x M`` mask (bilinear) onto the integer ``box`` inside an ``im_h x im_w`` canvas."""
    x0, y0, x1, y1 = (int(v) for v in box.tolist())
    w, h = max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1)
    mask = F.interpolate(mask.expand((1, 1, -1, -1)), size=(h, w), mode="bilinear", align_corners=False)[0][0]
    im_mask = ember.zeros((im_h, im_w), dtype=mask.dtype, device=mask.device)
    left, right = max(x0, 0), min(x1 + 1, im_w)
    top, bottom = max(y0, 0), min(y1 + 1, im_h)
    if right > left and bottom > top:
        im_mask[top:bottom, left:right] = mask[top - y0:bottom - y0, left - x0:right - x0]
    return im_mask


def paste_masks_in_image(masks, boxes, img_shape, padding=1):
    """``(K, 1, M, M)`` box-relative masks -> ``(K, 1, H, W)`` image masks. The masks are padded by
    ``padding`` and the boxes grown to match before pasting, so the masks' borders fade out."""
    masks, scale = expand_masks(masks, padding=padding)
    boxes = expand_boxes(boxes, scale).to(dtype=ember.int64)
    im_h, im_w = img_shape
    pasted = [paste_mask_in_image(m[0], b, im_h, im_w) for m, b in zip(masks, boxes)]
    if not pasted:
        return masks.new_empty((0, 1, im_h, im_w))
    return ember.stack(pasted, dim=0)[:, None]


# ---- keypoint branch -----------------------------------------------------------------------------
def keypoints_to_heatmap(keypoints, rois, heatmap_size):
    """Each keypoint's cell index in its RoI's ``heatmap_size`` grid, and whether it is valid
    (visible and inside the RoI)."""
    offset_x, offset_y = rois[:, 0][:, None], rois[:, 1][:, None]
    scale_x = (heatmap_size / (rois[:, 2] - rois[:, 0]))[:, None]
    scale_y = (heatmap_size / (rois[:, 3] - rois[:, 1]))[:, None]
    x, y = keypoints[..., 0], keypoints[..., 1]
    on_right_edge = x == rois[:, 2][:, None]
    on_bottom_edge = y == rois[:, 3][:, None]
    x = ((x - offset_x) * scale_x).floor().long()
    y = ((y - offset_y) * scale_y).floor().long()
    x[on_right_edge] = heatmap_size - 1
    y[on_bottom_edge] = heatmap_size - 1
    inside = (x >= 0) & (y >= 0) & (x < heatmap_size) & (y < heatmap_size)
    valid = (inside & (keypoints[..., 2] > 0)).long()
    return (y * heatmap_size + x) * valid, valid


def heatmaps_to_keypoints(maps, rois):
    """``(K, N, H, W)`` heatmaps -> ``(K, N, 3)`` keypoints ``(x, y, 1)`` in image coordinates and
    ``(K, N)`` scores: each map is resized (bicubic) to its RoI's size and its arg-max taken, a cell
    ``d`` standing for the continuous coordinate ``d + 0.5``."""
    offset_x, offset_y = rois[:, 0], rois[:, 1]
    widths = (rois[:, 2] - rois[:, 0]).clamp(min=1)
    heights = (rois[:, 3] - rois[:, 1]).clamp(min=1)
    widths_ceil, heights_ceil = widths.ceil(), heights.ceil()
    num_keypoints = maps.shape[1]
    xy_preds = ember.zeros((len(rois), 3, num_keypoints), dtype=ember.float32, device=maps.device)
    end_scores = ember.zeros((len(rois), num_keypoints), dtype=ember.float32, device=maps.device)
    for i in range(len(rois)):
        roi_w, roi_h = int(widths_ceil[i].item()), int(heights_ceil[i].item())
        roi_map = F.interpolate(maps[i][:, None], size=(roi_h, roi_w), mode="bicubic", align_corners=False)[:, 0]
        w = roi_map.shape[2]
        pos = roi_map.reshape(num_keypoints, -1).argmax(dim=1)
        x_int = pos % w
        y_int = ember.div(pos - x_int, w, rounding_mode="floor")
        xy_preds[i, 0, :] = (x_int.float() + 0.5) * (widths[i] / roi_w) + offset_x[i]
        xy_preds[i, 1, :] = (y_int.float() + 0.5) * (heights[i] / roi_h) + offset_y[i]
        xy_preds[i, 2, :] = 1
        end_scores[i, :] = roi_map[ember.arange(num_keypoints, device=roi_map.device), y_int, x_int]
    return xy_preds.permute(0, 2, 1), end_scores


def keypointrcnn_loss(keypoint_logits, proposals, gt_keypoints, keypoint_matched_idxs):
    """Cross-entropy over the heatmap cells of every valid gt keypoint of the positive proposals."""
    N, K, H, W = keypoint_logits.shape
    if H != W:
        raise ValueError(f"keypoint_logits height and width (last two elements of shape) should be equal. "
                         f"Instead got H = {H} and W = {W}")
    heatmaps, valid = [], []
    for props, gt_kp, midx in zip(proposals, gt_keypoints, keypoint_matched_idxs):
        hm, vd = keypoints_to_heatmap(gt_kp[midx], props, H)
        heatmaps.append(hm.view(-1))
        valid.append(vd.view(-1))
    keypoint_targets = ember.cat(heatmaps, dim=0)
    valid = ember.where(ember.cat(valid, dim=0).to(dtype=ember.uint8))[0]
    if keypoint_targets.numel() == 0 or len(valid) == 0:
        return keypoint_logits.sum() * 0
    return F.cross_entropy(keypoint_logits.view(N * K, H * W)[valid], keypoint_targets[valid])


def keypointrcnn_inference(x, boxes):
    kp_probs, kp_scores = [], []
    for maps, image_boxes in zip(x.split([b.shape[0] for b in boxes], dim=0), boxes):
        probs, scores = heatmaps_to_keypoints(maps, image_boxes)
        kp_probs.append(probs)
        kp_scores.append(scores)
    return kp_probs, kp_scores


# ---- the heads -----------------------------------------------------------------------------------
class RoIHeads(nn.Module):
    """Pools features for each proposal (``box_roi_pool``), runs ``box_head`` and ``box_predictor``
    (class logits and per-class box deltas) and, when given, the mask and keypoint branches.

    Training: proposals are extended by the gt boxes, matched (IoU >= ``fg_iou_thresh`` foreground,
    < ``bg_iou_thresh`` background), ``batch_size_per_image`` of them sampled, and the losses
    returned. Inference: boxes are decoded per class, clipped, filtered by ``score_thresh``,
    NMS'ed per class and the best ``detections_per_img`` returned with their labels and scores
    (and masks / keypoints)."""

    def __init__(self, box_roi_pool, box_head, box_predictor, fg_iou_thresh, bg_iou_thresh, batch_size_per_image,
                 positive_fraction, bbox_reg_weights, score_thresh, nms_thresh, detections_per_img,
                 mask_roi_pool=None, mask_head=None, mask_predictor=None,
                 keypoint_roi_pool=None, keypoint_head=None, keypoint_predictor=None):
        super().__init__()
        self.box_similarity = box_ops.box_iou
        self.proposal_matcher = det_utils.Matcher(fg_iou_thresh, bg_iou_thresh, allow_low_quality_matches=False)
        self.fg_bg_sampler = det_utils.BalancedPositiveNegativeSampler(batch_size_per_image, positive_fraction)
        if bbox_reg_weights is None:
            bbox_reg_weights = (10.0, 10.0, 5.0, 5.0)
        self.box_coder = det_utils.BoxCoder(bbox_reg_weights)
        self.box_roi_pool = box_roi_pool
        self.box_head = box_head
        self.box_predictor = box_predictor
        self.score_thresh = score_thresh
        self.nms_thresh = nms_thresh
        self.detections_per_img = detections_per_img
        self.mask_roi_pool = mask_roi_pool
        self.mask_head = mask_head
        self.mask_predictor = mask_predictor
        self.keypoint_roi_pool = keypoint_roi_pool
        self.keypoint_head = keypoint_head
        self.keypoint_predictor = keypoint_predictor

    def has_mask(self):
        return self.mask_roi_pool is not None and self.mask_head is not None and self.mask_predictor is not None

    def has_keypoint(self):
        return (self.keypoint_roi_pool is not None and self.keypoint_head is not None
                and self.keypoint_predictor is not None)

    # -- training-time sampling --
    def assign_targets_to_proposals(self, proposals, gt_boxes, gt_labels):
        """Per image: each proposal's matched gt index (clamped to >= 0) and its label (gt label,
        0 background, -1 ignored)."""
        matched_idxs, labels = [], []
        for props, boxes, gt_label in zip(proposals, gt_boxes, gt_labels):
            if boxes.numel() == 0:   # an image with no objects: every proposal is background
                clamped = ember.zeros((props.shape[0],), dtype=ember.int64, device=props.device)
                image_labels = ember.zeros((props.shape[0],), dtype=ember.int64, device=props.device)
            else:
                matched = self.proposal_matcher(box_ops.box_iou(boxes, props))
                clamped = matched.clamp(min=0)
                image_labels = gt_label[clamped].to(dtype=ember.int64)
                image_labels[matched == self.proposal_matcher.BELOW_LOW_THRESHOLD] = 0
                image_labels[matched == self.proposal_matcher.BETWEEN_THRESHOLDS] = -1
            matched_idxs.append(clamped)
            labels.append(image_labels)
        return matched_idxs, labels

    def subsample(self, labels):
        pos_masks, neg_masks = self.fg_bg_sampler(labels)
        return [ember.where(pos | neg)[0] for pos, neg in zip(pos_masks, neg_masks)]

    def add_gt_proposals(self, proposals, gt_boxes):
        return [ember.cat((p, g)) for p, g in zip(proposals, gt_boxes)]

    def check_targets(self, targets):
        if targets is None:
            raise ValueError("targets should not be None")
        if not all("boxes" in t for t in targets):
            raise ValueError("Every element of targets should have a boxes key")
        if not all("labels" in t for t in targets):
            raise ValueError("Every element of targets should have a labels key")
        if self.has_mask() and not all("masks" in t for t in targets):
            raise ValueError("Every element of targets should have a masks key")

    def select_training_samples(self, proposals, targets):
        """The sampled proposals of each image with their matched gt indices, labels and regression
        targets."""
        self.check_targets(targets)
        dtype, device = proposals[0].dtype, proposals[0].device
        gt_boxes = [t["boxes"].to(dtype) for t in targets]
        gt_labels = [t["labels"] for t in targets]
        proposals = self.add_gt_proposals(proposals, gt_boxes)
        matched_idxs, labels = self.assign_targets_to_proposals(proposals, gt_boxes, gt_labels)
        sampled = self.subsample(labels)
        matched_gt_boxes = []
        for i, idx in enumerate(sampled):
            proposals[i] = proposals[i][idx]
            labels[i] = labels[i][idx]
            matched_idxs[i] = matched_idxs[i][idx]
            boxes = gt_boxes[i]
            if boxes.numel() == 0:
                boxes = ember.zeros((1, 4), dtype=dtype, device=device)
            matched_gt_boxes.append(boxes[matched_idxs[i]])
        regression_targets = self.box_coder.encode(matched_gt_boxes, proposals)
        return proposals, matched_idxs, labels, regression_targets

    # -- inference --
    def postprocess_detections(self, class_logits, box_regression, proposals, image_shapes):
        """Per image: the final boxes, scores and labels (see the class docstring)."""
        device = class_logits.device
        num_classes = class_logits.shape[-1]
        per_image = [p.shape[0] for p in proposals]
        pred_boxes = self.box_coder.decode(box_regression, proposals).split(per_image, 0)
        pred_scores = F.softmax(class_logits, -1).split(per_image, 0)
        all_boxes, all_scores, all_labels = [], [], []
        for boxes, scores, image_shape in zip(pred_boxes, pred_scores, image_shapes):
            boxes = box_ops.clip_boxes_to_image(boxes, image_shape)
            labels = ember.arange(num_classes, device=device).view(1, -1).expand_as(scores)
            # drop the background column, then treat every (proposal, class) pair as one detection
            boxes = boxes[:, 1:].reshape(-1, 4)
            scores = scores[:, 1:].reshape(-1)
            labels = labels[:, 1:].reshape(-1)
            keep = ember.where(scores > self.score_thresh)[0]
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = box_ops.remove_small_boxes(boxes, min_size=1e-2)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
            keep = box_ops.batched_nms(boxes, scores, labels, self.nms_thresh)[: self.detections_per_img]
            all_boxes.append(boxes[keep])
            all_scores.append(scores[keep])
            all_labels.append(labels[keep])
        return all_boxes, all_scores, all_labels

    @staticmethod
    def _positives(proposals, labels, matched_idxs):
        """The proposals with a foreground label, and their matched gt indices, per image."""
        pos_proposals, pos_matched = [], []
        for props, image_labels, idxs in zip(proposals, labels, matched_idxs):
            pos = ember.where(image_labels > 0)[0]
            pos_proposals.append(props[pos])
            pos_matched.append(idxs[pos])
        return pos_proposals, pos_matched

    def _check_target_types(self, targets):
        for t in targets:
            if t["boxes"].dtype not in (ember.float, ember.double, ember.half):
                raise TypeError(f"target boxes must of float type, instead got {t['boxes'].dtype}")
            if t["labels"].dtype != ember.int64:
                raise TypeError(f"target labels must of int64 type, instead got {t['labels'].dtype}")
            if self.has_keypoint() and t["keypoints"].dtype != ember.float32:
                raise TypeError(f"target keypoints must of float type, instead got {t['keypoints'].dtype}")

    def forward(self, features, proposals, image_shapes, targets=None):
        """Detections (a list of dicts, empty while training) and losses (empty in eval mode)."""
        if targets is not None:
            self._check_target_types(targets)
        if self.training:
            proposals, matched_idxs, labels, regression_targets = self.select_training_samples(proposals, targets)
        else:
            labels = regression_targets = matched_idxs = None

        box_features = self.box_head(self.box_roi_pool(features, proposals, image_shapes))
        class_logits, box_regression = self.box_predictor(box_features)

        result, losses = [], {}
        if self.training:
            loss_classifier, loss_box_reg = fastrcnn_loss(class_logits, box_regression, labels, regression_targets)
            losses = {"loss_classifier": loss_classifier, "loss_box_reg": loss_box_reg}
        else:
            boxes, scores, labels = self.postprocess_detections(class_logits, box_regression, proposals,
                                                                image_shapes)
            result = [{"boxes": b, "labels": lab, "scores": s} for b, s, lab in zip(boxes, scores, labels)]

        if self.has_mask():
            if self.training:   # masks are learnt on the positive proposals only
                mask_proposals, pos_matched_idxs = self._positives(proposals, labels, matched_idxs)
            else:
                mask_proposals = [r["boxes"] for r in result]
            mask_logits = self.mask_predictor(self.mask_head(self.mask_roi_pool(features, mask_proposals,
                                                                                image_shapes)))
            if self.training:
                losses["loss_mask"] = maskrcnn_loss(mask_logits, mask_proposals, [t["masks"] for t in targets],
                                                    [t["labels"] for t in targets], pos_matched_idxs)
            else:
                for mask_prob, r in zip(maskrcnn_inference(mask_logits, [r["labels"] for r in result]), result):
                    r["masks"] = mask_prob

        if self.has_keypoint():
            if self.training:
                kp_proposals, pos_matched_idxs = self._positives(proposals, labels, matched_idxs)
            else:
                kp_proposals = [r["boxes"] for r in result]
            kp_logits = self.keypoint_predictor(self.keypoint_head(self.keypoint_roi_pool(features, kp_proposals,
                                                                                      image_shapes)))
            if self.training:
                losses["loss_keypoint"] = keypointrcnn_loss(kp_logits, kp_proposals,
                                                            [t["keypoints"] for t in targets], pos_matched_idxs)
            else:
                kp_probs, kp_scores = keypointrcnn_inference(kp_logits, kp_proposals)
                for probs, scores, r in zip(kp_probs, kp_scores, result):
                    r["keypoints"] = probs
                    r["keypoints_scores"] = scores
        return result, losses
