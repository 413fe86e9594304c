"""TVTensor: the base of the tensor types that tell v2 transforms what a tensor holds.

ember has no `__torch_function__`: its ops build plain `ember.Tensor` results already, which is what
torchvision's rule gives by default. The methods torchvision lets keep the type (clone, to, detach,
requires_grad_, pin_memory) are overridden here to re-wrap their result; the conversions that in ember
may hand back `self` (cpu, float, contiguous ...) are overridden to hand back a plain tensor, as in torchvision.
"""
from ..._tensor import Tensor


def _retype(tensor, cls):
    """A `cls` alias of `tensor`: same data, same version counter, still attached to the autograd graph."""
    return Tensor.as_subclass(tensor, cls)


def _plain(tensor):
    """`tensor` as a plain ember.Tensor (a view when it is a TVTensor, itself otherwise)."""
    return _retype(tensor, Tensor) if isinstance(tensor, TVTensor) else tensor


def _to_tensor(data, dtype=None, device=None, requires_grad=None):
    from ... import as_tensor
    if requires_grad is None:
        requires_grad = data.requires_grad if isinstance(data, Tensor) else False
    tensor = _plain(as_tensor(data, dtype=dtype, device=device))
    return tensor.requires_grad_(requires_grad)


def _keep_type(name):
    def method(self, *args, **kwargs):
        out = getattr(Tensor, name)(self, *args, **kwargs)
        return out if out is self else type(self).wrap(_plain(out), like=self)
    method.__name__ = name
    return method


def _drop_type(name):
    def method(self, *args, **kwargs):
        return _plain(getattr(Tensor, name)(self, *args, **kwargs))
    method.__name__ = name
    return method


class TVTensor(Tensor):
    """Base class of Image, Video, Mask and BoundingBoxes; results of ops on them are plain tensors."""

    @classmethod
    def wrap(cls, tensor, like, **kwargs):
        """`tensor` as a `cls` carrying `like`'s metadata (subclasses with metadata override this)."""
        return _retype(tensor, cls)

    def __reduce_ex__(self, proto):
        # pickled as the plain tensor plus the public metadata (format, canvas_size ...), so DataLoader workers
        # hand back the same TVTensor type
        metadata = {k: v for k, v in self.__dict__.items() if not k.startswith("_") and k != "grad_fn"}
        return _rebuild_tv_tensor, (type(self), _plain(self), metadata)

    def _make_repr(self, **kwargs):
        extra = ", ".join(f"{key}={value}" for key, value in kwargs.items())
        return f"{Tensor.__repr__(self)[:-1]}, {extra})"

    clone = _keep_type("clone")
    to = _keep_type("to")
    detach = _keep_type("detach")
    pin_memory = _keep_type("pin_memory")
    cpu = _drop_type("cpu")
    cuda = _drop_type("cuda")
    contiguous = _drop_type("contiguous")
    float = _drop_type("float")
    double = _drop_type("double")
    half = _drop_type("half")
    bfloat16 = _drop_type("bfloat16")
    int = _drop_type("int")
    long = _drop_type("long")
    short = _drop_type("short")
    byte = _drop_type("byte")
    char = _drop_type("char")
    bool = _drop_type("bool")
    type_as = _drop_type("type_as")


def _rebuild_tv_tensor(cls, tensor, metadata):
    out = _retype(tensor, cls)
    out.__dict__.update(metadata)
    return out


_RETURN_TVTENSOR = False


class _ReturnTypeRestorer:
    def __init__(self, previous):
        self.previous = previous

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        global _RETURN_TVTENSOR
        _RETURN_TVTENSOR = self.previous


def set_return_type(return_type):
    """Choose what ops on TVTensors return: "Tensor" (the default) or "TVTensor"; usable as a context manager.

    ember supports only "Tensor": ops on TVTensors always give plain tensors."""
    global _RETURN_TVTENSOR
    try:
        wanted = {"tensor": False, "tvtensor": True}[return_type.lower()]
    except KeyError:
        raise ValueError(f"return_type must be 'TVTensor' or 'Tensor', got {return_type}") from None
    if wanted:
        raise NotImplementedError(
            "ember.vision.tv_tensors.set_return_type('TVTensor') is not supported: ember has no __torch_function__, "
            "so ops on TVTensors always return plain tensors. Re-wrap results with tv_tensors.wrap(out, like=...).")
    restorer = _ReturnTypeRestorer(_RETURN_TVTENSOR)
    _RETURN_TVTENSOR = wanted
    return restorer
