"""PILToTensor, ToImage, ToPILImage, ToPureTensor: changing what type a sample's images have."""
import numpy as np
from PIL import Image as _PILImage

from ... import tv_tensors
from ...tv_tensors._tv_tensor import _plain
from . import functional as F
from ._transform import Transform
from ._utils import is_pure_tensor


class PILToTensor(Transform):
    """PIL image -> CHW tensor, values unscaled."""

    _transformed_types = (_PILImage.Image,)

    def transform(self, inpt, params):
        return F.pil_to_tensor(inpt)


class ToImage(Transform):
    """Tensor, HWC ndarray or PIL image -> tv_tensors.Image, values unscaled."""

    _transformed_types = (is_pure_tensor, _PILImage.Image, np.ndarray)

    def transform(self, inpt, params):
        return F.to_image(inpt)


class ToPILImage(Transform):
    """Tensor or ndarray -> PIL image."""

    _transformed_types = (is_pure_tensor, tv_tensors.Image, np.ndarray)

    def __init__(self, mode=None):
        super().__init__()
        self.mode = mode

    def transform(self, inpt, params):
        return F.to_pil_image(inpt, mode=self.mode)


class ToPureTensor(Transform):
    """Every TVTensor -> a plain tensor (values and dtype unchanged, metadata dropped)."""

    _transformed_types = (tv_tensors.TVTensor,)

    def transform(self, inpt, params):
        return _plain(inpt)
