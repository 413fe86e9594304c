"""ember.vision: torchvision's datasets, transforms, models and image utilities for ember."""
import importlib

__version__ = "0.29.1"   # the torchvision release whose behaviour ember.vision follows


def __getattr__(name):
    if name in ("datasets", "transforms", "models", "utils", "io", "ops", "tv_tensors"):
        try:
            mod = importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError as e:
            if e.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module '{__name__}' has no attribute '{name}'") from None
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'ember.vision' has no attribute '{name}'")


_image_backend = "PIL"


def set_image_backend(backend):
    global _image_backend
    if backend not in ("PIL", "accimage"):
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' and 'accimage'")
    _image_backend = backend


def get_image_backend():
    return _image_backend
