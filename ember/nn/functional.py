"""ember.nn.functional: torch.nn.functional's names, signatures and defaults.

Primitives (softmax family, nll loss, normalization, embedding, dropout masks, piecewise-linear
activations, logsigmoid) live in ember/_ops/nn_ops.py; everything here is composed from ember ops.
The spatial family (conv, pooling, resampling) comes from ember/_ops/{conv,pooling,resample}.py."""
import builtins
import math
import warnings

import ember
from .._device import CPU
from .._tensor import Tensor
from .._ops import nn_ops as _nn
from .._ops.nn_ops import (  # noqa: F401  (several are re-exported as F.<name>)
    rename as _rename, piecewise as _piecewise, _const, _inplace_or, _softmax_args, reduce as _reduce, LogSigmoid,
    LogSoftmax, Softmax, cosine_similarity, pairwise_distance, pdist, prelu, bilinear, hardshrink, layer_norm,
    group_norm, rms_norm, embedding_bag, celu, selu, rrelu, rrelu_)
from .._ops.linalg import Addmm, check_addmm_dtypes as _check_addmm_dtypes
from .._ops._registry import _torch_name

from .._ops.conv import *  # noqa: F401,F403  (the spatial family)
from .._ops.pooling import *  # noqa: F401,F403
from .._ops.resample import *  # noqa: F401,F403

_wrap = Tensor._wrap


def _legacy_reduction(size_average, reduce, reduction, emit=True):
    """The reduction string; the legacy size_average/reduce pair wins when either is given."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    r = ("mean" if size_average else "sum") if reduce else "none"
    if emit:
        warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{r}' instead.",
                      stacklevel=3)
    return r


def _check_reduction(reduction):
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")


def _size_warning(input, target, stacklevel=3):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn(f"Using a target size ({target.shape}) that is different to the input size ({input.shape}). "
                      "This will likely lead to incorrect results due to broadcasting. Please ensure they have the "
                      "same size.", stacklevel=stacklevel)


# ---- linear ----------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    if bias is not None:
        _check_addmm_dtypes(bias, input, weight)
    if input.ndim == 2 and bias is not None:
        return Addmm.apply(bias, input, weight, wt=True)
    out = input @ weight.t()
    return out + bias if bias is not None else out


# ---- activations -----------------------------------------------------------------------------
def relu(input, inplace=False):
    return input.relu_() if inplace else input.relu()


def relu_(input):
    return input.relu_()


def threshold(input, threshold, value, inplace=False):
    return _nn.threshold(input, threshold, value, inplace)


threshold_ = _nn.threshold_


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(hardtanh, input, min_val, max_val, inplace)
    x = input._data
    xp = input._device.xp
    y = xp.clip(x, min_val, max_val)
    return _inplace_or(input, _piecewise(input, y, (x > min_val) & (x < max_val), "HardtanhBackward0"), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, True)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(hardsigmoid, input, inplace)
    x = input._data
    y = input._device.xp.clip(x / 6 + 0.5, 0, 1)
    slope = ((x > -3) & (x < 3)) / 6.0
    return _inplace_or(input, _piecewise(input, y, slope, "HardsigmoidBackward0"), inplace)


def hardswish(input, inplace=False):
    out = _rename(input * hardsigmoid(input), "HardswishBackward0")
    return _inplace_or(input, out, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    return _nn.leaky_relu_impl(input, negative_slope, inplace)


def leaky_relu_(input, negative_slope=0.01):
    return _nn.leaky_relu_impl(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    return _nn.elu_impl(input, alpha, inplace=inplace)


def elu_(input, alpha=1.0):
    return _nn.elu_impl(input, alpha, inplace=True)


def celu_(input, alpha=1.0):
    return celu(input, alpha, True)


def selu_(input):
    return selu(input, True)


def gelu(input, approximate="none"):
    if approximate == "none":
        out = input * 0.5 * (1 + (input * (1 / math.sqrt(2))).erf())
    elif approximate == "tanh":
        inner = (input + 0.044715 * input * input * input) * math.sqrt(2 / math.pi)
        out = input * 0.5 * (1 + inner.tanh())
    else:
        raise RuntimeError("approximate argument must be either none or tanh.")
    return _rename(out, "GeluBackward0")


def sigmoid(input):
    return input.sigmoid()


def tanh(input):
    return input.tanh()


def logsigmoid(input):
    return LogSigmoid.apply(input)


def silu(input, inplace=False):
    return _inplace_or(input, _rename(input * input.sigmoid(), "SiluBackward0"), inplace)


def softplus(input, beta=1.0, threshold=20.0):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(softplus, input, beta, threshold)
    z = input * beta if beta != 1 else input
    # relu(z) + log1p(exp(-|z|)), and the identity above the threshold
    sp = z.relu() + (-z.abs()).exp().log1p()
    if beta != 1:
        sp = sp / beta
    above = z._data > threshold
    out = ember.where(_const(above, input), input, sp) if above.any() else sp
    return _rename(out, "SoftplusBackward0")


def mish(input, inplace=False):
    return _inplace_or(input, _rename(input * softplus(input).tanh(), "MishBackward0"), inplace)


def softshrink(input, lambd=0.5):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(softshrink, input, lambd)
    if lambd < 0:
        raise RuntimeError(f"lambda must be greater or equal to 0, but found to be {lambd}.")
    x = input._data
    xp = input._device.xp
    y = xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0))
    return _piecewise(input, y, (x > lambd) | (x < -lambd), "SoftshrinkBackward0")


def softsign(input):
    return input / (1 + input.abs())


def tanhshrink(input):
    return input - input.tanh()


def glu(input, dim=-1):
    if input.ndim == 0:
        raise RuntimeError("glu does not support scalars because halving size must be even")
    d = dim % input.ndim
    n = input.shape[d]
    if n % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension {d} is size {n}")
    pre = (slice(None),) * d
    a, b = input[pre + (slice(0, n // 2),)], input[pre + (slice(n // 2, n),)]
    return _rename(a * b.sigmoid(), "GluBackward0")


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    input, dim = _softmax_args(input, dim, dtype, "softmax", _stacklevel + 1, True)
    return Softmax.apply(input, dim)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    input, dim = _softmax_args(input, dim, dtype, "softmin", _stacklevel + 1, True)
    return Softmax.apply(-input, dim)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    input, dim = _softmax_args(input, dim, dtype, "log_softmax", _stacklevel + 1, True)
    return LogSoftmax.apply(input, dim)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    dev = logits._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(gumbel_softmax, logits, tau, hard, eps, dim)
    from .._factory import empty_like
    xp = logits._device.xp
    e = empty_like(logits, memory_format=ember.contiguous_format).exponential_()   # torch draws Exp(1) noise
    y = softmax((logits + _const(-xp.log(e._data), logits)) / tau, dim)
    if not hard:
        return y
    d = dim % builtins.max(logits.ndim, 1)
    idx = y._data.argmax(axis=d)
    one = (xp.arange(logits.shape[d]).reshape((-1,) + (1,) * (logits.ndim - d - 1)) ==
           xp.expand_dims(idx, d)).astype(logits._data.dtype)
    return _const(one, y) - y.detach() + y


# ---- dropout ---------------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    return _nn.dropout_impl(input, p, training, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _nn.alpha_dropout_impl(input, p, training, inplace)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    return _nn.alpha_dropout_impl(input, p, training, inplace, feature=2)


def _channel_dropout(input, p, training, inplace, name, spatial):
    nd = input.ndim
    lo, hi = spatial + 1, spatial + 2
    if name == "dropout1d":
        if nd not in (lo, hi):
            raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a {nd}D input. Note that dropout1d "
                               "exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel "
                               "dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    elif nd not in (lo, hi):
        warnings.warn(f"{name}: Received a {nd}-D input to {name}, which is deprecated and will result in an error "
                      f"in a future release. To retain the behavior and silence this warning, please use dropout "
                      f"instead. Note that {name} exists to provide channel-wise dropout on inputs with {spatial} "
                      f"spatial dimensions, a channel dimension, and an optional batch dimension (i.e. {lo}D or "
                      f"{hi}D inputs).", stacklevel=3)
    batched = nd == hi or (name == "dropout2d" and nd == 3)
    if name == "dropout2d" and nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior "
                      "is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This "
                      "behavior will change in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please "
                      "switch to using dropout1d instead.", stacklevel=3)
    return _nn.dropout_impl(input, p, training, inplace, feature=2 if batched else 1)


def dropout1d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout(input, p, training, inplace, "dropout1d", 1)


def dropout2d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout(input, p, training, inplace, "dropout2d", 2)


def dropout3d(input, p=0.5, training=True, inplace=False):
    return _channel_dropout(input, p, training, inplace, "dropout3d", 3)


# ---- normalization ---------------------------------------------------------------------------
def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False, momentum=0.1, eps=1e-5):
    return _nn.batch_norm_impl(input, running_mean, running_var, weight, bias, training, momentum, eps)


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None, use_input_stats=True,
                  momentum=0.1, eps=1e-5):
    return _nn.instance_norm_impl(input, running_mean, running_var, weight, bias, use_input_stats, momentum, eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(local_response_norm, input, size, alpha, beta, k)
    if input.ndim < 3:
        raise ValueError(f"Expected 3D or higher dimensionality input (got {input.ndim} dimensions)")
    if input.numel() == 0:
        return input
    N, C = input.shape[:2]
    xp = input._device.xp
    # average of squares over the channel window [c - size//2, c + (size-1)//2], zero-padded
    c = xp.arange(C)
    off = c[None, :] - c[:, None]
    band = ((off >= -(size // 2)) & (off <= (size - 1) // 2)).astype(input._data.dtype) / size
    sq = (input * input).reshape(N, C, -1)
    div = (_const(band, input) @ sq).reshape(tuple(input.shape))
    return input / (div * alpha + k) ** beta


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(normalize, input, p, dim, eps, out)
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    r = input / denom
    if out is not None:
        out._data[...] = r._data
        out._bump()
        return out
    return r


# ---- sparse ----------------------------------------------------------------------------------
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False, sparse=False):
    return _nn.embedding_impl(input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse)


def one_hot(tensor, num_classes=-1):
    dev = tensor._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(one_hot, tensor, num_classes)
    a = tensor._data
    if a.dtype.name != "int64":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    xp = tensor._device.xp
    if a.size and a.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    if num_classes == -1:
        if a.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(a.max()) + 1
    elif a.size and a.max() >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return _wrap((a[..., None] == xp.arange(num_classes)).astype("int64"), tensor._device)


# ---- losses ----------------------------------------------------------------------------------
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _size_warning(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    loss = (input - target).abs()
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    _size_warning(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    d = input - target
    loss = d * d
    if weight is not None:
        loss = loss * weight
    return _rename(_reduce(loss, reduction), "MseLossBackward0")


def _check_index_target(input, target):
    """torch's nll_loss takes Long or Byte class indices only; it checks a batched input's target shape first."""
    if target.dtype is not ember.int64 and target.dtype is not ember.uint8:
        if input.ndim != 1:    # the shape errors come first (raised here as nll_loss raises them)
            _nn.nll_loss_impl(input.detach(), ember.zeros(target.shape, dtype=ember.int64, device=target.device))
        raise RuntimeError(f"expected target dtype to be Long or Byte, but got {_torch_name(target.dtype)}")


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    _check_index_target(input, target)
    return _nn.nll_loss_impl(input, target, weight, ignore_index, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                  label_smoothing=0.0):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(cross_entropy, input, target, weight, size_average, ignore_index, reduce, reduction,
                        label_smoothing)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: {label_smoothing}")
    cdim = 1 if input.ndim > 1 else 0
    logp = LogSoftmax.apply(input, cdim)
    C = input.shape[cdim]
    wshape = (C,) + (1,) * (input.ndim - cdim - 1)
    if tuple(target.shape) == tuple(input.shape):     # class probabilities (torch decides by shape, not dtype)
        if not target.dtype.is_floating_point:
            raise RuntimeError("Expected floating point type for target with class probabilities, got "
                               f"{_torch_name(target.dtype)}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / C
        prod = logp * target
        if weight is not None:
            prod = prod * weight.reshape(wshape)
        loss = -prod.sum(cdim)
        if reduction == "mean":
            return loss.sum() / builtins.max(input.numel() // C, 1) if input.numel() else loss.sum() / 0.0
        return _reduce(loss, reduction)
    _check_index_target(input, target)
    nll = _nn.nll_loss_impl(logp, target, weight, ignore_index, reduction)
    if label_smoothing <= 0:
        return nll
    ignored = target._data == ignore_index
    wl = logp * weight.reshape(wshape) if weight is not None else logp
    smooth = -wl.sum(cdim) * _const(~ignored, logp)
    if reduction == "mean":
        if weight is not None:
            safe = input._device.xp.where(ignored, 0, target._data)
            denom = (weight._data[safe] * ~ignored).sum()
        else:
            denom = (~ignored).sum()
        smooth = smooth.sum() / _const(input._device.xp.asarray(denom, logp._data.dtype), logp)
    elif reduction == "sum":
        smooth = smooth.sum()
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / C)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(binary_cross_entropy, input, target, weight, size_average, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"Using a target size ({target.shape}) that is different to the input size "
                         f"({input.shape}) is deprecated. Please ensure they have the same size.")
    x = input._data
    if ((x < 0) | (x > 1)).any():
        raise RuntimeError("all elements of input should be between 0 and 1")
    # log terms are clamped at -100 (as torch), so a 0 or 1 input gives a finite loss
    loss = -(target * input.log().clamp_min(-100) + (1 - target) * (1 - input).log().clamp_min(-100))
    if weight is not None:
        loss = loss * weight
    return _rename(_reduce(loss, reduction), "BinaryCrossEntropyBackward0")


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction="mean",
                                     pos_weight=None):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    return _nn.bce_with_logits_impl(input, target, weight, pos_weight, reduction)


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None,
                     reduction="mean"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(poisson_nll_loss, input, target, log_input, full, size_average, eps, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        # Stirling's term t log t - t + log(2 pi t) / 2, only where t > 1
        big = _const(target._data > 1, target)
        tt = ember.where(big, target, 1.0)
        stirling = tt * tt.log() - tt + 0.5 * (2 * math.pi * tt).log()
        loss = loss + ember.where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(gaussian_nll_loss, input, target, var, full, eps, reduction)
    if isinstance(var, (int, float)):
        var = ember.full_like(input, var)
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.reshape(tuple(var.shape) + (1,))
        elif not (tuple(input.shape[:-1]) == tuple(var.shape[:-1]) and var.shape[-1] == 1):
            raise ValueError("var is of incorrect size")
    _check_reduction(reduction)
    if (var._data < 0).any():
        raise ValueError("var has negative entry/entries")
    # the clamp keeps the variance away from 0 without affecting its gradient
    var = var + _const(input._device.xp.maximum(var._data, eps) - var._data, var)
    d = input - target
    loss = 0.5 * (var.log() + d * d / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(kl_div, input, target, size_average, reduce, reduction, log_target)
    if size_average is not None or reduce is not None:
        reduction = _legacy_reduction(size_average, reduce, reduction)
    elif reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the support size."
                      "'batchmean' divides only by the batch size, and aligns with the KL div math definition."
                      "'mean' will be changed to behave the same as 'batchmean' in the next major release.",
                      stacklevel=2)
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # xlogy(t, t) - t * input, with 0 log 0 = 0
        pos = _const(target._data > 0, target)
        loss = ember.where(pos, target * ember.where(pos, target, 1.0).log(), 0.0) - target * input
    if reduction == "batchmean":
        s = loss.sum()
        return s / input.shape[0] if input.ndim else s
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return _reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if not (input1.ndim == input2.ndim == target.ndim):
        raise RuntimeError(f"margin_ranking_loss : All input tensors should have same dimension but got sizes: "
                           f"input1: {input1.shape}, input2: {input2.shape}, target: {target.shape} ")
    return _reduce((-target * (input1 - input2) + margin).relu(), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(hinge_embedding_loss, input, target, margin, size_average, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    t = target._data
    dt = input._data.dtype
    not_pos = _const((t != 1).astype(dt), input)
    not_neg = _const((t != -1).astype(dt), input)
    loss = (margin - input).relu() * not_pos + input * not_neg
    return _reduce(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    _size_warning(input, target)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    z = (input - target).abs()
    if beta == 0:
        loss = z
    else:
        m = beta - (beta - z).relu()                         # min(|d|, beta)
        loss = 0.5 * m * m / beta + (z - beta).relu()
    out = _reduce(loss, reduction)
    return _rename(out, "SmoothL1LossBackward0") if beta else out


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    _size_warning(input, target)
    _check_reduction(reduction)
    z = (input - target).abs()
    m = delta - (delta - z).relu()                           # min(|d|, delta)
    loss = 0.5 * m * m + delta * (z - delta).relu()
    if weight is not None:
        loss = loss * weight
    return _rename(_reduce(loss, reduction), "HuberLossBackward0")


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    # log(1 + exp(-y x)) = -logsigmoid(y x)
    return _rename(_reduce(-LogSigmoid.apply(target * input), reduction), "SoftMarginLossBackward0")


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    loss = -(target * LogSigmoid.apply(input) + (1 - target) * LogSigmoid.apply(-input))
    if weight is not None:
        loss = loss * weight
    cdim = input.ndim - 1
    loss = loss.sum(cdim) / input.shape[cdim]
    return _reduce(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"):
    dev = input1._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(cosine_embedding_loss, input1, input2, target, margin, size_average, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    d = input1.ndim - 1
    eps = 1e-12
    cos = (input1 * input2).sum(d) / (((input1 * input1).sum(d) + eps) * ((input2 * input2).sum(d) + eps)).sqrt()
    t = target._data
    dt = cos._data.dtype
    pos = _const((t == 1).astype(dt), cos)
    neg = _const((t == -1).astype(dt), cos)
    loss = (1 - cos) * pos + (cos - margin).relu() * neg
    return _reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(multi_margin_loss, input, target, p, margin, weight, size_average, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    if p not in (1, 2):
        raise ValueError("only p == 1 and p == 2 supported")
    x = input if input.ndim > 1 else input.reshape(1, -1)
    C = x.shape[1]
    xp = input._device.xp
    t = target._data.reshape(-1)
    if ((t < 0) | (t >= C)).any():
        raise RuntimeError("target out of range")
    dt = input._data.dtype
    onehot = (t[:, None] == xp.arange(C)).astype(dt)
    xy = (x * _const(onehot, x)).sum(1, keepdim=True)
    z = (margin - xy + x).relu()
    if p == 2:
        z = z * z
    coef = 1 - onehot
    if weight is not None:
        coef = coef * weight._data[t][:, None]
    loss = (z * _const(coef.astype(dt), x)).sum(1) / C
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _rename(_reduce(loss, reduction), "MultiMarginLossBackward0")


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(multilabel_margin_loss, input, target, size_average, reduce, reduction)
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    x = input if input.ndim > 1 else input.reshape(1, -1)
    N, C = x.shape
    xp = input._device.xp
    t = target._data.reshape(N, C)
    # the targets of a sample are its entries up to the first -1
    valid = xp.cumprod(t >= 0, axis=1).astype(bool)
    is_t = xp.zeros((N, C), bool)
    rows = xp.nonzero(valid)
    is_t[rows[0], t[rows]] = True
    pair = (is_t[:, :, None] & ~is_t[:, None, :]).astype(input._data.dtype)   # (n, target j, other i)
    z = (1 - x.reshape(N, C, 1) + x.reshape(N, 1, C)).relu()
    loss = (z * _const(pair, x)).sum((1, 2)) / C
    if input.ndim <= 1:
        loss = loss.reshape(())
    return _rename(_reduce(loss, reduction), "MultilabelMarginLossBackward0")


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False, size_average=None,
                        reduce=None, reduction="mean"):
    reduction = _legacy_reduction(size_average, reduce, reduction)
    _check_reduction(reduction)
    a, pd, nd = anchor.ndim, positive.ndim, negative.ndim
    if not (a == pd == nd):
        raise RuntimeError(f"The anchor, positive, and negative tensors are expected to have the same number of "
                           f"dimensions, but got: anchor {a}D, positive {pd}D, and negative {nd}D inputs")
    d_ap = pairwise_distance(anchor, positive, p, eps)
    d_an = pairwise_distance(anchor, negative, p, eps)
    if swap:
        d_an = ember.minimum(d_an, pairwise_distance(positive, negative, p, eps))
    return _reduce((margin + d_ap - d_an).relu(), reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None, margin=1.0, swap=False,
                                      reduction="mean"):
    _check_reduction(reduction)
    if margin <= 0:
        raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} instead")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_ap = dist(anchor, positive)
    d_an = dist(anchor, negative)
    if swap:
        d_an = ember.minimum(d_an, dist(positive, negative))
    return _reduce((margin + d_ap - d_an).relu(), reduction)


# ---- attention -------------------------------------------------------------------------------
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    dev = query._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(scaled_dot_product_attention, query, key, value, attn_mask, dropout_p, is_causal, scale,
                        enable_gqa)
    L, S = query.shape[-2], key.shape[-2]
    xp = query._device.xp
    dt = query._data.dtype
    scale = 1.0 / math.sqrt(query.shape[-1]) if scale is None else scale
    if enable_gqa and key.shape[-3] != query.shape[-3]:
        rep = query.shape[-3] // key.shape[-3]
        key = key.repeat_interleave(rep, -3)
        value = value.repeat_interleave(rep, -3)
    scores = (query @ key.transpose(-2, -1)) * scale
    if is_causal:
        scores = scores + _const(xp.where(xp.tril(xp.ones((L, S), bool)), 0, -xp.inf).astype(dt), query)
    if attn_mask is not None:
        if attn_mask.dtype is ember.bool:
            scores = scores + _const(xp.where(attn_mask._data, 0, -xp.inf).astype(dt), query)
        else:
            scores = scores + attn_mask
    attn = Softmax.apply(scores, scores.ndim - 1)
    if dropout_p > 0:
        attn = dropout(attn, dropout_p)
    return attn @ value


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean", zero_infinity=False):
    dev = log_probs._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(ctc_loss, log_probs, targets, input_lengths, target_lengths, blank, reduction, zero_infinity)
    _check_reduction(reduction)
    unbatched = log_probs.ndim == 2
    lp = log_probs.reshape(log_probs.shape[0], 1, -1) if unbatched else log_probs
    as_list = (lambda v: [int(i) for i in (v.reshape(-1).tolist() if isinstance(v, Tensor) else v)])
    in_lens, tgt_lens = as_list(input_lengths), as_list(target_lengths)
    t = targets._data
    if unbatched or t.ndim == 1 and len(tgt_lens) == 1 and t.shape[0] == tgt_lens[0]:
        t = t.reshape(1, -1)
    if t.ndim == 2:
        seqs = [t[n, :tgt_lens[n]] for n in range(len(tgt_lens))]
    else:      # concatenated targets
        ends = [sum(tgt_lens[:i + 1]) for i in range(len(tgt_lens))]
        seqs = [t[e - k:e] for e, k in zip(ends, tgt_lens)]
    loss = _nn.CtcLoss.apply(lp, targets=seqs, in_lens=in_lens, tgt_lens=tgt_lens, blank=blank,
                             zero_infinity=zero_infinity)
    if reduction == "mean":
        lens = log_probs._device.xp.maximum(log_probs._device.xp.asarray(tgt_lens), 1).astype(loss._data.dtype)
        return (loss / _const(lens, loss)).mean()
    if unbatched and reduction == "none":
        return loss.reshape(())
    return _reduce(loss, reduction)
