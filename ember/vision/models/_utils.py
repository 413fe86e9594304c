"""Helpers shared by the model builders: channel rounding, kwargs overriding, the pre-0.13
``pretrained=`` interface and IntermediateLayerGetter (a network's inner feature maps)."""
import functools
import inspect
import warnings
from collections import OrderedDict

from ... import nn
from ._api import WeightsEnum
from ._meta import _IMAGENET_CATEGORIES

# meta data shared by weights trained on ImageNet-1K
_COMMON_META = {"min_size": (1, 1), "categories": _IMAGENET_CATEGORIES}


def _make_divisible(v, divisor, min_value=None):
    """Round ``v`` to the nearest multiple of ``divisor`` (at least ``min_value``), never dropping
    more than 10% below ``v``."""
    if min_value is None:
        min_value = divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < 0.9 * v:
        new_v += divisor
    return new_v


def _ovewrite_named_param(kwargs, param, new_value):
    if param in kwargs:
        if kwargs[param] != new_value:
            raise ValueError(f"The parameter '{param}' expected value {new_value} but got {kwargs[param]} instead.")
    else:
        kwargs[param] = new_value


def _ovewrite_value_param(param, actual, expected):
    if actual is not None and actual != expected:
        raise ValueError(f"The parameter '{param}' expected value {expected} but got {actual} instead.")
    return expected


def _quoted_list(names):
    """'a', 'b' and 'c' -- how torchvision lists parameter names in its messages."""
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return quoted[0]
    return ", ".join(quoted[:-1]) + ("" if len(quoted) == 2 else ",") + " and " + quoted[-1]


def _positional_to_keyword(fn):
    """Let a builder with keyword-only parameters still accept them positionally (as before
    torchvision 0.13), with torchvision's deprecation warning."""
    params = list(inspect.signature(fn).parameters.values())
    first_kwonly = next((i for i, p in enumerate(params) if p.kind == p.KEYWORD_ONLY), None)
    if first_kwonly is None:
        raise TypeError(f"Found no keyword-only parameter on function '{fn.__name__}'")
    kwonly_names = [p.name for p in params[first_kwonly:]]

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        args, extra = args[:first_kwonly], args[first_kwonly:]
        if extra:
            moved = dict(zip(kwonly_names, extra))
            warnings.warn(f"Using {_quoted_list(list(moved))} as positional parameter(s) is deprecated since 0.13 and "
                          f"may be removed in the future. Please use keyword parameter(s) instead.")
            kwargs.update(moved)
        return fn(*args, **kwargs)
    return wrapper


def handle_legacy_interface(**mapping):
    """Decorator: map the old boolean ``pretrained``-style arguments onto ``weights``-style ones.

    ``mapping`` is ``weights_param=(old_param, default)`` where ``default`` is a weights enum
    member, None, or a callable of the call's kwargs returning one of those."""
    def outer(builder):
        @_positional_to_keyword
        @functools.wraps(builder)
        def inner(*args, **kwargs):
            for weights_param, (pretrained_param, default) in mapping.items():
                sentinel = object()
                weights_arg = kwargs.get(weights_param, sentinel)
                if (weights_param not in kwargs and pretrained_param not in kwargs) or \
                        isinstance(weights_arg, WeightsEnum) or (isinstance(weights_arg, str) and weights_arg != "legacy") \
                        or weights_arg is None:
                    continue
                pretrained_positional = weights_arg is not sentinel
                if pretrained_positional:
                    # the legacy argument arrived in the new parameter's place
                    kwargs[pretrained_param] = pretrained_arg = kwargs.pop(weights_param)
                else:
                    pretrained_arg = kwargs[pretrained_param]
                if pretrained_arg:
                    default_arg = default(kwargs) if callable(default) else default
                    if not isinstance(default_arg, WeightsEnum):
                        raise ValueError(f"No weights available for model {builder.__name__}")
                else:
                    default_arg = None
                if not pretrained_positional:
                    warnings.warn(f"The parameter '{pretrained_param}' is deprecated since 0.13 and may be removed "
                                  f"in the future, please use '{weights_param}' instead.")
                msg = (f"Arguments other than a weight enum or `None` for '{weights_param}' are deprecated since 0.13 "
                       f"and may be removed in the future. The current behavior is equivalent to passing "
                       f"`{weights_param}={default_arg}`.")
                if pretrained_arg:
                    msg = (f"{msg} You can also use `{weights_param}={type(default_arg).__name__}.DEFAULT` "
                           f"to get the most up-to-date weights.")
                warnings.warn(msg)
                del kwargs[pretrained_param]
                kwargs[weights_param] = default_arg
            return builder(*args, **kwargs)
        return inner
    return outer


def _load_weights(model, weights, progress):
    """Fetch ``weights`` (verifying the hash in the file name) and load them into ``model``."""
    model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True))
    return model


class IntermediateLayerGetter(nn.ModuleDict):
    """The children of ``model`` up to the last one named in ``return_layers``, run in order;
    ``forward`` returns an OrderedDict of the outputs of the children named in ``return_layers``,
    under the names given there. Only direct children can be returned, and they must be used
    in the order in which they were registered."""

    _version = 2

    def __init__(self, model, return_layers):
        if not set(return_layers).issubset(name for name, _ in model.named_children()):
            raise ValueError("return_layers are not present in model")
        orig_return_layers = return_layers
        return_layers = {str(k): str(v) for k, v in return_layers.items()}
        wanted = set(return_layers)
        layers = OrderedDict()
        for name, module in model.named_children():
            layers[name] = module
            wanted.discard(name)
            if not wanted:
                break
        super().__init__(layers)
        self.return_layers = orig_return_layers

    def forward(self, x):
        out = OrderedDict()
        for name, module in self.items():
            x = module(x)
            if name in self.return_layers:
                out[self.return_layers[name]] = x
        return out
