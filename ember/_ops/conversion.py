"""dtype and device conversion, clone, contiguous."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['clone']

from .. import _dtypes
from .._device import resolve, transfer
from .._layout import contiguous_format, in_format, is_in_format
from .._tensor import Tensor
from ._op import Op
from ._registry import method

_wrap = Tensor._wrap


class ToCopy(Op):
    """dtype cast and/or device move. forward casts on the input's device; a move to another device is
    done by `tensor_to` on the result (Op.apply makes its output an array of the input's device)."""

    def forward(ctx, x, dtype=None, device=None, copy=False):
        ctx.in_dtype = _dtypes.from_np(x.dtype)
        ctx.in_device = ctx.device
        ctx.out_device = ctx.device if device is None else device
        if dtype is not None and x.dtype != dtype.np:
            if dtype.np.kind in "iu" and x.dtype.kind == "f":
                with _np_errstate(ctx.xp):
                    if dtype.np.itemsize < 4:       # torch wraps modulo 2**bits, through a wide integer; so does
                        x = x.astype("int64")       # x86, while CUDA's own conversion saturates (-2.5 -> uint8 0)
                    return x.astype(dtype.np)
            return x.astype(dtype.np)
        return x.copy() if copy and device is None else x

    def backward(ctx, g):
        if ctx.in_device is not ctx.out_device:
            g = g.to(ctx.in_device)
        return g.to(ctx.in_dtype)


class _np_errstate:
    def __init__(self, xp):
        self.xp = xp

    def __enter__(self):
        if hasattr(self.xp, "errstate"):
            self._s = self.xp.errstate(invalid="ignore", over="ignore")
            self._s.__enter__()

    def __exit__(self, *a):
        if hasattr(self, "_s"):
            self._s.__exit__(*a)


def _parse_to(args, kwargs):
    dtype = kwargs.pop("dtype", None)
    device = kwargs.pop("device", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    for a in args:
        if isinstance(a, _dtypes.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            dtype, device = a.dtype, a.device
        elif isinstance(a, bool):
            pass
        elif a is not None:
            device = a
    if kwargs:
        raise TypeError(f"to() received an invalid combination of arguments - got unexpected {list(kwargs)}")
    return dtype, device, copy


def tensor_to(self, *args, **kwargs):
    kwargs = dict(kwargs)
    fmt = kwargs.pop("memory_format", None)
    if fmt is not None and fmt.name != "preserve_format":
        return contiguous(tensor_to(self, *args, **kwargs), memory_format=fmt)
    dtype, device, copy = _parse_to(args, kwargs)
    dev = resolve(device) if device is not None else None
    if dev is self._device:
        dev = None
    if (dtype is None or dtype.np == self._data.dtype) and dev is None:
        return self.clone() if copy else self
    out = ToCopy.apply(self, dtype=dtype, device=dev)
    if dev is not None:
        out._data = transfer(out._data, self._device, dev)
        out._device = dev
    return out


class Clone(Op):
    def forward(ctx, x, memory_format=None):
        return in_format(ctx.xp, x, memory_format)

    def backward(ctx, g):
        return g


@method
def clone(input, *, memory_format=None):
    return Clone.apply(input, memory_format=memory_format)


@method
def contiguous(input, memory_format=None):
    a = input._data
    if memory_format is None or memory_format.name in ("contiguous_format", "preserve_format"):
        if a.flags.c_contiguous:
            return input
        return Clone.apply(input, memory_format=contiguous_format)
    if is_in_format(a, memory_format):
        return input
    return Clone.apply(input, memory_format=memory_format)


def view_dtype(input, dtype):
    a = input._data.view(dtype.np)
    out = _wrap(a, input._device)
    from .movement import as_view
    return as_view(out, input, ("view", (dtype,)))
