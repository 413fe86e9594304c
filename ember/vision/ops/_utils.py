"""Helpers the ops share: RoI box formats and checks, dtype upcasting, the box-loss intersection and
torchvision's ``split_normalization_params``."""
import ember
from ... import nn


def _cat(tensors, dim=0):
    """``ember.cat``, without a copy when there is only one tensor."""
    if len(tensors) == 1:
        return tensors[0]
    return ember.cat(tensors, dim)


def convert_boxes_to_roi_format(boxes):
    """Per-image ``(L_i, 4)`` boxes -> one ``(K, 5)`` tensor of rows ``(image_index, x1, y1, x2, y2)``."""
    concat = _cat(list(boxes), dim=0)
    ids = _cat([ember.full_like(b[:, :1], i) for i, b in enumerate(boxes)], dim=0)
    return ember.cat([ids, concat], dim=1)


def check_roi_boxes_shape(boxes):
    """Boxes for the RoI ops are one ``Tensor[K, 5]`` or a list of ``Tensor[L, 4]``."""
    if isinstance(boxes, (list, tuple)):
        for t in boxes:
            if t.size(1) != 4:
                raise AssertionError("The shape of the tensor in the boxes list is not correct as List[Tensor[L, 4]]")
    elif isinstance(boxes, ember.Tensor):
        if boxes.size(1) != 5:
            raise AssertionError("The boxes tensor shape is not correct as Tensor[K, 5]")
    else:
        raise AssertionError("boxes is expected to be a Tensor[L, 5] or a List[Tensor[K, 4]]")


def _as_rois(boxes):
    """Checked boxes of either accepted form as a ``(K, 5)`` RoI tensor."""
    check_roi_boxes_shape(boxes)
    return boxes if isinstance(boxes, ember.Tensor) else convert_boxes_to_roi_format(boxes)


def _upcast(t):
    """Floating tensors below float32 and integer tensors below int32 are widened (products of box
    coordinates would overflow); the rest are returned as they are."""
    if t.is_floating_point():
        return t if t.dtype in (ember.float32, ember.float64) else t.float()
    return t if t.dtype in (ember.int32, ember.int64) else t.int()


def _upcast_non_float(t):
    """Anything but float32/float64 becomes float32."""
    return t if t.dtype in (ember.float32, ember.float64) else t.float()


def _loss_inter_union(boxes1, boxes2):
    """Intersection and union areas of matching box pairs (the box losses' elementwise form)."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    ix1, iy1 = ember.max(x1, x1g), ember.max(y1, y1g)
    ix2, iy2 = ember.min(x2, x2g), ember.min(y2, y2g)
    overlaps = (iy2 > iy1) & (ix2 > ix1)
    inter = ember.where(overlaps, (ix2 - ix1) * (iy2 - iy1), ember.zeros_like(x1))
    union = (x2 - x1) * (y2 - y1) + (x2g - x1g) * (y2g - y1g) - inter
    return inter, union


def split_normalization_params(model, norm_classes=None):
    """The trainable parameters of ``model`` split into (normalization layers', everyone else's)."""
    if not norm_classes:
        norm_classes = [nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.GroupNorm,
                        nn.modules.instancenorm._InstanceNorm, nn.LocalResponseNorm]
    for t in norm_classes:
        if not issubclass(t, nn.Module):
            raise ValueError(f"Class {t} is not a subclass of nn.Module.")
    classes = tuple(norm_classes)
    norm_params, other_params = [], []
    for module in model.modules():
        if next(module.children(), None):
            other_params.extend(p for p in module.parameters(recurse=False) if p.requires_grad)
        elif isinstance(module, classes):
            norm_params.extend(p for p in module.parameters() if p.requires_grad)
        else:
            other_params.extend(p for p in module.parameters() if p.requires_grad)
    return norm_params, other_params


def _reduce_loss(loss, reduction, empty_mean_zero=True):
    """'none' / 'mean' / 'sum' as the box losses do it (the mean of no elements is 0, kept in the graph)."""
    if reduction == "none":
        return loss
    if reduction == "mean":
        if loss.numel() > 0 or not empty_mean_zero:
            return loss.mean()
        return 0.0 * loss.sum()
    if reduction == "sum":
        return loss.sum()
    raise ValueError(f"Invalid Value for arg 'reduction': '{reduction} \n Supported reduction modes: 'none', 'mean', "
                     "'sum'")


def _enclosing_corners(boxes1, boxes2):
    """Elementwise smallest box enclosing each pair: (x1, y1, x2, y2) tensors."""
    x1, y1, x2, y2 = boxes1.unbind(dim=-1)
    x1g, y1g, x2g, y2g = boxes2.unbind(dim=-1)
    return ember.min(x1, x1g), ember.min(y1, y1g), ember.max(x2, x2g), ember.max(y2, y2g)
