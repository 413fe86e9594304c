"""Transform: the v2 base class. A call flattens its (nested) inputs, draws one set of random parameters and
applies the transform to every leaf whose type it handles, leaving the rest as they are."""
import enum

from PIL import Image as _PILImage

from ....nn import Module
from ...._tensor import Tensor
from ... import tv_tensors
from ._utils import check_type, has_any, is_pure_tensor, tree_flatten, tree_unflatten
from .functional._utils import _get_kernel


class Transform(Module):
    """Base class of the v2 transforms: override `make_params` (random draws) and `transform` (one input)."""

    _transformed_types = (Tensor, _PILImage.Image)
    _v1_transform_cls = None

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls._v1_transform_cls is not None and hasattr(cls._v1_transform_cls, "get_params"):
            cls.get_params = staticmethod(cls._v1_transform_cls.get_params)

    def check_inputs(self, flat_inputs):
        pass

    def make_params(self, flat_inputs):
        return dict()

    def _call_kernel(self, functional, inpt, *args, **kwargs):
        return _get_kernel(functional, type(inpt), allow_passthrough=True)(inpt, *args, **kwargs)

    def transform(self, inpt, params):
        raise NotImplementedError

    def _apply(self, inputs, flat_inputs, spec):
        needs_transform = self._needs_transform_list(flat_inputs)
        params = self.make_params([inpt for inpt, needed in zip(flat_inputs, needs_transform) if needed])
        flat_outputs = [self.transform(inpt, params) if needed else inpt
                        for inpt, needed in zip(flat_inputs, needs_transform)]
        return tree_unflatten(flat_outputs, spec)

    def forward(self, *inputs):
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        self.check_inputs(flat_inputs)
        return self._apply(inputs, flat_inputs, spec)

    def _needs_transform_list(self, flat_inputs):
        # A plain tensor counts as the image only when the sample has no Image, Video or PIL image, and then only
        # the first one (in flattening order): later plain tensors are labels, areas and the like.
        transform_pure_tensor = not has_any(flat_inputs, tv_tensors.Image, tv_tensors.Video, _PILImage.Image)
        needs = []
        for inpt in flat_inputs:
            needed = check_type(inpt, self._transformed_types)
            if needed and is_pure_tensor(inpt):
                needed, transform_pure_tensor = transform_pure_tensor, False
            needs.append(needed)
        return needs

    def extra_repr(self):
        return ", ".join(f"{name}={value}" for name, value in self.__dict__.items()
                         if not name.startswith("_") and name != "training"
                         and isinstance(value, (bool, int, float, str, tuple, list, enum.Enum)))


class _RandomApplyTransform(Transform):
    """A transform applied to the whole sample with probability p (one draw of ember.rand(1) per call)."""

    def __init__(self, p=0.5):
        if not (0.0 <= p <= 1.0):
            raise ValueError("`p` should be a floating point value in the interval [0.0, 1.0].")
        super().__init__()
        self.p = p

    def forward(self, *inputs):
        from .... import rand
        inputs = inputs if len(inputs) > 1 else inputs[0]
        flat_inputs, spec = tree_flatten(inputs)
        self.check_inputs(flat_inputs)
        if rand(1) >= self.p:
            return inputs
        return self._apply(inputs, flat_inputs, spec)
