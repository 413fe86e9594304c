"""Reductions (sum, prod, max, var, norm, logsumexp ...), scans (cumsum, cummax ...), sorting and
selection (sort, topk, median, mode ...) and set-like ops (unique, bincount, histc).

`dim` is an int or a tuple/list (None: every dim), `keepdim` keeps reduced dims as size 1.
Ops that pick elements (max/min with dim, median, sort, topk ...) compute indices first and route
the gradient back through them."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['sum', 'mean', 'nansum', 'nanmean', 'prod', 'max', 'min', 'amax', 'amin', 'aminmax', 'argmax',
           'argmin', 'std', 'var', 'std_mean', 'var_mean', 'logsumexp', 'cumsum', 'cumprod', 'cummax',
           'cummin', 'all', 'any', 'median', 'nanmedian', 'mode', 'kthvalue', 'topk', 'sort', 'argsort',
           'msort', 'unique', 'unique_consecutive', 'count_nonzero', 'bincount', 'histc', 'return_types']

import builtins
import math
import warnings
import collections
import sys
import types

from .. import _dtypes
from .._device import CPU, accumulate as _accumulate
from .._tensor import Tensor
from ._op import Op
from ._registry import method

_wrap = Tensor._wrap

# ---- named result tuples: ember.return_types.<name> ------------------------------------------
return_types = types.ModuleType("ember.return_types", "Named tuples returned by ops such as max(dim), sort, svd.")
sys.modules["ember.return_types"] = return_types


def _rt_repr(self):
    body = ",\n".join(f"{f}={v!r}" for f, v in zip(self._fields, self))
    return f"ember.return_types.{type(self).__name__}(\n{body})"


def result_type(name, fields=("values", "indices")):
    """The named tuple class ember.return_types.<name> (created once)."""
    cls = getattr(return_types, name, None)
    if cls is None:
        cls = collections.namedtuple(name, fields)
        cls.__module__ = "ember.return_types"
        cls.__repr__ = _rt_repr
        setattr(return_types, name, cls)
    return cls


for _n in ("max", "min", "median", "nanmedian", "mode", "kthvalue", "topk", "sort", "cummax", "cummin"):
    result_type(_n)
result_type("aminmax", ("min", "max"))


# ---- dims -------------------------------------------------------------------------------------
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


def _axes(dim, ndim):
    """Like norm_dims, but () for a 0-d input (after checking the dim)."""
    axes = norm_dims(dim, ndim)
    return axes if ndim else ()


def _wrap_dim(d, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= d < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n if ndim else 0


def keep_shape(in_shape, axes):
    return tuple(1 if i in axes else s for i, s in enumerate(in_shape))


def unreduce(g, in_shape, axes, keepdim):
    """A reduced gradient reshaped so it broadcasts against the input (reduced dims as size 1)."""
    if keepdim or not axes or not in_shape:
        return g
    return g.reshape(keep_shape(in_shape, axes))


class Unreduce(Op):
    """Broadcast a reduced gradient back over the reduced dims (the adjoint of sum)."""
    _name = "ExpandBackward0"

    def forward(ctx, g, in_shape, axes, keepdim):
        ctx.axes = axes
        ctx.keepdim = keepdim
        if g.ndim == 0 and len(in_shape) and math.prod(in_shape) <= 65536:
            out = ctx.xp.empty(in_shape, dtype=g.dtype)       # small: a fresh array beats a broadcast view
            out[...] = g
            return out
        if not keepdim and axes and in_shape:
            g = g.reshape(keep_shape(in_shape, axes))
        return ctx.xp.broadcast_to(g, in_shape)

    def backward(ctx, gg):
        return gg.sum(ctx.axes, keepdim=ctx.keepdim) if ctx.axes else gg


def expand_reduced(g, in_shape, axes, keepdim):
    """Broadcast a reduced gradient back to the input shape (one op: it is on every backward)."""
    return Unreduce.apply_one(g, in_shape, axes, keepdim)


def _numel(shape, axes):
    n = 1
    for a in axes:
        n *= shape[a]
    return n


def _legacy(npdt):
    from ._registry import _torch_name
    return _torch_name(_dtypes.from_np(npdt))


_F32 = CPU.xp.dtype("float32")


def _acc_dtype(dt):
    """The dtype a sum of `dt` values accumulates in: float32 for float16/bfloat16 (as PyTorch), else dt."""
    return _F32 if dt.kind == "V" or dt.itemsize == 2 and dt.kind == "f" else dt


def _compute_dtype(x):
    """float16/bfloat16 accumulate in float32 (as PyTorch does); other dtypes stay."""
    return x.astype("float32") if x.dtype.kind == "V" or x.dtype.itemsize == 2 and x.dtype.kind == "f" else x


def _float_only(x, what):
    if x.dtype.kind not in "fcV":
        raise RuntimeError(what)


# ---- sum / mean / nansum / nanmean / prod ------------------------------------------------------
class Sum(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if dim is None and dtype is None and x.ndim and x.dtype.kind == "f" and x.dtype.itemsize >= 4:
            ctx.in_shape = x.shape          # the common full sum (losses): no dtype work needed
            ctx.axes = tuple(range(x.ndim))
            ctx.keepdim = keepdim
            return x.sum(keepdims=keepdim)
        axes = _axes(dim, x.ndim)
        ctx.in_shape = x.shape
        ctx.axes = axes
        ctx.keepdim = keepdim
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype("int64")
        if not axes:
            return x.copy()
        return x.sum(axes, _acc_dtype(x.dtype), None, keepdim).astype(x.dtype, copy=False)

    def backward(ctx, g):
        return expand_reduced(g, ctx.in_shape, ctx.axes, ctx.keepdim)


class Mean(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating point or complex "
                f"dtype. Got: {_legacy(x.dtype)}")
        axes = _axes(dim, x.ndim)
        ctx.in_shape = x.shape
        ctx.axes = axes
        ctx.keepdim = keepdim
        ctx.n = _numel(x.shape, axes)
        if not axes:
            return x.copy()
        if not ctx.n:                   # an empty reduction: nan, silently (NumPy would warn)
            return ctx.xp.full(ctx.xp.sum(x, axis=axes, keepdims=keepdim).shape, float("nan"), dtype=x.dtype)
        return ctx.xp.mean(_compute_dtype(x), axis=axes, keepdims=keepdim).astype(x.dtype, copy=False)

    def backward(ctx, g):
        return expand_reduced(g / ctx.n if ctx.n else g, ctx.in_shape, ctx.axes, ctx.keepdim)


class NanSum(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        if ctx._needs is not None:
            ctx.save_for_backward(~ctx.xp.isnan(x))
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype("int64")
        return ctx.xp.nansum(x, axis=axes, keepdims=keepdim, dtype=x.dtype) if axes else ctx.xp.nan_to_num(x, nan=0.0)

    def backward(ctx, g):
        keep, = ctx.saved_tensors
        return unreduce(g, ctx.in_shape, ctx.axes, ctx.keepdim) * keep


class NanMean(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.np)
        _float_only(x, "nanmean(): expected input to have floating point or complex dtype but got "
                    f"{_legacy(x.dtype)}")
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        xp = ctx.xp
        keep = ~xp.isnan(x)
        cnt = xp.sum(keep, axis=axes, keepdims=True)
        if ctx._needs is not None:
            ctx.save_for_backward((keep / cnt).astype(x.dtype, copy=False))
        s = xp.sum(xp.where(keep, x, 0), axis=axes, keepdims=True)
        out = (s / cnt).astype(x.dtype)
        return out if keepdim else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def backward(ctx, g):
        w, = ctx.saved_tensors
        return unreduce(g, ctx.in_shape, ctx.axes, ctx.keepdim) * w


class Prod(Op):
    def forward(ctx, x, dim=None, keepdim=False, dtype=None):
        if dtype is not None:
            x = x.astype(dtype.np)
        elif x.dtype.kind in "biu":
            x = x.astype("int64")
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        # saved for backward, so an array (a full reduction gives a NumPy scalar)
        out = ctx.xp.asarray(ctx.xp.prod(x, axis=axes, keepdims=keepdim, dtype=x.dtype)) if axes else x.copy()
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        g = unreduce(g, ctx.in_shape, ctx.axes, ctx.keepdim)
        if not ctx.axes:
            return g
        if not bool((x._data == 0).any()):
            return g * unreduce(out, ctx.in_shape, ctx.axes, ctx.keepdim) / x
        # with zeros: the product of the other elements, computed without dividing
        if len(ctx.axes) == x.ndim:
            return g * ProdOthers.apply(x.reshape(-1)).reshape(ctx.in_shape)
        d = ctx.axes[0]
        return g * ProdOthers.apply(x.transpose(d, -1)).transpose(d, -1)


class ProdOthers(Op):
    """out[..., i] = product of x[..., j] over j != i along the last dim (no division, zeros welcome)."""
    _name = "ProdBackward0"

    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = ctx.xp
        ones = xp.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        left = xp.cumprod(xp.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
        right = xp.cumprod(xp.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        return left * right

    def backward(ctx, g):
        # d out_i / d x_j = product over k not in {i, j}: row j of `rows` is x with x_j set to 1
        x, = ctx.saved_tensors
        n = x.shape[-1]
        from .._factory import eye
        e = eye(n, dtype=x.dtype, device=x.device)
        rows = x.reshape(x.shape[:-1] + (1, n)) * (1 - e) + e
        return ((ProdOthers.apply(rows) * (1 - e)) * g.reshape(g.shape[:-1] + (1, n))).sum(-1)


@method
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim and dtype is None and isinstance(input, Tensor):
        return Sum.apply_one(input)
    return Sum.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


@method
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dim is None and not keepdim and dtype is None:
        return Mean.apply(input)
    return Mean.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


@method
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    return NanSum.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


@method
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    return NanMean.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


@method
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, (tuple, list)):
        raise TypeError("prod(): argument 'dim' must be int, not " + type(dim).__name__)
    return Prod.apply(input, dim=dim, keepdim=keepdim, dtype=dtype)


# ---- max / min / amax / amin -----------------------------------------------------------------
class Amax(Op):
    """max over `axes`; the gradient is shared evenly among the elements equal to the result."""
    _fn = "max"

    def forward(ctx, x, dim=None, keepdim=False):
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        xp = ctx.xp
        for a in axes:
            if x.shape[a] == 0:
                raise IndexError(f"{ctx._name[:4].lower()}(): Expected reduction dim {a} to have non-zero size.")
        out = ctx.value(xp, x, axes) if axes else x
        if ctx._needs is not None:
            hit = (x == out) | (xp.isnan(x) & xp.isnan(out))
            w = hit / xp.sum(hit, axis=axes, keepdims=True)
            ctx.save_for_backward(w.astype(x.dtype, copy=False))
        return out if keepdim or not axes else out.reshape([n for i, n in enumerate(x.shape) if i not in axes])

    def value(ctx, xp, x, axes):
        return getattr(xp, ctx._fn)(x, axis=axes, keepdims=True)

    def backward(ctx, g):
        w, = ctx.saved_tensors
        return unreduce(g, ctx.in_shape, ctx.axes, ctx.keepdim) * w


class Amin(Amax):
    _fn = "min"


class MaxAll(Amax):
    _name = "MaxBackward1"


class MinAll(Amax):
    _name = "MinBackward1"
    _fn = "min"


@method
def amax(input, dim=(), keepdim=False):
    return Amax.apply(input, dim=dim, keepdim=keepdim)


@method
def amin(input, dim=(), keepdim=False):
    return Amin.apply(input, dim=dim, keepdim=keepdim)


def _minmax(name, full_op, sel_op, binary):
    def fn(input, dim=None, keepdim=False):
        if isinstance(dim, Tensor):
            return binary(input, dim)
        if dim is None:
            if input._data.size == 0:
                raise RuntimeError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                   "Specify the reduction dim with the 'dim' argument.")
            return full_op.apply(input)
        return _select(sel_op, name, input, dim, keepdim)
    fn.__name__ = name
    return method(fn)


@method
def aminmax(input, *, dim=None, keepdim=False):
    if dim is None and input._data.size == 0:
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity.")
    return return_types.aminmax(amin(input, () if dim is None else dim, keepdim),
                                amax(input, () if dim is None else dim, keepdim))


def _arg(name, fn):
    def arg(input, dim=None, keepdim=False):
        dev = input._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(arg, input, dim, keepdim)
        x = input._data
        xp = dev.xp
        if dim is None:
            if x.size == 0:
                raise IndexError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0.")
            r = getattr(xp, fn)(x.reshape(-1)).astype("int64")
            return _wrap(r.reshape((1,) * x.ndim) if keepdim else xp.asarray(r), input._device)
        a = _wrap_dim(dim, x.ndim)
        if x.ndim == 0:
            return _wrap(xp.zeros((), dtype="int64"), input._device)
        if x.shape[a] == 0:
            raise IndexError(f"{name}(): Expected reduction dim {a} to have non-zero size.")
        r = getattr(xp, fn)(x, axis=a).astype("int64")
        return _wrap(xp.expand_dims(r, a) if keepdim else xp.asarray(r), input._device)
    arg.__name__ = name
    return method(arg)


argmax = _arg("argmax", "argmax")
argmin = _arg("argmin", "argmin")


# ---- selection along one dim: values + indices -------------------------------------------------
def along(xp, idx, axis):
    """The advanced index that picks idx[..., j, ...] along `axis` (idx has the input's other sizes)."""
    out = []
    for a, n in enumerate(idx.shape):
        if a == axis:
            out.append(idx)
        else:
            shape = [1] * idx.ndim
            shape[a] = n
            out.append(xp.arange(n).reshape(shape))
    return tuple(out)


class TakeAlong(Op):
    _name = "GatherBackward0"

    def forward(ctx, x, idx=None, axis=0):
        ctx.idx, ctx.axis, ctx.shape = idx, axis, x.shape
        return x[along(ctx.xp, idx, axis)]

    def backward(ctx, g):
        return PutAlong.apply(g, idx=ctx.idx, axis=ctx.axis, shape=ctx.shape)


class PutAlong(Op):
    """zeros(shape) with g added at idx along axis (repeated indices accumulate)."""
    _name = "ScatterAddBackward0"

    def forward(ctx, g, idx=None, axis=0, shape=()):
        ctx.idx, ctx.axis = idx, axis
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        ctx.device.backend.index_add(out, along(ctx.xp, idx, axis), g)
        return out

    def backward(ctx, gg):
        return TakeAlong.apply(gg, idx=ctx.idx, axis=ctx.axis)


class _Select(Op):
    """Base: `pick(xp, x, axis, **kw)` gives int indices along axis; values are x at those indices.
    Reductions (`reduces`) keep a size-1 dim only with keepdim."""
    differentiable_outputs = (0,)
    reduces = True

    def forward(ctx, x, dim=-1, keepdim=False, **kw):
        xs = x.reshape(1) if x.ndim == 0 else x
        axis = _wrap_dim(dim, x.ndim)
        idx = ctx.pick(ctx.xp, xs, axis, **kw).astype("int64", copy=False)
        vals = xs[along(ctx.xp, idx, axis)]
        ctx.in_shape, ctx.idx, ctx.axis = x.shape, idx, axis
        if x.ndim == 0:
            return vals.reshape(()), idx.reshape(())
        if ctx.reduces and not keepdim:
            return vals.squeeze(axis), idx.squeeze(axis)
        return vals, idx

    def backward(ctx, g, _):
        idx = ctx.idx
        if g.shape != idx.shape:
            g = g.reshape(idx.shape)
        out = PutAlong.apply(g, idx=idx, axis=ctx.axis, shape=ctx.in_shape or (1,))
        return out.reshape(()) if not ctx.in_shape else out


def _nonempty(name, xs, axis):
    if xs.shape[axis] == 0:
        raise IndexError(f"{name}(): Expected reduction dim {axis} to have non-zero size.")


class MaxDim(_Select):
    _name = "MaxBackward0"

    @staticmethod
    def pick(xp, x, axis):
        _nonempty("max", x, axis)
        return xp.expand_dims(xp.argmax(x, axis=axis), axis)


class MinDim(_Select):
    _name = "MinBackward0"

    @staticmethod
    def pick(xp, x, axis):
        _nonempty("min", x, axis)
        return xp.expand_dims(xp.argmin(x, axis=axis), axis)


def _sorted_idx(xp, x, axis, descending=False):
    """Stable argsort; descending keeps equal elements in their original order (NaN counts as largest)."""
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable")
    n = x.shape[axis]
    rev = xp.flip(x, axis)
    return n - 1 - xp.flip(xp.argsort(rev, axis=axis, kind="stable"), axis)


def _nth(xp, x, axis, k):
    """Indices of the element of rank k (0-based; an int, or one per slice) along axis."""
    order = _sorted_idx(xp, x, axis)
    if isinstance(k, builtins.int):
        k = xp.full(keep_shape(x.shape, (axis,)), k, dtype="int64")
    else:
        k = xp.expand_dims(k, axis)
    return xp.take_along_axis(order, k, axis)


class MedianDim(_Select):
    _name = "MedianBackward1"

    @staticmethod
    def pick(xp, x, axis):
        _nonempty("median", x, axis)
        idx = _nth(xp, x, axis, (x.shape[axis] - 1) // 2)
        if x.dtype.kind in "fcV":   # any NaN makes the median NaN, at its first position
            nan = xp.isnan(x)
            first = xp.expand_dims(xp.argmax(nan, axis=axis), axis)
            idx = xp.where(xp.any(nan, axis=axis, keepdims=True), first, idx)
        return idx


class NanMedianDim(_Select):
    _name = "NanmedianBackward1"

    @staticmethod
    def pick(xp, x, axis):
        _nonempty("nanmedian", x, axis)
        if x.dtype.kind not in "fcV":
            return _nth(xp, x, axis, (x.shape[axis] - 1) // 2)
        cnt = xp.sum(~xp.isnan(x), axis=axis)
        k = xp.maximum(cnt - 1, 0) // 2
        return _nth(xp, x, axis, k)


class Kthvalue(_Select):
    @staticmethod
    def pick(xp, x, axis, k=1):
        if not 1 <= k <= x.shape[axis]:
            raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {axis}")
        return _nth(xp, x, axis, k - 1)


class Mode(_Select):
    @staticmethod
    def pick(xp, x, axis):
        _nonempty("mode", x, axis)
        order = _sorted_idx(xp, x, axis)
        s = xp.moveaxis(xp.take_along_axis(x, order, axis), axis, -1)
        n = s.shape[-1]
        pos = xp.arange(n)
        new_run = xp.concatenate([xp.ones(s.shape[:-1] + (1,), dtype=bool), s[..., 1:] != s[..., :-1]], -1)
        start = _accumulate(xp, "maximum", xp.where(new_run, pos, 0), -1)
        run_end = xp.concatenate([new_run[..., 1:], xp.ones(s.shape[:-1] + (1,), dtype=bool)], -1)
        length = xp.where(run_end, pos - start + 1, 0)
        best = xp.expand_dims(xp.argmax(length, axis=-1), -1)      # first (smallest) most frequent value
        # the last occurrence of that value in the input: the end of its run in the stable order
        return xp.take_along_axis(order, xp.moveaxis(best, -1, axis), axis)


class Topk(_Select):
    reduces = False

    @staticmethod
    def pick(xp, x, axis, k=1, largest=True):
        if not 0 <= k <= x.shape[axis]:
            raise RuntimeError("selected index k out of range")
        order = _sorted_idx(xp, x, axis, descending=largest)
        return xp.take(order, xp.arange(k), axis=axis)


class Sort(_Select):
    reduces = False

    @staticmethod
    def pick(xp, x, axis, descending=False):
        return _sorted_idx(xp, x, axis, descending)


def _cum_pick(fn):
    """Index of the running max/min (the latest among equals; NaN propagates, as in PyTorch)."""
    def pick(xp, x, axis):
        best = _accumulate(xp, fn, x, axis)
        shape = [1] * x.ndim
        shape[axis] = x.shape[axis]
        pos = xp.arange(x.shape[axis]).reshape(shape)
        hit = (x == best) | (xp.isnan(x) if x.dtype.kind in "fcV" else False)
        return _accumulate(xp, "maximum", xp.where(hit, pos, 0), axis)
    return staticmethod(pick)


class Cummax(_Select):
    reduces = False
    pick = _cum_pick("maximum")


class Cummin(_Select):
    reduces = False
    pick = _cum_pick("minimum")


def _select(op, name, input, dim, keepdim=False, **kw):
    v, i = op.apply(input, dim=dim, keepdim=keepdim, **kw)
    return getattr(return_types, name)(v, i)


def _maximum(a, b):
    from .. import maximum as m
    return m(a, b)


def _minimum(a, b):
    from .. import minimum as m
    return m(a, b)


max = _minmax("max", MaxAll, MaxDim, _maximum)
min = _minmax("min", MinAll, MinDim, _minimum)


class MedianAll(Amax):
    """Median of all elements (the lower one for an even count); ties share the gradient."""
    _name = "MedianBackward0"
    _pick = staticmethod(MedianDim.pick)

    def value(ctx, xp, x, axes):
        flat = x.reshape(-1)
        return flat[ctx._pick(xp, flat, 0)].reshape((1,) * x.ndim)


class NanMedianAll(MedianAll):
    _name = "NanmedianBackward0"
    _pick = staticmethod(NanMedianDim.pick)


@method
def median(input, dim=None, keepdim=False):
    if dim is None:
        if input._data.size == 0:
            return _nan_scalar(input)
        return MedianAll.apply(input)
    return _select(MedianDim, "median", input, dim, keepdim)


@method
def nanmedian(input, dim=None, keepdim=False):
    if dim is None:
        if input._data.size == 0:
            return _nan_scalar(input)
        return NanMedianAll.apply(input)
    return _select(NanMedianDim, "nanmedian", input, dim, keepdim)


def _nan_scalar(input):
    """The median of an empty tensor: a 0-d NaN of its dtype on its device."""
    from .._factory import full
    return full((), float("nan"), dtype=input.dtype, device=input._device)


@method
def mode(input, dim=-1, keepdim=False):
    return _select(Mode, "mode", input, dim, keepdim)


@method
def kthvalue(input, k, dim=-1, keepdim=False):
    return _select(Kthvalue, "kthvalue", input, dim, keepdim, k=k)


@method
def topk(input, k, dim=-1, largest=True, sorted=True):
    return _select(Topk, "topk", input, dim, k=k, largest=largest)


@method
def sort(input, dim=-1, descending=False, stable=False):
    return _select(Sort, "sort", input, dim, descending=descending)


@method
def argsort(input, dim=-1, descending=False, stable=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(argsort, input, dim, descending, stable)
    x = input._data
    xp = dev.xp
    a = _wrap_dim(dim, x.ndim)
    if x.ndim == 0:
        return _wrap(xp.zeros((), dtype="int64"), input._device)
    return _wrap(_sorted_idx(xp, x, a, descending).astype("int64", copy=False), input._device)


@method
def msort(input):
    return sort(input, 0)[0]


@method
def cummax(input, dim):
    return _select(Cummax, "cummax", input, dim)


@method
def cummin(input, dim):
    return _select(Cummin, "cummin", input, dim)


# ---- variance / std ---------------------------------------------------------------------------
def _correction(dim, unbiased, correction):
    if isinstance(dim, builtins.bool):     # var(x, False): the old `unbiased` positional
        dim, unbiased = None, dim
    if correction is None:
        correction = 1 if unbiased is None else int(unbiased)
    return dim, correction


def _user_stacklevel():
    """warnings.warn's stacklevel for the first caller outside ember (from the caller of this)."""
    f, level = sys._getframe(2), 2
    while f is not None and f.f_globals.get("__name__", "").startswith("ember."):
        f, level = f.f_back, level + 1
    return level


class Var(Op):
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        _float_only(x, "std and var only support floating point and complex dtypes")
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        ctx.dof = _numel(x.shape, axes) - correction
        ctx.save_for_backward(x)
        xc = _compute_dtype(x)
        if ctx.dof > 0:
            out = ctx.xp.var(xc, axis=axes, ddof=correction, keepdims=keepdim) if axes else xc - xc
        else:
            name = "std" if isinstance(ctx, Std) else "var"
            warnings.warn(f"{name}(): degrees of freedom is <= 0. Correction should be strictly less than the "
                          "reduction factor (input numel divided by output numel).", UserWarning,
                          stacklevel=_user_stacklevel())
            with warnings.catch_warnings(), ctx.xp.errstate(all="ignore"):
                warnings.simplefilter("ignore", RuntimeWarning)
                out = ctx.xp.var(xc, axis=axes, ddof=correction, keepdims=keepdim) if axes else \
                    (xc - xc) / (1 - correction) if correction else xc - xc
        return out.astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        centred = x - x.mean(ctx.axes, keepdim=True) if ctx.axes else x - x.detach()
        return unreduce(g, ctx.in_shape, ctx.axes, ctx.keepdim) * centred * (2.0 / ctx.dof)


class Std(Var):
    def forward(ctx, x, dim=None, correction=1, keepdim=False):
        out = ctx.xp.asarray(ctx.xp.sqrt(Var.forward(ctx, x, dim, correction, keepdim)))
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        centred = x - x.mean(ctx.axes, keepdim=True) if ctx.axes else x - x.detach()
        safe = out + (out == 0)         # zero std: zero gradient instead of 0/0
        return unreduce(g / (safe * ctx.dof), ctx.in_shape, ctx.axes, ctx.keepdim) * centred


@method
def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, correction = _correction(dim, unbiased, correction)
    return Var.apply(input, dim=dim, correction=correction, keepdim=keepdim)


@method
def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    dim, correction = _correction(dim, unbiased, correction)
    return Std.apply(input, dim=dim, correction=correction, keepdim=keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _correction(dim, unbiased, correction)[0], keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, _correction(dim, unbiased, correction)[0], keepdim))


# ---- logsumexp / vector norm ------------------------------------------------------------------
class Logsumexp(Op):
    def forward(ctx, x, dim=None, keepdim=False):
        xp = ctx.xp
        if x.dtype.kind in "biu":
            x = x.astype(_dtypes.get_default_dtype().np)
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim = x.shape, axes, keepdim
        xc = _compute_dtype(x)
        if x.size:
            m = xp.max(xc, axis=axes, keepdims=True) if axes else xc
            m = xp.where(xp.isfinite(m), m, 0)
            out = xp.log(xp.sum(xp.exp(xc - m), axis=axes, keepdims=True)) + m
        else:
            out = xp.log(xp.sum(xp.exp(xc), axis=axes, keepdims=True))
        if not keepdim:
            out = out.reshape([n for i, n in enumerate(x.shape) if i not in axes])
        out = out.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        u = unreduce
        return u(g, ctx.in_shape, ctx.axes, ctx.keepdim) * (x - u(out, ctx.in_shape, ctx.axes, ctx.keepdim)).exp()


@method
def logsumexp(input, dim, keepdim=False):
    return Logsumexp.apply(input, dim=dim, keepdim=keepdim)


class LinalgVectorNorm(Op):
    """(sum |x|^p)^(1/p) over `dim`; p = inf/-inf: max/min |x|; p = 0: count of non-zeros."""

    def forward(ctx, x, ord=2, dim=None, keepdim=False, dtype=None):
        if x.dtype.kind not in "fcV":
            raise RuntimeError("linalg.vector_norm: Expected a floating point or complex tensor as input. "
                               f"Got {_legacy(x.dtype)}")
        if dtype is not None:
            x = x.astype(dtype.np)
        xp = ctx.xp
        axes = _axes(dim, x.ndim)
        ctx.in_shape, ctx.axes, ctx.keepdim, ctx.ord = x.shape, axes, keepdim, ord
        a = xp.abs(_compute_dtype(x))
        if ord == float("inf") or ord == -float("inf"):
            if x.size == 0 and builtins.any(x.shape[i] == 0 for i in axes):
                raise RuntimeError(f"linalg.vector_norm cannot compute the {ord} norm on an empty tensor because "
                                   "the operation does not have an identity")
            out = (xp.max if ord > 0 else xp.min)(a, axis=axes, keepdims=True) if axes else a
        elif ord == 0:
            out = xp.sum(a != 0, axis=axes, keepdims=True).astype(a.dtype)
        elif ord == 1:
            out = xp.sum(a, axis=axes, keepdims=True)
        elif ord == 2:
            out = xp.sqrt(xp.sum(a * a, axis=axes, keepdims=True))
        else:
            out = xp.sum(a ** ord, axis=axes, keepdims=True) ** (1.0 / ord)
        if not keepdim:
            out = out.reshape([n for i, n in enumerate(x.shape) if i not in axes])
        out = out.astype(x.dtype, copy=False)
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        p = ctx.ord
        if p == 0:              # piecewise constant: no gradient at all, as in PyTorch
            return None
        g = unreduce(g, ctx.in_shape, ctx.axes, ctx.keepdim)
        n = unreduce(out, ctx.in_shape, ctx.axes, ctx.keepdim)
        sign = _wrap(x._device.xp.sign(x._data), x._device)
        if p == 1:
            return g * sign
        if p == 2:
            return g * x / (n + (n == 0))        # zero norm: zero gradient
        if p == float("inf") or p == -float("inf"):
            hit = (x * sign == n).to(x.dtype)
            return g * sign * hit / hit.sum(ctx.axes, keepdim=True)
        ax = x * sign
        return g * sign * ax ** (p - 1) / (n + (n == 0)) ** (p - 1)


# ---- scans ------------------------------------------------------------------------------------
def _scan_dtype(x, dtype):
    if dtype is not None:
        return x.astype(dtype.np)
    return x.astype("int64") if x.dtype.kind in "biu" else x


def _rev_cumsum(t, d):
    """Sum of t[j] over j >= i along d (without flipping)."""
    return t.sum(d, keepdim=True) - t.cumsum(d) + t


class Cumsum(Op):
    def forward(ctx, x, dim=0, dtype=None):
        ctx.axis = _wrap_dim(dim, x.ndim)
        x = _scan_dtype(x, dtype)
        return ctx.xp.cumsum(x, axis=ctx.axis, dtype=x.dtype) if x.ndim else x.copy()

    def backward(ctx, g):
        return _rev_cumsum(g, ctx.axis) if g.ndim else g


class Cumprod(Op):
    def forward(ctx, x, dim=0, dtype=None):
        ctx.axis = _wrap_dim(dim, x.ndim)
        x = _scan_dtype(x, dtype)
        out = ctx.xp.cumprod(x, axis=ctx.axis, dtype=x.dtype) if x.ndim else x.copy()
        ctx.save_for_backward(x, out)
        return out

    def backward(ctx, g):
        x, out = ctx.saved_tensors
        d = ctx.axis
        if not x.ndim or x.shape[d] == 0:
            return g
        if not bool((x._data == 0).any()):
            return _rev_cumsum(g * out, d) / x
        # with zeros: grad_i = sum_{j>=i} g_j * prod_{k<=j, k!=i} x_k, row i of `rows` has x_i set to 1
        from .._factory import eye, ones
        n = x.shape[d]
        xt, gt = x.transpose(d, -1), g.transpose(d, -1)
        e = eye(n, dtype=x.dtype, device=x.device)
        rows = xt.reshape(xt.shape[:-1] + (1, n)) * (1 - e) + e
        upper = _wrap(x._device.xp.triu(x._device.xp.ones((n, n), dtype=x._data.dtype)), x._device)
        return ((rows.cumprod(-1) * upper) * gt.reshape(gt.shape[:-1] + (1, n))).sum(-1).transpose(d, -1)


@method
def cumsum(input, dim, *, dtype=None):
    return Cumsum.apply(input, dim=dim, dtype=dtype)


@method
def cumprod(input, dim, *, dtype=None):
    return Cumprod.apply(input, dim=dim, dtype=dtype)


# ---- logical reductions and counting ----------------------------------------------------------
def _logical(name):
    def fn(input, dim=None, keepdim=False):
        dev = input._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(fn, input, dim, keepdim)
        x = input._data
        xp = dev.xp
        axes = _axes(dim, x.ndim)
        r = getattr(xp, name)(x, axis=axes, keepdims=keepdim) if axes else x.astype(bool)
        return _wrap(xp.asarray(r, dtype="uint8" if x.dtype == "uint8" else bool), input._device)
    fn.__name__ = name
    return method(fn)


all = _logical("all")
any = _logical("any")


@method
def count_nonzero(input, dim=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(count_nonzero, input, dim)
    x = input._data
    xp = dev.xp
    axes = _axes(dim, x.ndim)
    r = xp.sum(x != 0, axis=axes) if axes else (x != 0)
    return _wrap(xp.asarray(r, dtype="int64"), input._device)


@method
def bincount(input, weights=None, minlength=0):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(bincount, input, weights, minlength)
    x = input._data
    xp = dev.xp
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and int(x.min()) < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return _wrap(xp.bincount(x, minlength=minlength).astype("int64"), input._device)
    w = weights._data
    if w.shape != x.shape:
        raise RuntimeError("weights should be 1-d and have the same length as input")
    r = xp.bincount(x, weights=w, minlength=minlength)
    return _wrap(r.astype(w.dtype if w.dtype.kind in "fV" else "float64"), input._device)


@method
def histc(input, bins=100, min=0, max=0):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(histc, input, bins, min, max)
    x = input._data
    xp = dev.xp
    if x.dtype.kind not in "fV":
        raise RuntimeError(f'"histogram_cpu" not implemented for \'{_legacy(x.dtype)}\'')
    lo, hi = float(min), float(max)
    if lo == hi and x.size:
        lo, hi = float(x.min()), float(x.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if lo > hi:
        raise RuntimeError("torch.histogram(): max must be larger than min")
    r, _ = xp.histogram(x.astype("float64"), bins=bins, range=(lo, hi))
    return _wrap(r.astype(x.dtype), input._device)


# ---- unique -----------------------------------------------------------------------------------
def _unique_out(dev, vals, inverse, counts, return_inverse, return_counts):
    out = (_wrap(vals, dev),)
    if return_inverse:
        out += (_wrap(inverse.astype("int64"), dev),)
    if return_counts:
        out += (_wrap(counts.astype("int64"), dev),)
    return out[0] if len(out) == 1 else out


@method
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(unique, input, sorted, return_inverse, return_counts, dim)
    x = input._data
    xp = dev.xp
    if dim is None:
        vals, inv, cnt = xp.unique(x.reshape(-1), return_inverse=True, return_counts=True)
        inv = inv.reshape(x.shape)
    else:
        a = _wrap_dim(dim, x.ndim)
        vals, inv, cnt = xp.unique(x, return_inverse=True, return_counts=True, axis=a)
        inv = inv.reshape(-1)
    return _unique_out(input._device, vals, inv, cnt, return_inverse, return_counts)


@method
def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(unique_consecutive, input, return_inverse, return_counts, dim)
    x = input._data
    xp = dev.xp
    if dim is None:
        a, x = 0, x.reshape(-1)
    else:
        a = _wrap_dim(dim, x.ndim)
    n = x.shape[a]
    rows = xp.moveaxis(x, a, 0).reshape(n, -1)
    new = xp.ones(n, dtype=bool)
    if n:
        new[1:] = xp.any(rows[1:] != rows[:-1], axis=1)
    starts = xp.nonzero(new)[0]
    inv = xp.cumsum(new) - 1
    cnt = xp.diff(xp.concatenate([starts, xp.asarray([n])]))
    return _unique_out(input._device, xp.take(x, starts, axis=a), inv.reshape(input._data.shape) if dim is None
                       else inv, cnt, return_inverse, return_counts)
