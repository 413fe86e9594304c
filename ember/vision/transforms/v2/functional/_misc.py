"""normalize, to_dtype, gaussian_blur and sanitize_bounding_boxes."""

from ..... import _dtypes
from .... import tv_tensors
from ....tv_tensors._tv_tensor import _plain
from ... import _functional_tensor as _FT, functional as _v1
from ._meta import _convert_bounding_box_format
from ._utils import _dispatch, _register_image_kernels, _register_kernel_internal, is_pure_tensor


def normalize(inpt, mean, std, inplace=False):
    """(x - mean) / std per channel of a float image or video."""
    return _dispatch(normalize, inpt, mean=mean, std=std, inplace=inplace)


def normalize_image(image, mean, std, inplace=False):
    if not image.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {image.dtype}.")
    if image.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got {image.shape}.")
    divzero = (not all(std)) if isinstance(std, (tuple, list)) else (std == 0 if isinstance(std, (int, float))
                                                                    else False)
    if divzero:
        raise ValueError("std evaluated to zero, leading to division by zero.")
    return _FT.normalize(image, mean, std, inplace=inplace)


normalize_video = normalize_image
_register_image_kernels(normalize, normalize_image)


def gaussian_blur(inpt, kernel_size, sigma=None):
    """Blur with a Gaussian kernel (reflect-padded borders)."""
    return _dispatch(gaussian_blur, inpt, kernel_size=kernel_size, sigma=sigma)


def gaussian_blur_image(image, kernel_size, sigma=None):
    return _v1.gaussian_blur(image, kernel_size, sigma)


gaussian_blur_video = gaussian_blur_image
_register_image_kernels(gaussian_blur, gaussian_blur_image, gaussian_blur_image)


# ---- dtype conversion --------------------------------------------------------------------------------
def to_dtype(inpt, dtype=_dtypes.float32, scale=False):
    """Cast to `dtype`; with scale=True images and videos are rescaled to the value range of the new dtype."""
    return _dispatch(to_dtype, inpt, dtype=dtype, scale=scale)


_VALUE_BITS = {_dtypes.uint8: 8, _dtypes.int8: 7, _dtypes.int16: 15, _dtypes.uint16: 16, _dtypes.int32: 31,
               _dtypes.int64: 63}


def _num_value_bits(dtype):
    if dtype not in _VALUE_BITS:
        raise TypeError(f"Number of value bits is only defined for integer dtypes, but got {dtype}.")
    return _VALUE_BITS[dtype]


def _max_value(dtype):
    return _FT._max_value(dtype.np)


def to_dtype_image(image, dtype=_dtypes.float32, scale=False):
    if image.dtype == dtype:
        return image
    if not scale:
        return image.to(dtype)
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        if (image.dtype == _dtypes.float32 and dtype in (_dtypes.int32, _dtypes.int64)) or \
                (image.dtype == _dtypes.float64 and dtype == _dtypes.int64):
            raise RuntimeError(f"The conversion from {image.dtype} to {dtype} cannot be performed safely.")
        # [0, 1] -> [0, max]: scale by max + 1 - eps so that the top bin is as wide as the others
        return image.mul(float(_max_value(dtype)) + 1.0 - 1e-3).to(dtype)
    if dtype.is_floating_point:
        return image.to(dtype).mul_(1.0 / _max_value(image.dtype))
    shift = abs(_num_value_bits(image.dtype) - _num_value_bits(dtype))
    if _num_value_bits(image.dtype) > _num_value_bits(dtype):
        if image.dtype == _dtypes.uint16:
            return (image / 2 ** shift).to(dtype)
        return image.bitwise_right_shift(shift).to(dtype)
    if dtype == _dtypes.uint16:
        return image.to(dtype) * 2 ** shift
    return image.to(dtype).bitwise_left_shift_(shift)


def convert_image_dtype(image, dtype=_dtypes.float32):
    """[DEPRECATED] Use to_dtype(..., scale=True) instead."""
    return to_dtype_image(image, dtype=dtype, scale=True)


def _to_dtype_no_scaling(inpt, dtype, scale=False):
    return inpt.to(dtype)   # TVTensor.to keeps the type and metadata


to_dtype_video = to_dtype_image
_register_image_kernels(to_dtype, to_dtype_image)
for _t in (tv_tensors.Mask, tv_tensors.BoundingBoxes):
    _register_kernel_internal(to_dtype, _t, tv_tensor_wrapper=False)(_to_dtype_no_scaling)


# ---- sanitizing boxes --------------------------------------------------------------------------------
def sanitize_bounding_boxes(bounding_boxes, format=None, canvas_size=None, min_size=1.0, min_area=1.0):
    """Drop boxes smaller than min_size / min_area or reaching outside the canvas; returns (boxes, kept mask)."""
    if is_pure_tensor(bounding_boxes):
        if format is None or canvas_size is None:
            raise ValueError("format and canvas_size cannot be None if bounding_boxes is a pure tensor. "
                             f"Got format={format} and canvas_size={canvas_size}."
                             "Set those to appropriate values or pass bounding_boxes as a tv_tensors.BoundingBoxes "
                             "object.")
        if isinstance(format, str):
            format = tv_tensors.BoundingBoxFormat[format.upper()]
        valid = _get_sanitize_bounding_boxes_mask(bounding_boxes, format, canvas_size, min_size, min_area)
        return bounding_boxes[valid], valid
    if not isinstance(bounding_boxes, tv_tensors.BoundingBoxes):
        raise ValueError("bounding_boxes must be a tv_tensors.BoundingBoxes instance or a pure tensor.")
    if format is not None or canvas_size is not None:
        raise ValueError("format and canvas_size must be None when bounding_boxes is a tv_tensors.BoundingBoxes "
                         f"instance. Got format={format} and canvas_size={canvas_size}. "
                         "Leave those to None or pass bounding_boxes as a pure tensor.")
    valid = _get_sanitize_bounding_boxes_mask(bounding_boxes, bounding_boxes.format, bounding_boxes.canvas_size,
                                              min_size, min_area)
    return tv_tensors.wrap(_plain(bounding_boxes)[valid], like=bounding_boxes), valid


def _get_sanitize_bounding_boxes_mask(bounding_boxes, format, canvas_size, min_size=1.0, min_area=1.0):
    if tv_tensors.is_rotated_bounding_format(format):
        raise NotImplementedError("ember.vision.transforms.v2 does not support rotated bounding boxes yet")
    xyxy = _convert_bounding_box_format(_plain(bounding_boxes), old_format=format,
                                        new_format=tv_tensors.BoundingBoxFormat.XYXY)
    ws, hs = xyxy[:, 2] - xyxy[:, 0], xyxy[:, 3] - xyxy[:, 1]
    valid = (ws >= min_size) & (hs >= min_size) & (xyxy >= 0).all(dim=-1) & (ws * hs >= min_area)
    image_h, image_w = canvas_size
    valid &= (xyxy[:, 0] <= image_w) & (xyxy[:, 2] <= image_w)
    valid &= (xyxy[:, 1] <= image_h) & (xyxy[:, 3] <= image_h)
    return valid
