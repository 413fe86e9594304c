"""ember.linalg: PyTorch's torch.linalg namespace (the ops live in ember/_ops/linalg.py)."""
import builtins

from ._device import CPU
from ._ops.linalg import (LinAlgError, LinalgCholeskyEx, LinalgEigh, LinalgInvEx, LinalgQr, LinalgSlogdet,
                          LinalgSolve, LinalgSvd, det, linalg_cross as cross, matmul, matrix_norm, matrix_power, pinv,
                          _square, _unsq)
from ._ops.reduction import LinalgVectorNorm, result_type
from ._tensor import Tensor

__all__ = ['LinAlgError', 'norm', 'vector_norm', 'matrix_norm', 'inv', 'det', 'slogdet', 'solve', 'svd', 'svdvals',
           'qr', 'cholesky', 'eigh', 'eigvalsh', 'pinv', 'matrix_power', 'matrix_rank', 'lstsq', 'cross', 'matmul',
           'multi_dot']

for _n, _f in (("linalg_svd", ("U", "S", "Vh")), ("linalg_qr", ("Q", "R")),
               ("linalg_eigh", ("eigenvalues", "eigenvectors")), ("linalg_slogdet", ("sign", "logabsdet")),
               ("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))):
    result_type(_n, _f)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    return LinalgVectorNorm.apply(x, ord=ord, dim=dim, keepdim=keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    if isinstance(dim, int):
        dim = (dim,)
    if dim is None and ord is not None:
        if A.ndim not in (1, 2):
            raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be 1D or 2D. "
                               f"Got {A.ndim}D.")
        dim = tuple(range(A.ndim))
    if dim is not None and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


def inv(A):
    return LinalgInvEx.apply(A)


def slogdet(A):
    return result_type("linalg_slogdet")(*LinalgSlogdet.apply(A))


def solve(A, B, *, left=True):
    _square("linalg.solve", A)
    if not left:                      # X A = B  <=>  A^T X^T = B^T
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    Bm = _unsq(B, -1) if vector else B
    if Bm.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({A.shape[-2]}x{A.shape[-1]} and {Bm.shape[-2]}x{Bm.shape[-1]})")
    batch = _broadcast(A.shape[:-2], Bm.shape[:-2])
    X = LinalgSolve.apply(A.expand(batch + tuple(A.shape[-2:])), Bm.expand(batch + tuple(Bm.shape[-2:])))
    return X.reshape(X.shape[:-1]) if vector else X


def _broadcast(a, b):
    n = builtins.max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(builtins.max(x, y) if 1 in (x, y) or x == y else _bad(a, b) for x, y in zip(a, b))


def _bad(a, b):
    raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b ({b})")


def svd(A, full_matrices=True, *, driver=None):
    return result_type("linalg_svd")(*LinalgSvd.apply(A, full_matrices=full_matrices))


def svdvals(A, *, driver=None):
    return LinalgSvd.apply(A, full_matrices=False)[1]


def qr(A, mode="reduced"):
    return result_type("linalg_qr")(*LinalgQr.apply(A, mode=mode))


def cholesky(A, *, upper=False):
    L = LinalgCholeskyEx.apply(A)
    return L.mT if upper else L


def eigh(A, UPLO="L"):
    return result_type("linalg_eigh")(*LinalgEigh.apply(A, UPLO=UPLO))


def eigvalsh(A, UPLO="L"):
    return LinalgEigh.apply(A, UPLO=UPLO)[0]


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    dev = A._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(matrix_rank, A, atol=atol, rtol=rtol, hermitian=hermitian, tol=tol)
    if tol is not None:
        atol, rtol = tol, 0.0
    xp = dev.xp
    s = xp.linalg.svd(A._data, compute_uv=False)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), dtype=s.dtype)
    if rtol is None:
        rtol = 0.0 if atol is not None and atol > 0 else xp.finfo(s.dtype).eps * builtins.max(A.shape[-2:])
    tol = xp.maximum(atol or 0.0, rtol * smax)
    return Tensor._wrap(xp.sum(s > tol, axis=-1).astype("int64"), A._device)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least-squares solution through the pseudo-inverse; like PyTorch's default CPU driver ('gelsy'),
    residuals and singular_values come back empty."""
    dev = A._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(lstsq, A, B, rcond, driver=driver)
    vector = B.ndim == A.ndim - 1
    X = pinv(A, rtol=rcond) @ (_unsq(B, -1) if vector else B)
    xp = A._device.xp
    empty = Tensor._wrap(xp.zeros((0,), dtype=A._data.dtype), A._device)
    return result_type("linalg_lstsq")(X.reshape(X.shape[:-1]) if vector else X, empty, matrix_rank(A), empty)


def multi_dot(tensors):
    out = tensors[0]
    for t in tensors[1:]:
        out = out @ t
    return out
