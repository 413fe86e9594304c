"""Image and Video: tensors of shape [..., C, H, W] and [..., T, C, H, W]."""
from PIL import Image as _PILImage

from ._tv_tensor import TVTensor, _retype, _to_tensor


class Image(TVTensor):
    """An image tensor [..., C, H, W]; a 2-D input gets a channel dimension, a PIL image is converted."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        if isinstance(data, _PILImage.Image):
            from ..transforms.functional import pil_to_tensor
            data = pil_to_tensor(data)
        tensor = _to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 2:
            raise ValueError(f"Tensor must be 2D or higher, got {tensor.ndim}D tensor.")
        if tensor.ndim == 2:
            tensor = tensor.unsqueeze(0)
        return _retype(tensor, cls)

    def __repr__(self, *, tensor_contents=None):
        return self._make_repr()


class Video(TVTensor):
    """A video tensor [..., T, C, H, W] (at least 4-D)."""

    def __new__(cls, data, *, dtype=None, device=None, requires_grad=None):
        tensor = _to_tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
        if tensor.ndim < 4:
            raise ValueError
        return _retype(tensor, cls)

    def __repr__(self, *, tensor_contents=None):
        return self._make_repr()
