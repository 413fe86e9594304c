"""Sizes of images/videos/masks/boxes, and bounding-box format conversion and clamping."""
from PIL import Image as _PILImage

from ....._tensor import Tensor
from .... import tv_tensors
from ....tv_tensors import BoundingBoxFormat
from ....tv_tensors._tv_tensor import _plain
from ... import _functional_pil as _FP
from ._utils import _dispatch, _register_kernel_internal, is_pure_tensor

_XYXY, _XYWH, _CXCYWH = BoundingBoxFormat.XYXY, BoundingBoxFormat.XYWH, BoundingBoxFormat.CXCYWH


# ---- sizes -------------------------------------------------------------------------------------------
def get_dimensions(inpt):
    """[channels, height, width] of an image or video."""
    return _dispatch(get_dimensions, inpt)


def get_dimensions_image(image):
    chw = list(image.shape[-3:])
    if len(chw) == 3:
        return chw
    if len(chw) == 2:
        return [1] + chw
    raise TypeError(f"Input tensor should have at least two dimensions, but got {len(chw)}")


get_dimensions_video = get_dimensions_image


def get_num_channels(inpt):
    return _dispatch(get_num_channels, inpt)


def get_num_channels_image(image):
    return get_dimensions_image(image)[0]


get_num_channels_video = get_num_channels_image
get_image_num_channels = get_num_channels


def get_size(inpt):
    """[height, width] of an image, video, mask, or the canvas of bounding boxes."""
    return _dispatch(get_size, inpt)


def get_size_image(image):
    hw = list(image.shape[-2:])
    if len(hw) != 2:
        raise TypeError(f"Input tensor should have at least two dimensions, but got {len(hw)}")
    return hw


get_size_video = get_size_mask = get_size_image


def _get_size_image_pil(image):
    width, height = _FP.get_image_size(image)
    return [height, width]


def get_size_bounding_boxes(bounding_box):
    return list(bounding_box.canvas_size)


def get_num_frames(inpt):
    return _dispatch(get_num_frames, inpt)


def get_num_frames_video(video):
    return video.shape[-4]


for _types, _kernel in [((Tensor, tv_tensors.Image, tv_tensors.Video), get_dimensions_image),
                        ((_PILImage.Image,), _FP.get_dimensions)]:
    for _t in _types:
        _register_kernel_internal(get_dimensions, _t, tv_tensor_wrapper=False)(_kernel)
for _types, _kernel in [((Tensor, tv_tensors.Image, tv_tensors.Video), get_num_channels_image),
                        ((_PILImage.Image,), _FP.get_image_num_channels)]:
    for _t in _types:
        _register_kernel_internal(get_num_channels, _t, tv_tensor_wrapper=False)(_kernel)
for _types, _kernel in [((Tensor, tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask), get_size_image),
                        ((_PILImage.Image,), _get_size_image_pil),
                        ((tv_tensors.BoundingBoxes,), get_size_bounding_boxes)]:
    for _t in _types:
        _register_kernel_internal(get_size, _t, tv_tensor_wrapper=False)(_kernel)
for _t in (Tensor, tv_tensors.Video):
    _register_kernel_internal(get_num_frames, _t, tv_tensor_wrapper=False)(get_num_frames_video)


# ---- box formats -------------------------------------------------------------------------------------
def _xywh_to_xyxy(boxes, inplace):
    out = boxes if inplace else boxes.clone()
    out[..., 2:] += out[..., :2]
    return out


def _xyxy_to_xywh(boxes, inplace):
    out = boxes if inplace else boxes.clone()
    out[..., 2:] -= out[..., :2]
    return out


def _xywh_to_cxcywh(boxes, inplace):
    out = boxes if inplace else boxes.clone()
    out[..., :2] += out[..., 2:].div(2, rounding_mode=None if out.is_floating_point() else "floor")
    return out


def _centre_to_corner(boxes, inplace):
    """(cx, cy, w, h) -> (x1, y1, w, h) computed in floating point; integer boxes are converted back at the end."""
    work = boxes.float() if not boxes.is_floating_point() else (boxes if inplace else boxes.clone())
    work[..., :2] -= work[..., 2:] / 2
    return work


def _cxcywh_to_xywh(boxes, inplace):
    work = _centre_to_corner(boxes, inplace)
    if boxes.is_floating_point():
        return work
    # integer boxes: truncate both corners, then take the size from them (as going through XYXY would)
    corner2 = (work[..., :2] + work[..., 2:]).to(boxes.dtype)
    out = work.to(boxes.dtype)
    out[..., 2:] = corner2 - out[..., :2]
    return _write_back(boxes, out, inplace)


def _cxcywh_to_xyxy(boxes, inplace):
    work = _centre_to_corner(boxes, inplace)
    work[..., 2:] += work[..., :2]
    if boxes.is_floating_point():
        return work
    return _write_back(boxes, work.to(boxes.dtype), inplace)


def _write_back(boxes, out, inplace):
    if inplace:
        boxes[:] = out
        return boxes
    return out


def _xyxy_to_cxcywh(boxes, inplace):
    out = boxes if inplace else boxes.clone()
    out[..., 2:] -= out[..., :2]
    centre2 = out[..., :2] * 2 + out[..., 2:]
    out[..., :2] = centre2.div(2, rounding_mode=None if out.is_floating_point() else "floor")
    return out


_TO_XYXY = {_XYWH: _xywh_to_xyxy, _CXCYWH: _cxcywh_to_xyxy}
_FROM_XYXY = {_XYWH: _xyxy_to_xywh, _CXCYWH: _xyxy_to_cxcywh}


def _convert_bounding_box_format(bounding_boxes, old_format, new_format, inplace=False):
    if new_format == old_format:
        return bounding_boxes
    if tv_tensors.is_rotated_bounding_format(old_format) ^ tv_tensors.is_rotated_bounding_format(new_format):
        raise ValueError("Cannot convert between rotated and unrotated bounding boxes.")
    if tv_tensors.is_rotated_bounding_format(old_format):
        raise NotImplementedError("ember.vision.transforms.v2 does not support rotated bounding boxes yet")
    if (old_format, new_format) == (_XYWH, _CXCYWH):
        return _xywh_to_cxcywh(bounding_boxes, inplace)
    if (old_format, new_format) == (_CXCYWH, _XYWH):
        return _cxcywh_to_xywh(bounding_boxes, inplace)
    if old_format != _XYXY:
        bounding_boxes = _TO_XYXY[old_format](bounding_boxes, inplace)
    if new_format != _XYXY:
        bounding_boxes = _FROM_XYXY[new_format](bounding_boxes, inplace)
    return bounding_boxes


def _parse_format(format):
    return BoundingBoxFormat[format.upper()] if isinstance(format, str) else format


def convert_bounding_box_format(inpt, old_format=None, new_format=None, inplace=False):
    """Convert boxes between XYXY, XYWH and CXCYWH; `old_format` is given only for plain tensors."""
    if new_format is None:
        raise TypeError("convert_bounding_box_format() missing 1 required argument: 'new_format'")
    old_format, new_format = _parse_format(old_format), _parse_format(new_format)
    if is_pure_tensor(inpt):
        if old_format is None:
            raise ValueError("For pure tensor inputs, `old_format` has to be passed.")
        return _convert_bounding_box_format(inpt, old_format=old_format, new_format=new_format, inplace=inplace)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if old_format is not None:
            raise ValueError("For bounding box tv_tensor inputs, `old_format` must not be passed.")
        out = _convert_bounding_box_format(_plain(inpt), old_format=inpt.format, new_format=new_format,
                                           inplace=inplace)
        return tv_tensors.wrap(out, like=inpt, format=new_format)
    raise TypeError(f"Input can either be a plain tensor or a bounding box tv_tensor, but got {type(inpt)} instead.")


# ---- clamping ----------------------------------------------------------------------------------------
def _clamp_bounding_boxes(bounding_boxes, format, canvas_size, clamping_mode):
    if clamping_mode is None:
        return bounding_boxes.clone()
    if tv_tensors.is_rotated_bounding_format(format):
        raise NotImplementedError("ember.vision.transforms.v2 does not support rotated bounding boxes yet")
    in_dtype = bounding_boxes.dtype
    work = bounding_boxes.clone() if bounding_boxes.is_floating_point() else bounding_boxes.float()
    xyxy = _convert_bounding_box_format(work, old_format=format, new_format=_XYXY, inplace=True)
    xyxy[..., 0::2] = xyxy[..., 0::2].clamp(min=0, max=canvas_size[1])   # "hard" and "soft" agree for upright boxes
    xyxy[..., 1::2] = xyxy[..., 1::2].clamp(min=0, max=canvas_size[0])
    return _convert_bounding_box_format(xyxy, old_format=_XYXY, new_format=format, inplace=True).to(in_dtype)


def clamp_bounding_boxes(inpt, format=None, canvas_size=None, clamping_mode="auto"):
    """Clamp boxes to their canvas; "auto" takes the boxes' own clamping_mode."""
    if clamping_mode is not None and clamping_mode not in ("soft", "hard", "auto"):
        raise ValueError(f"clamping_mode must be soft, hard, auto or None, got {clamping_mode}")
    if is_pure_tensor(inpt):
        if format is None or canvas_size is None or clamping_mode == "auto":
            raise ValueError("For pure tensor inputs, `format`, `canvas_size` and `clamping_mode` have to be passed.")
        return _clamp_bounding_boxes(inpt, format=_parse_format(format), canvas_size=canvas_size,
                                     clamping_mode=clamping_mode)
    if isinstance(inpt, tv_tensors.BoundingBoxes):
        if format is not None or canvas_size is not None:
            raise ValueError("For bounding box tv_tensor inputs, `format` and `canvas_size` must not be passed.")
        if clamping_mode == "auto":
            clamping_mode = inpt.clamping_mode
        out = _clamp_bounding_boxes(_plain(inpt), format=inpt.format, canvas_size=inpt.canvas_size,
                                    clamping_mode=clamping_mode)
        return tv_tensors.wrap(out, like=inpt)
    raise TypeError(f"Input can either be a plain tensor or a bounding box tv_tensor, but got {type(inpt)} instead.")
