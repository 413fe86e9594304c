"""Matrix products straight to BLAS through xp.matmul, einsum, and the linear-algebra ops behind
ember.linalg (inv, det, solve, cholesky, qr, svd, eigh ...). Decompositions differentiate with the
standard formulas written in ember ops, so they differentiate again."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['matmul', 'mm', 'addmm', 'bmm', 'mv', 'dot', 'vdot', 'inner', 'outer', 'ger', 'addmv', 'addr',
           'baddbmm', 'addbmm', 'einsum', 'tensordot', 'trace', 'kron', 'cross', 'det', 'logdet', 'slogdet',
           'inverse', 'cholesky', 'svd', 'qr', 'pinverse', 'matrix_power', 'norm']

import builtins
import string

from .._device import CPU
from .._tensor import Tensor
from ._op import Op
from ._promote import promote
from ._registry import method, _torch_name
from .reduction import LinalgVectorNorm, result_type, amax, amin, _wrap_dim

_wrap = Tensor._wrap


def _shape_str(a):
    return "x".join(map(str, a.shape))


class Matmul(Op):
    _name = "MmBackward0"

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        if x.dtype != y.dtype:      # equal, not identical: unpickled arrays carry their own dtype objects
            raise RuntimeError(
                f"expected m1 and m2 to have the same dtype, but got: {_tn(x.dtype)} != {_tn(y.dtype)}")
        if x.ndim == 0 or y.ndim == 0:
            raise RuntimeError(
                f"both arguments to matmul need to be at least 1D, but they are {x.ndim}D and {y.ndim}D")
        kx = x.shape[-1]
        ky = y.shape[-2] if y.ndim > 1 else y.shape[0]
        if kx != ky:
            if x.ndim <= 2 and y.ndim <= 2:
                if x.ndim == 2 and y.ndim == 2:
                    raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(x)} and {_shape_str(y)})")
                if x.ndim == 1 and y.ndim == 1:
                    raise RuntimeError(
                        f"inconsistent tensor size, expected tensor [{x.shape[0]}] and src [{y.shape[0]}] to have "
                        "the same number of elements, but got " f"{x.shape[0]} and {y.shape[0]} elements respectively")
                if x.ndim == 2:
                    raise RuntimeError(f"size mismatch, got input ({x.shape[0]}), mat ({_shape_str(x)}), vec ({y.shape[0]})")
            raise RuntimeError(
                f"Expected size for first two dimensions of batch2 tensor to be: [{', '.join(map(str, y.shape[:-2]))}"
                f"{', ' if y.ndim > 2 else ''}{kx}] but got: [{', '.join(map(str, y.shape[:-2]))}{', ' if y.ndim > 2 else ''}{ky}]."
                if x.ndim > 2 and y.ndim > 2 else
                f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(x.reshape(-1, kx)) if x.ndim > 1 else '1x' + str(kx)} and "
                f"{_shape_str(y) if y.ndim > 1 else str(ky) + 'x1'})")
        if x.dtype.kind == "b":
            raise RuntimeError('"addmm_impl_cpu_" not implemented for \'Bool\'')
        return ctx.xp.matmul(x, y)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        gx = gy = None
        xd, yd = x.ndim, y.ndim
        if xd == 1 and yd == 1:
            return (g * y if n[0] else None), (g * x if n[1] else None)
        if xd == 1:        # (k) @ (..., k, m) -> (..., m)
            if n[0]:
                gx = (_unsq(g, -2) @ y.mT).reshape(g.shape[:-1] + (x.shape[0],))
            if n[1]:
                gy = x.reshape(-1, 1) * _unsq(g, -2)
            return gx, gy
        if yd == 1:        # (..., n, k) @ (k) -> (..., n)
            if n[0]:
                gx = _unsq(g, -1) * y
            if n[1]:
                gy = (x.mT @ _unsq(g, -1)).reshape(x.shape[:-2] + (y.shape[0],))
            return gx, gy
        if n[0]:
            gx = g @ y.mT
        if n[1]:
            gy = x.mT @ g
        return gx, gy


def _unsq(t, d):
    """t with a size-1 dim inserted at d (-1 or -2 here)."""
    shape = t.shape
    return t.reshape(shape + (1,) if d == -1 else shape[:-1] + (1,) + shape[-1:] if shape else (1, 1))


def _tn(npdt):
    from .. import _dtypes
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int"}.get(_dtypes.from_np(npdt).name, _dtypes.from_np(npdt).name)


# F.linear computes weight @ input^T (then transposes) when the batch is at most this fraction of the
# output features (measured with NumPy's OpenBLAS: 32x1024 @ 1024x1024^T 780 -> 460 us, 64x512 @
# 512x512^T 285 -> 240 us; at 128x256 @ 256x128^T the usual order is faster).
_TRANSPOSED_MIN_RATIO = 2


class Addmm(Op):
    """beta * bias + alpha * (x @ w_t). With wt=True the third input is the weight itself, (out, in),
    used transposed: F.linear's case, with no transpose node and the weight's gradient computed
    directly in the weight's layout."""

    def forward(ctx, bias, x, w_t, beta=1, alpha=1, wt=False):
        ctx.save_for_backward(x, w_t)
        ctx.wt = wt
        m = w_t.T if wt else w_t
        if x.shape[-1] != m.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(x)} and {_shape_str(m)})")
        ctx.beta, ctx.alpha = beta, alpha
        if wt and beta == 1 and alpha == 1 and x.ndim == 2 and _TRANSPOSED_MIN_RATIO * x.shape[0] <= w_t.shape[0]:
            # a few rows against many output features: BLAS runs weight @ x^T markedly faster here
            # than x @ weight^T; adding the bias writes the result back in row-major order
            out = ctx.xp.empty((x.shape[0], w_t.shape[0]), dtype=x.dtype)
            return ctx.xp.add(ctx.xp.matmul(w_t, x.T).T, bias, out=out)
        out = ctx.xp.matmul(x, m)
        if alpha != 1:
            out *= alpha
        if beta == 1:
            out += bias
        elif beta != 0:
            out += beta * bias
        return out

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = ctx._needs
        gb = g if ctx.beta == 1 else g * ctx.beta
        ga = g if ctx.alpha == 1 else g * ctx.alpha
        if ctx.wt:      # w is (out, in): d/dx = ga @ w, d/dw = ga^T @ x
            return (gb if n[0] else None), (ga @ w if n[1] else None), (ga.mT @ x if n[2] else None)
        gw = None
        if n[2]:
            wa = w._data
            if wa.ndim == 2 and wa.flags.f_contiguous and not wa.flags.c_contiguous:
                gw = (ga.mT @ x).mT     # in the layout of a transposed weight: contiguous once transposed back
            else:
                gw = x.mT @ ga
        return (gb if n[0] else None), (ga @ w.mT if n[1] else None), gw


@method
def matmul(input, other):
    return Matmul.apply(input, other)


Tensor.__matmul__ = lambda self, other: Matmul.apply(self, other)
Tensor.__rmatmul__ = lambda self, other: Matmul.apply(other, self)


@method
def mm(input, mat2):
    if input.ndim != 2:
        raise RuntimeError(f"self must be a matrix")
    if mat2.ndim != 2:
        raise RuntimeError(f"mat2 must be a matrix")
    return Matmul.apply(input, mat2)


def check_addmm_dtypes(input, mat1, mat2):
    """torch's addmm (and F.linear with a bias) refuses mixed dtypes rather than promoting: self (the bias) against
    mat2 first, then mat1 against mat2."""
    dt = mat2._data.dtype
    if mat1._data.dtype is dt and (input._data.dtype is dt if isinstance(input, Tensor) else True):
        return          # the usual case, without building names
    for name, t in (("self", input), ("mat1", mat1)):
        if isinstance(t, Tensor) and t.dtype != mat2.dtype:
            raise RuntimeError(f"{name} and mat2 must have the same dtype, but got {_torch_name(t.dtype)} and "
                               f"{_torch_name(mat2.dtype)}")


@method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    check_addmm_dtypes(input, mat1, mat2)
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)



# ---- products built on matmul -----------------------------------------------------------------
def _scaled_sum(input, prod, beta, alpha):
    """beta * input + alpha * prod (input ignored when beta == 0, as in BLAS)."""
    if alpha != 1:
        prod = prod * alpha
    if beta == 0:
        return prod
    return (input if beta == 1 else input * beta) + prod


@method
def bmm(input, mat2):
    if input.ndim != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if mat2.ndim != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    b, _, k = input.shape
    if tuple(mat2.shape[:2]) != (b, k):
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: [{b}, {k}] but got: "
                           f"[{mat2.shape[0]}, {mat2.shape[1]}].")
    return Matmul.apply(input, mat2)


@method
def mv(input, vec):
    if input.ndim != 2 or vec.ndim != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {input.ndim}, {vec.ndim}")
    return Matmul.apply(input, vec)


def _vectors(a, b):
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.dtype != b.dtype:
        raise RuntimeError("dot : expected both vectors to have same dtype, but found "
                           f"{_torch_name(a.dtype)} and {_torch_name(b.dtype)}")


@method
def dot(input, tensor):
    _vectors(input, tensor)
    return Matmul.apply(input, tensor)


@method
def vdot(input, other):
    _vectors(input, other)
    return Matmul.apply(input.conj() if input.is_complex() else input, other)


@method
def inner(input, other):
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    if input.shape[-1] != other.shape[-1]:
        raise RuntimeError(f"inner() the last dimension must match on both input tensors but got shapes "
                           f"{list(input.shape)} and {list(other.shape)}")
    return tensordot(input, other, ([-1], [-1]))


@method("outer", "ger")
def outer(input, vec2):
    for name, v in (("self", input), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {v.ndim}-D")
    return input.reshape(-1, 1) * vec2


ger = outer


@method
def addmv(input, mat, vec, *, beta=1, alpha=1):
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


@method
def addr(input, vec1, vec2, *, beta=1, alpha=1):
    return _scaled_sum(input, outer(vec1, vec2), beta, alpha)


@method
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


@method
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


# ---- einsum / tensordot / trace / kron / cross ------------------------------------------------
class Einsum(Op):
    """xp.einsum on an explicit equation (no ellipsis); operand i's gradient is the einsum of the
    output gradient with the other operands, written to operand i's subscripts."""

    def forward(ctx, *ops, eq=""):
        for o in ops[1:]:
            if o.dtype != ops[0].dtype:
                raise RuntimeError(f"expected scalar type {_torch_name(_dt(ops[0].dtype))} but found "
                                   f"{_torch_name(_dt(o.dtype))}")
        ctx.eq = eq
        ctx.save_for_backward(*ops)
        return ctx.xp.einsum(eq, *ops)

    def backward(ctx, g):
        from .._factory import eye, ones
        ops = ctx.saved_tensors
        lhs, out = ctx.eq.split("->")
        terms = lhs.split(",")
        fresh = iter(c for c in string.ascii_letters if c not in ctx.eq)
        grads = []
        for i, (term, x) in enumerate(zip(terms, ops)):
            if not ctx._needs[i]:
                grads.append(None)
                continue
            subs = [t for j, t in enumerate(terms) if j != i] + [out]
            args = [o for j, o in enumerate(ops) if j != i] + [g]
            target, seen = "", {}
            for c, n in zip(term, x.shape):
                if c in seen:               # repeated subscript (a diagonal): tie a new letter with eye
                    new = next(fresh)
                    subs.append(c + new)
                    args.append(eye(n, dtype=g.dtype, device=g.device))
                    c = new
                seen[c] = n
                target += c
            for c in target:
                if not any(c in s for s in subs):     # summed away in the forward: broadcast back
                    subs.append(c)
                    args.append(ones(seen[c], dtype=g.dtype, device=g.device))
            grads.append(Einsum.apply(*args, eq=",".join(subs) + "->" + target))
        return tuple(grads)


def _dt(npdt):
    from .._dtypes import from_np
    return from_np(npdt)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        raise RuntimeError("einsum(): more operands were provided than specified in the equation"
                           if len(operands) > len(terms) else
                           "einsum(): fewer operands were provided than specified in the equation")
    fresh = [c for c in string.ascii_letters if c not in eq]
    n_ell = builtins.max([o.ndim - len(t) + 3 for t, o in zip(terms, operands) if "..." in t], default=0)
    ell = "".join(fresh[:n_ell])
    terms = [t.replace("...", ell[len(ell) - (o.ndim - len(t) + 3):]) if "..." in t else t
             for t, o in zip(terms, operands)]
    for t, o in zip(terms, operands):
        if len(t) != o.ndim:
            raise RuntimeError(f"einsum(): the number of subscripts in the equation ({len(t)}) does not match the "
                               f"number of dimensions ({o.ndim}) for operand {terms.index(t)}"
                               + ("" if "..." in eq else " and no ellipsis was given"))
    if arrow:
        rhs = rhs.replace("...", ell)
        for c in rhs:
            if rhs.count(c) > 1:
                raise RuntimeError(f"einsum(): output subscript {c} appears more than once in the output")
    else:
        letters = "".join(terms)
        rhs = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    sizes = {}
    for k, (t, o) in enumerate(zip(terms, operands)):
        for c, n in zip(t, o.shape):
            if sizes.setdefault(c, n) != n:
                raise RuntimeError(f"einsum(): subscript {c} has size {n} for operand {k} which does not broadcast "
                                   f"with previously seen size {sizes[c]}")
    return Einsum.apply(*operands, eq=",".join(terms) + "->" + rhs)


def tensordot(a, b, dims=2):
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        da, db = ([d] if isinstance(d, int) else list(d) for d in dims)
    da = [_wrap_dim(d, a.ndim) for d in da]
    db = [_wrap_dim(d, b.ndim) for d in db]
    for i, j in zip(da, db):
        if a.shape[i] != b.shape[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size {a.shape[i]} in dim {i} "
                               f"and second has size {b.shape[j]} in dim {j}")
    letters = iter(string.ascii_letters)
    sa = [next(letters) for _ in range(a.ndim)]
    sb = [next(letters) for _ in range(b.ndim)]
    for i, j in zip(da, db):
        sb[j] = sa[i]
    rhs = [c for k, c in enumerate(sa) if k not in da] + [c for k, c in enumerate(sb) if k not in db]
    return Einsum.apply(a, b, eq="".join(sa) + "," + "".join(sb) + "->" + "".join(rhs))


class Trace(Op):
    def forward(ctx, x):
        if x.ndim != 2:
            raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {x.ndim}")
        ctx.shape = x.shape
        return ctx.xp.trace(x.astype("int64") if x.dtype.kind in "biu" else x)

    def backward(ctx, g):
        from .._factory import eye
        return g * eye(*ctx.shape, dtype=g.dtype, device=g.device)


@method
def trace(input):
    return Trace.apply(input)


@method
def kron(input, other):
    nd = builtins.max(input.ndim, other.ndim)
    sa = (1,) * (nd - input.ndim) + tuple(input.shape)
    sb = (1,) * (nd - other.ndim) + tuple(other.shape)
    a = input.reshape(tuple(x for n in sa for x in (n, 1)))
    b = other.reshape(tuple(x for n in sb for x in (1, n)))
    return (a * b).reshape(tuple(m * n for m, n in zip(sa, sb)))


class LinalgCross(Op):
    def forward(ctx, x, y, dim=-1):
        x, y = promote(x, y)
        ctx.dim = dim
        ctx.save_for_backward(x, y)
        return ctx.xp.cross(x, y, axis=dim)

    def backward(ctx, g):
        x, y = ctx.saved_tensors
        n = ctx._needs
        return (LinalgCross.apply(y, g, dim=ctx.dim) if n[0] else None,
                LinalgCross.apply(g, x, dim=ctx.dim) if n[1] else None)


def linalg_cross(input, other, *, dim=-1):
    if input.ndim != other.ndim:
        raise RuntimeError("linalg.cross: inputs must have the same number of dimensions.")
    d = _wrap_dim(dim, input.ndim)
    if input.shape[d] != 3 or other.shape[d] != 3:
        raise RuntimeError(f"linalg.cross: inputs dimension {dim} must have length 3. "
                           f"Got {input.shape[d]} and {other.shape[d]}")
    return LinalgCross.apply(input, other, dim=d - input.ndim)


@method
def cross(input, other, dim=None):
    if dim is None:
        dim = next((i for i, n in enumerate(input.shape) if n == 3), -1)
    return linalg_cross(input, other, dim=dim)


# ---- decompositions and inverses --------------------------------------------------------------
class LinAlgError(RuntimeError):
    """A linear-algebra failure on valid input (singular or non positive-definite matrix)."""


def _square(name, A, arg="A"):
    """Checks on a raw array (or a Tensor's array)."""
    A = getattr(A, "_data", A)
    if A.ndim < 2:
        raise RuntimeError(f"{name}: The input tensor {arg} must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{name}: {arg} must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if A.dtype.kind not in "fc":
        raise RuntimeError(f"{name}: Expected a floating point or complex tensor as input. "
                           f"Got {_torch_name(_dt(A.dtype))}")


def _eye_like(t):
    from .._factory import eye
    return eye(t.shape[-1], dtype=t.dtype, device=t.device)


def _diag_embed(v):
    """(..., k) -> (..., k, k) with v on the diagonal."""
    return v.reshape(v.shape + (1,)) * _eye_like(v)


def _diagonal(m):
    """(..., k, k) -> (..., k)."""
    return (m * _eye_like(m)).sum(-1)


def _singular(xp, A):
    return int(xp.min(xp.linalg.matrix_rank(A))) + 1 if A.size else 1


class LinalgInvEx(Op):
    def forward(ctx, A):
        _square("linalg.inv", A)
        try:
            out = ctx.xp.linalg.inv(A)
        except ctx.xp.linalg.LinAlgError:
            raise LinAlgError(f"linalg.inv: The diagonal element {_singular(ctx.xp, A)} is zero, the inversion could "
                              "not be completed because the input matrix is singular.") from None
        ctx.save_for_backward(out)
        return out

    def backward(ctx, g):
        inv, = ctx.saved_tensors
        return -(inv.mT @ g @ inv.mT)


class LinalgDet(Op):
    def forward(ctx, A):
        _square("linalg.det", A)
        out = ctx.xp.asarray(ctx.xp.linalg.det(A))     # saved: an array, not a NumPy scalar
        ctx.save_for_backward(A, out)
        return out

    def backward(ctx, g):
        A, det = ctx.saved_tensors
        return (g * det).reshape(det.shape + (1, 1)) * LinalgInvEx.apply(A).mT


class LinalgSlogdet(Op):
    differentiable_outputs = (1,)

    def forward(ctx, A):
        _square("linalg.slogdet", A)
        sign, logabs = ctx.xp.linalg.slogdet(A)
        ctx.save_for_backward(A)
        return sign.astype(A.dtype), logabs.astype(A.dtype)

    def backward(ctx, _, g):
        A, = ctx.saved_tensors
        return g.reshape(g.shape + (1, 1)) * LinalgInvEx.apply(A).mT


class LinalgSolve(Op):
    """X with A X = B (B a batch of matrices; the public function handles vectors)."""
    _name = "LinalgSolveExBackward0"

    def forward(ctx, A, B):
        try:
            X = ctx.xp.linalg.solve(A, B)
        except ctx.xp.linalg.LinAlgError:
            raise LinAlgError("linalg.solve: The solver failed because the input matrix is singular.") from None
        ctx.save_for_backward(A, X)
        return X

    def backward(ctx, g):
        A, X = ctx.saved_tensors
        gB = LinalgSolve.apply(A.mT, g)
        return (-(gB @ X.mT) if ctx._needs[0] else None), gB


def _tril_mask(t, diag_value=1.0):
    """Constant lower-triangular ones (diag_value on the diagonal) of t's matrix size and dtype."""
    xp = t._device.xp
    n = t.shape[-1]
    m = xp.tril(xp.ones((n, n), dtype=t._data.dtype), -1) + diag_value * xp.eye(n, dtype=t._data.dtype)
    return _wrap(m, t._device)


class LinalgCholeskyEx(Op):
    def forward(ctx, A):
        _square("linalg.cholesky", A)
        xp = ctx.xp
        try:
            L = xp.linalg.cholesky(A)
        except xp.linalg.LinAlgError:
            raise LinAlgError(_not_pd(xp, A)) from None
        ctx.save_for_backward(L)
        return L

    def backward(ctx, gL):
        # gA = sym(L^-T phi(L^T gL) L^-1), phi: lower triangle with the diagonal halved
        L, = ctx.saved_tensors
        P = (L.mT @ gL) * _tril_mask(L, 0.5)
        Y = LinalgSolve.apply(L.mT, P)
        gA = LinalgSolve.apply(L.mT, Y.mT).mT
        return (gA + gA.mT) * 0.5


def _not_pd(xp, A):
    batch = A.reshape((-1,) + A.shape[-2:])
    for b, M in enumerate(batch):
        for k in range(1, M.shape[0] + 1):
            try:
                xp.linalg.cholesky(M[:k, :k])
            except xp.linalg.LinAlgError:
                where = f"(Batch element {b}): " if A.ndim > 2 else ""
                return (f"linalg.cholesky: {where}The factorization could not be completed because the input is not "
                        f"positive-definite (the leading minor of order {k} is not positive-definite).")
    return "linalg.cholesky: The factorization could not be completed because the input is not positive-definite."


class LinalgQr(Op):
    def forward(ctx, A, mode="reduced"):
        if A.ndim < 2:
            raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
        if mode not in ("reduced", "complete", "r"):
            raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of 'reduced' (default), "
                               "'r', or 'complete'")
        ctx.mode = mode
        xp = ctx.xp
        if mode == "r":
            R = xp.linalg.qr(A, mode="r")
            Q = xp.zeros((0,), dtype=A.dtype)
        else:
            Q, R = xp.linalg.qr(A, mode=mode)
        ctx.save_for_backward(Q, R)
        return Q, R

    def backward(ctx, gQ, gR):
        if ctx.mode == "r":
            raise RuntimeError("The derivative of linalg.qr depends on Q, which is not computed when mode='r'. "
                               "Please use linalg.qr(A, mode='reduced') if you are going to differentiate through "
                               "linalg.qr.")
        Q, R = ctx.saved_tensors
        m, n = Q.shape[-2], R.shape[-1]
        if ctx.mode == "complete" and m > n:
            raise RuntimeError("The QR decomposition is not differentiable when mode='complete' and nrows > ncols.")
        if m >= n:
            return _qr_grad(Q, R, gQ, gR)
        # wide A = [X | Y] with X = Q U square: X's gradient as a square QR, Y's is Q gV
        from .._factory import eye
        A = Q @ R
        Y, U, gU, gV = A[..., m:], R[..., :m], gR[..., :m], gR[..., m:]
        gX = _qr_grad(Q, U, gQ + Y @ gV.mT, gU)
        gY = Q @ gV
        return gX @ eye(m, n, dtype=Q.dtype, device=Q.device) + gY @ eye(n, dtype=Q.dtype, device=Q.device)[m:]


def _qr_grad(Q, R, gQ, gR):
    """A = QR with A tall or square: M = R gR^T - gQ^T Q;  gA = (gQ + Q copyltu(M)) R^-T."""
    M = R @ gR.mT - gQ.mT @ Q
    sym = M * _tril_mask(M, 1.0) + (M * _tril_mask(M, 0.0)).mT
    return LinalgSolve.apply(R, (gQ + Q @ sym).mT).mT


class LinalgSvd(Op):
    def forward(ctx, A, full_matrices=True):
        if A.ndim < 2:
            raise RuntimeError("linalg.svd: The input tensor A must have at least 2 dimensions.")
        U, S, Vh = ctx.xp.linalg.svd(A, full_matrices=full_matrices)
        ctx.save_for_backward(U, S, Vh)
        return U, S.astype(A.dtype, copy=False), Vh

    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_tensors
        k = S.shape[-1]
        m, n = U.shape[-2], Vh.shape[-1]
        if U.shape[-1] != k:
            U, gU = U[..., :k], gU[..., :k]
        if Vh.shape[-2] != k:
            Vh, gVh = Vh[..., :k, :], gVh[..., :k, :]
        if not (bool((gU._data != 0).any()) or bool((gVh._data != 0).any())):
            return U * _unsq(gS, -2) @ Vh
        V, gV = Vh.mT, gVh.mT
        UgU = U.mT @ gU
        VgV = Vh @ gV
        S2 = S * S
        E = _unsq(S2, -2) - _unsq(S2, -1) + _eye_like(U.mT @ U)
        inner = ((UgU - UgU.mT) * _unsq(S, -2) + _unsq(S, -1) * (VgV - VgV.mT)) / E + _diag_embed(gS)
        if m > k:
            gUS = gU / _unsq(S, -2)
            return (U @ inner + gUS - U @ (U.mT @ gUS)) @ Vh
        if n > k:
            SgV = gV.mT / _unsq(S, -1)
            return U @ (inner @ Vh + SgV - (SgV @ V) @ Vh)
        return U @ inner @ Vh


class LinalgEigh(Op):
    def forward(ctx, A, UPLO="L"):
        _square("linalg.eigh", A)
        if UPLO not in ("L", "U"):
            raise RuntimeError(f"Expected UPLO argument to be 'L' or 'U', but got {UPLO}")
        L, V = ctx.xp.linalg.eigh(A, UPLO=UPLO)
        ctx.save_for_backward(L, V)
        return L, V

    def backward(ctx, gL, gV):
        L, V = ctx.saved_tensors
        VgV = V.mT @ gV
        E = _unsq(L, -2) - _unsq(L, -1) + _eye_like(V)
        inner = (VgV - VgV.mT) * 0.5 / E + _diag_embed(gL)
        return V @ inner @ V.mT


# ---- torch.<name> forms of the linalg functions -----------------------------------------------
@method
def det(input):
    return LinalgDet.apply(input)


@method
def logdet(input):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(logdet, input)
    sign, logabs = LinalgSlogdet.apply(input)
    neg = sign._data < 0                # negative determinant: nan, with a zero gradient
    keep = _wrap((~neg).astype(sign._data.dtype), input._device)
    return logabs * keep + _wrap(input._device.xp.where(neg, float("nan"), 0.0).astype(sign._data.dtype),
                                 input._device)


@method
def slogdet(input):
    return result_type("slogdet", ("sign", "logabsdet"))(*LinalgSlogdet.apply(input))


@method
def inverse(input):
    return LinalgInvEx.apply(input)


@method
def cholesky(input, upper=False):
    L = LinalgCholeskyEx.apply(input)
    return L.mT if upper else L


@method
def svd(input, some=True, compute_uv=True):
    if not compute_uv:           # singular values only; U and V come back as zeros of the full sizes
        from .._factory import zeros
        S = LinalgSvd.apply(input, full_matrices=False)[1]
        m, n = input.shape[-2:]
        return result_type("svd", ("U", "S", "V"))(zeros(input.shape[:-2] + (m, m), dtype=input.dtype,
                                                          device=input.device), S,
                                                    zeros(input.shape[:-2] + (n, n), dtype=input.dtype,
                                                          device=input.device))
    U, S, Vh = LinalgSvd.apply(input, full_matrices=not some)
    return result_type("svd", ("U", "S", "V"))(U, S, Vh.mT)


@method
def qr(input, some=True):
    return result_type("qr", ("Q", "R"))(*LinalgQr.apply(input, mode="reduced" if some else "complete"))


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    dev = A._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(pinv, A, atol=atol, rtol=rtol, hermitian=hermitian)
    U, S, Vh = LinalgSvd.apply(A, full_matrices=False)
    xp = dev.xp
    s = S._data
    smax = s.max(-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else xp.finfo(s.dtype).eps * builtins.max(A.shape[-2:])
    tol = xp.maximum(atol or 0.0, rtol * smax)
    keep = _wrap((s > tol).astype(s.dtype), A._device)
    s_inv = keep / (S + (1 - keep))
    return (Vh.mT * _unsq(s_inv, -2)) @ U.mT


@method
def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)


@method
def matrix_power(input, n):
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"linalg.matrix_power: A must be batches of square matrices, but they are "
                           f"{input.shape[-2] if input.ndim > 1 else 1} by {input.shape[-1]} matrices")
    if n == 0:       # the identity, still connected to input (zero gradient) as in PyTorch
        return _eye_like(input).expand(input.shape) + input * 0
    base = LinalgInvEx.apply(input) if n < 0 else input
    n = abs(n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


@method
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if p == "fro" or p is None:
        p = 2
    return LinalgVectorNorm.apply(input, ord=p, dim=dim, keepdim=keepdim, dtype=dtype)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    d0, d1 = (_wrap_dim(d, A.ndim) for d in dim)
    if ord == "fro":
        return LinalgVectorNorm.apply(A, ord=2, dim=(d0, d1), keepdim=keepdim, dtype=dtype)
    if dtype is not None:
        A = A.to(dtype)
    if ord in ("nuc", 2, -2):
        perm = [i for i in range(A.ndim) if i not in (d0, d1)] + [d0, d1]
        S = LinalgSvd.apply(A.permute(perm), full_matrices=False)[1]
        out = S.sum(-1) if ord == "nuc" else amax(S, -1) if ord == 2 else amin(S, -1)
    elif ord in (1, -1, float("inf"), -float("inf")):
        inner, outer_d = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = LinalgVectorNorm.apply(A, ord=1, dim=inner, keepdim=True)
        out = (amax if ord > 0 else amin)(sums, outer_d, keepdim=True)
        shape = [n for i, n in enumerate(out.shape) if i not in (d0, d1)]
        return out if keepdim else out.reshape(shape)
    else:
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    if keepdim:
        out = out.reshape(tuple(1 if i in (d0, d1) else n for i, n in enumerate(A.shape)))
    return out
