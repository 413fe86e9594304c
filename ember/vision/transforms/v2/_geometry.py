"""Geometric v2 transforms: flips, Resize, crops, Pad, RandomZoomOut, RandomIoUCrop."""
import math
import sys
import warnings
from collections.abc import Sequence

from PIL import Image as _PILImage

from ... import tv_tensors
from ...tv_tensors._tv_tensor import _plain
from .. import transforms as _v1
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import (_check_padding_arg, _check_padding_mode_arg, _check_sequence_input, _get_fill, _setup_fill_arg,
                     _setup_size, get_bounding_boxes, has_all, has_any, is_pure_tensor, query_size)
from .functional._geometry import _parse_pad_padding

_SIZE_ERROR = "Please provide only two dimensions (h, w) for size."


def _ember():
    """The ember package, whose random functions draw the parameters (torchvision's torch.* calls)."""
    return sys.modules[__name__.split(".")[0]]


class RandomHorizontalFlip(_RandomApplyTransform):
    """Flip the whole sample left-right with probability p."""

    _v1_transform_cls = _v1.RandomHorizontalFlip

    def transform(self, inpt, params):
        return self._call_kernel(F.horizontal_flip, inpt)


class RandomVerticalFlip(_RandomApplyTransform):
    """Flip the whole sample upside down with probability p."""

    _v1_transform_cls = _v1.RandomVerticalFlip

    def transform(self, inpt, params):
        return self._call_kernel(F.vertical_flip, inpt)


class Resize(Transform):
    """Resize to `size` (h, w), or the smaller edge to an int size; boxes and masks follow."""

    _v1_transform_cls = _v1.Resize

    def __init__(self, size, interpolation="bilinear", max_size=None, antialias=True):
        super().__init__()
        if isinstance(size, int):
            size = [size]
        elif isinstance(size, Sequence) and len(size) in {1, 2}:
            size = list(size)
        elif size is None:
            if not isinstance(max_size, int):
                raise ValueError(f"max_size must be an integer when size is None, but got {max_size} instead.")
        else:
            raise ValueError(f"size can be an integer, a sequence of one or two integers, or None, but got {size} "
                             f"instead.")
        self.size = size
        self.interpolation = interpolation
        self.max_size = max_size
        self.antialias = antialias

    def transform(self, inpt, params):
        return self._call_kernel(F.resize, inpt, self.size, interpolation=self.interpolation,
                                 max_size=self.max_size, antialias=self.antialias)


class CenterCrop(Transform):
    """Crop the centre `size` window."""

    _v1_transform_cls = _v1.CenterCrop

    def __init__(self, size):
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)

    def transform(self, inpt, params):
        return self._call_kernel(F.center_crop, inpt, output_size=self.size)


class RandomResizedCrop(Transform):
    """Crop a window of random area (scale) and aspect ratio (ratio), then resize it to `size`."""

    _v1_transform_cls = _v1.RandomResizedCrop

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0), interpolation="bilinear",
                 antialias=True):
        super().__init__()
        ember = _ember()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)
        if not isinstance(scale, Sequence) or len(scale) != 2:
            raise TypeError("Scale should be a sequence of two floats.")
        if not isinstance(ratio, Sequence) or len(ratio) != 2:
            raise TypeError("Ratio should be a sequence of two floats.")
        if (scale[0] > scale[1]) or (ratio[0] > ratio[1]):
            warnings.warn("Scale and ratio should be of kind (min, max)")
        self.scale = scale
        self.ratio = ratio
        self.interpolation = interpolation
        self.antialias = antialias
        self._log_ratio = ember.log(ember.tensor(self.ratio))

    def make_params(self, flat_inputs):
        ember = _ember()
        height, width = query_size(flat_inputs)
        area = height * width
        for _ in range(10):
            target_area = area * ember.empty(1).uniform_(self.scale[0], self.scale[1]).item()
            aspect_ratio = ember.exp(ember.empty(1).uniform_(self._log_ratio[0], self._log_ratio[1])).item()
            w = int(round(math.sqrt(target_area * aspect_ratio)))
            h = int(round(math.sqrt(target_area / aspect_ratio)))
            if 0 < w <= width and 0 < h <= height:
                i = ember.randint(0, height - h + 1, size=(1,)).item()
                j = ember.randint(0, width - w + 1, size=(1,)).item()
                return dict(top=i, left=j, height=h, width=w)
        in_ratio = float(width) / float(height)   # no luck: fall back to a central crop within the ratio range
        if in_ratio < min(self.ratio):
            w, h = width, int(round(width / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            h, w = height, int(round(height * max(self.ratio)))
        else:
            w, h = width, height
        return dict(top=(height - h) // 2, left=(width - w) // 2, height=h, width=w)

    def transform(self, inpt, params):
        return self._call_kernel(F.resized_crop, inpt, **params, size=self.size, interpolation=self.interpolation,
                                 antialias=self.antialias)


class Pad(Transform):
    """Pad the borders by `padding` with `fill` (a value or a per-type dict) in `padding_mode`."""

    _v1_transform_cls = _v1.Pad

    def __init__(self, padding, fill=0, padding_mode="constant"):
        super().__init__()
        _check_padding_arg(padding)
        _check_padding_mode_arg(padding_mode)
        self.padding = padding if isinstance(padding, int) else list(padding)
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode

    def transform(self, inpt, params):
        fill = _get_fill(self._fill, type(inpt))
        return self._call_kernel(F.pad, inpt, padding=self.padding, fill=fill, padding_mode=self.padding_mode)


class RandomZoomOut(_RandomApplyTransform):
    """Place the sample at a random spot of a canvas up to side_range times larger (probability p)."""

    def __init__(self, fill=0, side_range=(1.0, 4.0), p=0.5):
        super().__init__(p=p)
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        _check_sequence_input(side_range, "side_range", req_sizes=(2,))
        self.side_range = side_range
        if side_range[0] < 1.0 or side_range[0] > side_range[1]:
            raise ValueError(f"Invalid side range provided {side_range}.")

    def make_params(self, flat_inputs):
        ember = _ember()
        orig_h, orig_w = query_size(flat_inputs)
        r = self.side_range[0] + ember.rand(1) * (self.side_range[1] - self.side_range[0])
        canvas_width, canvas_height = int(orig_w * r), int(orig_h * r)
        r = ember.rand(2)
        left = int((canvas_width - orig_w) * r[0])
        top = int((canvas_height - orig_h) * r[1])
        return dict(padding=[left, top, canvas_width - (left + orig_w), canvas_height - (top + orig_h)])

    def transform(self, inpt, params):
        return self._call_kernel(F.pad, inpt, **params, fill=_get_fill(self._fill, type(inpt)))


class RandomCrop(Transform):
    """Crop a random `size` window, after optional padding (and padding up to `size` if pad_if_needed)."""

    _v1_transform_cls = _v1.RandomCrop

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        super().__init__()
        self.size = _setup_size(size, error_msg=_SIZE_ERROR)
        if pad_if_needed or padding is not None:
            if padding is not None:
                _check_padding_arg(padding)
            _check_padding_mode_arg(padding_mode)
        self.padding = _parse_pad_padding(padding) if padding else None
        self.pad_if_needed = pad_if_needed
        self.fill = fill
        self._fill = _setup_fill_arg(fill)
        self.padding_mode = padding_mode

    def make_params(self, flat_inputs):
        ember = _ember()
        padded_h, padded_w = query_size(flat_inputs)
        if self.padding is not None:
            pad_left, pad_right, pad_top, pad_bottom = self.padding
            padded_h += pad_top + pad_bottom
            padded_w += pad_left + pad_right
        else:
            pad_left = pad_right = pad_top = pad_bottom = 0
        crop_h, crop_w = self.size
        if self.pad_if_needed:
            if padded_h < crop_h:
                diff = crop_h - padded_h
                pad_top, pad_bottom, padded_h = pad_top + diff, pad_bottom + diff, padded_h + 2 * diff
            if padded_w < crop_w:
                diff = crop_w - padded_w
                pad_left, pad_right, padded_w = pad_left + diff, pad_right + diff, padded_w + 2 * diff
        if padded_h < crop_h or padded_w < crop_w:
            raise ValueError(f"Required crop size {(crop_h, crop_w)} is larger than "
                             f"{'padded ' if self.padding is not None else ''}input image size {(padded_h, padded_w)}.")
        padding = [pad_left, pad_top, pad_right, pad_bottom]
        top = int(ember.randint(0, padded_h - crop_h + 1, size=())) if padded_h > crop_h else 0
        left = int(ember.randint(0, padded_w - crop_w + 1, size=())) if padded_w > crop_w else 0
        return dict(needs_crop=padded_h > crop_h or padded_w > crop_w, top=top, left=left, height=crop_h,
                    width=crop_w, needs_pad=any(padding), padding=padding)

    def transform(self, inpt, params):
        if params["needs_pad"]:
            inpt = self._call_kernel(F.pad, inpt, padding=params["padding"], fill=_get_fill(self._fill, type(inpt)),
                                     padding_mode=self.padding_mode)
        if params["needs_crop"]:
            inpt = self._call_kernel(F.crop, inpt, top=params["top"], left=params["left"], height=params["height"],
                                     width=params["width"])
        return inpt


class RandomIoUCrop(Transform):
    """SSD's random crop: a crop whose IoU with some box reaches a randomly chosen threshold."""

    def __init__(self, min_scale=0.3, max_scale=1.0, min_aspect_ratio=0.5, max_aspect_ratio=2.0,
                 sampler_options=None, trials=40):
        super().__init__()
        self.min_scale = min_scale
        self.max_scale = max_scale
        self.min_aspect_ratio = min_aspect_ratio
        self.max_aspect_ratio = max_aspect_ratio
        self.options = [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0] if sampler_options is None else sampler_options
        self.trials = trials

    def check_inputs(self, flat_inputs):
        if not (has_all(flat_inputs, tv_tensors.BoundingBoxes)
                and has_any(flat_inputs, _PILImage.Image, tv_tensors.Image, is_pure_tensor)):
            raise TypeError(f"{type(self).__name__}() requires input sample to contain tensor or PIL images "
                            "and bounding boxes. Sample can also contain masks.")

    def _try_crop(self, ember, boxes, orig_h, orig_w, min_iou):
        from ...ops import box_iou
        r = self.min_scale + (self.max_scale - self.min_scale) * ember.rand(2)
        new_w, new_h = int(orig_w * r[0]), int(orig_h * r[1])
        if not (self.min_aspect_ratio <= new_w / new_h <= self.max_aspect_ratio):
            return None
        r = ember.rand(2)
        left, top = int((orig_w - new_w) * r[0]), int((orig_h - new_h) * r[1])
        right, bottom = left + new_w, top + new_h
        if left == right or top == bottom:
            return None
        xyxy = F.convert_bounding_box_format(_plain(boxes), boxes.format, tv_tensors.BoundingBoxFormat.XYXY)
        cx, cy = 0.5 * (xyxy[..., 0] + xyxy[..., 2]), 0.5 * (xyxy[..., 1] + xyxy[..., 3])
        inside = (left < cx) & (cx < right) & (top < cy) & (cy < bottom)
        if not inside.any():
            return None
        crop_box = ember.tensor([[left, top, right, bottom]], dtype=xyxy.dtype, device=xyxy.device)
        if box_iou(xyxy[inside], crop_box).max() < min_iou:
            return None
        return dict(top=top, left=left, height=new_h, width=new_w, is_within_crop_area=inside)

    def make_params(self, flat_inputs):
        ember = _ember()
        orig_h, orig_w = query_size(flat_inputs)
        boxes = get_bounding_boxes(flat_inputs)
        while True:
            min_iou = self.options[int(ember.randint(low=0, high=len(self.options), size=(1,)))]
            if min_iou >= 1.0:   # the "leave the sample as it is" option
                return dict()
            for _ in range(self.trials):
                params = self._try_crop(ember, boxes, orig_h, orig_w, min_iou)
                if params is not None:
                    return params

    def transform(self, inpt, params):
        if len(params) < 1:
            return inpt
        output = self._call_kernel(F.crop, inpt, top=params["top"], left=params["left"], height=params["height"],
                                   width=params["width"])
        if isinstance(output, tv_tensors.BoundingBoxes):
            output[~params["is_within_crop_area"]] = 0   # degenerate now; SanitizeBoundingBoxes removes them
        return output
