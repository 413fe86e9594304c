"""Shape ops and basic/advanced indexing. Views share memory with their base, as in PyTorch."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['view_as', 'reshape', 'expand_as', 'broadcast_to', 'permute', 'transpose', 'swapaxes', 'swapdims', 't']

import builtins

from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import edge, Node
from ._op import Op
from ._registry import method

_wrap = Tensor._wrap
_enabled = grad_mode._enabled


def as_view(out, src, step):
    """Mark `out` as a view of `src` created by `step` = (method name, args)."""
    base = src._base
    out._base = src if base is None else base
    out._vc = src._shared_vc()
    parent = src.__dict__.get("_view_steps", ()) if base is not None else ()
    out._view_steps = parent + (step,)
    return out


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def infer_shape(shape, numel, what="view"):
    shape = list(shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    known = 1
    for s in shape:
        if s != -1:
            if s < 0:
                raise RuntimeError(f"invalid shape dimension {s}")
            known *= s
    if neg:
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(_neg_repr(shape))}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


def _neg_repr(shape):
    return shape


class View(Op):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class Reshape(View):
    _name = "ViewBackward0"

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.reshape(x, shape)


class UnsafeView(View):
    _name = "UnsafeViewBackward0"

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.reshape(x, shape).copy() if not x.flags.c_contiguous else x.reshape(shape)


@method
def view(input, *shape):
    if len(shape) == 1 and not isinstance(shape[0], (tuple, list, int)) and hasattr(shape[0], "np"):
        from .conversion import view_dtype
        return view_dtype(input, shape[0])
    shape = infer_shape(_shape_arg(shape), input._data.size)
    a = input._data
    if not a.flags.c_contiguous and not _viewable(a, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead.")
    out = View.apply(input, shape=shape)
    return as_view(out, input, ("view", shape))


def _viewable(a, shape):
    try:
        b = a.view()
        b.shape = shape   # NumPy refuses when a copy would be needed
        return True
    except (AttributeError, ValueError):
        return False


@method
def reshape(input, *shape):
    shape = infer_shape(_shape_arg(shape), input._data.size)
    a = input._data
    if a.shape == shape and False:
        return input
    if a.flags.c_contiguous or _viewable(a, shape):
        return as_view(View.apply(input, shape=shape), input, ("view", shape))
    return UnsafeView.apply(input, shape=shape)


@method
def view_as(input, other):
    return view(input, other.shape)


@method
def reshape_as(input, other):
    return reshape(input, other.shape)


class Expand(Op):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    def backward(ctx, g):
        from ..autograd.engine import sum_to
        return sum_to(g, ctx.in_shape)


@method
def expand(input, *sizes):
    sizes = _shape_arg(sizes)
    a = input._data
    if len(sizes) < a.ndim:
        raise RuntimeError(
            f"expand(torch.{input.dtype._legacy}{{{list(a.shape)}}}, size={list(sizes)}): the number of sizes "
            f"provided ({len(sizes)}) must be greater or equal to the number of dimensions in the tensor ({a.ndim})")
    lead = len(sizes) - a.ndim
    shape = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"expand: the expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}")
            shape.append(s)
            continue
        cur = a.shape[i - lead]
        if s == -1:
            shape.append(cur)
        elif cur == 1 or cur == s:
            shape.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(a.shape)}")
    shape = tuple(shape)
    if shape == a.shape:
        out = Expand.apply(input, shape=shape)
    else:
        out = Expand.apply(input, shape=shape)
    return as_view(out, input, ("expand", shape))


@method
def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, size):
    return expand(input, size)


class Permute(Op):
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.transpose(x, dims)

    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inv[d] = i
        return g.permute(inv)


class Transpose(Permute):
    pass


@method
def permute(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(input._wrap_dim(d) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return as_view(Permute.apply(input, dims=dims), input, ("permute", dims))


@method("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    n = input._data.ndim
    if n == 0:
        return as_view(Transpose.apply(input, dims=()), input, ("transpose", (dim0, dim1)))
    d0, d1 = input._wrap_dim(dim0), input._wrap_dim(dim1)
    dims = list(range(n))
    dims[d0], dims[d1] = dims[d1], dims[d0]
    return as_view(Transpose.apply(input, dims=tuple(dims)), input, ("transpose", (dim0, dim1)))


swapaxes = swapdims = transpose


@method
def t(input):
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    if n < 2:
        return as_view(Transpose.apply(input, dims=tuple(range(n))), input, ("t", ()))
    return transpose(input, 0, 1)


Tensor.T = property(lambda self: permute(self, tuple(reversed(range(self._data.ndim)))))
Tensor.mT = property(lambda self: transpose(self, -2, -1))
Tensor.H = property(lambda self: self.T.conj() if self.is_complex() else self.T)
Tensor.mH = property(lambda self: self.mT.conj() if self.is_complex() else self.mT)


# ---- indexing ----------------------------------------------------------------------------------
def _convert_index(idx, xp):
    """A Python/Tensor index -> (NumPy index, is_advanced)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    adv = False
    for i in idx:
        if isinstance(i, Tensor):
            a = i._data
            if a.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.ndim == 0 and a.dtype.kind in "iu":
                out.append(int(a))
                continue
            adv = True
            out.append(a)
        elif isinstance(i, (list,)) or (hasattr(i, "__array__") and not isinstance(i, (int, slice))):
            a = xp.asarray(i)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            adv = True
            out.append(a)
        elif isinstance(i, bool):
            adv = True
            out.append(i)
        elif i is None or i is Ellipsis or isinstance(i, (int, slice)):
            if isinstance(i, slice) and i.step is not None and i.step <= 0:
                raise ValueError("step must be greater than zero")
            out.append(i)
        elif hasattr(i, "__index__"):
            out.append(i.__index__())
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                f"(got {type(i).__name__})")
    return tuple(out), adv


def _check_bounds(shape, idx):
    dim = 0
    for i in idx:
        if i is None:
            continue
        if i is Ellipsis:
            dim = len(shape) - builtins.sum(1 for j in idx if j is not None and j is not Ellipsis) + dim
            continue
        if isinstance(i, int) and not isinstance(i, bool):
            if dim >= len(shape):
                raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
            if not -shape[dim] <= i < shape[dim]:
                raise IndexError(f"index {i} is out of bounds for dimension {dim} with size {shape[dim]}")
        dim += 1 if not (hasattr(i, "dtype") and i.dtype.kind == "b") else i.ndim


class Index(Op):
    def forward(ctx, x, idx, adv):
        ctx.in_shape = x.shape
        ctx.idx = idx
        ctx.adv = adv
        return x[idx]

    def backward(ctx, g):
        return IndexGrad.apply(g, shape=ctx.in_shape, idx=ctx.idx, adv=ctx.adv)


class Slice(Index):
    pass


class Select(Index):
    pass


class IndexGrad(Op):
    """Scatter a gradient of x[idx] back into zeros of x's shape (adds repeated indices)."""
    _name = "IndexBackwardBackward0"

    def forward(ctx, g, shape, idx, adv):
        ctx.idx = idx
        ctx.adv = adv
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if adv:
            ctx.device.backend.index_add(out, idx, g)
        else:
            out[idx] = g
        return out

    def backward(ctx, gg):
        return Index.apply(gg, idx=ctx.idx, adv=ctx.adv)


def getitem(self, idx):
    xp = self._device.xp
    np_idx, adv = _convert_index(idx, xp)
    if not adv:
        _check_bounds(self._data.shape, np_idx)
        if len(np_idx) == 1 and isinstance(np_idx[0], int):
            out = Select.apply(self, idx=np_idx, adv=False)
        else:
            out = Slice.apply(self, idx=np_idx, adv=False)
        return as_view(out, self, ("__getitem__", (idx,)))
    try:
        return Index.apply(self, idx=np_idx, adv=True)
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


def setitem(self, idx, value):
    from ._registry import apply_inplace, check_inplace
    xp = self._device.xp
    np_idx, adv = _convert_index(idx, xp)
    if not adv:
        _check_bounds(self._data.shape, np_idx)
    if not isinstance(value, Tensor):
        if not (_enabled[0] and self._rg):
            self._data[np_idx] = value
            self._bump()
            return
        from .._factory import tensor
        value = tensor(value, dtype=self.dtype, device=self._device)
    if not (_enabled[0] and (value._rg or self._rg)):
        v = value._data
        if value._device is not self._device:
            v = value.to(self._device)._data
        self._data[np_idx] = v
        self._bump()
        return
    check_inplace(self)
    out = IndexPut.apply(self, value, idx=np_idx, accumulate=False)
    apply_inplace(self, out)


class IndexPut(Op):
    def forward(ctx, x, v, idx, accumulate):
        ctx.idx = idx
        ctx.accumulate = accumulate
        out = x.copy()
        v = v.astype(x.dtype, copy=False)
        if accumulate:
            ctx.device.backend.index_add(out, idx, v)
        else:
            out[idx] = v
        ctx.v_shape = v.shape
        return out

    def backward(ctx, g):
        n = ctx._needs
        gx = gv = None
        if n[0]:
            if ctx.accumulate:
                gx = g
            else:
                mask = ctx.xp.ones(g.shape, dtype=bool)
                mask[ctx.idx] = False
                gx = g * _wrap(mask, g._device)
        if n[1]:
            gv = Index.apply(g, idx=ctx.idx, adv=True)
            from ..autograd.engine import sum_to
            gv = sum_to(gv, ctx.v_shape) if gv.shape != ctx.v_shape else gv
        return gx, gv


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem


# ---- in-place through views (CopySlices) ---------------------------------------------------
class CopySlices(Node):
    """grad_fn of a base after an in-place op on one of its views."""
    _name = "CopySlices"

    def __init__(self, base_edge, view_edge, steps, base_shape, region_mask):
        self.next_functions = (base_edge, view_edge)
        self.steps = steps
        self.mask = region_mask
        self._meta = None

    def backward(self, g):
        keep = 1 - self.mask
        g_base = g * keep
        gv = g
        for name, args in self.steps:
            gv = getattr(gv, name)(*args)
        return g_base, gv


def rebase_view(view_t):
    """After an in-place op recorded on `view_t`, give its base a CopySlices history."""
    base = view_t._base
    steps = view_t.__dict__.get("_view_steps")
    if steps is None:
        return
    xp = base._device.xp
    mask_arr = xp.zeros(base._data.shape, dtype=base._data.dtype)
    m = _wrap(mask_arr, base._device)
    region = m
    for name, args in steps:
        region = getattr(region, name)(*args)
    region._data[...] = 1
    node = CopySlices(edge(base), (view_t.grad_fn, view_t._output_nr), steps, base._data.shape, m)
    base.grad_fn = node
    base._output_nr = 0
    base._rg = True
