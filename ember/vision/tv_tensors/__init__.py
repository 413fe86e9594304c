"""ember.vision.tv_tensors: tensor subclasses that tell transforms.v2 what a tensor holds (torchvision.tv_tensors)."""
from ._bounding_boxes import BoundingBoxes, BoundingBoxFormat, is_rotated_bounding_format
from ._image import Image, Video
from ._mask import Mask
from ._tv_tensor import TVTensor, set_return_type


def wrap(wrappee, *, like, **kwargs):
    """`wrappee` (a tensor) as the TVTensor type of `like`, with `like`'s metadata unless overridden in kwargs."""
    wrap_method = getattr(type(like), "wrap", None)
    if wrap_method is not None:
        return wrap_method(wrappee, like, **kwargs)
    from ._tv_tensor import _retype
    return _retype(wrappee, type(like))


__all__ = ["TVTensor", "Image", "Video", "Mask", "BoundingBoxes", "BoundingBoxFormat", "is_rotated_bounding_format",
           "set_return_type", "wrap"]
