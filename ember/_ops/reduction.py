"""Reductions: sum, mean, ... with `dim` (int or tuple) and `keepdim`."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['sum', 'mean']

import builtins

from .. import _dtypes
from .._tensor import Tensor
from ._op import Op
from ._registry import method

_wrap = Tensor._wrap


def norm_dims(dim, ndim):
    """`dim` argument (None, int, tuple/list) -> tuple of non-negative axes (all for None)."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, (tuple, list)):
        out = tuple(_wrap_dim(d, ndim) for d in dim)
        if len(set(out)) != len(out):
            raise RuntimeError(f"dim {out[0]} appears multiple times in the list of dims")
        return out
    return (_wrap_dim(dim, ndim),)


def _wrap_dim(d, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n if ndim else 0


def expand_reduced(g, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input shape (ember ops)."""
    if not keepdim and axes:
        shape = list(in_shape)
        for a in axes:
            shape[a] = 1
        g = g.reshape(tuple(shape)) if len(in_shape) else g
    return g.expand(in_shape)


class Sum(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        axes = norm_dims(dim, x.ndim) if x.ndim else ()
        ctx.in_shape = x.shape
        ctx.axes = axes
        ctx.keepdim = keepdim
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype("int64")
        return ctx.xp.sum(x, axis=axes, keepdims=keepdim) if axes else (x.copy() if not keepdim or x.ndim else x.copy())

    def backward(ctx, g):
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim)


class Mean(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                f"dtype. Got: {_dtypes.from_np(x.dtype).name.capitalize() if False else _legacy(x.dtype)}")
        axes = norm_dims(dim, x.ndim) if x.ndim else ()
        ctx.in_shape = x.shape
        ctx.axes = axes
        ctx.keepdim = keepdim
        n = 1
        for a in axes:
            n *= x.shape[a]
        ctx.n = n
        if not axes:
            return x.copy()
        return ctx.xp.mean(x, axis=axes, keepdims=keepdim, dtype=x.dtype if x.dtype.kind != "V" else "float32").astype(x.dtype, copy=False)

    def backward(ctx, g):
        return expand_reduced(g / ctx.n if ctx.n else g, ctx.in_shape, ctx.axes, ctx.keepdim)


def _legacy(npdt):
    return {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int", "int16": "Short",
            "int8": "Char", "uint8": "Byte", "bool": "Bool"}.get(_dtypes.from_np(npdt).name, str(npdt))


@method
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim and dtype is None:
        return Sum.apply(input)
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


@method
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim and dtype is None:
        return Mean.apply(input)
    return Mean.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)
