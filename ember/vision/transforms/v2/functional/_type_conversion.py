"""Conversions between PIL images, NumPy arrays, tensors and tv_tensors.Image."""
import numpy as np
from PIL import Image as _PILImage

from ....._tensor import Tensor
from .... import tv_tensors
from ...functional import pil_to_tensor, to_pil_image  # noqa: F401  (re-exported, as torchvision does)


def to_image(inpt):
    """A tv_tensors.Image from a tensor, an HWC ndarray or a PIL image (values unscaled)."""
    from ..... import from_numpy
    if isinstance(inpt, np.ndarray):
        output = from_numpy(np.atleast_3d(inpt)).permute((2, 0, 1)).contiguous()
    elif isinstance(inpt, _PILImage.Image):
        output = pil_to_tensor(inpt)
    elif isinstance(inpt, Tensor):
        output = inpt
    else:
        raise TypeError(f"Input can either be a pure Tensor, a numpy array, or a PIL image, but got {type(inpt)} "
                        f"instead.")
    return tv_tensors.Image(output)
