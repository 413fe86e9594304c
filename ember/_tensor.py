"""Tensor: a backend array plus the autograd state PyTorch keeps beside it.

Methods that are ops live with their ops in `ember/_ops/*` and are attached to Tensor there
(see `_ops/_registry.py`); this file holds what is about the tensor object itself.
"""
import builtins

import numpy as _np

from . import _dtypes
from ._device import CPU, resolve
from .autograd import grad_mode
from .autograd.graph import edge
from .storage import root_array

_new = object.__new__
_enabled = grad_mode._enabled


class Size(tuple):
    """The type of `tensor.shape`: a tuple that prints as `ember.Size([2, 3])`."""

    __slots__ = ()
    __module__ = "ember"

    def __repr__(self):
        return f"ember.Size({list(self)})"

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))

    def __reduce__(self):
        return (Size, (tuple(self),))


class Tensor:
    """A multi-dimensional array with autograd (`ember.Tensor` ~ `torch.Tensor`)."""

    __module__ = "ember"        # `<class 'ember.Tensor'>`, as torch prints `<class 'torch.Tensor'>`

    # Defaults live on the class so creating a tensor sets only _data and _device.
    _rg = False                 # requires_grad
    grad_fn = None
    _output_nr = 0
    _base = None
    _vc = None                  # version counter: a one-element list shared with views
    _view_ver = 0               # a view's version when its grad_fn was last derived from its base
    _grad = None
    _backward_hooks = None
    _post_acc_hooks = None
    _acc_ref = None
    _retains_grad = False
    _is_param = False
    __array_priority__ = 1000   # ndarray <op> Tensor defers to Tensor

    # ---- construction ----------------------------------------------------------------------
    @staticmethod
    def _wrap(arr, device=CPU):
        t = _new(Tensor)
        t._data = arr
        t._device = device
        return t

    def __new__(cls, *args, device=None, dtype=None):
        # legacy constructor: Tensor(2, 3) / Tensor([1, 2]) / Tensor(ndarray) / Tensor(size)
        from . import _factory
        return _factory.legacy_new(cls, _dtypes.get_default_dtype() if dtype is None else dtype, args, device)

    def __init__(self, *args, **kwargs):
        pass

    # ---- basic attributes ------------------------------------------------------------------
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._wrap_dim(dim)]

    @property
    def dtype(self):
        return _dtypes.from_np(self._data.dtype)

    @property
    def device(self):
        return self._device

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    @property
    def is_cuda(self):
        return self._device.type == "cuda"

    @property
    def is_cpu(self):
        return self._device.type == "cpu"

    @property
    def is_meta(self):
        return False

    @property
    def is_sparse(self):
        return False

    @property
    def is_quantized(self):
        return False

    @property
    def layout(self):
        from . import strided
        return strided

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self.dtype.is_complex

    def is_signed(self):
        return self.dtype.is_signed

    def get_device(self):
        return -1 if self._device.type == "cpu" else self._device.index

    def stride(self, dim=None):
        isz = self._data.itemsize
        st = tuple(s // isz for s in self._data.strides)
        if self._data.size <= 1 or 0 in self._data.shape:
            st = _contiguous_strides(self._data.shape) if not st or self._data.size == 0 else st
        return st if dim is None else st[self._wrap_dim(dim)]

    def storage_offset(self):
        a = self._data
        if self._device.xp is _np:
            return (a.__array_interface__["data"][0] - self._root_array().__array_interface__["data"][0]) // a.itemsize
        return (a.data.ptr - root_array(a).data.ptr) // a.itemsize

    def _root_array(self):
        return root_array(self._data)

    def data_ptr(self):
        if self._device.xp is _np:
            return self._data.__array_interface__["data"][0]
        return self._data.data.ptr

    def untyped_storage(self):
        from .storage import UntypedStorage
        return UntypedStorage._of_tensor(self)

    def is_contiguous(self, memory_format=None):
        a = self._data
        if memory_format is not None and memory_format.name in ("channels_last", "channels_last_3d"):
            from ._layout import is_in_format
            return is_in_format(a, memory_format)
        return bool(a.flags.c_contiguous) or a.size <= 1 or _contig_ignoring_size1(a)

    def _wrap_dim(self, dim, ndim=None):
        n = self._data.ndim if ndim is None else ndim
        lo = -builtins.max(n, 1)
        if not (lo <= dim < builtins.max(n, 1)):
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {builtins.max(n, 1) - 1}], but got {dim})")
        return dim + n if dim < 0 else dim

    # ---- autograd state --------------------------------------------------------------------
    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def grad(self):
        if self.grad_fn is not None and not self._retains_grad and self.requires_grad:
            import warnings
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
                "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
                "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. If you "
                "access the non-leaf Tensor by mistake, make sure you access the leaf Tensor instead. See "
                "github.com/pytorch/pytorch/pull/30531 for more information.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"assigned grad has data of a different size")
            if value.dtype is not self.dtype:
                raise RuntimeError("assigned grad has data of a different type")
            if value._device is not self._device:
                raise RuntimeError("assigned grad has data located on a different device")
        self._grad = value

    @grad.deleter
    def grad(self):
        self._grad = None

    def requires_grad_(self, requires_grad=True):
        if not requires_grad and self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self.requires_grad = requires_grad
        return self

    @property
    def requires_grad(self):
        return self._rg

    @requires_grad.setter
    def requires_grad(self, value):
        if value:
            if not _differentiable_np(self._data.dtype):
                raise RuntimeError("only Tensors of floating point and complex dtype can require gradients")
        elif self.grad_fn is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a computed "
                "variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach().")
        self._rg = builtins.bool(value)

    def detach(self):
        t = Tensor._wrap(self._data, self._device)
        t._vc = self._shared_vc()
        t._base = self._base if self._base is not None else self
        return t

    def detach_(self):
        if self._base is not None and self._base.requires_grad:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn = None
        self._rg = False
        return self

    @property
    def data(self):
        t = Tensor._wrap(self._data, self._device)
        t._vc = [0]
        t._base = self._base if self._base is not None else self
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"data must be a Tensor, got {type(value).__name__}")
        self._data = value._data
        self._device = value._device

    @property
    def _version(self):
        vc = self._vc
        return vc[0] if vc is not None else 0

    def _shared_vc(self):
        vc = self._vc
        if vc is None:
            vc = self._vc = [0]
        return vc

    def _zero_values(self):
        """Values set to 0 in place (on the tensor's GPU when it has one), version bumped: zero_grad's work."""
        dev = self._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(self._zero_values)
        self._data[...] = 0
        self._bump()

    def _bump(self):
        vc = self._vc
        if vc is None:
            self._vc = [1]
        else:
            vc[0] += 1

    def retain_grad(self):
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self._retains_grad:
            return
        import weakref
        fn = self.grad_fn
        if fn._retained is None:
            fn._retained = {}
            fn._hook_added()
        fn._retained[self._output_nr] = weakref.ref(self)
        self._retains_grad = True

    @property
    def retains_grad(self):
        return self._retains_grad

    def register_hook(self, hook):
        if not self.requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        from .utils.hooks import RemovableHandle
        fn = self.grad_fn
        if fn is None:
            if self._backward_hooks is None:
                self._backward_hooks = {}
            d = self._backward_hooks
        else:
            if fn._tensor_hooks is None:
                fn._tensor_hooks = {}
                fn._hook_added()
            d = fn._tensor_hooks.setdefault(self._output_nr, {})
        h = RemovableHandle(d)
        d[h.id] = hook
        return h

    def register_post_accumulate_grad_hook(self, hook):
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
        from .utils.hooks import RemovableHandle
        if self._post_acc_hooks is None:
            self._post_acc_hooks = {}
        h = RemovableHandle(self._post_acc_hooks)
        self._post_acc_hooks[h.id] = hook
        return h

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        _autograd_backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    # ---- conversions -----------------------------------------------------------------------
    def item(self):
        a = self._data
        if a.size != 1:
            raise RuntimeError(f"a Tensor with {a.size} elements cannot be converted to Scalar")
        v = a.reshape(()).item() if self._device.xp is _np else a.item()
        if a.dtype == _dtypes.bfloat16.np:
            v = builtins.float(v)
        return v

    def tolist(self):
        a = self._device.backend.asnumpy(self._data)
        if a.dtype == _dtypes.bfloat16.np:
            a = a.astype(_np.float32)
        return a.tolist()

    def numpy(self, *, force=False):
        if self.requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        if self._device.type != "cpu":
            if force:
                return self._device.backend.asnumpy(self._data)
            raise TypeError(f"can't convert {self._device} device type tensor to numpy. Use Tensor.cpu() to "
                            "copy the tensor to host memory first.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.detach().numpy(force=True) if self._device.type != "cpu" else self._data
        if dtype is not None and a.dtype != dtype:
            a = a.astype(dtype)
        return a

    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return iter(self.unbind(0))

    def __bool__(self):
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous")
        return builtins.bool(self._data.reshape(()).item()) if self._device.xp is _np else builtins.bool(self.item())

    def __float__(self):
        self._scalar_check("float")
        return builtins.float(self.item())

    def __int__(self):
        self._scalar_check("int")
        return builtins.int(self.item())

    def __complex__(self):
        return builtins.complex(self.item())

    def __index__(self):
        if self._data.dtype.kind not in "iub" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return builtins.int(self.item())

    def _scalar_check(self, what):
        if self._data.size != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars")

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from ._tensor_str import tensor_repr
        return tensor_repr(self)

    def __format__(self, spec):
        if self._data.ndim == 0 and not self._is_param:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    def __reduce_ex__(self, proto):
        from .serialization import _reduce_tensor
        return _reduce_tensor(self)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy protocol at the moment.  If you were attempting to deepcopy a module, this may be because of a torch.nn.utils.weight_norm usage, see https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        dev = self._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(self.__deepcopy__, memo)
        new = _new(type(self))
        new.__dict__.update({k: v for k, v in self.__dict__.items() if k not in ("_data", "_grad", "_vc", "_acc_ref", "_base")})
        new._data = self._data.copy()
        new._device = self._device
        if self._grad is not None:
            new._grad = self._grad.__deepcopy__(memo)
        memo[id(self)] = new
        return new

    # ---- devices and dtypes ----------------------------------------------------------------
    def to(self, *args, **kwargs):
        from ._ops.conversion import tensor_to
        return tensor_to(self, *args, **kwargs)

    def cpu(self, memory_format=None):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        return self.to("cuda" if device is None else (f"cuda:{device}" if isinstance(device, builtins.int) else device))

    def type(self, dtype=None, non_blocking=False, **kwargs):
        if dtype is None:
            prefix = "torch." if self._device.type == "cpu" else "torch.cuda."
            return prefix + self.dtype._legacy
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            if name not in _dtypes._BY_LEGACY:
                raise ValueError(f"invalid type: '{dtype}'")
            dtype = _dtypes._BY_LEGACY[name]
        elif isinstance(dtype, type) and hasattr(dtype, "_legacy_dtype"):
            dtype = dtype._legacy_dtype
        return self.to(dtype)

    def float(self):
        return self.to(_dtypes.float32)

    def double(self):
        return self.to(_dtypes.float64)

    def half(self):
        return self.to(_dtypes.float16)

    def bfloat16(self):
        return self.to(_dtypes.bfloat16)

    def long(self):
        return self.to(_dtypes.int64)

    def int(self):
        return self.to(_dtypes.int32)

    def short(self):
        return self.to(_dtypes.int16)

    def char(self):
        return self.to(_dtypes.int8)

    def byte(self):
        return self.to(_dtypes.uint8)

    def bool(self):
        return self.to(_dtypes.bool)

    def cfloat(self):
        return self.to(_dtypes.complex64)

    def cdouble(self):
        return self.to(_dtypes.complex128)

    def type_as(self, other):
        return self.to(other.dtype)

    def pin_memory(self, device=None):
        """A copy in page-locked host memory (CUDA backend), for faster host-to-device copies."""
        from ._device import _cupy
        if _cupy() is None:
            raise RuntimeError("Cannot access accelerator device when none is available.")
        if self._device.type != "cpu":
            raise RuntimeError(f"cannot pin '{self.type()}' only dense CPU tensors can be pinned")
        if self.is_pinned():
            return self
        from .cuda import _pin
        return _pin(self)

    def is_pinned(self, device=None):
        if self._device.type != "cpu" or not isinstance(self._data, _np.ndarray):
            return False
        from .cuda import _is_pinned_array, _pinned
        return bool(_pinned) and _is_pinned_array(self._data)

    def share_memory_(self):
        return self

    def is_shared(self):
        return False

    def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
        from ._factory import tensor
        return tensor(data, dtype=dtype or self.dtype, device=device or self._device, requires_grad=requires_grad)


def _autograd_backward(*args, **kwargs):
    global _autograd_backward
    from .autograd import backward as _autograd_backward
    return _autograd_backward(*args, **kwargs)


def _contiguous_strides(shape):
    st = []
    acc = 1
    for s in reversed(shape):
        st.append(acc)
        acc *= builtins.max(s, 1)
    return tuple(reversed(st))


def _contig_ignoring_size1(a):
    expected = a.itemsize
    for s, st in zip(reversed(a.shape), reversed(a.strides)):
        if s == 1:
            continue
        if st != expected:
            return False
        expected *= s
    return True


def _differentiable_np(npdt):
    return npdt.kind in "fc" or npdt == _dtypes.bfloat16.np


def is_tensor(obj):
    return isinstance(obj, Tensor)
