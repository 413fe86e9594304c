"""Box utilities (torchvision.ops.boxes): format conversion, areas, the IoU family, clipping,
filtering and non-maximum suppression. Boxes are ``(..., 4)`` tensors, ``(x1, y1, x2, y2)`` unless a
``fmt`` says otherwise."""
import math

import ember
from ..._dtypes import SCALAR_NAME
from ..._tensor import Tensor
from ._box_convert import (_box_cxcywh_to_xyxy, _box_cxcywhr_to_xywhr, _box_xywh_to_xyxy, _box_xywhr_to_cxcywhr,
                           _box_xywhr_to_xyxyxyxy, _box_xyxy_to_cxcywh, _box_xyxy_to_xywh, _box_xyxyxyxy_to_xywhr)
from ._utils import _upcast

__all__ = ["nms", "batched_nms", "remove_small_boxes", "clip_boxes_to_image", "box_convert", "box_area", "box_iou",
           "generalized_box_iou", "complete_box_iou", "distance_box_iou", "masks_to_boxes"]

_AXIS_ALIGNED = ("xyxy", "xywh", "cxcywh")
_ROTATED = ("cxcywhr", "xywhr", "xyxyxyxy")


# ---- non-maximum suppression ------------------------------------------------------------------------
def _check_nms_inputs(boxes, scores):
    """The argument checks of torchvision's nms kernel, with its messages."""
    if boxes.dim() != 2:
        raise RuntimeError(f"boxes should be a 2d tensor, got {boxes.dim()}D")
    if boxes.shape[1] != 4:
        raise RuntimeError(f"boxes should have 4 elements in dimension 1, got {boxes.shape[1]}")
    if scores.dim() != 1:
        raise RuntimeError(f"scores should be a 1d tensor, got {scores.dim()}D")
    if boxes.shape[0] != scores.shape[0]:
        raise RuntimeError("boxes and scores should have same number of elements in dimension 0, got "
                           f"{boxes.shape[0]} and {scores.shape[0]}")
    if boxes.dtype not in (ember.float32, ember.float64):
        raise RuntimeError(f'"nms_kernel" not implemented for \'{SCALAR_NAME[boxes.dtype]}\'')
    if scores.dtype is not boxes.dtype:
        raise RuntimeError("dets should have the same type as scores")


def _greedy_suppression(xp, corners, order, iou_threshold):
    """Positions in ``order`` of the boxes greedy NMS keeps: walk the boxes by descending score, keep
    one, drop every later box whose IoU with it exceeds the threshold (IoU in the boxes' dtype,
    compared in double precision like torchvision's kernel)."""
    x1, y1, x2, y2 = (xp.ascontiguousarray(corners[order, i]) for i in range(4))
    areas = (x2 - x1) * (y2 - y1)
    alive = xp.arange(order.shape[0])
    kept = []
    while alive.shape[0]:
        i = int(alive[0])
        kept.append(i)
        rest = alive[1:]
        w = xp.maximum(xp.minimum(x2[i], x2[rest]) - xp.maximum(x1[i], x1[rest]), 0)
        h = xp.maximum(xp.minimum(y2[i], y2[rest]) - xp.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        iou = inter / (areas[i] + areas[rest] - inter)
        alive = rest[~(iou.astype(xp.float64) > iou_threshold)]
    return order[xp.asarray(kept, dtype=xp.int64)]


def nms(boxes, scores, iou_threshold):
    """Indices (int64) of the boxes kept by non-maximum suppression, by decreasing score: a box is
    dropped when its IoU with a higher-scoring kept box is greater than ``iou_threshold``."""
    _check_nms_inputs(boxes, scores)
    if boxes.shape[0] == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    order = ember.argsort(scores.detach(), descending=True, stable=True)
    xp = boxes._device.xp
    with _quiet(xp):
        keep = _greedy_suppression(xp, boxes.detach()._data, order._data, float(iou_threshold))
    return Tensor._wrap(keep, boxes._device)


class _quiet:
    """NumPy's divide/invalid warnings off (0/0 IoU of empty boxes is NaN: never suppresses)."""

    def __init__(self, xp):
        self.state = xp.errstate(divide="ignore", invalid="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.state is not None:
            self.state.__enter__()

    def __exit__(self, *exc):
        if self.state is not None:
            self.state.__exit__(*exc)


def batched_nms(boxes, scores, idxs, iou_threshold):
    """NMS within each category of ``idxs`` (boxes of different categories never suppress each other).
    Returns int64 indices by decreasing score."""
    limit = 4000 if boxes.device.type == "cpu" else 100_000
    if boxes.numel() > limit:
        return _batched_nms_vanilla(boxes, scores, idxs, iou_threshold)
    return _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold)


def _batched_nms_coordinate_trick(boxes, scores, idxs, iou_threshold):
    """One NMS over all boxes, each category shifted by its own offset so categories cannot overlap."""
    if boxes.numel() == 0:
        return ember.empty((0,), dtype=ember.int64, device=boxes.device)
    max_coordinate = boxes.max()
    offsets = idxs.to(boxes) * (max_coordinate + ember.tensor(1).to(boxes))
    return nms(boxes + offsets[:, None], scores, iou_threshold)


def _batched_nms_vanilla(boxes, scores, idxs, iou_threshold):
    """One NMS per category; the kept indices merged and ordered by decreasing score."""
    keep_mask = ember.zeros_like(scores, dtype=ember.bool)
    for class_id in ember.unique(idxs):
        members = ember.where(idxs == class_id)[0]
        kept = nms(boxes[members], scores[members], iou_threshold)
        keep_mask[members[kept]] = True
    keep = ember.where(keep_mask)[0]
    return keep[scores[keep].sort(descending=True)[1]]


# ---- filtering and clipping --------------------------------------------------------------------------
def remove_small_boxes(boxes, min_size):
    """Indices of the boxes whose width and height are both at least ``min_size``."""
    ws, hs = boxes[..., 2] - boxes[..., 0], boxes[..., 3] - boxes[..., 1]
    return ember.where((ws >= min_size) & (hs >= min_size))[0]


def clip_boxes_to_image(boxes, size):
    """Boxes clamped into an image of ``size = (height, width)``."""
    height, width = size
    xs = boxes[..., 0::2].clamp(min=0, max=width)
    ys = boxes[..., 1::2].clamp(min=0, max=height)
    return ember.stack((xs, ys), dim=boxes.dim()).reshape(boxes.shape)


# ---- formats and areas -------------------------------------------------------------------------------
_CONVERSIONS = {
    ("xywh", "xyxy"): (_box_xywh_to_xyxy,),
    ("cxcywh", "xyxy"): (_box_cxcywh_to_xyxy,),
    ("xyxy", "xywh"): (_box_xyxy_to_xywh,),
    ("xyxy", "cxcywh"): (_box_xyxy_to_cxcywh,),
    ("xywh", "cxcywh"): (_box_xywh_to_xyxy, _box_xyxy_to_cxcywh),
    ("cxcywh", "xywh"): (_box_cxcywh_to_xyxy, _box_xyxy_to_xywh),
    ("cxcywhr", "xywhr"): (_box_cxcywhr_to_xywhr,),
    ("xywhr", "cxcywhr"): (_box_xywhr_to_cxcywhr,),
    ("cxcywhr", "xyxyxyxy"): (_box_cxcywhr_to_xywhr, _box_xywhr_to_xyxyxyxy),
    ("xyxyxyxy", "cxcywhr"): (_box_xyxyxyxy_to_xywhr, _box_xywhr_to_cxcywhr),
    ("xywhr", "xyxyxyxy"): (_box_xywhr_to_xyxyxyxy,),
    ("xyxyxyxy", "xywhr"): (_box_xyxyxyxy_to_xywhr,),
}


def box_convert(boxes, in_fmt, out_fmt):
    """Boxes converted from ``in_fmt`` to ``out_fmt``: 'xyxy', 'xywh', 'cxcywh' (4 numbers) or the
    rotated 'xywhr', 'cxcywhr' (5, angle in degrees counter-clockwise) and 'xyxyxyxy' (8 corners)."""
    allowed = _AXIS_ALIGNED + _ROTATED
    if in_fmt not in allowed or out_fmt not in allowed:
        raise ValueError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt {out_fmt}")
    if in_fmt == out_fmt:
        return boxes.clone()
    steps = _CONVERSIONS.get((in_fmt, out_fmt))
    if steps is None:
        raise NotImplementedError(f"Unsupported Bounding Box Conversions for given in_fmt {in_fmt} and out_fmt "
                                  f"{out_fmt}")
    for step in steps:
        boxes = step(boxes)
    return boxes


def box_area(boxes, fmt="xyxy"):
    """Area of each box (``fmt`` 'xyxy', 'xywh' or 'cxcywh'); narrow dtypes are widened first."""
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Bounding Box area for given format {fmt}")
    boxes = _upcast(boxes)
    if fmt == "xyxy":
        return (boxes[..., 2] - boxes[..., 0]) * (boxes[..., 3] - boxes[..., 1])
    return boxes[..., 2] * boxes[..., 3]


def _corners(boxes, fmt):
    """(top-left, bottom-right) corner pairs ``(..., 2)`` of axis-aligned boxes in ``fmt``."""
    if fmt == "xyxy":
        return boxes[..., :2], boxes[..., 2:]
    if fmt == "xywh":
        return boxes[..., :2], boxes[..., :2] + boxes[..., 2:]
    half = boxes[..., 2:] / 2
    return boxes[..., :2] - half, boxes[..., :2] + half


def _box_inter_union(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersection and union areas, ``(..., N, M)`` each."""
    area1 = box_area(boxes1, fmt=fmt)
    area2 = box_area(boxes2, fmt=fmt)
    if fmt not in _AXIS_ALIGNED:
        raise ValueError(f"Unsupported Box IoU Calculation for given fmt {fmt}.")
    lt1, rb1 = _corners(boxes1[..., None, :], fmt)
    lt2, rb2 = _corners(boxes2[..., None, :, :], fmt)
    wh = _upcast(ember.min(rb1, rb2) - ember.max(lt1, lt2)).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    union = area1[..., None] + area2[..., None, :] - inter
    return inter, union


def box_iou(boxes1, boxes2, fmt="xyxy"):
    """Pairwise intersection-over-union ``(..., N, M)`` of two box sets. Axis-aligned formats:
    'xyxy', 'xywh', 'cxcywh'; rotated formats: 'cxcywhr', 'xywhr', 'xyxyxyxy'."""
    if fmt in _AXIS_ALIGNED:
        inter, union = _box_inter_union(boxes1, boxes2, fmt=fmt)
        return inter / union
    if fmt in _ROTATED:
        from ._rotated import box_iou_rotated
        if fmt != "cxcywhr":
            boxes1 = box_convert(boxes1, in_fmt=fmt, out_fmt="cxcywhr")
            boxes2 = box_convert(boxes2, in_fmt=fmt, out_fmt="cxcywhr")
        return box_iou_rotated(boxes1, boxes2)
    raise ValueError(f"Unsupported format '{fmt}'. Supported axis-aligned formats: {_AXIS_ALIGNED}. "
                     f"Supported rotated formats: {_ROTATED}.")


def _enclosing_wh(boxes1, boxes2):
    """Width and height ``(..., N, M, 2)`` of the smallest box enclosing each pair."""
    lt = ember.min(boxes1[..., None, :2], boxes2[..., None, :, :2])
    rb = ember.max(boxes1[..., None, 2:], boxes2[..., None, :, 2:])
    return _upcast(rb - lt).clamp(min=0)


def generalized_box_iou(boxes1, boxes2):
    """Pairwise generalized IoU: IoU minus the share of the enclosing box that the union leaves empty."""
    inter, union = _box_inter_union(boxes1, boxes2)
    iou = inter / union
    wh = _enclosing_wh(boxes1, boxes2)
    enclosing = wh[..., 0] * wh[..., 1]
    return iou - (enclosing - union) / enclosing


def _box_diou_iou(boxes1, boxes2, eps=1e-7):
    """(distance IoU, IoU): the IoU less the squared centre distance over the enclosing diagonal squared."""
    iou = box_iou(boxes1, boxes2)
    wh = _enclosing_wh(boxes1, boxes2)
    diagonal_sq = (wh[..., 0] ** 2) + (wh[..., 1] ** 2) + eps
    cx1 = (boxes1[..., 0] + boxes1[..., 2]) / 2
    cy1 = (boxes1[..., 1] + boxes1[..., 3]) / 2
    cx2 = (boxes2[..., 0] + boxes2[..., 2]) / 2
    cy2 = (boxes2[..., 1] + boxes2[..., 3]) / 2
    centers_sq = (_upcast(cx1[..., None] - cx2[..., None, :]) ** 2) + (_upcast(cy1[..., None] - cy2[..., None, :]) ** 2)
    return iou - (centers_sq / diagonal_sq), iou


def distance_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise distance IoU (DIoU) of two sets of 'xyxy' boxes."""
    diou, _ = _box_diou_iou(_upcast(boxes1), _upcast(boxes2), eps=eps)
    return diou


def complete_box_iou(boxes1, boxes2, eps=1e-7):
    """Pairwise complete IoU (CIoU): DIoU further penalised by the difference of aspect ratios."""
    boxes1 = _upcast(boxes1)
    boxes2 = _upcast(boxes2)
    diou, iou = _box_diou_iou(boxes1, boxes2, eps)
    w1 = boxes1[..., None, 2] - boxes1[..., None, 0]
    h1 = boxes1[..., None, 3] - boxes1[..., None, 1]
    w2 = boxes2[..., None, :, 2] - boxes2[..., None, :, 0]
    h2 = boxes2[..., None, :, 3] - boxes2[..., None, :, 1]
    v = (4 / (math.pi ** 2)) * ember.pow(ember.atan(w1 / h1) - ember.atan(w2 / h2), 2)
    with ember.no_grad():
        alpha = v / (1 - iou + v + eps)
    return diou - alpha * v


# ---- masks ---------------------------------------------------------------------------------------------
def masks_to_boxes(masks):
    """The tight 'xyxy' box (float32, inclusive pixel coordinates) around each of ``(N, H, W)`` masks;
    empty masks give ``[0, 0, 0, 0]``."""
    if masks.numel() == 0:
        return ember.zeros((0, 4), device=masks.device, dtype=ember.float32)
    _, h, w = masks.shape
    filled = masks.bool()
    rows = ember.any(filled, dim=2).float()
    cols = ember.any(filled, dim=1).float()
    empty = ~ember.any(rows.bool(), dim=1)
    y1 = rows.argmax(dim=1)
    x1 = cols.argmax(dim=1)
    y2 = (h - 1) - rows.flip([1]).argmax(dim=1)
    x2 = (w - 1) - cols.flip([1]).argmax(dim=1)
    boxes = ember.stack([x1, y1, x2, y2], dim=1).float()
    boxes[empty] = 0
    return boxes
