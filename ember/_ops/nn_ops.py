"""Neural-network primitives: softmax family, nll loss, normalization, embedding, piecewise-linear
activations and dropout masks. The rest of torch.nn.functional (composite functions) lives in
ember/nn/functional.py and is written with these and the other ember ops.

Public top-level names (ember.softmax, ember.layer_norm ...) go in __all__, with torch's
top-level signatures (which sometimes differ from torch.nn.functional's)."""
__all__ = ['softmax', 'log_softmax', 'dropout', 'feature_dropout', 'alpha_dropout', 'feature_alpha_dropout',
           'dropout_', 'alpha_dropout_', 'feature_alpha_dropout_', 'feature_dropout_',
           'batch_norm', 'layer_norm', 'group_norm', 'instance_norm', 'rms_norm', 'embedding',
           'cosine_similarity', 'pairwise_distance', 'pdist', 'cdist', 'selu', 'selu_', 'celu', 'celu_', 'rrelu',
           'rrelu_', 'prelu', 'hardshrink', 'threshold', 'threshold_', 'binary_cross_entropy_with_logits', 'bilinear',
           'kl_div', 'margin_ranking_loss', 'hinge_embedding_loss', 'poisson_nll_loss', 'cosine_embedding_loss',
           'triplet_margin_loss']

import builtins
import math
import warnings

from .. import _dtypes
from .._device import CPU
from .._tensor import Tensor
from ._op import Op
from ._registry import method, apply_inplace
from ..autograd import grad_mode as _grad_mode

_wrap = Tensor._wrap
_grad_enabled = _grad_mode._enabled


def rename(t, name):
    """Give a composite result's node the name torch's fused kernel has (as seen in reprs)."""
    if t.grad_fn is not None:
        t.grad_fn._name = name
    return t


def _const(arr, like):
    """A constant (no-grad) tensor on `like`'s device from a backend array."""
    return _wrap(arr, like._device)


def _dim(dim, ndim):
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {dim})")
    return dim % n


def _float_kernel(x, name):
    if x.dtype.kind in "biu":
        raise NotImplementedError(f'"{name}" not implemented for \'{_legacy(x.dtype)}\'')
    # half precision is computed in float32, as PyTorch's CPU kernels accumulate
    return x.astype("float32") if x.dtype.itemsize == 2 else x


def _legacy(npdt):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}[
        _dtypes.from_np(npdt).name]


# ---- softmax family --------------------------------------------------------------------------
class Softmax(Op):
    _name = "SoftmaxBackward0"

    def forward(ctx, x, dim):
        xp = ctx.xp
        a = _float_kernel(x, "softmax_lastdim_kernel_impl").reshape(x.shape or (1,))
        e = xp.exp(a - a.max(axis=dim, keepdims=True))
        y = (e / e.sum(axis=dim, keepdims=True)).astype(x.dtype, copy=False).reshape(x.shape)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return SoftmaxGrad.apply(g, y, ctx.dim)


class SoftmaxGrad(Op):
    """Softmax's input gradient y * (g - sum(g * y)) as one op (it runs on every softmax backward)."""
    _name = "SoftmaxBackwardDataBackward0"

    def forward(ctx, g, y, dim):
        ctx.save_for_backward(g, y)
        ctx.dim = dim
        dt = g.dtype
        g, y = _wide(g), _wide(y)
        gy = g * y
        return (gy - y * gy.sum(axis=dim, keepdims=True)).astype(dt, copy=False)

    def backward(ctx, h):
        g, y = ctx.saved_tensors
        dim = ctx.dim
        hy = (h * y).sum(dim, keepdim=True)
        n = ctx._needs
        return ((h - hy) * y if n[0] else None), ((h * (g - (g * y).sum(dim, keepdim=True)) - g * hy) if n[1] else None)


class LogSoftmax(Op):
    _name = "LogSoftmaxBackward0"

    def forward(ctx, x, dim):
        xp = ctx.xp
        a = _float_kernel(x, "log_softmax_lastdim_kernel_impl").reshape(x.shape or (1,))
        s = a - a.max(axis=dim, keepdims=True)
        y = (s - xp.log(xp.exp(s).sum(axis=dim, keepdims=True))).astype(x.dtype, copy=False).reshape(x.shape)
        ctx.dim = dim
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return LogSoftmaxGrad.apply(g, y, ctx.dim)


class LogSoftmaxGrad(Op):
    """Log-softmax's input gradient g - exp(y) * sum(g) as one op (it runs on every cross-entropy backward)."""
    _name = "LogSoftmaxBackwardDataBackward0"

    def forward(ctx, g, y, dim):
        ctx.save_for_backward(g, y)
        ctx.dim = dim
        dt = g.dtype
        g, y = _wide(g), _wide(y)
        return (g - ctx.xp.exp(y) * g.sum(axis=dim, keepdims=True)).astype(dt, copy=False)

    def backward(ctx, h):
        g, y = ctx.saved_tensors
        dim = ctx.dim
        e = y.exp()
        n = ctx._needs
        return ((h - (h * e).sum(dim, keepdim=True)) if n[0] else None), \
            (-h * e * g.sum(dim, keepdim=True) if n[1] else None)


def _wide(a):
    """Half-precision arrays in float32 for the arithmetic (as torch accumulates them)."""
    return a.astype("float32") if a.dtype.itemsize == 2 else a


def _softmax_args(input, dim, dtype, name, stacklevel=3, implicit_ok=False):
    if dim is None:
        if not implicit_ok:
            raise TypeError(f"{name}() missing 1 required positional argument: 'dim'")
        warnings.warn(f"Implicit dimension choice for {name} has been deprecated. "
                      "Change the call to include dim=X as an argument.", stacklevel=stacklevel)
        dim = 0 if input.ndim in (0, 1, 3) else 1
    if dtype is not None:
        input = input.to(dtype)
    return input, _dim(dim, input.ndim)


@method
def softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    input, dim = _softmax_args(input, dim, dtype, "softmax", _stacklevel)
    return Softmax.apply(input, dim)


@method
def log_softmax(input, dim=None, dtype=None, *, _stacklevel=3):
    input, dim = _softmax_args(input, dim, dtype, "log_softmax", _stacklevel)
    return LogSoftmax.apply(input, dim)


# ---- negative log-likelihood -----------------------------------------------------------------
class NllLoss(Op):
    """Loss on log-probabilities (N, C, d1...) / (C,) against class indices; weight is a constant."""
    _name = "NllLossBackward0"

    def forward(ctx, logp, target, weight, reduction="mean", ignore_index=-100):
        xp = ctx.xp
        if logp.ndim == 2 and weight is None and reduction == "mean" and target.size and logp.dtype.kind == "f" \
                and logp.dtype.itemsize >= 4:
            loss = _nll_mean_rows(ctx, logp, target, ignore_index)
            if loss is not None:
                return loss
        cls = 1 if logp.ndim > 1 else 0
        n_cls = logp.shape[cls]
        ignored = target == ignore_index
        safe = xp.where(ignored, 0, target)
        bad = ~ignored & ((target < 0) | (target >= n_cls))
        if bad.any():
            raise IndexError(f"Target {int(target[bad].reshape(-1)[0])} is out of bounds.")
        lp = xp.moveaxis(logp, cls, -1)
        picked = xp.take_along_axis(lp, safe[..., None], axis=-1)[..., 0]
        w = (weight[safe] if weight is not None else xp.ones(safe.shape, logp.dtype)).astype(logp.dtype)
        w = xp.where(ignored, xp.zeros((), logp.dtype), w)
        losses = -picked * w
        # d loss / d logp, before the incoming gradient: -w at each target class
        coef = xp.zeros(lp.shape, logp.dtype)
        xp.put_along_axis(coef, safe[..., None], -w[..., None], axis=-1)
        ctx.coef = xp.moveaxis(coef, -1, cls)
        ctx.reduction = reduction
        ctx.cls = cls
        if reduction == "none":
            return losses
        if reduction == "sum":
            return losses.sum()
        total = w.sum()
        if not total:    # every target ignored: the loss is nan (0/0), the gradient zero
            return xp.full((), xp.nan, logp.dtype)
        ctx.coef = ctx.coef / total
        return losses.sum() / total

    def backward(ctx, g):
        coef = _const(ctx.coef, g)
        if ctx.reduction == "none" and ctx.cls == 1:
            g = g.reshape(g.shape[:1] + (1,) + tuple(g.shape[1:]))
        return g * coef, None, None


def _nll_mean_rows(ctx, logp, target, ignore_index):
    """The training-loop case, (N, C) log-probabilities with unweighted mean: the same numbers as the
    general path with a few array calls. None when a target is out of range or ignored (the general
    path raises or masks those)."""
    xp = ctx.xp
    n, c = logp.shape
    lo, hi = int(target.min()), int(target.max())
    if lo < 0 or hi >= c or lo <= ignore_index <= hi:
        return None
    rows = xp.arange(n)
    total = logp.dtype.type(n)
    coef = xp.zeros(logp.shape, logp.dtype)
    coef[rows, target] = -logp.dtype.type(1) / total
    ctx.coef = coef
    ctx.reduction = "mean"
    ctx.cls = 1
    return -logp[rows, target].sum() / total


def nll_loss_impl(input, target, weight=None, ignore_index=-100, reduction="mean"):
    if target._data.dtype.kind not in "iu":
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_legacy(target._data.dtype)}")
    if input.ndim < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {input.ndim})")
    if input.ndim == 1:
        if target.ndim > 1:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        if target.ndim == 1:
            if target.shape[0] != 1:
                raise ValueError(f"Expected input batch_size (1) to match target batch_size ({target.shape[0]}).")
            target = _wrap(target._data.reshape(()), target._device)
    else:
        if target.ndim == 0 or input.shape[0] != target.shape[0]:
            raise ValueError(f"Expected input batch_size ({input.shape[0]}) to match target batch_size "
                             f"({target.shape[0] if target.ndim else 0}).")
        if tuple(target.shape[1:]) != tuple(input.shape[2:]):
            if input.ndim == 2:
                raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
            raise RuntimeError(f"Expected target size {list(input.shape[:1]) + list(input.shape[2:])}, "
                               f"got {list(target.shape)}")
    if weight is not None:
        if weight._rg:
            raise RuntimeError("The function 'nll_loss_forward' is not differentiable with respect to argument "
                               "'weight'. This input cannot have requires_grad True.")
        n_cls = input.shape[1 if input.ndim > 1 else 0]
        if weight.numel() != n_cls:
            raise RuntimeError(f"weight tensor should be defined either for all {n_cls} classes or no classes but "
                               f"got weight tensor of shape: {list(weight.shape)}")
    w = None if weight is None else weight._data
    out = NllLoss.apply(input, target, w, reduction=reduction, ignore_index=ignore_index)
    if input.ndim > 2:     # torch's K-dim path (nll_loss2d, viewed back for 'none')
        rename(out, "ViewBackward0" if reduction == "none" and input.ndim != 4 else "NllLoss2DBackward0")
    return out


# ---- piecewise-linear activations --------------------------------------------------------------
class Piecewise(Op):
    """y given, dy/dx = slope (a constant array): relu6, hardtanh, leaky_relu, threshold, shrinks ..."""

    def forward(ctx, x, y=None, slope=None):
        ctx.slope = slope
        return y

    def backward(ctx, g):
        return g * _const(ctx.slope, g)


def piecewise(input, y, slope, name):
    dt = input._data.dtype
    return rename(Piecewise.apply(input, y=y.astype(dt, copy=False), slope=slope.astype(dt, copy=False)), name)


def _inplace_or(input, out, inplace):
    return apply_inplace(input, out) if inplace else out


@method
def hardshrink(input, lambd=0.5):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(hardshrink, input, lambd)
    x = input._data
    keep = (x > lambd) | (x < -lambd)
    return piecewise(input, x * keep, keep, "HardshrinkBackward0")


def _threshold(input, th, value, inplace):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_threshold, input, th, value, inplace)
    x = input._data
    keep = x > th
    y = input._device.xp.where(keep, x, value)
    return _inplace_or(input, piecewise(input, y, keep, "ThresholdBackward0"), inplace)


def threshold(input, threshold, value, inplace=False):
    return _threshold(input, threshold, value, inplace)


def threshold_(input, threshold, value):
    return _threshold(input, threshold, value, True)


def leaky_relu_impl(input, negative_slope=0.01, inplace=False, name="LeakyReluBackward0"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(leaky_relu_impl, input, negative_slope, inplace, name)
    x = input._data
    xp = input._device.xp
    slope = xp.where(x > 0, 1.0, negative_slope)
    return _inplace_or(input, piecewise(input, x * slope, slope, name), inplace)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _rrelu(input, lower, upper, training, False, generator)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False, generator=None):
    return _rrelu(input, lower, upper, training, True, generator)


def _rrelu(input, lower, upper, training, inplace, generator=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(_rrelu, input, lower, upper, training, inplace, generator)
    if not training:
        return leaky_relu_impl(input, (lower + upper) / 2, inplace, "RreluWithNoiseBackward0")
    from ..random import rrelu_slopes
    x = input._data
    xp = input._device.xp
    # torch draws one slope per element <= 0, in element order; the others keep slope 1
    slope = xp.asarray(rrelu_slopes(input._device, dev.backend.asnumpy(x), lower, upper, generator))
    return _inplace_or(input, piecewise(input, x * slope, slope, "RreluWithNoiseBackward0"), inplace)


def prelu(input, weight):
    if weight.ndim > 1:
        raise RuntimeError("prelu: Expected `weight` to be a scalar or 1D tensor, but got: ndim = "
                           f"{weight.ndim}")
    n = weight.numel()
    if n != 1:
        ch = input.shape[1] if input.ndim >= 2 else (input.shape[0] if input.ndim == 1 else 1)
        if input.ndim == 0 or n != ch:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found parameter numbers = "
                               f"{n} and channel size = {ch}.")
        if input.ndim >= 2:
            weight = weight.reshape((n,) + (1,) * (input.ndim - 2))
    elif weight.ndim:
        weight = weight.reshape(())
    # relu(x) - w * relu(-x): the negative part scaled by the learned slope
    return rename(input.relu() - weight * (-input).relu(), "PreluKernelBackward0")


class LogSigmoid(Op):
    """log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)), stable for large |x|."""
    _name = "LogSigmoidBackward0"

    def forward(ctx, x):
        xp = ctx.xp
        a = _float_kernel(x, "log_sigmoid_forward")
        y = (xp.minimum(a, 0) - xp.log1p(xp.exp(-xp.abs(a)))).astype(x.dtype, copy=False)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 - y.exp())     # sigmoid(-x) = 1 - exp(logsigmoid(x))


# ---- elu family (composite) --------------------------------------------------------------------
def elu_impl(input, alpha=1.0, scale=1.0, input_scale=1.0, inplace=False, name="EluBackward0"):
    # scale * (relu(x) + alpha * expm1(input_scale * min(x, 0)))
    neg = -((-input).relu())
    out = input.relu() + alpha * (neg * input_scale if input_scale != 1 else neg).expm1()
    if scale != 1:
        out = out * scale
    return _inplace_or(input, rename(out, name), inplace)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    return elu_impl(input, _SELU_ALPHA, _SELU_SCALE, 1.0, inplace)


def selu_(input):
    return selu(input, True)


def celu(input, alpha=1.0, inplace=False):
    if alpha == 0:
        raise RuntimeError("ZeroDivisionError")
    return elu_impl(input, alpha, 1.0, 1.0 / alpha, inplace, "CeluBackward0")


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


# ---- dropout ---------------------------------------------------------------------------------
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(input, p, shape, generator=None):
    """torch's dropout noise: bernoulli_(1 - p) on a tensor of `shape`, from the input device's stream."""
    from ..random import bernoulli_mask
    return input._device.xp.asarray(bernoulli_mask(input._device, shape, 1.0 - p, generator))


def _opmath(dt):
    """The dtype torch does a reduced-float tensor's arithmetic with a Python scalar in."""
    return "float32" if dt.name in ("float16", "bfloat16") else dt


def _scalar_op(x, op, scalar, dt, xp):
    """x (op) scalar as torch computes a tensor-scalar op in place: in opmath, rounded to dt. (torch's
    mul and div kernels take the scalar in opmath; add rounds it to the tensor's dtype first.)"""
    w = _opmath(dt)
    s = xp.asarray(scalar, dtype=dt if op is xp.add else w)
    return op(x.astype(w), s.astype(w)).astype(dt)


def _mask_shape(input, feature):
    """Elementwise draws, or one per channel: `feature` leading dims (2 batched, 1 unbatched)."""
    if not feature:
        return tuple(input.shape)
    return tuple(input.shape[:feature]) + (1,) * (input.ndim - feature)


def dropout_impl(input, p=0.5, training=True, inplace=False, feature=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(dropout_impl, input, p, training, inplace, feature)
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    dt, xp = input._data.dtype, dev.xp
    if p == 1:
        return _inplace_or(input, input * _const(xp.zeros((), dt), input), inplace)
    noise = _keep_mask(input, p, _mask_shape(input, feature)).astype(dt)
    noise = _scalar_op(noise, xp.true_divide, 1.0 - p, dt, xp)            # noise.div_(1 - p)
    return _inplace_or(input, input * _const(noise, input), inplace)


def alpha_dropout_impl(input, p=0.5, training=False, inplace=False, feature=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(alpha_dropout_impl, input, p, training, inplace, feature)
    _check_p(p)
    if not training or p == 0 or input.numel() == 0:
        return input
    dt, xp = input._data.dtype, dev.xp
    if p == 1:
        return _inplace_or(input, input * _const(xp.zeros((), dt), input), inplace)
    noise = _keep_mask(input, p, _mask_shape(input, feature)).astype(dt)
    alpha = 1.7580993408473766
    a = 1.0 / math.sqrt((alpha * alpha * p + 1) * (1 - p))
    b = _scalar_op(_scalar_op(noise, xp.add, -1, dt, xp), xp.multiply, alpha * a, dt, xp)
    b = _scalar_op(b, xp.add, alpha * a * p, dt, xp)
    noise = _scalar_op(noise, xp.multiply, a, dt, xp)
    return _inplace_or(input, input * _const(noise, input) + _const(b, input), inplace)


def dropout(input, p, train):
    return dropout_impl(input, p, train)


def dropout_(input, p, train):
    return dropout_impl(input, p, train, True)


def feature_dropout(input, p, train):
    return dropout_impl(input, p, train, feature=2)


def feature_dropout_(input, p, train):
    return dropout_impl(input, p, train, True, feature=2)


def alpha_dropout(input, p, train):
    return alpha_dropout_impl(input, p, train)


def alpha_dropout_(input, p, train):
    return alpha_dropout_impl(input, p, train, True)


def feature_alpha_dropout(input, p, train):
    return alpha_dropout_impl(input, p, train, feature=2)


def feature_alpha_dropout_(input, p, train):
    return alpha_dropout_impl(input, p, train, True, feature=2)


# ---- normalization -----------------------------------------------------------------------------
class Norm(Op):
    """Normalize x (viewed as `view`) over `axes` with given mean/invstd, then weight/bias broadcast
    as `wshape`. With batch statistics the backward differentiates through mean and variance.
    When no graph is being built the backward is one fused array computation; otherwise it is
    written with ember ops (recomputing the statistics) so that it is differentiable again."""

    def forward(ctx, x, w, b, view=None, axes=(), wshape=None, mean=None, invstd=None, eps=1e-5, batch=True,
                xc=None):
        """xc: x - mean (as `view`), when the statistics pass made it; it becomes the output buffer."""
        xp = ctx.xp
        if tuple(view) == x.shape:
            # per-channel affine map: y = xc * scale + b, or x * scale + shift (statistics and parameters folded)
            scale = invstd if w is None else invstd * w.reshape(wshape)
            if xc is not None:
                y = xp.multiply(xc, scale.astype(xc.dtype, copy=False), out=xc)
                if b is not None:
                    y += b.reshape(wshape).astype(y.dtype, copy=False)
            else:
                shift = -mean * scale
                if b is not None:
                    shift = shift + b.reshape(wshape)
                y = xp.multiply(x, scale.astype(x.dtype, copy=False) if x.dtype.itemsize > 2 else scale)
                y += shift.astype(y.dtype, copy=False)
        else:
            y = ((x.reshape(view) - mean) if xc is None else xc) * invstd
            y = y.reshape(x.shape)
            if w is not None:
                y = y * w.reshape(wshape)
            if b is not None:
                y = y + b.reshape(wshape)
        ctx.view, ctx.axes, ctx.wshape, ctx.eps, ctx.batch = view, axes, wshape, eps, batch
        ctx.mean, ctx.invstd = mean, invstd
        ctx.bshape = None if b is None else b.shape
        ctx.save_for_backward(x, w)
        return y.astype(x.dtype, copy=False)

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        if not _grad_enabled[0]:
            return _norm_backward_arrays(ctx, g, x, w)
        n = ctx._needs
        axes = ctx.axes
        xv = x.reshape(ctx.view)
        if ctx.batch:
            xc = xv - xv.mean(axes, keepdim=True)
            invstd = ((xc * xc).mean(axes, keepdim=True) + ctx.eps) ** -0.5
        else:
            xc = xv - _const(ctx.mean, x)
            invstd = _const(ctx.invstd, x)
        xhat = xc * invstd
        gx = gw = gb = None
        waxes = tuple(i for i, s in enumerate(ctx.wshape) if s == 1)
        if n[0]:
            gxhat = (g * w.reshape(ctx.wshape) if w is not None else g).reshape(ctx.view)
            if ctx.batch:
                gx = invstd * (gxhat - gxhat.mean(axes, keepdim=True)
                               - xhat * (gxhat * xhat).mean(axes, keepdim=True))
            else:
                gx = gxhat * invstd
            gx = gx.reshape(x.shape)
        if n[1]:
            gw = (g * xhat.reshape(x.shape)).sum(waxes).reshape(w.shape)
        if n[2]:
            gb = g.sum(waxes).reshape(ctx.bshape)
        return gx, gw, gb


def _norm_backward_arrays(ctx, g, x, w):
    """The Norm gradients on raw arrays (first order only; the ember-op backward handles graphs).
    With xc = x - mean, xhat = xc * invstd and gy = g * w:
        gx = invstd * (gy - mean(gy) - xhat * mean(gy * xhat))   (batch statistics; means over `axes`)
        gx = invstd * gy                                          (fixed statistics)
        gw = sum(g * xhat), gb = sum(g)                           (over the weight's broadcast axes)
    When the statistics are per channel like the weight (batch norm), everything folds into
    per-channel coefficients: gx = g * k + xc * c + d."""
    xp = ctx.xp
    n = ctx._needs
    dev = g._device
    ga, xa = g._data, x._data
    work = xa.dtype if xa.dtype.itemsize > 2 else xp.float32      # half precision in float32
    ga = ga.astype(work, copy=False)
    view, axes, wshape = ctx.view, ctx.axes, ctx.wshape
    mean = ctx.mean.astype(work, copy=False)
    invstd = ctx.invstd.astype(work, copy=False)
    wa = None if w is None else w._data.astype(work, copy=False).reshape(wshape)
    waxes = tuple(i for i, s in enumerate(wshape) if s == 1)
    xc = xp.subtract(xa.reshape(view), mean, dtype=work)
    gx = gw = gb = None
    if n[2]:
        gb = ga.sum(waxes).reshape(ctx.bshape)
    if tuple(view) == xa.shape and mean.shape == tuple(wshape):
        # batch norm: one reduction pass for sum(g * xc), then per-channel coefficients applied in place
        # to xc: gx = k * (g - sum(g) / m - xc * invstd^2 * sum(g * xc) / m), k = invstd * w
        sgx = _sum_prod(dev, ga, xc, axes)
        if n[1]:
            gw = (sgx * invstd).reshape(w.shape)
        if n[0]:
            k = invstd if wa is None else invstd * wa
            if ctx.batch:
                m = xa.size // max(mean.size, 1)
                sg = ga.sum(axes, keepdims=True) if gb is None else gb.reshape(mean.shape)
                gx = xp.multiply(xc, -invstd * invstd * sgx / m, out=xc)
                gx += ga
                gx -= sg / m
                gx *= k
            else:
                gx = ga * k
    else:
        xhat = xp.multiply(xc, invstd, out=xc)
        if n[1]:
            gw = (ga * xhat.reshape(xa.shape)).sum(waxes).reshape(w.shape)
        if n[0]:
            gy = (ga if wa is None else ga * wa).reshape(view)
            if ctx.batch:
                gx = invstd * (gy - gy.mean(axes, keepdims=True) - xhat * (gy * xhat).mean(axes, keepdims=True))
            else:
                gx = gy * invstd
            gx = gx.reshape(xa.shape)
    if gx is not None:
        gx = _wrap(gx.astype(x._data.dtype, copy=False), dev)
    if gw is not None:
        gw = _wrap(gw.astype(w._data.dtype, copy=False), dev)
    if gb is not None:
        gb = _wrap(gb.astype(g._data.dtype, copy=False), dev)
    return gx, gw, gb


def _sum_prod(dev, a, b, axes):
    """sum(a * b) over `axes` (kept as size-1 dims): on the host in one pass without the product array; on a
    GPU as product and sum (CuPy's einsum costs about 250 us of Python per call)."""
    if not dev.backend.on_host:
        return (a * b).sum(axis=axes, keepdims=True)
    xp = dev.xp
    letters = "abcdefghijklmnopqrstuvwxyz"[:a.ndim]
    keep = "".join(c for i, c in enumerate(letters) if i not in axes)
    r = xp.einsum(f"{letters},{letters}->{keep}", a, b)
    return r.reshape(tuple(1 if i in axes else n for i, n in enumerate(a.shape)))


def _stats(dev, xv, axes):
    """mean, biased variance and the centered input xv - mean (in float32 for half precision)."""
    a = xv.astype("float32") if xv.dtype.itemsize == 2 else xv
    mean = a.mean(axis=axes, keepdims=True)
    d = a - mean
    count = 1
    for i in axes:
        count *= a.shape[i]
    var = _sum_prod(dev, d, d, axes) / count if count else (d * d).mean(axis=axes, keepdims=True)
    return mean, var.astype(mean.dtype, copy=False), d


def _norm(name, input, weight, bias, view, axes, wshape, mean, var, eps, batch, xc=None):
    xp = input._device.xp
    invstd = 1.0 / xp.sqrt(var + eps)
    return _NORM_OPS[name].apply(input, weight, bias, view=view, axes=axes, wshape=wshape, mean=mean,
                                 invstd=invstd, eps=eps, batch=batch, xc=xc)


_NORM_OPS = {n: type(n, (Norm,), {"_name": n}) for n in
             ("NativeBatchNormBackward0", "NativeLayerNormBackward0", "NativeGroupNormBackward0")}


def _update_running(rm, rv, mean, var, n, momentum):
    xp = rm._device.xp
    unbiased = var * (n / builtins.max(n - 1, 1))
    rm._data[...] = ((1 - momentum) * rm._data + momentum * mean.reshape(rm.shape)).astype(rm._data.dtype)
    rv._data[...] = ((1 - momentum) * rv._data + momentum * unbiased.reshape(rv.shape)).astype(rv._data.dtype)
    rm._bump()
    rv._bump()


def batch_norm_impl(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1,
                    eps=1e-5):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(batch_norm_impl, input, running_mean, running_var, weight, bias, training, momentum, eps)
    if input.ndim < 2:
        raise ValueError(f"Expected 2D or 3D input (got {input.ndim}D input)" if input.ndim < 2 else "")
    C = input.shape[1]
    axes = (0,) + tuple(range(2, input.ndim))
    wshape = (1, C) + (1,) * (input.ndim - 2)
    xp = input._device.xp
    if training:
        count = input.numel() // C
        if count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size {input.shape}")
        mean, var, xc = _stats(input._device, input._data, axes)
        if running_mean is not None and running_var is not None:
            _update_running(running_mean, running_var, mean, var, count, momentum)
    else:
        if running_mean is None or running_var is None:
            raise RuntimeError("running_mean and running_var must be defined in evaluation mode")
        mean = running_mean._data.reshape(wshape)
        var = running_var._data.reshape(wshape)
        xc = None
    return _norm("NativeBatchNormBackward0", input, weight, bias, input.shape, axes, wshape, mean, var, eps,
                 training, xc)


def batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps, cudnn_enabled):
    return batch_norm_impl(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm_impl(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                       momentum=0.1, eps=1e-5):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(instance_norm_impl, input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)
    N, C = input.shape[:2]
    axes = tuple(range(2, input.ndim))
    wshape = (1, C) + (1,) * (input.ndim - 2)
    xp = input._device.xp
    xc = None
    if use_input_stats:
        mean, var, xc = _stats(input._device, input._data, axes)
        if running_mean is not None and running_var is not None:
            count = builtins.max(input.numel() // (N * C), 1)
            _update_running(running_mean, running_var, mean.mean(axis=0), var.mean(axis=0), count, momentum)
    else:
        mean = running_mean._data.reshape(wshape)
        var = running_var._data.reshape(wshape)
    return _norm("NativeBatchNormBackward0", input, weight, bias, input.shape, axes, wshape, mean, var, eps,
                 use_input_stats, xc)


def instance_norm(input, weight, bias, running_mean, running_var, use_input_stats, momentum, eps, cudnn_enabled):
    return instance_norm_impl(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5, cudnn_enable=True):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(layer_norm, input, normalized_shape, weight, bias, eps, cudnn_enable)
    shp = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shp)
    if tuple(input.shape[input.ndim - k:]) != shp or k > input.ndim:
        raise RuntimeError(f"Given normalized_shape={list(shp)}, expected input with shape [*, "
                           f"{', '.join(map(str, shp))}], but got input of size{list(input.shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    wshape = (1,) * (input.ndim - k) + shp
    mean, var, xc = _stats(input._device, input._data, axes)
    return _norm("NativeLayerNormBackward0", input, weight, bias, input.shape, axes, wshape, mean, var, eps, True, xc)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5, cudnn_enabled=True):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(group_norm, input, num_groups, weight, bias, eps, cudnn_enabled)
    if input.ndim < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received {input.ndim}")
    N, C = input.shape[:2]
    if C % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by num_groups, but got input of "
                           f"shape {list(input.shape)} and num_groups={num_groups}")
    view = (N, num_groups, -1)
    vshape = (N, num_groups, input.numel() // builtins.max(N * num_groups, 1))
    wshape = (1, C) + (1,) * (input.ndim - 2)
    mean, var, xc = _stats(input._device, input._data.reshape(vshape), (2,))
    return _norm("NativeGroupNormBackward0", input, weight, bias, vshape, (2,), wshape, mean, var, eps, True, xc)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    shp = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    dims = tuple(range(input.ndim - len(shp), input.ndim))
    if eps is None:
        eps = float(input._device.xp.finfo(input._data.dtype).eps) if input.dtype.is_floating_point else 1e-6
    out = input * ((input * input).mean(dims, keepdim=True) + eps) ** -0.5
    return out * weight if weight is not None else out


# ---- embedding -------------------------------------------------------------------------------
class Embedding(Op):
    _name = "EmbeddingBackward0"

    def forward(ctx, weight, indices, padding_idx=-1, scale_grad_by_freq=False):
        ctx.idx, ctx.n, ctx.pad, ctx.scale = indices, weight.shape[0], padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(ctx, g):
        return EmbeddingDenseBackward.apply(g, idx=ctx.idx, n=ctx.n, pad=ctx.pad, scale=ctx.scale), None


class EmbeddingDenseBackward(Op):
    """Scatter-add of row gradients into a (num_weights, ...) gradient; its own derivative is a gather."""
    _name = "EmbeddingDenseBackwardBackward0"

    def forward(ctx, g, idx=None, n=0, pad=-1, scale=False):
        xp = ctx.xp
        flat = idx.reshape(-1)
        rest = g.shape[idx.ndim:]
        out = xp.zeros((n,) + rest, g.dtype)
        ctx.device.backend.index_add(out, flat, g.reshape((flat.shape[0],) + rest))
        factor = xp.ones(n, g.dtype)
        if scale:
            counts = xp.bincount(flat, minlength=n)
            factor = factor / xp.maximum(counts, 1)
        if pad >= 0:
            factor[pad] = 0
        ctx.idx, ctx.factor = idx, factor.reshape((n,) + (1,) * len(rest))
        return out * ctx.factor

    def backward(ctx, gg):
        return Embedding.apply(gg * _const(ctx.factor, gg), ctx.idx)


def _check_indices(indices, fn="embedding"):
    if indices._data.dtype.kind not in "iu" or indices._data.dtype.itemsize < 4:
        name = {"float32": "FloatTensor", "float64": "DoubleTensor", "bool": "BoolTensor", "float16": "HalfTensor",
                "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor"}.get(indices._data.dtype.name,
                                                                                         "Tensor")
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got torch.{name} instead (while checking arguments for {fn})")


def embedding_impl(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
                   sparse=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(embedding_impl, input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)
    _check_indices(input)
    n = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < n, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -n, "Padding_idx must be within num_embeddings"
            padding_idx = n + padding_idx
    else:
        padding_idx = -1
    idx = input._data
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return Embedding.apply(weight, idx, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def _renorm_rows(weight, idx, max_norm, norm_type):
    xp = weight._device.xp
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    sub = w[rows]
    norms = (xp.abs(sub) ** norm_type).sum(axis=tuple(range(1, sub.ndim))) ** (1.0 / norm_type)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms + 1e-7)).astype(w.dtype)
        r = rows[big]
        w[r] = sub[big] * scale[big].reshape((-1,) + (1,) * (sub.ndim - 1))
        weight._bump()


def embedding(weight, indices, padding_idx=-1, scale_grad_by_freq=False, sparse=False):
    return embedding_impl(indices, weight, None if padding_idx == -1 else padding_idx, None, 2.0, scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """ember.nn.functional.embedding_bag's argument order (torch's top-level one returns 4 tensors)."""
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(embedding_bag, input, weight, offsets, max_norm, norm_type, scale_grad_by_freq, mode, sparse,
                        per_sample_weights, include_last_offset, padding_idx)
    _check_indices(input, "embedding_bag")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             "fixed length sequences. However, found offsets of type Tensor")
        B, L = input.shape
        starts = [i * L for i in range(B)]
        flat = input.reshape(-1)
        psw = per_sample_weights.reshape(-1) if per_sample_weights is not None else None
        total = B * L
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        flat, psw, total = input, per_sample_weights, input.shape[0]
        starts = [int(o) for o in offsets.tolist()]
        if include_last_offset:
            starts, total = starts[:-1], builtins.min(starts[-1], total) if starts else total
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request "
                                  "on GitHub.")
    if mode not in ("sum", "mean", "max"):
        raise ValueError("mode has to be one of sum, mean or max")
    rows = embedding_impl(flat, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq)
    xp = weight._device.xp
    idx = flat._data
    B = len(starts)
    ends = starts[1:] + [total]
    valid = (idx != padding_idx) if padding_idx is not None else xp.ones(idx.shape, bool)
    seg = xp.zeros((B, idx.shape[0]), weight._data.dtype)
    for b, (s, e) in enumerate(zip(starts, ends)):
        seg[b, s:e] = 1
    seg = seg * valid
    if mode == "max":
        # pick, per bag and feature, the row holding the maximum (a gather, so gradients flow to it)
        D = weight.shape[1]
        vals = xp.where(seg[:, :, None] > 0, rows._data[None], -xp.inf)
        arg = vals.argmax(axis=1)
        empty = seg.sum(axis=1) == 0
        picked = Embedding.apply(rows.reshape(-1), arg * D + xp.arange(D))
        return picked * _const((~empty)[:, None].astype(weight._data.dtype), rows) if empty.any() else picked
    if psw is not None:
        rows = rows * psw.reshape(-1, 1)
    if mode == "mean":
        seg = seg / xp.maximum(seg.sum(axis=1, keepdims=True), 1)
    return _const(seg, rows) @ rows


# ---- distances -------------------------------------------------------------------------------
def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    # x1.x2 / sqrt(clamp_min(|x1|^2 * |x2|^2, eps^2)) on the broadcast inputs
    from .movement import broadcast_shapes
    shape = tuple(broadcast_shapes(x1.shape, x2.shape))
    x1, x2 = x1.expand(shape), x2.expand(shape)
    w12 = (x1 * x2).sum(dim)
    n12 = ((x1 * x1).sum(dim) * (x2 * x2).sum(dim)).clamp_min(eps * eps).sqrt()
    return w12 / n12


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    d = builtins.max(x1.ndim, x2.ndim)
    diff = x1 - x2 + eps
    if d == 0:
        return (x1 - x2 + eps).abs()
    return rename(diff.norm(p, -1, keepdim=keepdim), "NormBackward1")


def pdist(input, p=2):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(pdist, input, p)
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    n = input.shape[0]
    xp = input._device.xp
    i, j = xp.triu_indices(n, 1)
    diff = input[_const(i, input)] - input[_const(j, input)]
    return rename(diff.norm(p, -1), "PdistBackward0")


def cdist(x1, x2, p=2.0, compute_mode="use_mm_for_euclid_dist_if_necessary"):
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return rename(diff.norm(p, -1), "CdistBackward0")


def bilinear(input1, input2, weight, bias=None):
    # y_k = x1^T W_k x2 + b_k, over the leading (batch) dims
    lead = tuple(input1.shape[:-1])
    a = input1.reshape(-1, 1, 1, input1.shape[-1])
    t = (a @ weight.unsqueeze(0)).squeeze(-2)          # (B, out, in2)
    y = (t * input2.reshape(-1, 1, input2.shape[-1])).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(lead + (weight.shape[0],))


# ---- losses with top-level names (functional.py holds the rest) ---------------------------------
_RED = {0: "none", 1: "mean", 2: "sum"}   # torch's top-level loss functions take the enum (default 0)


def reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def bce_with_logits_impl(input, target, weight=None, pos_weight=None, reduction="mean"):
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Target size ({target.shape}) must be the same as input size ({input.shape})")
    # (1 - y) x - (1 + (pw - 1) y) log sigmoid(x)
    ls = LogSigmoid.apply(input)
    if pos_weight is not None:
        loss = (1 - target) * input - (1 + (pos_weight - 1) * target) * ls
    else:
        loss = (1 - target) * input - ls
    if weight is not None:
        loss = loss * weight
    return rename(reduce(loss, reduction), "BinaryCrossEntropyWithLogitsBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, pos_weight=None, reduction=0):
    return bce_with_logits_impl(input, target, weight, pos_weight, _RED.get(reduction, reduction))


def kl_div(input, target, reduction=0, log_target=False):
    from ..nn.functional import kl_div as f
    return f(input, target, reduction=_RED.get(reduction, reduction), log_target=log_target)


def margin_ranking_loss(input1, input2, target, margin=0.0, reduction=0):
    from ..nn.functional import margin_ranking_loss as f
    return f(input1, input2, target, margin, reduction=_RED.get(reduction, reduction))


def hinge_embedding_loss(input, target, margin=1.0, reduction=0):
    from ..nn.functional import hinge_embedding_loss as f
    return f(input, target, margin, reduction=_RED.get(reduction, reduction))


def poisson_nll_loss(input, target, log_input, full, eps, reduction):
    from ..nn.functional import poisson_nll_loss as f
    return f(input, target, log_input, full, eps=eps, reduction=_RED.get(reduction, reduction))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction=0):
    from ..nn.functional import cosine_embedding_loss as f
    return f(input1, input2, target, margin, reduction=_RED.get(reduction, reduction))


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, reduction=0):
    from ..nn.functional import triplet_margin_loss as f
    return f(anchor, positive, negative, margin, p, eps, swap, reduction=_RED.get(reduction, reduction))


# ---- connectionist temporal classification ---------------------------------------------------
class CtcLoss(Op):
    """Per-sample negative log-likelihood of the targets under (T, N, C) log-probabilities, by the
    forward (alpha) and backward (beta) recursions over the blank-extended target sequence. The
    gradient is torch's: it treats log_probs as log_softmax outputs (exp(lp) - posterior)."""
    _name = "CtcLossBackward0"

    def forward(ctx, lp, targets=None, in_lens=(), tgt_lens=(), blank=0, zero_infinity=False):
        xp = ctx.xp
        T, N, C = lp.shape
        a = lp.astype("float64")
        nll = xp.zeros(N)
        grad = xp.zeros((T, N, C))
        ninf = xp.full(2, -xp.inf)
        for n in range(N):
            tl, L = targets[n], in_lens[n]
            ext = xp.full(2 * len(tl) + 1, blank)
            ext[1::2] = tl
            S = ext.shape[0]
            # s may come from s-2 when it is a label different from the label two back
            skip = xp.zeros(S, bool)
            skip[2:] = (ext[2:] != blank) & (ext[2:] != ext[:-2])
            e = a[:L, n][:, ext]                                  # (L, S) emission log-probs
            alpha = xp.full((L, S), -xp.inf)
            beta = xp.full((L, S), -xp.inf)
            alpha[0, 0] = e[0, 0]
            if S > 1:
                alpha[0, 1] = e[0, 1]
            for t in range(1, L):
                prev = alpha[t - 1]
                s1 = xp.concatenate([ninf[:1], prev[:-1]])
                s2 = xp.where(skip, xp.concatenate([ninf, prev[:-2]]), -xp.inf)
                alpha[t] = xp.logaddexp(xp.logaddexp(prev, s1), s2) + e[t]
            beta[L - 1, S - 1] = e[L - 1, S - 1]
            if S > 1:
                beta[L - 1, S - 2] = e[L - 1, S - 2]
            skip_next = xp.concatenate([skip[2:], xp.zeros(2, bool)])
            for t in range(L - 2, -1, -1):
                nxt = beta[t + 1]
                s1 = xp.concatenate([nxt[1:], ninf[:1]])
                s2 = xp.where(skip_next, xp.concatenate([nxt[2:], ninf]), -xp.inf)
                beta[t] = xp.logaddexp(xp.logaddexp(nxt, s1), s2) + e[t]
            ll = xp.logaddexp(alpha[L - 1, S - 1], alpha[L - 1, S - 2]) if S > 1 else alpha[L - 1, 0]
            nll[n] = -ll
            # posterior mass of each class at each step: sum over positions s labelled c
            if not xp.isfinite(nll[n]):     # no alignment fits
                if zero_infinity:
                    nll[n] = 0.0
                else:
                    grad[:L, n] = xp.nan
                continue
            ab = alpha + beta - e                                  # log(alpha * beta / y)
            post = xp.zeros((L, C))
            for s in range(S):
                post[:, ext[s]] += xp.exp(ab[:, s] + nll[n])
            grad[:L, n] = xp.exp(a[:L, n]) - post
        ctx.grad = grad.astype(lp.dtype)
        return nll.astype(lp.dtype)

    def backward(ctx, g):
        return g.reshape(1, -1, 1) * _const(ctx.grad, g)
