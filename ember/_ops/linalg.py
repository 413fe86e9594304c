"""Matrix products straight to BLAS through xp.matmul."""

# public names exported as ember.<name>; add each new public function here
__all__ = ['matmul', 'mm', 'addmm']

from .._tensor import Tensor
from ._op import Op
from ._promote import promote
from ._registry import method

_LEGACY = None


def _shape_str(a):
    return "x".join(map(str, a.shape))


class Matmul(Op):
    _name = "MmBackward0"

    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        if x.dtype is not y.dtype:
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
                gx = (g.unsqueeze(-2) @ y.mT).squeeze(-2)
            if n[1]:
                gy = x.unsqueeze(-1) * g.unsqueeze(-2)
            return gx, gy
        if yd == 1:        # (..., n, k) @ (k) -> (..., n)
            if n[0]:
                gx = g.unsqueeze(-1) * y
            if n[1]:
                gy = (x.mT @ g.unsqueeze(-1)).squeeze(-1)
            return gx, gy
        if n[0]:
            gx = g @ y.mT
        if n[1]:
            gy = x.mT @ g
        return gx, gy


def _tn(npdt):
    from .. import _dtypes
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int"}.get(_dtypes.from_np(npdt).name, _dtypes.from_np(npdt).name)


class Addmm(Op):
    def forward(ctx, bias, x, w_t, beta=1, alpha=1):
        ctx.save_for_backward(x, w_t)
        if x.shape[-1] != w_t.shape[0]:
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({_shape_str(x)} and {_shape_str(w_t)})")
        ctx.beta, ctx.alpha = beta, alpha
        out = ctx.xp.matmul(x, w_t)
        if alpha != 1:
            out *= alpha
        if beta == 1:
            out += bias
        elif beta != 0:
            out += beta * bias
        return out

    def backward(ctx, g):
        x, w_t = ctx.saved_tensors
        n = ctx._needs
        gb = g if ctx.beta == 1 else g * ctx.beta
        ga = g if ctx.alpha == 1 else g * ctx.alpha
        return (gb if n[0] else None), (ga @ w_t.mT if n[1] else None), (x.mT @ ga if n[2] else None)


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


@method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    return Addmm.apply(input, mat1, mat2, beta=beta, alpha=alpha)
