"""IoU of rotated boxes (``cxcywhr``, angle in degrees), pairwise and vectorised over the pairs.

The intersection of two rectangles is a convex polygon whose corners are among the 16 edge-edge
crossings and the 8 corners of one box lying inside the other (found with torchvision's tolerance,
1e-5); ordering those points by angle around their mean and applying the shoelace formula gives
its area. Coordinates are shifted to each pair's mid-point and computed in float64. Like
torchvision's, this op has no gradient."""
import math

from ..._tensor import Tensor

_EPS = 1e-5
_PAIRS_PER_CHUNK = 1 << 15


def _vertices(xp, boxes):
    """(..., 4, 2) corners of ``(..., 5)`` cxcywhr boxes, in torchvision's order."""
    cx, cy, w, h, a = (boxes[..., i] for i in range(5))
    theta = a * (math.pi / 180.0)
    c, s = xp.cos(theta) * 0.5, xp.sin(theta) * 0.5
    p0 = xp.stack([cx + s * h + c * w, cy + c * h - s * w], -1)
    p1 = xp.stack([cx - s * h + c * w, cy - c * h - s * w], -1)
    centre = xp.stack([cx, cy], -1)
    return xp.stack([p0, p1, 2 * centre - p0, 2 * centre - p1], -2)


def _cross(a, b):
    return a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]


def _inside(xp, points, rect):
    """Which of ``points`` (P, n, 2) lie in the rectangles ``rect`` (P, 4, 2), within the tolerance."""
    ab = rect[:, 1] - rect[:, 0]
    ad = rect[:, 3] - rect[:, 0]
    ap = points - rect[:, None, 0]
    along_ab = (ap * ab[:, None]).sum(-1)
    along_ad = (ap * ad[:, None]).sum(-1)
    ab2, ad2 = (ab * ab).sum(-1)[:, None], (ad * ad).sum(-1)[:, None]
    return (along_ab > -_EPS) & (along_ad > -_EPS) & (along_ab < ab2 + _EPS) & (along_ad < ad2 + _EPS)


def _intersection_area(xp, pts1, pts2):
    """Areas of the intersections of rectangle pairs ``pts1``, ``pts2`` (P, 4, 2)."""
    p = pts1.shape[0]
    edges1 = xp.roll(pts1, -1, axis=1) - pts1
    edges2 = xp.roll(pts2, -1, axis=1) - pts2
    e1, e2 = edges1[:, :, None], edges2[:, None, :]                      # (P, 4, 1, 2), (P, 1, 4, 2)
    det = _cross(e2, e1)
    gap = pts2[:, None, :] - pts1[:, :, None]
    safe = xp.where(xp.abs(det) > 1e-14, det, 1.0)
    t1, t2 = _cross(e2, gap) / safe, _cross(e1, gap) / safe
    crossing = (xp.abs(det) > 1e-14) & (t1 > -_EPS) & (t1 < 1 + _EPS) & (t2 > -_EPS) & (t2 < 1 + _EPS)
    hits = (pts1[:, :, None] + e1 * t1[..., None]).reshape(p, 16, 2)
    points = xp.concatenate([hits, pts1, pts2], axis=1)                  # (P, 24, 2)
    valid = xp.concatenate([crossing.reshape(p, 16), _inside(xp, pts1, pts2), _inside(xp, pts2, pts1)], axis=1)
    count = valid.sum(1)
    centre = (points * valid[..., None]).sum(1) / xp.maximum(count, 1)[:, None]
    rel = points - centre[:, None]
    angle = xp.where(valid, xp.arctan2(rel[..., 1], rel[..., 0]), 10.0)
    order = xp.argsort(angle, axis=1)
    rel = xp.take_along_axis(rel, order[..., None], axis=1)
    last = xp.take_along_axis(rel, xp.maximum(count - 1, 0)[:, None, None], axis=1)
    rel = xp.where((xp.arange(24)[None, :] < count[:, None])[..., None], rel, last)
    area = xp.abs(_cross(rel, xp.roll(rel, -1, axis=1)).sum(1)) / 2
    return xp.where(count > 2, area, 0.0)


def box_iou_rotated(boxes1, boxes2):
    """Pairwise IoU (N, M) of rotated boxes in cxcywhr format."""
    xp = boxes1._device.xp
    a = boxes1.detach()._data.astype(xp.float64)
    b = boxes2.detach()._data.astype(xp.float64)
    n, m = a.shape[0], b.shape[0]
    out = xp.zeros((n, m), dtype=xp.float64)
    rows = max(1, _PAIRS_PER_CHUNK // max(m, 1))
    for s in range(0, n, rows):
        ca = xp.broadcast_to(a[s:s + rows, None], (min(rows, n - s), m, 5)).reshape(-1, 5).copy()
        cb = xp.broadcast_to(b[None], (min(rows, n - s), m, 5)).reshape(-1, 5).copy()
        mid = (ca[:, :2] + cb[:, :2]) / 2                                # shift the pair to its mid-point
        ca[:, :2] -= mid
        cb[:, :2] -= mid
        area1, area2 = ca[:, 2] * ca[:, 3], cb[:, 2] * cb[:, 3]
        inter = _intersection_area(xp, _vertices(xp, ca), _vertices(xp, cb))
        union = area1 + area2 - inter
        iou = xp.where(union > 1e-14, inter / xp.where(union > 1e-14, union, 1.0), 0.0)
        iou = xp.where((area1 < 1e-14) | (area2 < 1e-14), 0.0, xp.clip(iou, 0.0, 1.0))
        out[s:s + rows] = iou.reshape(-1, m)
    dtype = boxes1._data.dtype if boxes1.is_floating_point() else xp.float32
    return Tensor._wrap(out.astype(dtype), boxes1._device)
