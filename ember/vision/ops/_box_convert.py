"""One step of box-format conversion each (box_convert chains them). Rotated formats carry an angle
``r`` in degrees, counter-clockwise; integer rotated boxes are rounded back to their dtype."""
import math

import ember


def _box_cxcywh_to_xyxy(boxes):
    cx, cy, w, h = boxes.unbind(-1)
    return ember.stack((cx - 0.5 * w, cy - 0.5 * h, cx + 0.5 * w, cy + 0.5 * h), dim=-1)


def _box_xyxy_to_cxcywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack(((x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1), dim=-1)


def _box_xywh_to_xyxy(boxes):
    x, y, w, h = boxes.unbind(-1)
    return ember.stack([x, y, x + w, y + h], dim=-1)


def _box_xyxy_to_xywh(boxes):
    x1, y1, x2, y2 = boxes.unbind(-1)
    return ember.stack((x1, y1, x2 - x1, y2 - y1), dim=-1)


def _rotated(fn):
    """Run a rotated-box conversion in floating point and round integer boxes back to their dtype."""
    def convert(boxes):
        dtype = boxes.dtype
        out = fn(boxes)
        if not boxes.is_floating_point():
            out = out.round_().to(dtype)
        return out
    convert.__name__ = fn.__name__
    convert.__doc__ = fn.__doc__
    return convert


def _cos_sin(r):
    rad = r * math.pi / 180.0
    return ember.cos(rad), ember.sin(rad)


@_rotated
def _box_cxcywhr_to_xywhr(boxes):
    """Centre -> the corner that was top-left before the rotation."""
    cx, cy, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    return ember.stack((cx - w / 2 * cos - h / 2 * sin, cy - h / 2 * cos + w / 2 * sin, w, h, r), dim=-1)


@_rotated
def _box_xywhr_to_cxcywhr(boxes):
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    return ember.stack([x1 + w / 2 * cos + h / 2 * sin, y1 - w / 2 * sin + h / 2 * cos, w, h, r], dim=-1)


@_rotated
def _box_xywhr_to_xyxyxyxy(boxes):
    """Corner, size and angle -> the four corners, going round from the first."""
    x1, y1, w, h, r = boxes.unbind(-1)
    cos, sin = _cos_sin(r)
    x2, y2 = x1 + w * cos, y1 - w * sin
    x3, y3 = x2 + h * sin, y2 + h * cos
    x4, y4 = x1 + h * sin, y1 + h * cos
    return ember.stack((x1, y1, x2, y2, x3, y3, x4, y4), dim=-1)


@_rotated
def _box_xyxyxyxy_to_xywhr(boxes):
    x1, y1, x2, y2, x3, y3, x4, y4 = boxes.unbind(-1)
    r = ember.atan2(y1 - y2, x2 - x1) * 180 / math.pi
    w = ((x2 - x1) ** 2 + (y1 - y2) ** 2).sqrt()
    h = ((x3 - x2) ** 2 + (y3 - y2) ** 2).sqrt()
    return ember.stack((x1, y1, w, h, r), dim=-1)
