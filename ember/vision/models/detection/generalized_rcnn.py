"""GeneralizedRCNN: transform -> backbone -> RPN -> RoI heads -> postprocess."""
from collections import OrderedDict

import ember
from .... import nn
from ._utils import _assert

__all__ = ["GeneralizedRCNN"]


class GeneralizedRCNN(nn.Module):
    """The two-stage detector skeleton shared by Faster, Mask and Keypoint R-CNN.

    ``forward(images, targets=None)`` takes a list of ``(C, H, W)`` images in ``[0, 1]`` (sizes may
    differ). In training mode it needs ``targets`` (one dict per image with ``boxes`` ``(N, 4)``
    as ``(x1, y1, x2, y2)`` and ``labels``; ``masks``/``keypoints`` for those heads) and returns a
    dict of losses; in eval mode it returns one dict of detections per image, in the image's own
    coordinates."""

    def __init__(self, backbone, rpn, roi_heads, transform):
        super().__init__()
        self.transform = transform
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads
        self._has_warned = False

    def eager_outputs(self, losses, detections):
        return losses if self.training else detections

    @staticmethod
    def _check_boxes_type(targets):
        for target in targets:
            boxes = target["boxes"]
            if isinstance(boxes, ember.Tensor):
                _assert(len(boxes.shape) == 2 and boxes.shape[-1] == 4,
                        f"Expected target boxes to be a tensor of shape [N, 4], got {boxes.shape}.")
            else:
                _assert(False, f"Expected target boxes to be of type Tensor, got {type(boxes)}.")

    @staticmethod
    def _check_degenerate_boxes(targets):
        for target_idx, target in enumerate(targets):
            boxes = target["boxes"]
            degenerate = boxes[:, 2:] <= boxes[:, :2]
            if degenerate.any():
                bad = boxes[ember.where(degenerate.any(dim=1))[0][0]].tolist()
                _assert(False, "All bounding boxes should have positive height and width."
                               f" Found invalid box {bad} for target at index {target_idx}.")

    def forward(self, images, targets=None):
        if self.training:
            if targets is None:
                _assert(False, "targets should not be none when in training mode")
            self._check_boxes_type(targets)
        original_image_sizes = []
        for img in images:
            val = img.shape[-2:]
            _assert(len(val) == 2,
                    f"expecting the last two dimensions of the Tensor to be H and W instead got {img.shape[-2:]}")
            original_image_sizes.append((val[0], val[1]))

        images, targets = self.transform(images, targets)
        if targets is not None:
            self._check_degenerate_boxes(targets)

        features = self.backbone(images.tensors)
        if isinstance(features, ember.Tensor):
            features = OrderedDict([("0", features)])
        proposals, proposal_losses = self.rpn(images, features, targets)
        detections, detector_losses = self.roi_heads(features, proposals, images.image_sizes, targets)
        detections = self.transform.postprocess(detections, images.image_sizes, original_image_sizes)

        losses = {}
        losses.update(detector_losses)
        losses.update(proposal_losses)
        return self.eager_outputs(losses, detections)
