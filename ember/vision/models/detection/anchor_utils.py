"""Anchor boxes for every location of every feature map: AnchorGenerator (the R-CNNs, RetinaNet,
FCOS) and SSD's DefaultBoxGenerator."""
import math

import ember
from .... import nn
from ._utils import _assert

__all__ = ["AnchorGenerator", "DefaultBoxGenerator"]


class AnchorGenerator(nn.Module):
    """Anchors of ``sizes[i] x aspect_ratios[i]`` (aspect ratio = height / width) centred on every cell
    of feature map ``i``. ``forward(image_list, feature_maps)`` returns one ``(sum_i H_i W_i A_i, 4)``
    tensor of ``(x1, y1, x2, y2)`` per image: level by level, row-major cells, anchors innermost."""

    def __init__(self, sizes=((128, 256, 512),), aspect_ratios=((0.5, 1.0, 2.0),)):
        super().__init__()
        if not isinstance(sizes[0], (list, tuple)):
            sizes = tuple((s,) for s in sizes)
        if not isinstance(aspect_ratios[0], (list, tuple)):
            aspect_ratios = (aspect_ratios,) * len(sizes)
        self.sizes = sizes
        self.aspect_ratios = aspect_ratios
        self.cell_anchors = [self.generate_anchors(s, a) for s, a in zip(sizes, aspect_ratios)]

    def generate_anchors(self, scales, aspect_ratios, dtype=ember.float32, device=ember.device("cpu")):
        """Zero-centred anchors, one per (aspect ratio, scale) pair, rounded to integers."""
        scales = ember.as_tensor(scales, dtype=dtype, device=device)
        aspect_ratios = ember.as_tensor(aspect_ratios, dtype=dtype, device=device)
        h_ratios = ember.sqrt(aspect_ratios)
        w_ratios = 1 / h_ratios
        ws = (w_ratios[:, None] * scales[None, :]).view(-1)
        hs = (h_ratios[:, None] * scales[None, :]).view(-1)
        return (ember.stack([-ws, -hs, ws, hs], dim=1) / 2).round()

    def set_cell_anchors(self, dtype, device):
        self.cell_anchors = [a.to(dtype=dtype, device=device) for a in self.cell_anchors]

    def num_anchors_per_location(self):
        return [len(s) * len(a) for s, a in zip(self.sizes, self.aspect_ratios)]

    def grid_anchors(self, grid_sizes, strides):
        """Every cell anchor shifted to every cell centre offset of its feature map."""
        _assert(len(grid_sizes) == len(strides) == len(self.cell_anchors),
                "Anchors should be Tuple[Tuple[int]] because each feature map could potentially have different "
                "sizes and aspect ratios. There needs to be a match between the number of feature maps passed and "
                "the number of sizes / aspect ratios specified.")
        anchors = []
        for (grid_h, grid_w), (stride_h, stride_w), base in zip(grid_sizes, strides, self.cell_anchors):
            device = base.device
            shifts_x = ember.arange(0, grid_w, dtype=ember.int32, device=device) * stride_w
            shifts_y = ember.arange(0, grid_h, dtype=ember.int32, device=device) * stride_h
            shift_y, shift_x = ember.meshgrid(shifts_y, shifts_x, indexing="ij")
            shift_x, shift_y = shift_x.reshape(-1), shift_y.reshape(-1)
            shifts = ember.stack((shift_x, shift_y, shift_x, shift_y), dim=1)
            anchors.append((shifts.view(-1, 1, 4) + base.view(1, -1, 4)).reshape(-1, 4))
        return anchors

    def forward(self, image_list, feature_maps):
        grid_sizes = [f.shape[-2:] for f in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        strides = [[ember.tensor(image_size[0] // g[0], dtype=ember.int64, device=device),
                    ember.tensor(image_size[1] // g[1], dtype=ember.int64, device=device)] for g in grid_sizes]
        self.set_cell_anchors(dtype, device)
        per_level = self.grid_anchors(grid_sizes, strides)
        return [ember.cat(per_level) for _ in image_list.image_sizes]


class DefaultBoxGenerator(nn.Module):
    """SSD's default boxes. Feature map ``k`` gets, at every cell centre, two squares (sides
    ``s_k`` and ``sqrt(s_k * s_{k+1})``) and a pair of boxes ``(s_k sqrt(r), s_k / sqrt(r))`` and
    its transpose for every ``r`` in ``aspect_ratios[k]``; sizes are fractions of the image.

    ``scales`` (one per map plus one) default to evenly spaced values from ``min_ratio`` to
    ``max_ratio`` followed by 1.0. ``steps`` (pixels per cell of each map) place the cell centres;
    without them the grid of the map itself is used. ``clip`` clamps the widths/heights to
    ``[0, 1]``. ``forward(image_list, feature_maps)`` returns one ``(sum_k H_k W_k A_k, 4)`` tensor
    of ``(x1, y1, x2, y2)`` pixel boxes per image."""

    def __init__(self, aspect_ratios, min_ratio=0.15, max_ratio=0.9, scales=None, steps=None, clip=True):
        super().__init__()
        if steps is not None and len(aspect_ratios) != len(steps):
            raise ValueError("aspect_ratios and steps should have the same length")
        self.aspect_ratios = aspect_ratios
        self.steps = steps
        self.clip = clip
        num_outputs = len(aspect_ratios)
        if scales is not None:
            self.scales = scales
        elif num_outputs > 1:
            span = max_ratio - min_ratio
            self.scales = [min_ratio + span * k / (num_outputs - 1.0) for k in range(num_outputs)] + [1.0]
        else:
            self.scales = [min_ratio, max_ratio]
        self._wh_pairs = self._generate_wh_pairs(num_outputs)

    def _generate_wh_pairs(self, num_outputs, dtype=ember.float32, device=ember.device("cpu")):
        """The ``(w, h)`` of every default box of each map, as fractions of the image."""
        pairs = []
        for k in range(num_outputs):
            s_k = self.scales[k]
            s_between = math.sqrt(self.scales[k] * self.scales[k + 1])
            wh = [[s_k, s_k], [s_between, s_between]]
            for ratio in self.aspect_ratios[k]:
                root = math.sqrt(ratio)
                wh += [[s_k * root, s_k / root], [s_k / root, s_k * root]]
            pairs.append(ember.as_tensor(wh, dtype=dtype, device=device))
        return pairs

    def num_anchors_per_location(self):
        return [2 + 2 * len(r) for r in self.aspect_ratios]

    def _grid_default_boxes(self, grid_sizes, image_size, dtype=ember.float32):
        """``(cx, cy, w, h)`` of all default boxes, relative to the image, map by map, cells
        row-major and boxes innermost."""
        boxes = []
        for k, (rows, cols) in enumerate(grid_sizes):
            if self.steps is not None:
                cells_x, cells_y = image_size[1] / self.steps[k], image_size[0] / self.steps[k]
            else:
                cells_y, cells_x = rows, cols
            centres_x = ((ember.arange(0, cols) + 0.5) / cells_x).to(dtype=dtype)
            centres_y = ((ember.arange(0, rows) + 0.5) / cells_y).to(dtype=dtype)
            grid_y, grid_x = ember.meshgrid(centres_y, centres_x, indexing="ij")
            num_boxes = len(self._wh_pairs[k])
            centres = ember.stack((grid_x.reshape(-1), grid_y.reshape(-1)) * num_boxes, dim=-1).reshape(-1, 2)
            wh = self._wh_pairs[k].clamp(min=0, max=1) if self.clip else self._wh_pairs[k]
            boxes.append(ember.cat((centres, wh.repeat(rows * cols, 1)), dim=1))
        return ember.cat(boxes, dim=0)

    def __repr__(self):
        return (f"{self.__class__.__name__}(aspect_ratios={self.aspect_ratios}, clip={self.clip}, "
                f"scales={self.scales}, steps={self.steps})")

    def forward(self, image_list, feature_maps):
        grid_sizes = [tuple(f.shape[-2:]) for f in feature_maps]
        image_size = image_list.tensors.shape[-2:]
        dtype, device = feature_maps[0].dtype, feature_maps[0].device
        relative = self._grid_default_boxes(grid_sizes, image_size, dtype=dtype).to(device)
        image_wh = ember.tensor([image_size[1], image_size[0]], device=device)
        centres, half_wh = relative[:, :2], 0.5 * relative[:, 2:]
        return [ember.cat([(centres - half_wh) * image_wh, (centres + half_wh) * image_wh], -1)
                for _ in image_list.image_sizes]
