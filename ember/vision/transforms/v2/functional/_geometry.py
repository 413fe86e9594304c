"""Geometric v2 functionals (flips, resize, crop, pad) for images, videos, masks and bounding boxes.

Image kernels reuse the v1 tensor and PIL kernels of ember.vision.transforms; masks go through the image
kernels with nearest interpolation; boxes are moved with tensor arithmetic and clamped to their new canvas."""
import numbers
import warnings


from .... import tv_tensors
from ....tv_tensors import BoundingBoxFormat
from ....tv_tensors._tv_tensor import _plain
from ... import _functional_pil as _FP, _functional_tensor as _FT
from ...functional import (InterpolationMode, _compute_resized_output_size as _v1_resized_output_size,
                           _interpolation_modes_from_int, pil_modes_mapping)
from ._meta import _get_size_image_pil, clamp_bounding_boxes
from ._utils import _as_batch_of_images, _dispatch, _register_image_kernels, _register_kernel_internal

_INTERPOLATION_BY_NAME = {m.value: m for m in InterpolationMode}


def _check_interpolation(interpolation):
    if isinstance(interpolation, str):
        if interpolation not in _INTERPOLATION_BY_NAME:
            raise ValueError(f"Invalid interpolation mode: '{interpolation}'. "
                             f"Supported string values are: {list(_INTERPOLATION_BY_NAME.keys())}.")
        return _INTERPOLATION_BY_NAME[interpolation]
    if isinstance(interpolation, int):
        return _interpolation_modes_from_int(interpolation)
    if not isinstance(interpolation, InterpolationMode):
        raise ValueError(f"Argument interpolation should be an `InterpolationMode` or a corresponding Pillow integer "
                         f"constant, but got {interpolation}.")
    return interpolation


def _mask_kernel(image_kernel):
    """A mask kernel: the image kernel on the mask with a channel axis added when it has none."""
    def kernel(mask, *args, **kwargs):
        mask, squeeze = _as_batch_of_images(mask)
        out = image_kernel(mask, *args, **kwargs)
        return out.squeeze(0) if squeeze else out
    return kernel


def _box_kernel(boxes_kernel):
    """Dispatch kernel for BoundingBoxes: `boxes_kernel(plain, format, canvas_size, ...)` returns (boxes, canvas)."""
    def kernel(inpt, *args, **kwargs):
        out, canvas_size = boxes_kernel(_plain(inpt), inpt.format, inpt.canvas_size, *args,
                                        clamping_mode=inpt.clamping_mode, **kwargs)
        return tv_tensors.wrap(out, like=inpt, canvas_size=canvas_size)
    return kernel


def _check_upright(format):
    if tv_tensors.is_rotated_bounding_format(format):
        raise NotImplementedError("ember.vision.transforms.v2 does not support rotated bounding boxes yet")


def _box_offsets(format, dx, dy):
    """What adding a shift (dx, dy) of the canvas origin adds to each box coordinate."""
    return [dx, dy, dx, dy] if format == BoundingBoxFormat.XYXY else [dx, dy, 0, 0]


def _shift_boxes(boxes, format, dx, dy):
    from ..... import tensor
    return boxes + tensor(_box_offsets(format, dx, dy), dtype=boxes.dtype, device=boxes.device)


# ---- flips -------------------------------------------------------------------------------------------
def horizontal_flip(inpt):
    """Flip left-right."""
    return _dispatch(horizontal_flip, inpt)


def horizontal_flip_image(image):
    return image.flip(-1)


horizontal_flip_mask = horizontal_flip_video = horizontal_flip_image


def _flip_boxes(boxes, format, extent, lo, hi):
    """Mirror coordinate axis (columns lo, hi of the box) over a canvas of size `extent`."""
    _check_upright(format)
    shape = boxes.shape
    boxes = boxes.reshape(-1, 4)
    out = boxes.clone()
    if format == BoundingBoxFormat.XYXY:
        out[:, lo] = extent - boxes[:, hi]
        out[:, hi] = extent - boxes[:, lo]
    elif format == BoundingBoxFormat.XYWH:
        out[:, lo] = extent - (boxes[:, lo] + boxes[:, hi])
    else:
        out[:, lo] = extent - boxes[:, lo]
    return out.reshape(shape)


def horizontal_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    return _flip_boxes(bounding_boxes, format, canvas_size[1], 0, 2)


def vertical_flip(inpt):
    """Flip upside down."""
    return _dispatch(vertical_flip, inpt)


def vertical_flip_image(image):
    return image.flip(-2)


vertical_flip_mask = vertical_flip_video = vertical_flip_image


def vertical_flip_bounding_boxes(bounding_boxes, format, canvas_size):
    return _flip_boxes(bounding_boxes, format, canvas_size[0], 1, 3)


def _flip_box_dispatch(boxes_kernel):
    def kernel(inpt):
        out = boxes_kernel(_plain(inpt), format=inpt.format, canvas_size=inpt.canvas_size)
        return tv_tensors.wrap(out, like=inpt)
    return kernel


_register_image_kernels(horizontal_flip, horizontal_flip_image, _FP.hflip)
_register_kernel_internal(horizontal_flip, tv_tensors.Mask)(horizontal_flip_mask)
_register_kernel_internal(horizontal_flip, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(
    _flip_box_dispatch(horizontal_flip_bounding_boxes))
_register_image_kernels(vertical_flip, vertical_flip_image, _FP.vflip)
_register_kernel_internal(vertical_flip, tv_tensors.Mask)(vertical_flip_mask)
_register_kernel_internal(vertical_flip, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(
    _flip_box_dispatch(vertical_flip_bounding_boxes))
hflip, vflip = horizontal_flip, vertical_flip


# ---- resize ------------------------------------------------------------------------------------------
def _compute_resized_output_size(canvas_size, size, max_size=None):
    if isinstance(size, int):
        size = [size]
    elif max_size is not None and size is not None and len(size) != 1:
        raise ValueError("max_size should only be passed if size is None or specifies the length of the smaller edge, "
                         "i.e. size should be an int or a sequence of length 1 in torchscript mode.")
    return _v1_resized_output_size(canvas_size, size=size, max_size=max_size, allow_size_none=True)


def resize(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to `size` (h, w), or the smaller edge to an int size (bounded by max_size)."""
    return _dispatch(resize, inpt, size=size, interpolation=interpolation, max_size=max_size, antialias=antialias)


def resize_image(image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    interpolation = _check_interpolation(interpolation)
    if interpolation == InterpolationMode.LANCZOS and not antialias:
        raise ValueError("InterpolationMode.LANCZOS requires antialias=True")
    shape = image.shape
    channels, old_h, old_w = shape[-3:]
    new_h, new_w = _compute_resized_output_size((old_h, old_w), size=size, max_size=max_size)
    if (new_h, new_w) == (old_h, old_w):
        return image
    if image.numel() == 0:
        return image.reshape(shape[:-3] + (channels, new_h, new_w))
    out = _FT.resize(image.reshape(-1, channels, old_h, old_w), [new_h, new_w], interpolation=interpolation.value,
                     antialias=bool(antialias))
    return out.reshape(shape[:-3] + (channels, new_h, new_w))


def _resize_image_pil(image, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    if antialias is False:
        warnings.warn("Anti-alias option is always applied for PIL Image input. Argument antialias is ignored.")
    new_h, new_w = _compute_resized_output_size((image.height, image.width), size=size, max_size=max_size)
    interpolation = _check_interpolation(interpolation)
    if (new_h, new_w) == (image.height, image.width):
        return image
    return image.resize((new_w, new_h), resample=pil_modes_mapping[interpolation])


def resize_mask(mask, size, interpolation=InterpolationMode.NEAREST, max_size=None):
    interpolation = _check_interpolation(interpolation)
    if interpolation not in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        interpolation = InterpolationMode.NEAREST   # masks only take nearest-neighbour interpolation
    return _mask_kernel(resize_image)(mask, size=size, interpolation=interpolation, max_size=max_size)


def resize_bounding_boxes(bounding_boxes, canvas_size, size, max_size=None, format=BoundingBoxFormat.XYXY,
                          clamping_mode="soft"):
    from ..... import tensor
    _check_upright(format)
    old_h, old_w = canvas_size
    new_h, new_w = _compute_resized_output_size(canvas_size, size=size, max_size=max_size)
    if (new_h, new_w) == (old_h, old_w):
        return bounding_boxes, canvas_size
    w_ratio, h_ratio = new_w / old_w, new_h / old_h
    ratios = tensor([w_ratio, h_ratio, w_ratio, h_ratio], device=bounding_boxes.device)
    return bounding_boxes.mul(ratios).to(bounding_boxes.dtype), (new_h, new_w)


def _resize_mask_dispatch(inpt, size, interpolation=InterpolationMode.BILINEAR, max_size=None, **kwargs):
    return tv_tensors.wrap(resize_mask(_plain(inpt), size, interpolation=interpolation, max_size=max_size), like=inpt)


def _resize_boxes_dispatch(inpt, size, max_size=None, **kwargs):
    out, canvas_size = resize_bounding_boxes(_plain(inpt), format=inpt.format, canvas_size=inpt.canvas_size,
                                             size=size, max_size=max_size, clamping_mode=inpt.clamping_mode)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas_size)


_register_image_kernels(resize, resize_image, _resize_image_pil)
_register_kernel_internal(resize, tv_tensors.Mask, tv_tensor_wrapper=False)(_resize_mask_dispatch)
_register_kernel_internal(resize, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(_resize_boxes_dispatch)
resize_video = resize_image


# ---- pad ---------------------------------------------------------------------------------------------
def _parse_pad_padding(padding):
    """[left, right, top, bottom] from an int or a 1, 2 or 4 element [left, top, right, bottom]."""
    if isinstance(padding, int):
        return [padding] * 4
    if isinstance(padding, (tuple, list)):
        if len(padding) == 1:
            return [padding[0]] * 4
        if len(padding) == 2:
            return [padding[0], padding[0], padding[1], padding[1]]
        if len(padding) == 4:
            return [padding[0], padding[2], padding[1], padding[3]]
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple or list. Found {len(padding)}")
    raise TypeError(f"`padding` should be an integer or tuple or list of integers, but got {padding}")


def pad(inpt, padding, fill=None, padding_mode="constant"):
    """Pad the borders by `padding` ([left, top, right, bottom] or shorter forms)."""
    return _dispatch(pad, inpt, padding=padding, fill=fill, padding_mode=padding_mode)


def _pad_scalar(image, left, right, top, bottom, fill, padding_mode):
    return _FT.pad(image, [left, top, right, bottom], fill=fill, padding_mode=padding_mode)


def pad_image(image, padding, fill=None, padding_mode="constant"):
    left, right, top, bottom = _parse_pad_padding(padding)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"`padding_mode` should be either `'constant'`, `'edge'`, `'reflect'` or `'symmetric'`, "
                         f"but got `'{padding_mode}'`.")
    if fill is None:
        fill = 0
    if isinstance(fill, (int, float)):
        return _pad_scalar(image, left, right, top, bottom, fill, padding_mode)
    if len(fill) == 1:
        return _pad_scalar(image, left, right, top, bottom, fill[0], padding_mode)
    if padding_mode != "constant":
        raise ValueError(f"Padding mode '{padding_mode}' is not supported if fill is not scalar")
    from ..... import tensor
    out = _pad_scalar(image, left, right, top, bottom, 0, "constant")
    value = tensor(fill, device=image.device).to(dtype=image.dtype).reshape(-1, 1, 1)
    if top > 0:
        out[..., :top, :] = value
    if left > 0:
        out[..., :, :left] = value
    if bottom > 0:
        out[..., -bottom:, :] = value
    if right > 0:
        out[..., :, -right:] = value
    return out


def pad_mask(mask, padding, fill=None, padding_mode="constant"):
    if fill is None:
        fill = 0
    if isinstance(fill, (tuple, list)):
        raise ValueError("Non-scalar fill value is not supported")
    return _mask_kernel(pad_image)(mask, padding=padding, fill=fill, padding_mode=padding_mode)


def pad_bounding_boxes(bounding_boxes, format, canvas_size, padding, padding_mode="constant", clamping_mode="soft"):
    if padding_mode not in ["constant"]:
        raise ValueError(f"Padding mode '{padding_mode}' is not supported with bounding boxes")
    _check_upright(format)
    left, right, top, bottom = _parse_pad_padding(padding)
    bounding_boxes = _shift_boxes(bounding_boxes, format, left, top)
    canvas_size = (canvas_size[0] + top + bottom, canvas_size[1] + left + right)
    return clamp_bounding_boxes(bounding_boxes, format=format, canvas_size=canvas_size,
                                clamping_mode=clamping_mode), canvas_size


def _pad_boxes_dispatch(inpt, padding, padding_mode="constant", **kwargs):
    return _box_kernel(pad_bounding_boxes)(inpt, padding=padding, padding_mode=padding_mode)


_register_image_kernels(pad, pad_image, _FP.pad)
_register_kernel_internal(pad, tv_tensors.Mask)(pad_mask)
_register_kernel_internal(pad, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(_pad_boxes_dispatch)
pad_video = pad_image


# ---- crop --------------------------------------------------------------------------------------------
def crop(inpt, top, left, height, width):
    """Crop the window (top, left, height, width); what lies outside the input is zero-filled."""
    return _dispatch(crop, inpt, top=top, left=left, height=height, width=width)


def crop_image(image, top, left, height, width):
    return _FT.crop(image, top, left, height, width)


crop_video = crop_image
crop_mask = _mask_kernel(crop_image)


def crop_bounding_boxes(bounding_boxes, format, top, left, height, width, clamping_mode="soft"):
    _check_upright(format)
    bounding_boxes = _shift_boxes(bounding_boxes, format, -left, -top)
    canvas_size = (height, width)
    return clamp_bounding_boxes(bounding_boxes, format=format, canvas_size=canvas_size,
                                clamping_mode=clamping_mode), canvas_size


def _crop_boxes_dispatch(inpt, top, left, height, width):
    out, canvas_size = crop_bounding_boxes(_plain(inpt), inpt.format, top=top, left=left, height=height, width=width,
                                           clamping_mode=inpt.clamping_mode)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas_size)


_register_image_kernels(crop, crop_image, _FP.crop)
_register_kernel_internal(crop, tv_tensors.Mask)(crop_mask)
_register_kernel_internal(crop, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(_crop_boxes_dispatch)


# ---- center crop -------------------------------------------------------------------------------------
def center_crop(inpt, output_size):
    """Crop the centre `output_size` window, zero-padding first when the input is smaller."""
    return _dispatch(center_crop, inpt, output_size=output_size)


def _center_crop_parse_output_size(output_size):
    if isinstance(output_size, numbers.Number):
        return [int(output_size)] * 2
    if isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        return [output_size[0]] * 2
    return list(output_size)


def _center_crop_compute_padding(crop_h, crop_w, image_h, image_w):
    """[left, top, right, bottom] zero padding that makes the image at least as large as the crop."""
    return [(crop_w - image_w) // 2 if crop_w > image_w else 0, (crop_h - image_h) // 2 if crop_h > image_h else 0,
            (crop_w - image_w + 1) // 2 if crop_w > image_w else 0,
            (crop_h - image_h + 1) // 2 if crop_h > image_h else 0]


def _center_crop_compute_crop_anchor(crop_h, crop_w, image_h, image_w):
    return int(round((image_h - crop_h) / 2.0)), int(round((image_w - crop_w) / 2.0))


def _center_crop_any(image, output_size, size_of, pad_fn, crop_fn):
    crop_h, crop_w = _center_crop_parse_output_size(output_size)
    image_h, image_w = size_of(image)
    if crop_h > image_h or crop_w > image_w:
        image = pad_fn(image, _center_crop_compute_padding(crop_h, crop_w, image_h, image_w))
        image_h, image_w = size_of(image)
        if (crop_h, crop_w) == (image_h, image_w):
            return image
    top, left = _center_crop_compute_crop_anchor(crop_h, crop_w, image_h, image_w)
    return crop_fn(image, top, left, crop_h, crop_w)


def center_crop_image(image, output_size):
    crop_h, crop_w = _center_crop_parse_output_size(output_size)
    if image.numel() == 0:
        return image.reshape(image.shape[:-2] + (crop_h, crop_w))
    return _center_crop_any(image, output_size, lambda im: tuple(im.shape[-2:]),
                            lambda im, ltrb: _FT.pad(im, ltrb, fill=0), crop_image)


def _center_crop_image_pil(image, output_size):
    return _center_crop_any(image, output_size, _get_size_image_pil, lambda im, ltrb: _FP.pad(im, ltrb, fill=0),
                            _FP.crop)


center_crop_video = center_crop_image
center_crop_mask = _mask_kernel(center_crop_image)


def center_crop_bounding_boxes(bounding_boxes, format, canvas_size, output_size, clamping_mode="soft"):
    crop_h, crop_w = _center_crop_parse_output_size(output_size)
    top, left = _center_crop_compute_crop_anchor(crop_h, crop_w, *canvas_size)
    return crop_bounding_boxes(bounding_boxes, format, top=top, left=left, height=crop_h, width=crop_w,
                               clamping_mode=clamping_mode)


_register_image_kernels(center_crop, center_crop_image, _center_crop_image_pil)
_register_kernel_internal(center_crop, tv_tensors.Mask)(center_crop_mask)
_register_kernel_internal(center_crop, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(
    _box_kernel(center_crop_bounding_boxes))


# ---- resized crop ------------------------------------------------------------------------------------
def resized_crop(inpt, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR, antialias=True):
    """Crop the window (top, left, height, width), then resize it to `size`."""
    return _dispatch(resized_crop, inpt, top=top, left=left, height=height, width=width, size=size,
                     interpolation=interpolation, antialias=antialias)


def resized_crop_image(image, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                       antialias=True):
    return resize_image(crop_image(image, top, left, height, width), size, interpolation=interpolation,
                        antialias=antialias)


def _resized_crop_image_pil(image, top, left, height, width, size, interpolation=InterpolationMode.BILINEAR,
                            antialias=True):
    return _resize_image_pil(_FP.crop(image, top, left, height, width), size, interpolation=interpolation,
                             antialias=antialias)


resized_crop_video = resized_crop_image


def resized_crop_mask(mask, top, left, height, width, size):
    return resize_mask(crop_mask(mask, top, left, height, width), size)


def resized_crop_bounding_boxes(bounding_boxes, format, top, left, height, width, size, clamping_mode="soft"):
    bounding_boxes, canvas_size = crop_bounding_boxes(bounding_boxes, format, top, left, height, width,
                                                      clamping_mode=clamping_mode)
    return resize_bounding_boxes(bounding_boxes, format=format, canvas_size=canvas_size, size=size,
                                 clamping_mode=clamping_mode)


def _resized_crop_mask_dispatch(inpt, top, left, height, width, size, **kwargs):
    return tv_tensors.wrap(resized_crop_mask(_plain(inpt), top, left, height, width, size), like=inpt)


def _resized_crop_boxes_dispatch(inpt, top, left, height, width, size, **kwargs):
    out, canvas_size = resized_crop_bounding_boxes(_plain(inpt), inpt.format, top, left, height, width, size,
                                                   clamping_mode=inpt.clamping_mode)
    return tv_tensors.wrap(out, like=inpt, canvas_size=canvas_size)


_register_image_kernels(resized_crop, resized_crop_image, _resized_crop_image_pil)
_register_kernel_internal(resized_crop, tv_tensors.Mask, tv_tensor_wrapper=False)(_resized_crop_mask_dispatch)
_register_kernel_internal(resized_crop, tv_tensors.BoundingBoxes, tv_tensor_wrapper=False)(
    _resized_crop_boxes_dispatch)
