"""Parameter: a Tensor that a Module registers as one of its learnable weights."""
import numpy as _np

from .._tensor import Tensor

_new = object.__new__


def _share(cls, data):
    """A new `cls` object sharing data's array and version counter."""
    t = _new(cls)
    t._data = data._data
    t._device = data._device
    t._vc = data._shared_vc()
    return t


class Parameter(Tensor):
    """A leaf tensor that modules list in `parameters()`; requires grad by default."""

    _is_param = True

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._factory import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter.__new__ expected a Tensor as data, got {type(data).__name__}")
        p = _share(cls, data)
        p.requires_grad = requires_grad
        return p

    def __init__(self, *args, **kwargs):
        pass

    def __reduce_ex__(self, proto):
        from ..serialization import _reduce_tensor
        return _reduce_tensor(self)


def _uninitialized_use(what):
    return ValueError(
        f"Attempted to use an uninitialized parameter in {what}. This error happens when you are using a "
        "`LazyModule` or explicitly manipulating `ember.nn.parameter.UninitializedParameter` objects. When using "
        "LazyModules Call `forward` with a dummy batch to initialize the parameters before calling ember functions")


class _Unset(_np.ndarray):
    """The (empty) array behind an uninitialized parameter or buffer: any computation on it raises
    torch's ValueError instead of quietly working on zero elements. Copies and dtype casts (what
    module conversions like .double() do before the first call) stay possible."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise _uninitialized_use(ufunc.__name__ if method == "__call__" else f"{ufunc.__name__}.{method}")

    def __array_function__(self, func, types, args, kwargs):
        raise _uninitialized_use(func.__name__)


def _unset(arr):
    """arr (0 elements) as an _Unset view; CUDA arrays stay as they are."""
    return arr.view(_Unset) if isinstance(arr, _np.ndarray) else arr


class UninitializedTensorMixin:
    """Shape-less placeholder that `materialize(shape)` turns into a real tensor."""

    cls_to_become = Parameter

    def materialize(self, shape, device=None, dtype=None):
        from .._factory import empty
        from .._dtypes import get_default_dtype
        if isinstance(shape, int):
            shape = (shape,)
        t = empty(tuple(shape), device=device if device is not None else self._device,
                  dtype=dtype if dtype is not None else self._dtype)
        self._data = t._data
        self._device = t._device
        self.__class__ = self.cls_to_become

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually happens in "
            "`load_state_dict` when trying to load an uninitialized parameter into an initialized one. Call "
            "`forward` to initialize the parameters before accessing their attributes.")

    def numel(self):
        raise _uninitialized_use("numel")

    def dim(self):
        raise _uninitialized_use("dim")

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __reduce_ex__(self, proto):
        return (self.__class__, (self._rg,))


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A Parameter whose shape is set on the first forward call (lazy modules)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        from .._factory import empty
        from .._dtypes import get_default_dtype
        p = _share(cls, empty(0, device=device, dtype=dtype))
        p._data = _unset(p._data)
        p._dtype = dtype if dtype is not None else get_default_dtype()
        p._rg = bool(requires_grad)
        return p


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is set on the first forward call (lazy modules)."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        from .._factory import empty
        from .._dtypes import get_default_dtype
        b = _share(cls, empty(0, device=device, dtype=dtype))
        b._data = _unset(b._data)
        b._dtype = dtype if dtype is not None else get_default_dtype()
        b._rg = bool(requires_grad)
        return b


class _BufferMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and getattr(obj, "_is_buffer", False)


class Buffer(metaclass=_BufferMeta):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute."""

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            from .._factory import empty
            data = empty(0)
        t = data.detach().requires_grad_(data.requires_grad)
        t._is_buffer = True
        t.persistent = persistent
        return t


def is_lazy(param):
    return isinstance(param, UninitializedTensorMixin)
