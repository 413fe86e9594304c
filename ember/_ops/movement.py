"""Shape ops, views and indexing. Views share memory (and the version counter) with their base,
exactly where PyTorch returns views; everything else returns fresh arrays."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['view_as', 'reshape', 'expand_as', 'broadcast_to', 'permute', 'transpose', 'swapaxes', 'swapdims', 't',
           'flatten', 'unflatten', 'ravel', 'squeeze', 'unsqueeze', 'movedim', 'moveaxis', 'tile',
           'repeat_interleave', 'flip', 'fliplr', 'flipud', 'roll', 'rot90', 'cat', 'concat', 'concatenate',
           'stack', 'hstack', 'vstack', 'dstack', 'column_stack', 'row_stack', 'split', 'tensor_split', 'chunk',
           'unbind', 'narrow', 'select', 'gather', 'scatter', 'scatter_add', 'scatter_reduce', 'index_select',
           'index_add', 'index_copy', 'index_fill', 'index_put', 'masked_fill', 'masked_select', 'masked_scatter',
           'take', 'take_along_dim', 'put', 'nonzero', 'argwhere', 'tril', 'triu', 'diag', 'diag_embed', 'diagonal',
           'diagflat', 'cartesian_prod', 'meshgrid', 'broadcast_tensors', 'broadcast_shapes', 'atleast_1d',
           'atleast_2d', 'atleast_3d', 'as_strided', 'hsplit', 'vsplit', 'dsplit']

import builtins
import re

from .. import _dtypes
from .._device import CPU
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.graph import edge, next_seq, Node
from ._op import Op
from ._promote import broadcast_error
from ._registry import method, apply_inplace

_wrap = Tensor._wrap
_enabled = grad_mode._enabled
_int = builtins.int
_sum = builtins.sum


def as_view(out, src, step):
    """Mark `out` as a view of `src` created by `step` = (method name, args); returns `out`."""
    base = src._base
    out._base = src if base is None else base
    out._vc = src._shared_vc()
    parent = src.__dict__.get("_view_steps", ()) if base is not None else ()
    out._view_steps = parent + (step,)
    out._view_ver = out._vc[0]
    return out


def refresh_view(t):
    """A view whose base was modified in place after the view was taken: its gradient history
    becomes that of the same view of the base's current history (as PyTorch regenerates it)."""
    steps = t.__dict__.get("_view_steps")
    t._view_ver = t._vc[0]
    base = t._base
    if steps is None or not base._rg:
        return
    with grad_mode.enable_grad():
        r = base
        for name, args in steps:
            r = getattr(r, name)(*args)
    t.grad_fn = r.grad_fn
    t._output_nr = r._output_nr
    t._rg = r._rg


def _shape_arg(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = shape[0]
    return tuple(_int(s) for s in shape)


def _dims_arg(dims):
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        return tuple(dims[0])
    return dims


def _wrap_dim(dim, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n if ndim else 0


def infer_shape(shape, numel):
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
            raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
        shape[neg[0]] = numel // known
    elif known != numel:
        raise RuntimeError(f"shape '{shape}' is invalid for input of size {numel}")
    return tuple(shape)


def _legacy(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[d.name]


# ---- reshaping views ---------------------------------------------------------------------------
class View(Op):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.in_shape)


class UnsafeView(View):
    """reshape that had to copy (the result is not a view)."""


class Squeeze0(View):
    _name = "SqueezeBackward0"


class Squeeze1(View):
    _name = "SqueezeBackward1"


class Squeeze2(View):
    _name = "SqueezeBackward2"


class Unsqueeze(View):
    _name = "UnsqueezeBackward0"


def _viewable(a, shape):
    if a.flags.c_contiguous:
        return True
    try:
        b = a.view()
        b.shape = shape   # NumPy refuses when a copy would be needed
        return True
    except (AttributeError, ValueError):
        return False


def _reshape_view(input, shape, cls=View, step=None):
    return as_view(cls.apply(input, shape=shape), input, step or ("reshape", (shape,)))


@method
def view(input, *shape):
    if len(shape) == 1 and isinstance(shape[0], _dtypes.dtype):
        from .conversion import view_dtype
        return view_dtype(input, shape[0])
    shape = infer_shape(_shape_arg(shape), input._data.size)
    if not _viewable(input._data, shape):
        raise RuntimeError(
            "view size is not compatible with input tensor's size and stride (at least one dimension spans "
            "across two contiguous subspaces). Use .reshape(...) instead.")
    return _reshape_view(input, shape)


@method
def reshape(input, *shape):
    shape = infer_shape(_shape_arg(shape), input._data.size)
    if _viewable(input._data, shape):
        return _reshape_view(input, shape)
    return UnsafeView.apply(input, shape=shape)


@method
def view_as(input, other):
    return view(input, other.shape)


@method
def reshape_as(input, other):
    return reshape(input, other.shape)


@method
def flatten(input, start_dim=0, end_dim=-1):
    n = input._data.ndim
    if n == 0:
        return reshape(input, (1,))
    s, e = _wrap_dim(start_dim, n), _wrap_dim(end_dim, n)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    if s == e:
        return input
    shp = input._data.shape
    return reshape(input, shp[:s] + (_prod(shp[s:e + 1]),) + shp[e + 1:])


def _prod(xs):
    p = 1
    for v in xs:
        p *= v
    return p


@method
def unflatten(input, dim, sizes):
    shp = input._data.shape
    d = _wrap_dim(dim, len(shp))
    sizes = tuple(_int(s) for s in sizes)
    if not sizes:
        raise RuntimeError("unflatten: sizes must be non-empty")
    known = _prod(s for s in sizes if s != -1)
    if (-1 not in sizes and known != shp[d]) or (-1 in sizes and (known == 0 or shp[d] % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the size of dim {dim} "
                           f"({shp[d]}) in the input tensor")
    return reshape(input, shp[:d] + infer_shape(sizes, shp[d]) + shp[d + 1:])


@method
def ravel(input):
    return reshape(input, (-1,))


@method
def squeeze(input, dim=None):
    shp = input._data.shape
    if dim is None:
        cls, dims = Squeeze0, tuple(i for i, s in enumerate(shp) if s == 1)
    elif isinstance(dim, (tuple, list)):
        cls, dims = Squeeze2, tuple(_wrap_dim(d, len(shp)) for d in dim)
    else:
        cls, dims = Squeeze1, (_wrap_dim(dim, len(shp)),)
    new = tuple(s for i, s in enumerate(shp) if not (i in dims and s == 1))
    return _reshape_view(input, new, cls, ("squeeze", (dim,)))


@method
def unsqueeze(input, dim):
    shp = input._data.shape
    d = _wrap_dim(dim, len(shp) + 1)
    return _reshape_view(input, shp[:d] + (1,) + shp[d:], Unsqueeze, ("unsqueeze", (dim,)))


def _inplace_shape(name, fn):
    """squeeze_/unsqueeze_/t_/transpose_: self becomes the view's geometry (same buffer)."""
    def f(self, *args):
        if _enabled[0] and self._rg:
            _check_leaf(self)
        r = fn(self, *args)
        self._data = r._data
        if self._base is not None:
            self._view_steps = r._view_steps
        if r.grad_fn is not None:
            self.grad_fn = r.grad_fn
            self._output_nr = 0
        return self
    f.__name__ = name
    setattr(Tensor, name, f)


# ---- expand / permute ----------------------------------------------------------------------------
class Expand(Op):
    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return ctx.xp.broadcast_to(x, shape)

    def backward(ctx, g):
        from ..autograd.engine import sum_to
        return sum_to(g, ctx.in_shape)


@method
def expand(input, *sizes, implicit=False):
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
                raise RuntimeError(
                    f"The expanded size of the tensor ({s}) isn't allowed in a leading, non-existing dimension {i}")
            shape.append(s)
            continue
        cur = a.shape[i - lead]
        if s == -1 or s == cur:
            shape.append(cur)
        elif cur == 1 and s >= 0:
            shape.append(s)
        else:
            raise RuntimeError(
                f"The expanded size of the tensor ({s}) must match the existing size ({cur}) at non-singleton "
                f"dimension {i}.  Target sizes: {list(sizes)}.  Tensor sizes: {list(a.shape)}")
    shape = tuple(shape)
    return as_view(Expand.apply(input, shape=shape), input, ("expand", (shape,)))


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


def _permute(input, dims, cls=Permute):
    return as_view(cls.apply(input, dims=dims), input, ("permute", (dims,)))


@method
def permute(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    if len(dims) != n:
        raise RuntimeError(
            f"permute(sparse_coo): number of dimensions in the tensor input does not match the length of the "
            f"desired ordering of dimensions i.e. input.dim() = {n} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_wrap_dim(d, n) for d in dims)
    if len(set(dims)) != n:
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return _permute(input, dims)


@method("transpose", "swapaxes", "swapdims")
def transpose(input, dim0, dim1):
    n = input._data.ndim
    d0, d1 = _wrap_dim(dim0, n), _wrap_dim(dim1, n)
    dims = list(range(n))
    if n:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return _permute(input, tuple(dims), Transpose)


swapaxes = swapdims = transpose


@method
def t(input):
    n = input._data.ndim
    if n > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {n}D")
    return transpose(input, 0, n - 1 if n else 0)


@method("movedim", "moveaxis")
def movedim(input, source, destination):
    n = input._data.ndim
    src = (source,) if isinstance(source, _int) else tuple(source)
    dst = (destination,) if isinstance(destination, _int) else tuple(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)} dims) should contain "
                           f"the same number of dims as destination ({list(dst)} dims)")
    src = [_wrap_dim(d, n) for d in src]
    dst = [_wrap_dim(d, n) for d in dst]
    for what, ds, orig in (("source", src, source), ("destination", dst, destination)):
        if len(set(ds)) != len(ds):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({list(orig)})")
    rest = iter(d for d in range(n) if d not in src)
    placed = dict(zip(dst, src))
    perm = tuple(placed[i] if i in placed else next(rest) for i in range(n))
    return _permute(input, perm)


moveaxis = movedim


def _T(self):
    n = self._data.ndim
    if n != 2:
        import warnings
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases." if n == 0
                      else "The use of `x.T` on tensors of dimension other than 2 to reverse their shape is "
                      "deprecated and it will throw an error in a future release. Consider `x.mT` to transpose "
                      "batches of matrices or `x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the "
                      "dimensions of a tensor.", UserWarning, stacklevel=2)
    return _permute(self, tuple(range(n - 1, -1, -1)))


def _mT(self):
    if self._data.ndim < 2:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor."
                           if self._data.ndim == 1 else
                           "tensor.mT is only supported on matrices or batches of matrices. Got 0-D tensor.")
    return transpose(self, -2, -1)


def _as_subclass(self, cls):
    """A `cls` instance aliasing self: same data and version counter, attached to the graph (AliasBackward0)."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from Tensor is not possible. "
                        "Make sure your class inherits from Tensor.")
    out = self[...]
    out.__class__ = cls
    return out


Tensor.as_subclass = _as_subclass
Tensor.T = property(_T)
Tensor.mT = property(_mT)
Tensor.H = property(lambda self: self.T.conj() if self.is_complex() else self.T)
Tensor.mH = property(lambda self: self.mT.conj() if self.is_complex() else self.mT)
Tensor.adjoint = lambda self: self.mH

for _n, _f in (("squeeze_", squeeze), ("unsqueeze_", unsqueeze), ("t_", t), ("transpose_", transpose),
               ("swapaxes_", transpose), ("swapdims_", transpose)):
    _inplace_shape(_n, _f)


# ---- strided views: narrow/select/split/unbind/diagonal/unfold/as_strided ------------------------
class Index(Op):
    """x[idx] for a NumPy index (basic -> a view, advanced -> a copy)."""

    def forward(ctx, x, idx):
        ctx.in_shape = x.shape
        ctx.idx = idx
        return x[idx]

    def backward(ctx, g):
        return IndexGrad.apply(g, shape=ctx.in_shape, idx=ctx.idx)


class Slice(Index):
    pass


class Select(Index):
    pass


class UnsqueezeIdx(Index):
    _name = "UnsqueezeBackward0"


class AliasIdx(Index):
    _name = "AliasBackward0"


class Take(Index):
    pass


class MaskedSelect(Index):
    pass


class IndexGrad(Op):
    """Scatter a gradient of x[idx] into zeros of x's shape (repeated indices add up)."""
    _name = "IndexBackwardBackward0"

    def forward(ctx, g, shape, idx):
        ctx.idx = idx
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if _is_basic(idx):
            out[idx] = g
        else:
            ctx.device.backend.index_add(out, idx, g)
        return out

    def backward(ctx, gg):
        return Index.apply(gg, idx=ctx.idx)


def _is_basic(idx):
    for i in idx:
        if not (i is None or i is Ellipsis or type(i) is _int or type(i) is slice):
            return False
    return True


def _dim_index(dim, i):
    return (slice(None),) * dim + (i, Ellipsis)   # the Ellipsis keeps a 0-d result a view, not a scalar


@method
def narrow(input, dim, start, length):
    shp = input._data.shape
    if not shp:
        raise RuntimeError("narrow() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shp))
    size = shp[d]
    start, length = _int(start), _int(length)
    if not -size <= start <= size:
        raise IndexError(f"start out of range (expected to be in range of [{-size}, {size}], but got {start})")
    if start < 0:
        start += size
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > size:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({size}).")
    out = Slice.apply(input, idx=_dim_index(d, slice(start, start + length)))
    return as_view(out, input, ("narrow", (d, start, length)))


@method
def select(input, dim, index):
    shp = input._data.shape
    if not shp:
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _wrap_dim(dim, len(shp))
    index = _int(index)
    if not -shp[d] <= index < shp[d]:
        raise IndexError(f"select(): index {index} out of range for tensor of size {list(shp)} at dimension {d}")
    out = Select.apply(input, idx=_dim_index(d, index))
    return as_view(out, input, ("select", (d, index)))


class Split(Op):
    """Pieces of x along `dim` (views); backward concatenates the pieces' gradients."""

    def forward(ctx, x, dim, bounds):
        ctx.dim = dim
        return tuple(x[_dim_index(dim, slice(a, b))] for a, b in bounds)

    def backward(ctx, *gs):
        return cat(gs, ctx.dim)


class SplitWithSizes(Split):
    pass


class Unbind(Op):
    def forward(ctx, x, dim):
        ctx.dim = dim
        return tuple(x[_dim_index(dim, i)] for i in range(x.shape[dim]))

    def backward(ctx, *gs):
        return stack(gs, ctx.dim)


def _multi_views(outs, input, steps, kind):
    for o, s in zip(outs, steps):
        as_view(o, input, s)
        if o._rg:
            o._multi_view = kind
    return outs


def _split_at(input, d, sizes, cls):
    bounds = []
    a = 0
    for s in sizes:
        bounds.append((a, a + s))
        a += s
    outs = cls.apply(input, dim=d, bounds=tuple(bounds))
    if not isinstance(outs, tuple):
        outs = (outs,)
    return _multi_views(outs, input, [("narrow", (d, a, b - a)) for a, b in bounds], "Split")


@method
def split(tensor, split_size_or_sections, dim=0):
    shp = tensor._data.shape
    d = _wrap_dim(dim, len(shp))
    size = shp[d] if shp else 0
    if isinstance(split_size_or_sections, (list, tuple)):
        sizes = [_int(s) for s in split_size_or_sections]
        if _sum(sizes) != size or builtins.min(sizes, default=0) < 0:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {size} (input tensor's size at "
                               f"dimension {d}), but got split_sizes={sizes}")
        return _split_at(tensor, d, sizes, SplitWithSizes)
    step = _int(split_size_or_sections)
    if step < 0 or (step == 0 and size):
        raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got dimension size of {size}"
                           if step == 0 else f"split expects split_size be non-negative, but got split_size={step}")
    n = builtins.max((size + step - 1) // step, 1) if step else 1
    sizes = [builtins.min(step, size - i * step) for i in range(n)]
    return _split_at(tensor, d, sizes, Split)


Tensor.split_with_sizes = lambda self, split_sizes, dim=0: split(self, list(split_sizes), dim)


@method
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    shp = input._data.shape
    d = _wrap_dim(dim, len(shp))
    size = shp[d]
    step = (size + chunks - 1) // chunks
    if step == 0:
        return split(input, [0] * chunks if size == 0 else [size], d)
    return split(input, step, d)


@method
def tensor_split(input, indices_or_sections, dim=0):
    d = _wrap_dim(dim, input._data.ndim)
    size = input._data.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        if ios._data.ndim > 1:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to be a zero-dimensional or "
                               f"one-dimensional tensor, but got a tensor with {ios._data.ndim} dims")
        ios = ios.item() if ios._data.ndim == 0 else ios.tolist()
    if isinstance(ios, (list, tuple)):
        cuts = [builtins.min(builtins.max(_int(i) + (size if i < 0 else 0), 0), size) for i in ios]
        bounds = list(zip([0] + cuts, cuts + [size]))
    else:
        n = _int(ios)
        if n <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {n}")
        q, r = divmod(size, n)
        bounds, a = [], 0
        for i in range(n):
            b = a + q + (1 if i < r else 0)
            bounds.append((a, b))
            a = b
    return tuple(narrow(input, d, a, builtins.max(b - a, 0)) for a, b in bounds)


def _dir_split(input, ios, d, name, need):
    if input._data.ndim < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, but got a tensor with "
                           f"{input._data.ndim} dimensions!")
    if not isinstance(ios, (list, tuple, Tensor)) and input._data.shape[d] % ios:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {d}, but the size of the dimension "
                           f"{input._data.shape[d]} is not divisible by the split_size {ios}!")
    return tensor_split(input, ios, d)


@method
def hsplit(input, indices_or_sections):
    return _dir_split(input, indices_or_sections, 1 if input._data.ndim > 1 else 0, "hsplit", 1)


@method
def vsplit(input, indices_or_sections):
    return _dir_split(input, indices_or_sections, 0, "vsplit", 2)


@method
def dsplit(input, indices_or_sections):
    return _dir_split(input, indices_or_sections, 2, "dsplit", 3)


@method
def unbind(input, dim=0):
    shp = input._data.shape
    if not shp:
        raise IndexError("Dimension specified as 0 but tensor has no dimensions")
    d = _wrap_dim(dim, len(shp))
    outs = Unbind.apply(input, dim=d)
    if not isinstance(outs, tuple):
        outs = (outs,)
    return _multi_views(outs, input, [("select", (d, i)) for i in range(shp[d])], "Unbind")


def _strided(xp, a, shape, strides):
    return xp.lib.stride_tricks.as_strided(a, shape, strides)


def _diag_view(xp, a, offset, d1, d2):
    """Writable view of a's diagonal (as NumPy's diagonal, which is read-only)."""
    n1, n2 = a.shape[d1], a.shape[d2]
    s1, s2 = (0, offset) if offset >= 0 else (-offset, 0)
    length = builtins.max(builtins.min(n1 - s1, n2 - s2), 0)
    if length:
        idx = [slice(None)] * a.ndim
        idx[d1], idx[d2] = slice(s1, None), slice(s2, None)
        a = a[tuple(idx)]
    keep = [i for i in range(a.ndim) if i not in (d1, d2)]
    shape = tuple(a.shape[i] for i in keep) + (length,)
    strides = tuple(a.strides[i] for i in keep) + (a.strides[d1] + a.strides[d2],)
    return _strided(xp, a, shape, strides)


class Diagonal(Op):
    def forward(ctx, x, offset, d1, d2):
        ctx.args = (x.shape, offset, d1, d2)
        return _diag_view(ctx.xp, x, offset, d1, d2)

    def backward(ctx, g):
        return DiagEmbed.apply(g, shape=ctx.args[0], offset=ctx.args[1], d1=ctx.args[2], d2=ctx.args[3])


class DiagEmbed(Op):
    """Zeros of `shape` with g written on the (offset, d1, d2) diagonal."""

    def forward(ctx, g, shape, offset, d1, d2):
        ctx.args = (offset, d1, d2)
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        _diag_view(ctx.xp, out, offset, d1, d2)[...] = g
        return out

    def backward(ctx, gg):
        return diagonal(gg, *ctx.args)


def _diag_dims(dim1, dim2, n):
    d1, d2 = _wrap_dim(dim1, n), _wrap_dim(dim2, n)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@method
def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _diag_dims(dim1, dim2, input._data.ndim)
    out = Diagonal.apply(input, offset=_int(offset), d1=d1, d2=d2)
    return as_view(out, input, ("diagonal", (offset, d1, d2)))


@method
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    n = input._data.ndim + 1
    d1, d2 = _diag_dims(dim1, dim2, n)
    size = input._data.shape[-1] + builtins.abs(offset)
    rest = iter(input._data.shape[:-1])
    shape = tuple(size if i in (d1, d2) else next(rest) for i in range(n))
    return DiagEmbed.apply(input, shape=shape, offset=offset, d1=d1, d2=d2)


@method
def diag(input, diagonal=0):
    n = input._data.ndim
    if n == 1:
        return diag_embed(input, diagonal, 0, 1)
    if n == 2:
        return globals()["diagonal"](input, diagonal).clone()
    raise RuntimeError(f"diag(): Supports 1D or 2D tensors. Got {n}D")


@method
def diagflat(input, offset=0):
    return diag_embed(input.reshape(-1), offset, 0, 1)


class Unfold(Op):
    def forward(ctx, x, dim, size, step):
        ctx.args = (x.shape, dim, size, step)
        if not x.ndim:
            return x.reshape(1)
        n = (x.shape[dim] - size) // step + 1
        shape = x.shape[:dim] + (n,) + x.shape[dim + 1:] + (size,)
        st = x.strides
        return _strided(ctx.xp, x, shape, st[:dim] + (st[dim] * step,) + st[dim + 1:] + (st[dim],))

    def backward(ctx, g):
        shape, dim, size, step = ctx.args
        return UnfoldGrad.apply(g, shape=shape, dim=dim, size=size, step=step)


class UnfoldGrad(Op):
    _name = "UnfoldBackwardBackward0"

    def forward(ctx, g, shape, dim, size, step):
        ctx.args = (dim, size, step)
        out = ctx.xp.zeros(shape, dtype=g.dtype)
        if not shape:
            return g.reshape(())
        n = g.shape[dim]
        for k in range(size):
            out[_dim_index(dim, slice(k, k + (n - 1) * step + 1, step))] += g[..., k]
        return out

    def backward(ctx, gg):
        return unfold(gg, *ctx.args)


@method
def unfold(input, dimension, size, step):
    shp = input._data.shape
    d = _wrap_dim(dimension, len(shp))
    cur = shp[d] if shp else 1
    if size > cur:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {cur} but size is {size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    out = Unfold.apply(input, dim=d, size=size, step=step)
    return as_view(out, input, ("unfold", (d, size, step)))


class AsStrided(Op):
    """A strided window onto the input's storage; gradients via flat storage positions."""

    def forward(ctx, x, root, offset, size, stride, pos_in):
        xp = ctx.xp
        it = root.itemsize
        flat = _strided(xp, root, (root.size,), (it,))
        ctx.args = (root.size, pos_in, _strided(xp, xp.arange(root.size, dtype="int64")[offset:], size,
                                                 tuple(s * 8 for s in stride)))
        return _strided(xp, flat[offset:], size, tuple(s * it for s in stride))

    def backward(ctx, g):
        n, pos_in, pos_out = ctx.args
        dev = g._device
        flat = _wrap(dev.xp.zeros(n, dtype=g._data.dtype), dev)
        flat = flat.index_put((_wrap(pos_out, dev),), g, accumulate=True)
        return flat[_wrap(pos_in, dev)]


@method
def as_strided(input, size, stride, storage_offset=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(as_strided, input, size, stride, storage_offset)
    xp = dev.xp
    root = input._root_array()
    if not root.flags.c_contiguous:
        raise RuntimeError("as_strided: ember needs the underlying storage to be contiguous")
    off = input.storage_offset()
    pos_in = _strided(xp, xp.arange(root.size, dtype="int64")[off:], input._data.shape,
                      tuple(s * 8 for s in input.stride()))
    size, stride = tuple(_int(s) for s in size), tuple(_int(s) for s in stride)
    so = off if storage_offset is None else _int(storage_offset)
    need = so + _sum((s - 1) * st for s, st in zip(size, stride)) + 1 if 0 not in size else 0
    if need > root.size:
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage offset {so}, and "
                           f"itemsize {root.itemsize} requiring a storage size of {need * root.itemsize} are out "
                           f"of bounds for storage of size {root.size * root.itemsize}")
    out = AsStrided.apply(input, root, offset=so, size=size, stride=stride, pos_in=pos_in)
    return as_view(out, input, ("as_strided", (size, stride, storage_offset)))


# ---- copies: repeat/tile/flip/roll/rot90 -----------------------------------------------------
class Repeat(Op):
    def forward(ctx, x, reps):
        ctx.in_shape = x.shape
        ctx.reps = reps
        return ctx.xp.tile(x, reps)

    def backward(ctx, g):
        reps = ctx.reps
        shp = (1,) * (len(reps) - len(ctx.in_shape)) + tuple(ctx.in_shape)
        split = []
        for r, s in zip(reps, shp):
            split += [r, s]
        return g.reshape(split).sum(tuple(range(0, 2 * len(reps), 2))).reshape(ctx.in_shape)


@method
def repeat(input, *sizes):
    reps = _shape_arg(sizes)
    shp = input._data.shape
    if len(reps) < len(shp):
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor")
    full = (1,) * (len(reps) - len(shp)) + shp
    if builtins.min(reps, default=0) < 0:
        raise RuntimeError(f"Trying to create tensor with negative dimension "
                           f"{builtins.min(r * s for r, s in zip(reps, full))}: {[r * s for r, s in zip(reps, full)]}")
    return Repeat.apply(input, reps=reps)


@method
def tile(input, *dims):
    dims = _shape_arg(dims)
    n = input._data.ndim
    return repeat(input, (1,) * (n - len(dims)) + dims)


def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # repeat_interleave(repeats): indices
        dev = input._device
        if dev is not CPU and dev.needs_switch():
            return dev.call(repeat_interleave, input)
        xp = dev.xp
        return _wrap(xp.repeat(xp.arange(input._data.shape[0]), input._data), dev)
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = _wrap_dim(dim, input._data.ndim)
    shp = input._data.shape
    if isinstance(repeats, Tensor) and repeats._data.size != 1:
        if repeats._data.ndim != 1 or repeats._data.shape[0] != shp[d]:
            raise RuntimeError("repeats must have the same size as input along dim, but got repeats.size(0) = "
                               f"{repeats._data.shape[0] if repeats._data.ndim else 1} and input.size({dim}) = {shp[d]}")
        return index_select(input, d, repeat_interleave(repeats))
    r = _int(repeats)
    if r < 0:
        raise RuntimeError("repeats can not be negative")
    big = shp[:d + 1] + (r,) + shp[d + 1:]
    return reshape(expand(unsqueeze(input, d + 1), big), shp[:d] + (shp[d] * r,) + shp[d + 1:])


Tensor.repeat_interleave = repeat_interleave


def _dims_tuple(dims, n):
    dims = (dims,) if isinstance(dims, _int) else tuple(dims)
    out = tuple(_wrap_dim(d, n) for d in dims)
    for d in out:
        if out.count(d) > 1:
            raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


class Flip(Op):
    def forward(ctx, x, dims):
        ctx.dims = dims
        return ctx.xp.flip(x, dims).copy()

    def backward(ctx, g):
        return g.flip(ctx.dims)


@method
def flip(input, *dims, **kw):
    if "dims" in kw:
        if dims:
            raise TypeError("flip() got multiple values for argument 'dims'")
        d = kw.pop("dims")
        if not isinstance(d, (tuple, list)):
            raise TypeError(f"flip(): argument 'dims' must be tuple of ints, not {type(d).__name__}")
        dims = (d,)
    if not dims:
        raise TypeError('flip() missing 1 required positional arguments: "dims"')
    if kw:
        raise TypeError(f"flip() got an unexpected keyword argument '{next(iter(kw))}'")
    dims = _dims_tuple(_dims_arg(dims), input._data.ndim)
    return Flip.apply(input, dims=dims)


@method
def fliplr(input):
    if input._data.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


@method
def flipud(input):
    if input._data.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


class Roll(Op):
    def forward(ctx, x, shifts, dims):
        ctx.args = (shifts, dims)
        if dims is None:
            return ctx.xp.roll(x.reshape(-1), shifts).reshape(x.shape)
        return ctx.xp.roll(x, shifts, dims)

    def backward(ctx, g):
        shifts, dims = ctx.args
        return g.roll(tuple(-s for s in shifts) if isinstance(shifts, tuple) else -shifts, dims)


@method
def roll(input, shifts, dims=None):
    if dims is None:
        if isinstance(shifts, (tuple, list)):
            if len(shifts) != 1:
                raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:0")
            shifts = shifts[0]
        return Roll.apply(input, shifts=_int(shifts), dims=None)
    shifts = (shifts,) if isinstance(shifts, _int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, _int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:{len(dims)}")
    dims = tuple(_wrap_dim(d, input._data.ndim) for d in dims)
    return Roll.apply(input, shifts=tuple(_int(s) for s in shifts), dims=dims)


@method
def rot90(input, k=1, dims=(0, 1)):
    dims = tuple(dims)
    n = input._data.ndim
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if n < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {n}")
    d0, d1 = _wrap_dim(dims[0], n), _wrap_dim(dims[1], n)
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and dim1 = {d1}")
    k %= 4
    if k == 1:
        return transpose(flip(input, (d1,)), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, (d0,)), d0, d1)
    return input.clone()


# ---- joining -------------------------------------------------------------------------------------
def _common_np(arrays):
    dt = arrays[0].dtype
    for a in arrays[1:]:
        if a.dtype != dt:
            dt = _dtypes.promote_types(_dtypes.from_np(dt), _dtypes.from_np(a.dtype)).np
    return dt


class Cat(Op):
    def forward(ctx, *xs, dim, keep):
        dt = _common_np(xs)
        ctx.args = (dim, keep, tuple(x.shape[dim] if k else 0 for x, k in zip(xs, keep)))
        return ctx.xp.concatenate([x if x.dtype == dt else x.astype(dt) for x, k in zip(xs, keep) if k], axis=dim)

    def backward(ctx, g):
        dim, keep, sizes = ctx.args
        outs, a = [], 0
        for k, s in zip(keep, sizes):
            outs.append(g.narrow(dim, a, s) if k else g.new_zeros((0,)))
            a += s
        return tuple(outs)


def _tensor_list(tensors, name):
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    return list(tensors)


def cat(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "cat")
    if not tensors:
        raise ValueError("torch.cat(): expected a non-empty list of Tensors")
    keep = tuple(t._data.shape != (0,) for t in tensors)   # 1-D empty tensors are skipped, as in PyTorch
    if not builtins.any(keep):
        keep = (True,) + keep[1:]
    ref = tensors[keep.index(True)]
    d = _wrap_dim(dim, ref._data.ndim)
    try:
        return _to_out(Cat.apply(*tensors, dim=d, keep=keep), out)
    except (ValueError, IndexError):
        raise _cat_error(tensors, keep, ref, d) from None


def _cat_error(tensors, keep, ref, d):
    rs = ref._data.shape
    for i, (t, k) in enumerate(zip(tensors, keep)):
        s = t._data.shape
        if not s:
            return RuntimeError(f"zero-dimensional tensor (at position {i}) cannot be concatenated")
        if k and len(s) != len(rs):
            return RuntimeError(f"Tensors must have same number of dimensions: got {len(rs)} and {len(s)}")
        for j in range(len(rs)):
            if k and j != d and s[j] != rs[j]:
                return RuntimeError(f"Sizes of tensors must match except in dimension {d}. Expected size {rs[j]} "
                                    f"but got size {s[j]} for tensor number {i} in the list.")
    return RuntimeError("cat(): invalid arguments")


concat = concatenate = cat


def _to_out(r, out):
    if out is None:
        return r
    dev = out._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_to_out, r, out)
    if out._data.shape != r._data.shape:
        out._data = out._device.xp.empty(r._data.shape, dtype=out._data.dtype)
    out._data[...] = r._data
    out._bump()
    return out


class Stack(Op):
    def forward(ctx, *xs, dim):
        dt = _common_np(xs)
        ctx.dim = dim
        if dim == 0 and builtins.all(x.dtype == dt for x in xs):
            return ctx.xp.array(xs)     # fastest stack along a new first dim (collate's case)
        return ctx.xp.stack([x if x.dtype == dt else x.astype(dt) for x in xs], axis=dim)

    def backward(ctx, g):
        return g.unbind(ctx.dim)


def stack(tensors, dim=0, *, out=None):
    tensors = _tensor_list(tensors, "stack")
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    s0 = tensors[0]._data.shape
    for i, t in enumerate(tensors[1:], 1):
        if t._data.shape != s0:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(s0)} at entry 0 and "
                               f"{list(t._data.shape)} at entry {i}")
    return _to_out(Stack.apply(*tensors, dim=_wrap_dim(dim, len(s0) + 1)), out)


def hstack(tensors, *, out=None):
    ts = atleast_1d(*_tensor_list(tensors, "hstack"))
    ts = ts if isinstance(ts, tuple) else (ts,)
    return cat(ts, 0 if ts[0]._data.ndim == 1 else 1, out=out)


def vstack(tensors, *, out=None):
    ts = atleast_2d(*_tensor_list(tensors, "vstack"))
    return cat(ts if isinstance(ts, tuple) else (ts,), 0, out=out)


row_stack = vstack


def dstack(tensors, *, out=None):
    ts = atleast_3d(*_tensor_list(tensors, "dstack"))
    return cat(ts if isinstance(ts, tuple) else (ts,), 2, out=out)


def column_stack(tensors, *, out=None):
    ts = [t.reshape(t._data.size, 1) if t._data.ndim <= 1 else t for t in _tensor_list(tensors, "column_stack")]
    return cat(ts, 1, out=out)


def _atleast(tensors, fix):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fix(t) for t in tensors[0])
    if len(tensors) == 1:
        return fix(tensors[0])
    return tuple(fix(t) for t in tensors)


def atleast_1d(*tensors):
    return _atleast(tensors, lambda t: reshape(t, (1,)) if t._data.ndim == 0 else t)


def atleast_2d(*tensors):
    def fix(t):
        n = t._data.ndim
        return reshape(t, (1, 1)) if n == 0 else (unsqueeze(t, 0) if n == 1 else t)
    return _atleast(tensors, fix)


def atleast_3d(*tensors):
    def fix(t):
        n = t._data.ndim
        if n == 0:
            return reshape(t, (1, 1, 1))
        if n == 1:
            return unsqueeze(unsqueeze(t, 0), -1)
        return unsqueeze(t, -1) if n == 2 else t
    return _atleast(tensors, fix)


def broadcast_shapes(*shapes):
    out = []
    shapes = [(s,) if isinstance(s, _int) else tuple(s) for s in shapes]
    for i, s in enumerate(shapes):
        n = builtins.max(len(out), len(s))
        cur = [1] * (n - len(out)) + out
        new = [1] * (n - len(s)) + list(s)
        for j in range(n - 1, -1, -1):
            if new[j] == cur[j] or new[j] == 1:
                continue
            if cur[j] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {new[j]} at {j - n}! Mismatching "
                                   f"argument at index {i} had {tuple(s)}; but expected shape should be broadcastable "
                                   f"to {cur}")
            cur[j] = new[j]
        out = cur
    from .._tensor import Size
    return Size(out)


def _broadcast_shape(*shapes):
    try:
        return tuple(broadcast_shapes(*shapes))
    except RuntimeError:
        err = broadcast_error(shapes)
        if err is not None:
            raise err from None
        raise


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = _broadcast_shape(*(t._data.shape for t in tensors))
    return tuple(expand(t, shape) for t in tensors)


def meshgrid(*tensors, indexing=None):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        import warnings
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the indexing argument.",
                      UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {indexing}")
    for t in tensors:
        if t._data.ndim > 1:
            raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: " + repr(t))
        if t._data.dtype != tensors[0]._data.dtype:
            raise RuntimeError("meshgrid expects all tensors to have the same dtype")
    order = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) >= 2:
        order[0], order[1] = 1, 0
    sizes = [t._data.size for t in tensors]
    shape = tuple(sizes[i] for i in order)
    out = []
    for i, t in enumerate(tensors):
        pos = order.index(i)
        out.append(expand(reshape(t, tuple(-1 if j == pos else 1 for j in range(len(shape)))), shape))
    return tuple(out)


def cartesian_prod(*tensors):
    if len(tensors) == 1:
        return tensors[0]
    return stack([g.reshape(-1) for g in meshgrid(*tensors, indexing="ij")], 1)


# ---- gather / scatter family ---------------------------------------------------------------------
def _positions(xp, index, dim):
    """Advanced index addressing x[..., index[p], ...] (index in `dim`) for every position p of index."""
    n = index.ndim
    return tuple(index if d == dim else xp.arange(s).reshape((-1,) + (1,) * (n - 1 - d))
                 for d, s in enumerate(index.shape))


def _check_index(name, x, dim, index, src=None):
    dev = index._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_check_index, name, x, dim, index, src)
    if index._data.dtype.kind != "i" or index._data.dtype.itemsize not in (4, 8):
        op = "gather" if name == "gather" else "scatter"        # torch names every scatter variant so
        raise RuntimeError(f"{op}(): Expected dtype int32/int64 for index")
    if index._data.ndim != x._data.ndim and index._data.size:
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    ish, xsh = index._data.shape, x._data.shape
    for j in range(len(ish)):
        if (j != dim and ish[j] > xsh[j]) or (src is not None and ish[j] > src._data.shape[j]):
            msg = f"Expected index {list(ish)} to be no larger than self {list(xsh)} apart from dimension {dim}"
            if name == "gather":
                msg = (f"Size does not match at dimension {j} expected index {list(ish)} to be no larger than self "
                       f"{list(xsh)} apart from dimension {dim}")
            elif src is not None:
                msg += f" and to be no larger size than src {list(src._data.shape)}"
            raise RuntimeError(msg)
    _check_range(index._data, xsh[dim] if xsh else 1, dim)


def _check_range(a, size, dim, exc=RuntimeError):
    if a.size:
        lo, hi = _int(a.min()), _int(a.max())
        if lo < 0 or hi >= size:
            raise exc(f"index {lo if lo < 0 else hi} is out of bounds for dimension {dim} with size {size}")


class Gather(Op):
    def forward(ctx, x, index, dim):
        ctx.args = (x.shape, dim)
        ctx.save_for_backward(index)
        if x.ndim == 0:
            return x.copy()
        return x[_positions(ctx.xp, index, dim)]

    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, dim = ctx.args
        return _zeros(g, shape).scatter_add(dim, index, g)


def _zeros(like, shape):
    return _wrap(like._device.xp.zeros(shape, dtype=like._data.dtype), like._device)


@method
def gather(input, dim, index, *, sparse_grad=False):
    d = _wrap_dim(dim, input._data.ndim)
    _check_index("gather", input, d, index)
    return Gather.apply(input, index, dim=d)


class Scatter(Op):
    """scatter/scatter_add/scatter_reduce: reduce in (None, 'sum', 'prod', 'mean', 'amax', 'amin')."""

    def forward(ctx, x, index, src, dim, reduce, include_self, inplace=False):
        xp = ctx.xp
        out = x if inplace else x.copy()
        x0 = x.copy() if inplace and reduce in ("prod", "amax", "amin") and ctx._needs is not None else x
        ctx.args = (dim, reduce, include_self)
        ctx.save_for_backward(index)
        count = None
        if not index.size:
            return out
        pos = _positions(xp, index, dim) if x.ndim else ()
        src_in = src
        if type(src) is xp.ndarray:
            src = src[tuple(slice(0, s) for s in index.shape)]
            src = src if src.dtype == x.dtype else src.astype(x.dtype)
        else:
            src = xp.full(index.shape, src, dtype=x.dtype)
        if reduce is None:
            out[pos] = src
            return out
        if not include_self:
            ident = {"sum": 0, "mean": 0, "prod": 1, "amax": -xp.inf, "amin": xp.inf}[reduce]
            if x.dtype.kind in "iub" and reduce in ("amax", "amin"):
                info = xp.iinfo(x.dtype)
                ident = info.min if reduce == "amax" else info.max
            out[pos] = ident
        if reduce in ("sum", "mean"):
            ctx.device.backend.index_add(out, pos, src)
        elif reduce == "prod":
            ctx.device.backend.scatter("multiply", out, pos, src)
        else:
            ctx.device.backend.scatter("maximum" if reduce == "amax" else "minimum", out, pos, src)
        if reduce == "mean":
            count = xp.ones(x.shape, dtype=x.dtype) if include_self else xp.zeros(x.shape, dtype=x.dtype)
            if not include_self:
                count[pos] = 0
            ctx.device.backend.index_add(count, pos, xp.ones(index.shape, dtype=x.dtype))
            count = xp.maximum(count, 1)
            if x.dtype.kind in "iu":
                out[...] = xp.floor_divide(out, count)
            else:
                out /= count
        if ctx._needs is None:
            return out
        if reduce == "prod":
            ctx.save_for_backward(x0, index, src_in, out.copy() if inplace else out)
        elif reduce != "sum":
            ctx.save_for_backward(index, *_reduce_weights(xp, ctx.device.backend, x0, out, pos, src, reduce,
                                                          include_self, count))
        return out

    def backward(ctx, g):
        dim, reduce, include_self = ctx.args
        n = ctx._needs
        gx = gs = None
        if reduce == "prod":
            x, index, src, out = ctx.saved_tensors
            if n[0]:
                gx = g * out / x if include_self else (g * out / x).scatter(dim, index, 0.)
            if n[2]:
                gs = (g * out).gather(dim, index) / src[tuple(slice(0, s) for s in index.shape)]
        elif reduce in ("amax", "amin", "mean"):
            index, wx, ws = ctx.saved_tensors
            gx = g * wx if n[0] else None
            gs = g.gather(dim, index) * ws if n[2] else None
        else:
            index, = ctx.saved_tensors
            if n[0]:
                gx = g if reduce == "sum" and include_self else g.scatter(dim, index, 0.)
            if len(n) > 2 and n[2]:
                gs = g.gather(dim, index)
        return gx, None, gs


def _reduce_weights(xp, backend, x, out, pos, src, reduce, include_self, count):
    """Constant weights w_x, w_src with grad_x = g * w_x, grad_src = g.gather(...) * w_src."""
    hit_x = xp.ones(x.shape, dtype=bool) if reduce == "mean" else (x == out)
    if not include_self:
        hit_x[pos] = False
    if reduce == "mean":
        cnt = count
        hit_s = xp.ones(src.shape, dtype=x.dtype)
    else:   # amax/amin: the gradient is shared evenly among the elements equal to the result
        hit_s = (src == out[pos]).astype(x.dtype)
        cnt = hit_x.astype(x.dtype)
        backend.index_add(cnt, pos, hit_s)
        cnt = xp.maximum(cnt, 1)
    return hit_x / cnt, hit_s / cnt[pos]


class ScatterValue(Scatter):
    _name = "ScatterBackward1"


class ScatterAdd(Scatter):
    pass


class ScatterReduce(Scatter):
    pass


_REDUCE = {"add": "sum", "multiply": "prod"}
_SCATTER_OPS = {"scatter": Scatter, "scatter_add": ScatterAdd, "scatter_reduce": ScatterReduce}


def _scatter(input, dim, index, src, reduce, include_self, name, inplace):
    d = _wrap_dim(dim, input._data.ndim)
    if isinstance(src, Tensor):
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
        _check_index(name, input, d, index, src)
    else:
        _check_index(name, input, d, index)
    op = _SCATTER_OPS[name] if isinstance(src, Tensor) else ScatterValue
    if inplace:
        return _run_inplace(input, op, index, src, dim=d, reduce=reduce, include_self=include_self)
    return op.apply(input, index, src, dim=d, reduce=reduce, include_self=include_self)


def _scatter_api(inplace):
    def scatter(input, dim, index, src=None, value=None, *, reduce=None):
        if src is None:
            src = value
        if reduce is not None:
            if reduce not in _REDUCE:
                raise RuntimeError("reduce argument must be either add or multiply.")
            if isinstance(src, Tensor):
                import warnings
                warnings.warn("The reduce argument of torch.scatter with Tensor src is deprecated and will be removed "
                              "in a future PyTorch release. Use torch.scatter_reduce instead for more reduction "
                              "options.", UserWarning, stacklevel=2)
        return _scatter(input, dim, index, src, _REDUCE.get(reduce), True, "scatter", inplace)
    return scatter


scatter = method(_scatter_api(False))
Tensor.scatter_ = _scatter_api(True)


@method
def scatter_add(input, dim, index, src):
    return _scatter(input, dim, index, src, "sum", True, "scatter_add", False)


def scatter_add_(self, dim, index, src):
    return _scatter(self, dim, index, src, "sum", True, "scatter_add", True)


def _check_reduce(reduce):
    if reduce not in ("sum", "prod", "mean", "amax", "amin"):
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")


@method
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    _check_reduce(reduce)
    return _scatter(input, dim, index, src, reduce, include_self, "scatter_reduce", False)


def scatter_reduce_(self, dim, index, src, reduce, *, include_self=True):
    _check_reduce(reduce)
    return _scatter(self, dim, index, src, reduce, include_self, "scatter_reduce", True)


def take_along_dim(input, indices, dim=None):
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    n = input._data.ndim
    d = _wrap_dim(dim, n)
    si, sx = list(input._data.shape), list(indices._data.shape)
    si[d] = sx[d] = 1
    b = _broadcast_shape(tuple(si), tuple(sx))
    xi = input.expand(b[:d] + (input._data.shape[d],) + b[d + 1:])
    ii = indices.expand(b[:d] + (indices._data.shape[d],) + b[d + 1:])
    return gather(xi, d, ii)


Tensor.take_along_dim = take_along_dim


# ---- index_* ops ---------------------------------------------------------------------------------
def _check_vector_index(name, index):
    a = index._data
    if a.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32 or int64 for index")
    return a.reshape(-1)


class IndexSelect(Op):
    def forward(ctx, x, index, dim):
        ctx.args = (x.shape, dim)
        ctx.save_for_backward(index)
        return ctx.xp.take(x, index, axis=dim) if x.ndim else x.copy()

    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, dim = ctx.args
        return _zeros(g, shape).index_add(dim, index, g)


@method
def index_select(input, dim, index):
    dev = index._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(index_select, input, dim, index)
    d = _wrap_dim(dim, input._data.ndim)
    a = _check_vector_index("index_select", index)
    size = input._data.shape[d] if input._data.ndim else 1
    if a.size and (_int(a.min()) < -size or _int(a.max()) >= size):
        raise IndexError("index out of range in self")
    return IndexSelect.apply(input, _wrap(a, index._device) if a is not index._data else index, dim=d)


class IndexAdd(Op):
    """index_add (mode 'add'), index_copy ('copy'), index_fill ('fill', src 0-d) along `dim`."""

    def forward(ctx, x, index, src, dim, mode, alpha=1, inplace=False):
        out = x if inplace else x.copy()
        ctx.args = (dim, mode, alpha)
        ctx.save_for_backward(index)
        pos = _dim_index(dim, index) if x.ndim else ()
        if mode == "add":
            ctx.device.backend.index_add(out, pos, src * alpha if alpha != 1 else src)
        else:
            out[pos] = src
        return out

    def backward(ctx, g):
        index, = ctx.saved_tensors
        dim, mode, alpha = ctx.args
        n = ctx._needs
        gx = gs = None
        if n[0]:
            gx = g if mode == "add" else g.index_fill(dim, index, 0)
        if n[2]:
            gs = g.index_select(dim, index)
            if mode == "fill":
                gs = gs.sum()
            elif alpha != 1:
                gs = gs * alpha
        return gx, None, gs


def _index_op(input, dim, index, src, mode, alpha, inplace, name):
    dev = index._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_index_op, input, dim, index, src, mode, alpha, inplace, name)
    d = _wrap_dim(dim, input._data.ndim)
    a = _check_vector_index(name, index)
    size = input._data.shape[d] if input._data.ndim else 1
    if mode == "fill":
        if isinstance(src, Tensor) and src._data.ndim:
            raise RuntimeError(f"index_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{src._data.ndim} dimension(s).")
        _check_range(a + size * (a < 0) if a.size and _int(a.min()) >= -size else a, size, d, IndexError)
    else:
        if src._data.dtype != input._data.dtype:
            raise RuntimeError(
                f"index_add_(): self ({_legacy(input.dtype)}) and source ({_legacy(src.dtype)}) must have the same "
                "scalar type" if mode == "add" else
                f"index_copy_(): self and source expected to have the same dtype, but got (self) "
                f"{_legacy(input.dtype)} and (source) {_legacy(src.dtype)}")
        ns = src._data.shape[d] if src._data.ndim else 1
        if a.size != ns:
            if mode == "add":
                raise RuntimeError(f"index_add_(): Number of indices ({a.size}) should be equal to source.size(dim): "
                                   f"({ns}), for dim: {d}")
            raise IndexError(f"index_copy_(): Number of indices ({a.size}) should be equal to source.size(dim) ({ns})")
        try:
            _check_range(a, size, d, RuntimeError if mode == "add" else IndexError)
        except IndexError as e:
            raise IndexError(f"index_copy_(): {e}") from None
    idx = _wrap(a, index._device)
    if inplace:
        return _run_inplace(input, IndexAdd, idx, src, dim=d, mode=mode, alpha=alpha)
    return IndexAdd.apply(input, idx, src, dim=d, mode=mode, alpha=alpha)


def _fill_value(input, value):
    if isinstance(value, Tensor):
        return value
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_fill_value, input, value)
    return _wrap(dev.xp.asarray(value, dtype=input._data.dtype), dev)


@method
def index_add(input, dim, index, source, *, alpha=1):
    return _index_op(input, dim, index, source, "add", alpha, False, "index_add")


def index_add_(self, dim, index, source, *, alpha=1):
    return _index_op(self, dim, index, source, "add", alpha, True, "index_add")


@method
def index_copy(input, dim, index, source):
    return _index_op(input, dim, index, source, "copy", 1, False, "index_copy")


def index_copy_(self, dim, index, source):
    return _index_op(self, dim, index, source, "copy", 1, True, "index_copy")


@method
def index_fill(input, dim, index, value):
    return _index_op(input, dim, index, _fill_value(input, value), "fill", 1, False, "index_fill")


def index_fill_(self, dim, index, value):
    return _index_op(self, dim, index, _fill_value(self, value), "fill", 1, True, "index_fill")


# ---- masks ---------------------------------------------------------------------------------------
class MaskedFill(Op):
    _broadcast_order = (1, 0)       # torch names the mask "tensor a"

    def forward(ctx, x, mask, value, inplace=False):
        ctx.save_for_backward(mask)
        if inplace:
            x[...] = ctx.xp.where(mask, value, x)
            return x
        out = ctx.xp.where(mask, value, x)
        return out if out.dtype == x.dtype else out.astype(x.dtype)

    def backward(ctx, g):
        mask, = ctx.saved_tensors
        n = ctx._needs
        gx = g.masked_fill(mask, 0) if n[0] else None
        gv = (g * mask).sum() if len(n) > 2 and n[2] else None
        return gx, None, gv


def _check_mask(mask, name):
    if mask._data.dtype.kind != "b":
        raise RuntimeError(f"{name} only supports boolean masks, but got mask with dtype "
                           f"{ {'int64': 'long int', 'int32': 'int', 'uint8': 'unsigned char'}.get(mask.dtype.name, mask.dtype.name)}")


def _masked_fill(input, mask, value, inplace):
    _check_mask(mask, "masked_fill_")
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError("masked_fill_ only supports a 0-dimensional value tensor, but got tensor with "
                               f"{value._data.ndim} dimension(s).")
        v = value if (value._rg and _enabled[0]) else value._data.astype(input._data.dtype)
    else:
        v = value
    if inplace:
        _broadcast_into(mask._data.shape, input._data.shape)
        return _run_inplace(input, MaskedFill, mask, v)
    return MaskedFill.apply(input, mask, v)


@method
def masked_fill(input, mask, value):
    return _masked_fill(input, mask, value, False)


def masked_fill_(self, mask, value):
    return _masked_fill(self, mask, value, True)


def _broadcast_into(src_shape, dst_shape):
    if _broadcast_shape(src_shape, dst_shape) != tuple(dst_shape):
        raise RuntimeError(f"output with shape {list(dst_shape)} doesn't match the broadcast shape "
                           f"{list(_broadcast_shape(src_shape, dst_shape))}")


@method
def masked_select(input, mask):
    _check_mask(mask, "masked_select:")
    shape = _broadcast_shape(input._data.shape, mask._data.shape)
    x = expand(input, shape) if input._data.shape != shape else input
    m = mask._data if mask._data.shape == shape else mask._device.xp.broadcast_to(mask._data, shape)
    return MaskedSelect.apply(x, idx=(m,))


class MaskedScatter(Op):
    def forward(ctx, x, mask, src, inplace=False):
        out = x if inplace else x.copy()
        m = ctx.xp.broadcast_to(mask, x.shape)
        k = _int(m.sum())
        if k > src.size:
            raise RuntimeError("Number of elements of source < number of ones in mask")
        ctx.save_for_backward(mask)
        ctx.src_shape = src.shape
        out[m] = src.reshape(-1)[:k]
        return out

    def backward(ctx, g):
        mask, = ctx.saved_tensors
        n = ctx._needs
        gx = g.masked_fill(mask, 0) if n[0] else None
        gs = None
        if n[2]:
            picked = g.masked_select(mask)
            numel = _prod(ctx.src_shape)
            gs = cat([picked, picked.new_zeros(numel - picked._data.size)]).reshape(ctx.src_shape)
        return gx, None, gs


def _masked_scatter(input, mask, source, inplace):
    _check_mask(mask, "masked_scatter_")
    if source._data.dtype != input._data.dtype:
        raise RuntimeError(f"masked_scatter: expected self and source to have same dtypes but got"
                           f"{_legacy(input.dtype)} and {_legacy(source.dtype)}")
    if inplace:
        _broadcast_into(mask._data.shape, input._data.shape)
        return _run_inplace(input, MaskedScatter, mask, source)
    shape = _broadcast_shape(mask._data.shape, input._data.shape)     # torch names the mask "tensor a"
    return MaskedScatter.apply(expand(input, shape) if input._data.shape != shape else input, mask, source)


@method
def masked_scatter(input, mask, source):
    return _masked_scatter(input, mask, source, False)


def masked_scatter_(self, mask, source):
    return _masked_scatter(self, mask, source, True)


def _flat_index(input, index):
    dev = index._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_flat_index, input, index)
    a = index._data
    n = input._data.size
    if a.size and (_int(a.min()) < -n or _int(a.max()) >= n):
        bad = _int(a.max()) if _int(a.max()) >= n else _int(a.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} elements.")
    return a


@method
def take(input, index):
    a = _flat_index(input, index)
    return Take.apply(reshape(input, (-1,)), idx=(a,))


class Put(Op):
    def forward(ctx, x, index, src, accumulate, inplace=False):
        out = x if inplace else x.copy()
        flat = out.reshape(-1) if out.flags.c_contiguous else out.ravel()
        ctx.args = (x.shape, src.shape, accumulate)
        ctx.save_for_backward(index)
        if accumulate:
            ctx.device.backend.index_add(flat, (index.reshape(-1),), src.reshape(-1))
        else:
            flat[index.reshape(-1)] = src.reshape(-1)
        if not out.flags.c_contiguous:
            out[...] = flat.reshape(x.shape)
        return out

    def backward(ctx, g):
        index, = ctx.saved_tensors
        shape, src_shape, accumulate = ctx.args
        n = ctx._needs
        gx = gs = None
        if n[0]:
            gx = g if accumulate else g.put(index, g.new_zeros(index.shape), False)
        if n[2]:
            gs = g.take(index).reshape(src_shape)
        return gx, None, gs


@method
def put(input, index, source, accumulate=False):
    _flat_index(input, index)
    return Put.apply(input, index, source, accumulate=accumulate)


def put_(self, index, source, accumulate=False):
    _flat_index(self, index)
    return _run_inplace(self, Put, index, source, accumulate=accumulate)


@method
def nonzero(input, *, out=None, as_tuple=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(nonzero, input, out=out, as_tuple=as_tuple)
    xp = dev.xp
    a = input._data
    if as_tuple:
        idx = xp.nonzero(a.reshape(1) if a.ndim == 0 else a)
        return tuple(_wrap(i.astype(_dtypes.int64.np), dev) for i in idx)
    if a.ndim == 0:
        r = xp.zeros((1 if a.item() else 0, 0), dtype=_dtypes.int64.np)
    else:
        r = xp.stack(xp.nonzero(a), axis=1).astype(_dtypes.int64.np, copy=False)
    return _to_out(_wrap(r, dev), out)


@method
def argwhere(input):
    return nonzero(input)


class Tri(Op):
    def forward(ctx, x, k, upper):
        ctx.args = (k, upper)
        return (ctx.xp.triu if upper else ctx.xp.tril)(x, k)

    def backward(ctx, g):
        k, upper = ctx.args
        return g.triu(k) if upper else g.tril(k)


class Tril(Tri):
    pass


class Triu(Tri):
    pass


def _tri(input, diagonal, upper):
    if input._data.ndim < 2:
        raise RuntimeError(f"{'triu' if upper else 'tril'}: input tensor must have at least 2 dimensions")
    return (Triu if upper else Tril).apply(input, k=_int(diagonal), upper=upper)


@method
def tril(input, diagonal=0):
    return _tri(input, diagonal, False)


@method
def triu(input, diagonal=0):
    return _tri(input, diagonal, True)


# ---- copy_, fill_, zero_, new_* ------------------------------------------------------------------
class Copy(Op):
    """self.copy_(src): src broadcast and cast into self's buffer; differentiable w.r.t. src."""
    _name = "CopyBackwards"

    def forward(ctx, x, src, inplace=False):
        ctx.src_shape = src.shape if hasattr(src, "shape") else ()
        if inplace:
            x[...] = src
            return x
        out = ctx.xp.empty_like(x)
        out[...] = src
        return out

    def backward(ctx, g):
        n = ctx._needs
        return (_zeros(g, g.shape) if n[0] else None), (g if len(n) > 1 and n[1] else None)


class Fill(Copy):
    _name = "FillBackward0"

    def backward(ctx, g):
        n = ctx._needs
        return (_zeros(g, g.shape) if n[0] else None), (g.sum() if len(n) > 1 and n[1] else None)


def copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        src = _fill_value(self, src)
    if src._device is not self._device:
        src = src.to(self._device)
    if src._data.shape != self._data.shape:
        err = broadcast_error((self._data.shape, src._data.shape))
        if err is not None or _broadcast_shape(self._data.shape, src._data.shape) != self._data.shape:
            raise err or RuntimeError(f"output with shape {list(self._data.shape)} doesn't match the broadcast "
                                      f"shape {list(_broadcast_shape(self._data.shape, src._data.shape))}")
    if src._data is self._data:
        return self
    return _run_inplace(self, Copy, src)


def fill_(self, value):
    if isinstance(value, Tensor):
        if value._data.ndim:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value._data.ndim} dimensions.")
        if not (value._rg and _enabled[0]):
            value = value._data.item()
    return _run_inplace(self, Fill, value)


def zero_(self):
    return _run_inplace(self, Fill, 0)


def _run_inplace(self, op, *args, **attrs):
    """Run `op` writing straight into self's buffer, with apply_inplace's checks and bookkeeping."""
    if _enabled[0] and (self._rg or _any_rg(args)):
        check_multi_view(self)
        _check_leaf(self)
    return apply_inplace(self, op.apply(self, *args, inplace=True, **attrs))


def _check_leaf(self):
    if self._rg and self.grad_fn is None:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    base = self._base
    if base is not None and base._rg and base.grad_fn is None:
        raise RuntimeError("a view of a leaf Variable that requires grad is being used in an in-place operation.")


def _any_rg(args):
    for a in args:
        if isinstance(a, Tensor) and a._rg:
            return True
    return False


def _new_factory(kind):
    def f(self, *size, dtype=None, device=None, requires_grad=False, layout=None, pin_memory=False, **kw):
        from .. import _factory
        dtype = self.dtype if dtype is None else dtype
        device = self._device if device is None else device
        if kind == "full":
            size, value = size
            return _factory.full(size, value, dtype=dtype, device=device, requires_grad=requires_grad)
        return getattr(_factory, kind)(*size, dtype=dtype, device=device, requires_grad=requires_grad)
    f.__name__ = "new_" + kind
    setattr(Tensor, f.__name__, f)


for _k in ("zeros", "ones", "empty", "full"):
    _new_factory(_k)

for _f in (copy_, fill_, zero_, scatter_add_, scatter_reduce_, index_add_, index_copy_, index_fill_, masked_fill_,
           masked_scatter_, put_):
    setattr(Tensor, _f.__name__, _f)


def _tri_inplace(upper):
    def f(self, diagonal=0):
        return apply_inplace(self, _tri(self, diagonal, upper))
    f.__name__ = "triu_" if upper else "tril_"
    setattr(Tensor, f.__name__, f)


_tri_inplace(False)
_tri_inplace(True)


# ---- __getitem__ / __setitem__ -------------------------------------------------------------------
def _convert_index(idx, shape, xp):
    """A Python/Tensor index -> (NumPy index tuple, is_advanced); checks bool masks and arity."""
    if type(idx) is not tuple:
        if not shape and (type(idx) is _int or type(idx) is slice):
            raise _zero_dim_index_error(idx)
        idx = (idx,)
    out = []
    adv = False
    used = 0
    for i in idx:
        ti = type(i)
        if ti is _int or ti is slice:
            if ti is slice and i.step is not None and i.step <= 0:
                if i.step == 0:
                    raise ValueError("slice step cannot be zero")
                raise ValueError("step must be greater than zero")
            used += 1
        elif i is None or i is Ellipsis:
            pass
        elif ti is builtins.bool:
            adv = True
        elif isinstance(i, Tensor):
            a = i._data
            k = a.dtype.kind
            if k not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            if a.ndim == 0 and k != "b":
                i = _int(a)
                used += 1
            else:
                adv = True
                i = a if k != "u" or a.dtype.itemsize != 1 else a.astype(bool)
                used += i.ndim if i.dtype.kind == "b" else 1
        elif isinstance(i, (list, tuple, range)) or hasattr(i, "__array__"):
            a = xp.asarray(i._data if isinstance(i, Tensor) else i) if not (isinstance(i, (list, range)) and not i) \
                else xp.zeros(0, dtype=_dtypes.int64.np)
            if a.dtype.kind not in "biu":
                raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
            adv = True
            i = a
            used += a.ndim if a.dtype.kind == "b" else 1
        elif hasattr(i, "__index__"):
            i = i.__index__()
            used += 1
        else:
            raise IndexError(
                "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices "
                f"(got {type(i).__name__})")
        out.append(i)
    if used > len(shape):
        raise IndexError(f"too many indices for tensor of dimension {len(shape)}")
    if adv:
        _check_masks(out, shape, used)
    if not builtins.any(i is Ellipsis for i in out):
        out.append(Ellipsis)   # a 0-d result stays a view (NumPy returns scalars otherwise)
    return tuple(out), adv


def _zero_dim_index_error(idx):
    """torch's errors for a lone int or slice on a 0-d tensor (seed 002's old-style `loss.data[0]`)."""
    if type(idx) is slice:
        return IndexError("slice() cannot be applied to a 0-dim tensor.")
    if idx == 0:
        return IndexError("invalid index of a 0-dim tensor. Use `tensor.item()` in Python or `tensor.item<T>()` in C++ "
                          "to convert a 0-dim tensor to a number")
    return IndexError(f"index {idx} is out of bounds for dimension 0 with size 0")


def _check_masks(items, shape, used):
    dim = 0
    for pos, i in enumerate(items):
        if i is Ellipsis:
            dim += len(shape) - used
        elif i is None or type(i) is builtins.bool:
            continue
        elif hasattr(i, "dtype") and i.dtype.kind == "b":
            if tuple(shape[dim:dim + i.ndim]) != i.shape:
                raise IndexError(f"The shape of the mask {list(i.shape)} at index {pos} does not match the shape of "
                                 f"the indexed tensor {list(shape)} at index {dim}")
            dim += i.ndim
        else:
            dim += 1


_AXIS = re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)")


def _index_error(e):
    m = _AXIS.search(str(e))
    if m:
        return IndexError(f"index {m.group(1)} is out of bounds for dimension {m.group(2)} with size {m.group(3)}")
    return IndexError(str(e))


def _basic_cls(idx, np_idx, shape):
    """The view op naming a basic index's grad_fn as torch does: torch applies the items left to right (int: select,
    None: unsqueeze, slice: slice) and names the last one; in a tuple it skips slices that keep the whole dimension,
    and an index that changes nothing is an alias. A lone slice is always sliced."""
    if type(idx) is slice:
        return Slice
    cls = AliasIdx
    dim = 0
    used = builtins.sum(1 for i in np_idx if i is not None and i is not Ellipsis)
    for i in np_idx:
        if i is None:
            cls = UnsqueezeIdx
        elif i is Ellipsis:
            dim += len(shape) - used
            used = len(shape)        # only the first Ellipsis expands (the appended one is then empty)
        elif type(i) is slice:
            if i.indices(shape[dim]) != (0, shape[dim], 1):
                cls = Slice
            dim += 1
        else:
            cls = Select
            dim += 1
    return cls


def getitem(self, idx):
    if type(idx) is int and not (self._rg and _enabled[0]):
        a = self._data      # x[i] outside autograd (datasets, loops): a view without an Op
        if a.ndim and -a.shape[0] <= idx < a.shape[0]:
            return as_view(_wrap(a[idx, ...], self._device), self, ("__getitem__", (idx,)))
    dev = self._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(getitem, self, idx)
    np_idx, adv = _convert_index(idx, self._data.shape, dev.xp)
    try:
        if adv:
            return Index.apply(self, idx=np_idx)
        return as_view(_basic_cls(idx, np_idx, self._data.shape).apply(self, idx=np_idx), self,
                       ("__getitem__", (idx,)))
    except IndexError as e:
        raise _index_error(e) from None


class IndexPut(Op):
    _broadcast_order = ()            # setitem's own shape-mismatch message (_put_shape_error)

    def forward(ctx, x, v, idx, accumulate, inplace=False):
        ctx.idx = idx
        ctx.accumulate = accumulate
        out = x if inplace else x.copy()
        if hasattr(v, "dtype") and v.dtype != x.dtype:
            v = v.astype(x.dtype)
        if accumulate:
            ctx.device.backend.index_add(out, idx, v)
        else:
            out[idx] = v
        return out

    def backward(ctx, g):
        n = ctx._needs
        gx = gv = None
        if n[0]:
            if ctx.accumulate:
                gx = g
            else:
                keep = ctx.xp.ones(g._data.shape, dtype=g._data.dtype)
                keep[ctx.idx] = 0
                gx = g * _wrap(keep, g._device)
        if len(n) > 1 and n[1]:
            gv = Index.apply(g, idx=ctx.idx)
        return gx, gv


def _put_shape_error(self, np_idx, adv, value):
    target = self._data[np_idx].shape
    vs = value._data.shape if isinstance(value, Tensor) else ()
    if adv:
        return RuntimeError(f"shape mismatch: value tensor of shape {list(vs)} cannot be broadcast to indexing "
                            f"result of shape {list(target)}")
    return _expand_error(vs, target)


def _expand_error(vs, target):
    lead = len(target) - len(vs)
    for i, s in enumerate(vs):
        if s != 1 and i + lead >= 0 and s != target[i + lead]:
            return RuntimeError(f"The expanded size of the tensor ({target[i + lead]}) must match the existing size "
                                f"({s}) at non-singleton dimension {i + lead}.  Target sizes: {list(target)}.  "
                                f"Tensor sizes: {list(vs)}")
    return RuntimeError(f"expand: the number of sizes provided ({len(target)}) must be greater or equal to the "
                        f"number of dimensions in the tensor ({len(vs)})")


def _index_put(self, np_idx, adv, value, accumulate):
    if isinstance(value, Tensor) and value._device is not self._device:
        value = value.to(self._device)
    try:
        if _enabled[0] and (self._rg or (isinstance(value, Tensor) and value._rg)):
            if not adv and self._rg and self.grad_fn is None:   # PyTorch writes through a view here
                raise RuntimeError(
                    "a view of a leaf Variable that requires grad is being used in an in-place operation.")
            v = value if isinstance(value, Tensor) else _fill_value(self, value)
            return _run_inplace(self, IndexPut, v, idx=np_idx, accumulate=accumulate)
        v = value._data if isinstance(value, Tensor) else value
        if accumulate:
            self._device.backend.index_add(self._data, np_idx, v.astype(self._data.dtype) if hasattr(v, "dtype") else v)
        else:
            self._data[np_idx] = v
        self._bump()
        return self
    except IndexError as e:
        raise _index_error(e) from None
    except ValueError:
        raise _put_shape_error(self, np_idx, adv, value) from None


def setitem(self, idx, value):
    dev = self._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(setitem, self, idx, value)
    np_idx, adv = _convert_index(idx, self._data.shape, dev.xp)
    _index_put(self, np_idx, adv, value, False)


def _index_tuple(indices, self):
    if isinstance(indices, Tensor):
        indices = (indices,)
    return _convert_index(tuple(indices), self._data.shape, self._device.xp)


def _check_put_dtype(self, values):
    if isinstance(values, Tensor) and values._data.dtype != self._data.dtype:
        raise RuntimeError(f"Index put requires the source and destination dtypes match, got "
                           f"{_legacy(self.dtype)} for the destination and {_legacy(values.dtype)} for the source.")


def index_put_(self, indices, values, accumulate=False):
    dev = self._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(index_put_, self, indices, values, accumulate)
    _check_put_dtype(self, values)
    np_idx, _ = _index_tuple(indices, self)
    return _index_put(self, np_idx, True, values, accumulate)


@method
def index_put(input, indices, values, accumulate=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(index_put, input, indices, values, accumulate)
    _check_put_dtype(input, values)
    np_idx, _ = _index_tuple(indices, input)
    try:
        return IndexPut.apply(input, values, idx=np_idx, accumulate=accumulate)
    except IndexError as e:
        raise _index_error(e) from None
    except ValueError:
        raise _put_shape_error(input, np_idx, True, values) from None


Tensor.__getitem__ = getitem
Tensor.__setitem__ = setitem
Tensor.index_put_ = index_put_


# ---- in-place through views (CopySlices) ---------------------------------------------------------
def check_multi_view(view_t):
    kind = view_t.__dict__.get("_multi_view")
    if kind is not None:
        raise RuntimeError(
            f"Output {view_t._output_nr} of {kind} is a view and is being modified inplace. This view is the "
            "output of a function that returns multiple views. Such functions do not allow the output views to be "
            "modified inplace. You should replace the inplace operation by an out-of-place one.")


class CopySlices(Node):
    """grad_fn of a base after an in-place op on one of its views: the view's region of the base's
    gradient goes through the in-place op's node, the rest to the base's previous history."""
    _name = "CopySlices"
    _n_out = 1

    def __init__(self, base_edge, view_edge, steps, base):
        self.next_functions = (base_edge, view_edge)
        self._seq = next_seq()
        self.steps = steps
        self.like = base._data
        self.device = base._device

    def _region(self, t):
        for name, args in self.steps:
            t = getattr(t, name)(*args)
        return t

    def backward(self, g):
        xp = self.device.xp
        keep = xp.empty_like(self.like, dtype=g._data.dtype)   # same strides as the base: same views
        keep[...] = 1
        with grad_mode.no_grad():
            self._region(_wrap(keep, self.device))._data[...] = 0
        return g * _wrap(keep, g._device), self._region(g)


def rebase_view(view_t):
    """After an in-place op recorded on `view_t`, give its base a CopySlices history."""
    base = view_t._base
    steps = view_t.__dict__.get("_view_steps")
    if steps is None:
        return
    base.grad_fn = CopySlices(edge(base), (view_t.grad_fn, view_t._output_nr), steps, base)
    base._output_nr = 0
    base._rg = True
    view_t._view_ver = view_t._vc[0]
