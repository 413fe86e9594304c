"""Mask: segmentation or detection masks [..., H, W]."""
from PIL import Image as _PILImage

from ._tv_tensor import TVTensor, _retype, _to_tensor


class Mask(TVTensor):
    """A mask tensor [..., H, W]; a PIL image is converted."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            from ..transforms.functional import pil_to_tensor
            data = pil_to_tensor(data)
        return _retype(_to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad), cls)
