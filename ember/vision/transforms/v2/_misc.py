"""Identity, Lambda, Normalize, GaussianBlur, ToDtype, ConvertImageDtype, SanitizeBoundingBoxes."""
import warnings

from .... import _dtypes
from ...._dtypes import dtype as _dtype_type
from ...._tensor import Tensor
from ... import tv_tensors
from ...tv_tensors._tv_tensor import _plain
from .. import transforms as _v1
from . import functional as F
from ._transform import Transform
from ._utils import (_parse_labels_getter, _setup_number_or_seq, _setup_size, get_bounding_boxes, has_any,
                     is_pure_tensor, tree_flatten, tree_unflatten)
from .functional._misc import _get_sanitize_bounding_boxes_mask


class Identity(Transform):
    """Return the input unchanged."""

    def transform(self, inpt, params):
        return inpt


class Lambda(Transform):
    """Apply a function to every input of the given types (all inputs by default)."""

    _transformed_types = (object,)

    def __init__(self, lambd, *types):
        super().__init__()
        self.lambd = lambd
        self.types = types or self._transformed_types

    def transform(self, inpt, params):
        return self.lambd(inpt) if isinstance(inpt, self.types) else inpt

    def extra_repr(self):
        extras = []
        name = getattr(self.lambd, "__name__", None)
        if name:
            extras.append(name)
        extras.append(f"types={[type.__name__ for type in self.types]}")
        return ", ".join(extras)


class Normalize(Transform):
    """(x - mean) / std per channel of float images and videos."""

    _v1_transform_cls = _v1.Normalize

    def __init__(self, mean, std, inplace=False):
        super().__init__()
        self.mean = list(mean)
        self.std = list(std)
        self.inplace = inplace

    def check_inputs(self, sample):
        from PIL import Image as _PILImage
        if has_any(sample, _PILImage.Image):
            raise TypeError(f"{type(self).__name__}() does not support PIL images.")

    def transform(self, inpt, params):
        return self._call_kernel(F.normalize, inpt, mean=self.mean, std=self.std, inplace=self.inplace)


class GaussianBlur(Transform):
    """Gaussian blur with sigma drawn uniformly from the `sigma` range."""

    _v1_transform_cls = _v1.GaussianBlur

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        super().__init__()
        self.kernel_size = _v1._blur_kernel_size(kernel_size)
        self.sigma = _setup_number_or_seq(sigma, "sigma")
        if not 0.0 < self.sigma[0] <= self.sigma[1]:
            raise ValueError(f"sigma values should be positive and of the form (min, max). Got {self.sigma}")

    def make_params(self, flat_inputs):
        from .... import empty
        sigma = empty(1).uniform_(self.sigma[0], self.sigma[1]).item()
        return dict(sigma=[sigma, sigma])

    def transform(self, inpt, params):
        return self._call_kernel(F.gaussian_blur, inpt, self.kernel_size, **params)


class ToDtype(Transform):
    """Convert images/videos to `dtype` (or each type to its own dtype with a dict); scale=True rescales values."""

    _transformed_types = (Tensor,)

    def __init__(self, dtype, scale=False):
        super().__init__()
        if not isinstance(dtype, (dict, _dtype_type)):
            raise ValueError(f"dtype must be a dict or a torch.dtype, got {type(dtype)} instead")
        if isinstance(dtype, dict) and Tensor in dtype and any(cls in dtype for cls in
                                                               [tv_tensors.Image, tv_tensors.Video]):
            warnings.warn("Got `dtype` values for `torch.Tensor` and either `tv_tensors.Image` or `tv_tensors.Video`. "
                          "Note that a plain `torch.Tensor` will *not* be transformed by this (or any other "
                          "transformation) in case a `tv_tensors.Image` or `tv_tensors.Video` is present in the "
                          "input.")
        self.dtype = dtype
        self.scale = scale

    def transform(self, inpt, params):
        is_image = is_pure_tensor(inpt) or isinstance(inpt, (tv_tensors.Image, tv_tensors.Video))
        if isinstance(self.dtype, _dtype_type):
            if not is_image:   # a single dtype is for images and videos only (as ConvertImageDtype)
                return inpt
            dtype = self.dtype
        elif type(inpt) in self.dtype:
            dtype = self.dtype[type(inpt)]
        elif "others" in self.dtype:
            dtype = self.dtype["others"]
        else:
            raise ValueError(f"No dtype was specified for type {type(inpt)}. If you only need to convert the dtype "
                             "of images or videos, you can just pass e.g. dtype=torch.float32. If you're passing a "
                             'dict as dtype, you can use "others" as a catch-all key e.g. dtype={tv_tensors.Mask: '
                             'torch.int64, "others": None} to pass-through the rest of the inputs.')
        if dtype is None:
            if self.scale and is_image:
                warnings.warn("scale was set to True but no dtype was specified for images or videos: no scaling "
                              "will be done.")
            return inpt
        return self._call_kernel(F.to_dtype, inpt, dtype=dtype, scale=self.scale)


class ConvertImageDtype(Transform):
    """Convert images to `dtype`, rescaling values (v1 ConvertImageDtype)."""

    _v1_transform_cls = _v1.ConvertImageDtype

    def __init__(self, dtype=_dtypes.float32):
        super().__init__()
        self.dtype = dtype

    def transform(self, inpt, params):
        return self._call_kernel(F.to_dtype, inpt, dtype=self.dtype, scale=True)


class SanitizeBoundingBoxes(Transform):
    """Remove degenerate or out-of-canvas boxes, with the matching masks and labels."""

    def __init__(self, min_size=1.0, min_area=1.0, labels_getter="default"):
        super().__init__()
        if min_size < 1:
            raise ValueError(f"min_size must be >= 1, got {min_size}.")
        self.min_size = min_size
        if min_area < 1:
            raise ValueError(f"min_area must be >= 1, got {min_area}.")
        self.min_area = min_area
        self.labels_getter = labels_getter
        self._labels_getter = _parse_labels_getter(labels_getter)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        labels = self._labels_getter(inputs)
        if labels is not None:
            msg = "The labels in the input to forward() must be a tensor or None, got {type} instead."
            if isinstance(labels, Tensor):
                labels = (labels,)
            elif isinstance(labels, (tuple, list)):
                for entry in labels:
                    if not isinstance(entry, Tensor):
                        raise ValueError(msg.format(type=type(entry)))
            else:
                raise ValueError(msg.format(type=type(labels)))
        flat_inputs, spec = tree_flatten(inputs)
        boxes = get_bounding_boxes(flat_inputs)
        if labels is not None:
            for label in labels:
                if boxes.shape[0] != label.shape[0]:
                    raise ValueError(f"Number of boxes (shape={boxes.shape}) and must match the number of labels."
                                     f"Found labels with shape={label.shape}).")
        valid = _get_sanitize_bounding_boxes_mask(boxes, format=boxes.format, canvas_size=boxes.canvas_size,
                                                  min_size=self.min_size, min_area=self.min_area)
        params = dict(valid=valid, labels=labels)
        return tree_unflatten([self.transform(inpt, params) for inpt in flat_inputs], spec)

    def transform(self, inpt, params):
        is_label = params["labels"] is not None and any(inpt is label for label in params["labels"])
        if not (is_label or isinstance(inpt, (tv_tensors.BoundingBoxes, tv_tensors.Mask))):
            return inpt
        try:
            output = _plain(inpt)[params["valid"]]
        except IndexError:
            return inpt
        return output if is_label else tv_tensors.wrap(output, like=inpt)
