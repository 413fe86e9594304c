"""Kernel registry: each v2 functional looks up the kernel for its input's type (tensor, PIL image, tv_tensor)."""
import functools

from ....._tensor import Tensor
from .... import tv_tensors
from ....tv_tensors._tv_tensor import _plain

_KERNELS = {}   # functional -> {input type: kernel}


def is_pure_tensor(inpt):
    return isinstance(inpt, Tensor) and not isinstance(inpt, tv_tensors.TVTensor)


def _rewrapping(kernel):
    """Run a tensor kernel on the plain tensor behind a tv_tensor and give the result the input's type back."""
    @functools.wraps(kernel)
    def run(inpt, *args, **kwargs):
        return tv_tensors.wrap(kernel(_plain(inpt), *args, **kwargs), like=inpt)
    return run


def _register_kernel_internal(functional, input_type, *, tv_tensor_wrapper=True):
    registry = _KERNELS.setdefault(functional, {})
    if input_type in registry:
        raise ValueError(f"Functional {functional} already has a kernel registered for type {input_type}.")

    def decorator(kernel):
        rewrap = tv_tensor_wrapper and isinstance(input_type, type) and issubclass(input_type, tv_tensors.TVTensor)
        registry[input_type] = _rewrapping(kernel) if rewrap else kernel
        return kernel
    return decorator


def _builtin_tv_tensor_types():
    return {tv_tensors.Image, tv_tensors.Video, tv_tensors.Mask, tv_tensors.BoundingBoxes, tv_tensors.TVTensor}


def register_kernel(functional, tv_tensor_cls):
    """Decorator registering a kernel of `functional` (or its name) for a custom TVTensor subclass."""
    from . import __name__ as package
    if isinstance(functional, str):
        import importlib
        try:
            functional = getattr(importlib.import_module(package), functional)
        except AttributeError:
            raise ValueError(f"Could not find functional with name '{functional}' in "
                             f"torchvision.transforms.v2.functional.") from None
    elif not (callable(functional) and getattr(functional, "__module__", "").startswith(package)):
        raise ValueError(f"Kernels can only be registered on functionals from the torchvision.transforms.v2.functional "
                         f"namespace, but got {functional}.")
    if not (isinstance(tv_tensor_cls, type) and issubclass(tv_tensor_cls, tv_tensors.TVTensor)):
        raise ValueError(f"Kernels can only be registered for subclasses of torchvision.tv_tensors.TVTensor, "
                         f"but got {tv_tensor_cls}.")
    if tv_tensor_cls in _builtin_tv_tensor_types():
        raise ValueError(f"Kernels cannot be registered for the builtin tv_tensor classes, but got {tv_tensor_cls}")
    return _register_kernel_internal(functional, tv_tensor_cls, tv_tensor_wrapper=False)


def _get_kernel(functional, input_type, *, allow_passthrough=False):
    registry = _KERNELS.get(functional)
    if not registry:
        raise ValueError(f"No kernel registered for functional {functional.__name__}.")
    for cls in input_type.__mro__:
        if cls in registry:
            return registry[cls]
        if cls is tv_tensors.TVTensor:   # custom tv_tensors never fall back to the plain-tensor kernel
            break
    if allow_passthrough:
        return lambda inpt, *args, **kwargs: inpt
    raise TypeError(f"Functional F.{functional.__name__} supports inputs of type {registry.keys()}, "
                    f"but got {input_type} instead.")


def _dispatch(functional, inpt, *args, **kwargs):
    return _get_kernel(functional, type(inpt))(inpt, *args, **kwargs)


def _register_image_kernels(functional, kernel, pil_kernel=None, video=True):
    """Register `kernel` for plain tensors, Image (and Video) and `pil_kernel` for PIL images."""
    from PIL import Image as _PILImage
    _register_kernel_internal(functional, Tensor)(kernel)
    _register_kernel_internal(functional, tv_tensors.Image)(kernel)
    if video:
        _register_kernel_internal(functional, tv_tensors.Video)(kernel)
    if pil_kernel is not None:
        _register_kernel_internal(functional, _PILImage.Image)(pil_kernel)


def _as_batch_of_images(mask):
    """A mask with a channel axis added when it has none, and whether to drop it again afterwards."""
    return (mask.unsqueeze(0), True) if mask.ndim < 3 else (mask, False)
