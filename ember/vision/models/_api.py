"""Weights descriptions and the model registry (``list_models``, ``get_model``, ``get_weight`` ...)."""
import fnmatch
import importlib
import inspect
import typing
from dataclasses import dataclass
from enum import Enum
from functools import partial

__all__ = ["WeightsEnum", "Weights", "get_model", "get_model_builder", "get_model_weights", "get_weight",
           "list_models", "register_model"]


@dataclass
class Weights:
    """One set of pretrained weights: where to fetch them, the preprocessing they expect
    (``transforms``, a factory) and descriptive ``meta`` data (categories, metrics, size ...)."""
    url: str
    transforms: typing.Callable
    meta: typing.Dict[str, typing.Any]

    def __eq__(self, other):
        if not isinstance(other, Weights):
            return NotImplemented
        if self.url != other.url or self.meta != other.meta:
            return False
        a, b = self.transforms, other.transforms
        if isinstance(a, partial) and isinstance(b, partial):
            return a.func == b.func and a.args == b.args and a.keywords == b.keywords
        return a == b


class WeightsEnum(Enum):
    """Base of every ``<Model>_Weights`` enum; a member's value is a :class:`Weights`."""

    @classmethod
    def verify(cls, obj):
        if obj is not None:
            if type(obj) is str:
                obj = cls[obj.replace(cls.__name__ + ".", "")]
            elif not isinstance(obj, cls):
                raise TypeError(f"Invalid Weight class provided; expected {cls.__name__} "
                                f"but received {obj.__class__.__name__}.")
        return obj

    def get_state_dict(self, *args, **kwargs):
        from ... import hub
        return hub.load_state_dict_from_url(self.url, *args, **kwargs)

    def __repr__(self):
        return f"{self.__class__.__name__}.{self._name_}"

    @property
    def url(self):
        return self.value.url

    @property
    def transforms(self):
        return self.value.transforms

    @property
    def meta(self):
        return self.value.meta


def get_weight(name):
    """The weights member named like ``"ResNet50_Weights.IMAGENET1K_V1"``."""
    try:
        enum_name, value_name = name.split(".")
    except ValueError:
        raise ValueError(f"Invalid weight name provided: '{name}'.") from None
    for mod_name in _MODULES:
        mod = importlib.import_module(f".{mod_name}", __package__)
        enum_cls = getattr(mod, enum_name, None)
        if isinstance(enum_cls, type) and issubclass(enum_cls, WeightsEnum):
            return enum_cls[value_name]
    raise ValueError(f"The weight enum '{enum_name}' for the specific method couldn't be retrieved.")


def get_model_weights(name):
    """The weights enum class of a model builder (given by name or as the builder itself)."""
    fn = get_model_builder(name) if isinstance(name, str) else name
    params = inspect.signature(fn).parameters
    if "weights" not in params:
        raise ValueError("The method is missing the 'weights' argument.")
    annotation = params["weights"].annotation
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, WeightsEnum):
            return candidate
    raise ValueError("The WeightsEnum class for the specific method couldn't be retrieved. "
                     "Make sure the typing info is correct.")


BUILTIN_MODELS = {}

# the modules whose builders make up the registry (imported by ember.vision.models)
_MODULES = ("alexnet", "vgg", "resnet", "squeezenet", "densenet", "inception", "googlenet", "mobilenetv2",
            "mobilenetv3", "efficientnet", "detection.faster_rcnn", "detection.mask_rcnn", "detection.keypoint_rcnn",
            "detection.retinanet", "detection.fcos", "detection.ssd", "detection.ssdlite",
            "segmentation.fcn", "segmentation.deeplabv3", "segmentation.lraspp")


def register_model(name=None):
    def wrapper(fn):
        key = name if name is not None else fn.__name__
        if key in BUILTIN_MODELS:
            raise ValueError(f"An entry is already registered under the name '{key}'.")
        BUILTIN_MODELS[key] = fn
        return fn
    return wrapper


def list_models(module=None, include=None, exclude=None):
    """Sorted names of the registered model builders, optionally only those of ``module`` and
    filtered by Unix-style patterns (``include`` keeps matches, ``exclude`` drops them)."""
    names = [k for k, v in BUILTIN_MODELS.items()
             if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__]
    if include:
        keep = set()
        for pattern in ([include] if isinstance(include, str) else include):
            keep.update(fnmatch.filter(names, pattern))
        names = keep
    if exclude:
        for pattern in ([exclude] if isinstance(exclude, str) else exclude):
            names = set(names) - set(fnmatch.filter(names, pattern))
    return sorted(names)


def get_model_builder(name):
    name = name.lower()
    try:
        return BUILTIN_MODELS[name]
    except KeyError:
        raise ValueError(f"Unknown model {name}") from None


def get_model(name, **config):
    """Build the model registered as ``name`` with the builder's keyword arguments."""
    return get_model_builder(name)(**config)

