"""Convolutions (torch.nn.functional.conv*, conv_transpose*, unfold, fold).

conv = im2col + GEMM: channels-first cols and one GEMM per sample (and group) straight into
(N, O, *out) for large output grids (1x1 stride-1 convs need no im2col at all; stride-1 convs with
many input channels take one GEMM per kernel offset on the padded input instead of cols);
channels-last cols and one GEMM per group over the whole batch for small grids. Three Ops make the
whole family, each differentiable through the others:
    Conv(x, w)            y = conv(x, w)
    ConvTranspose(y, w)   adjoint of conv in x:      grad_x of Conv
    ConvWeightGrad(x, g)  correlation of x with g:   grad_w of Conv and of ConvTranspose
"""
__all__ = ['conv1d', 'conv2d', 'conv3d', 'conv_transpose1d', 'conv_transpose2d', 'conv_transpose3d',
           'unfold', 'fold']

import math

from ..autograd import grad_mode
from ._op import Op
from .window import im2col, im2col_cf, col2im, out_size, padded_size, FlatGrid, Im2col, Col2im

_enabled = grad_mode._enabled


# ---- array kernels (forward work of the three Ops) -------------------------------------------
def _group_gemm(xp, a, b):
    """a (M, G, K) @ b (G, K, P) per group -> (M, G, P)."""
    if a.shape[1] == 1:
        return xp.matmul(a[:, 0], b[0])[:, None]
    return xp.matmul(a.transpose(1, 0, 2), b).transpose(1, 0, 2)


def _channels_last(xp, a, groups):
    """(N, C, *sp) -> (N * prod(sp), G, C/G)."""
    n, c = a.shape[:2]
    return xp.ascontiguousarray(xp.moveaxis(a, 1, -1)).reshape(-1, groups, c // groups)


# Output grids at least this large (per sample) use channels-first cols: the per-sample GEMMs are
# big enough, and the output needs no transpose; smaller grids (deep layers) do better with one
# channels-last GEMM over the whole batch (measured on 8x64x56x56, ResNet-18 and LeNet shapes).
# With few output channels the channels-last GEMM is a skinny (rows x K) @ (K x few) one, which
# BLAS runs poorly, so the channels-first layout wins from smaller grids on (LeNet's input grads).
_CF_MIN_GRID = 256
# A stride-1 input gradient runs as a flipped-kernel convolution unless that convolution's cols
# would exceed col2im's by more than this factor (see _conv_transpose).
_FLIP_MAX_GROWTH = 2
_CF_FEW_CHANNELS = 16
# Channels-first cols of more elements than this for the whole batch are made one sample at a time
# when they need not be kept (ResNet's 7x7 stem: 59 MB of cols otherwise, fresh pages every call).
_CF_BATCH_COLS = 1 << 22


# Stride-1 convolutions on large grids with at least this many input channels and at most this
# many output channels skip im2col (see _conv_shifted): with fewer inputs the per-offset GEMMs are too
# thin, with more outputs im2col is too small a share of the work to pay for 9x more GEMM calls
# (measured on ResNet-18's 64->64 at 56x56, a win, and 128->128 at 28x28, none).
_SHIFT_MIN_CHANNELS = 32
_SHIFT_MAX_OUT = 64


def _layout(dev, x, kernel, stride, pads, out, og, groups):
    """How _conv multiplies: 'cf' (channels-first cols, per-sample GEMMs), 'cl' (channels-last cols,
    one GEMM over the batch), 'shift' (per-sample GEMMs per kernel offset, no cols) or, off the host (a
    GPU, where few big kernels beat many small launches), 'kn': cols (K, N * P) for groups 1, one 2-D GEMM
    over the whole batch (CuPy's batched matmul costs 4x a 2-D one in launch time)."""
    if not dev.backend.on_host:
        return "kn" if groups == 1 else "cf"
    one = all(s == 1 for s in stride)
    if all(k == 1 for k in kernel) and one and not any(lo or hi for lo, hi in pads):
        return "cf"     # 1x1, stride 1, no padding: the input itself is the cols
    p = math.prod(out)
    if p < _CF_MIN_GRID and not (og <= _CF_FEW_CHANNELS and 2 * p >= _CF_MIN_GRID):
        return "cl"
    shift = one and groups == 1 and x.shape[1] >= _SHIFT_MIN_CHANNELS and og <= _SHIFT_MAX_OUT
    return "shift" if shift else "cf"


def _conv_shifted(xp, x, w, pads, dilation, out):
    """Stride-1 conv (groups 1) without im2col: per sample and kernel offset t, W[:, :, t] (O, C) times
    the contiguous slice of the flattened padded input that offset reads (see FlatGrid), summed
    over t in a cache-sized buffer."""
    n, o = x.shape[0], w.shape[0]
    flat = FlatGrid(x.shape[2:], pads, out, w.shape[2:], dilation)
    buf = flat.buffer(xp, x)
    wk = xp.ascontiguousarray(xp.moveaxis(w.reshape(o, x.shape[1], -1), -1, 0))       # (T, O, C)
    y = xp.empty((n, o, flat.size), dtype=x.dtype)
    tmp = xp.empty((o, flat.size), dtype=x.dtype)
    first, rest = flat.offsets[0], list(enumerate(flat.offsets))[1:]
    for i in range(n):
        yi = xp.matmul(wk[0], buf[i, :, first:first + flat.size], out=y[i])
        for t, off in rest:
            yi += xp.matmul(wk[t], buf[i, :, off:off + flat.size], out=tmp)
    return xp.ascontiguousarray(flat.crop(y))


def _conv(dev, x, w, stride, pads, dilation, groups, keep_cols=False):
    """y (N, O, *out) and the (layout, cols) pair it was computed from (None without cols).
    keep_cols: the weight gradient will need cols, so make them here rather than go shifted (the
    channels-first GEMM from cols beats the shifted one plus an im2col in backward)."""
    xp = dev.xp
    kernel = w.shape[2:]
    out = tuple(out_size(n, k, s, lo, hi, d) for n, k, s, (lo, hi), d in zip(x.shape[2:], kernel, stride, pads, dilation))
    o, n = w.shape[0], x.shape[0]
    if not n:                   # an empty batch (detection heads with no boxes), as torch: an empty result
        return xp.zeros((n, o) + out, dtype=x.dtype), None
    layout = _layout(dev, x, kernel, stride, pads, out, o // groups, groups)
    if layout == "shift":
        if not keep_cols:
            return _conv_shifted(xp, x, w, pads, dilation, out), None
        layout = "cf"
    if layout == "kn":
        cols = im2col_cf(dev, x, kernel, stride, pads, dilation, out, batch_inside=True)
        y = xp.matmul(w.reshape(o, -1), cols).reshape(o, n, -1).swapaxes(0, 1)
        return xp.ascontiguousarray(y).reshape((n, o) + out), (layout, cols)
    if layout == "cf":
        wm = w.reshape(groups, o // groups, -1)
        p = math.prod(out)
        if keep_cols or n * wm.shape[-1] * groups * p <= _CF_BATCH_COLS or not dev.backend.on_host:
            cols = im2col_cf(dev, x, kernel, stride, pads, dilation, out, groups)      # (N, G, K, P)
            return xp.matmul(wm, cols).reshape((n, o) + out), (layout, cols)
        # large cols, none to keep: one sample's cols at a time, staying in cache, their buffer reused
        y = xp.empty((n, groups, o // groups, p), dtype=x.dtype)
        for i in range(n):
            xp.matmul(wm, im2col_cf(dev, x[i:i + 1], kernel, stride, pads, dilation, out, groups)[0], out=y[i])
        return y.reshape((n, o) + out), None
    cols = im2col(dev, x, kernel, stride, pads, dilation, out, groups)
    wm = xp.moveaxis(w.reshape((groups, o // groups) + w.shape[1:]), 2, -1).reshape(groups, o // groups, -1)
    y = _group_gemm(xp, cols.reshape(-1, groups, wm.shape[-1]), wm.transpose(0, 2, 1))
    y = xp.ascontiguousarray(xp.moveaxis(y.reshape((n, -1, o)), -1, 1))
    return y.reshape((n, o) + out), (layout, cols)


# Small 2-D grids with few channels (LeNet's conv2): the adjoint as a band-matrix GEMM, if the band
# matrix stays this small and its zeros cost at most this factor in flops (see _conv_transpose_band).
_BAND_MAX_ELEMENTS = 1 << 20
_BAND_MAX_WASTE = 4


def _conv_transpose_band(dev, x, w, size, stride, pads, dilation):
    """_conv_transpose for 2-D, groups=1 as one GEMM and a shifted add per kernel row.

    band[(i, c), (r, j, o)] = w[c, o, r, t] wherever input column i reaches padded output column
    j = i * stride + t * dilation through tap t: each input row times the band gives, per kernel
    row r, a whole padded output row, added at row i * stride + r * dilation. Few long memory runs
    instead of col2im's one strided add per kernel tap."""
    xp = dev.xp
    n, cin, hi, wi = x.shape
    og, kh, kw = w.shape[1:]
    (sh, sw), (dh, dw) = stride, dilation
    hp, wp = padded_size(size, pads, (hi, wi), (kh, kw), stride, dilation)
    band = xp.zeros((wi, cin, kh, wp, og), dtype=w.dtype)
    taps = w.transpose(3, 0, 2, 1)                                       # (KW, Cin, KH, Og)
    cols = xp.arange(wi)
    for t in range(kw):
        band[cols, :, :, cols * sw + t * dw, :] = taps[t]
    rows = xp.ascontiguousarray(x.transpose(0, 2, 3, 1)).reshape(n * hi, wi * cin)
    r = xp.matmul(rows, band.reshape(wi * cin, kh * wp * og)).reshape(n, hi, kh, wp, og)
    out = xp.zeros((n, hp, wp, og), dtype=r.dtype)
    for t in range(kh):
        out[:, t * dh:t * dh + sh * (hi - 1) + 1:sh] += r[:, :, t]
    (lo_h, _), (lo_w, _) = pads
    out = out[:, lo_h:lo_h + size[0], lo_w:lo_w + size[1]]
    return xp.ascontiguousarray(out.transpose(0, 3, 1, 2))


def _band_fits(x, w, size, pads, stride, dilation, groups):
    if len(size) != 2 or groups != 1:
        return False
    wp = padded_size(size, pads, x.shape[2:], w.shape[2:], stride, dilation)[1]
    return (x.shape[3] * w.shape[0] * w.shape[2] * wp * w.shape[1] <= _BAND_MAX_ELEMENTS
            and wp <= _BAND_MAX_WASTE * w.shape[3])


def _conv_transpose(dev, x, w, size, stride, pads, dilation, groups):
    """Adjoint of _conv in its input: x (N, Cin, *in), w (Cin, Og, *k) -> (N, G*Og, *size)."""
    xp = dev.xp
    kernel = w.shape[2:]
    cin, og = w.shape[:2]
    if not x.shape[0]:
        return xp.zeros((0, groups * og) + tuple(size), dtype=x.dtype)
    if dev.backend.on_host and _band_fits(x, w, size, pads, stride, dilation, groups):
        return _conv_transpose_band(dev, x, w, size, stride, pads, dilation)
    if all(s == 1 for s in stride) and cin * math.prod(size) <= _FLIP_MAX_GROWTH * groups * og * math.prod(x.shape[2:]):
        # stride 1: the adjoint is itself a convolution, with the kernel flipped and its channel axes
        # swapped per group, padded by the kernel span minus the forward padding (im2col + one GEMM
        # beats GEMM + the strided adds of col2im, unless its cols would be much larger than
        # col2im's: more input than output channels and a grid that grows, as in LeNet's conv2)
        flip = tuple(d * (k - 1) - lo for k, d, (lo, _) in zip(kernel, dilation, pads))
        hi = tuple(m - n + d * (k - 1) - f for m, n, k, d, f in zip(size, x.shape[2:], kernel, dilation, flip))
        if all(f >= 0 for f in flip) and all(h >= 0 for h in hi):
            wf = w.reshape((groups, cin // groups, og) + kernel).swapaxes(1, 2).reshape((groups * og, cin // groups)
                                                                                         + kernel)
            wf = xp.ascontiguousarray(wf[(slice(None),) * 2 + (slice(None, None, -1),) * len(kernel)])
            return _conv(dev, x, wf, stride, tuple(zip(flip, hi)), dilation, groups)[0]
    wm = xp.moveaxis(w.reshape((groups, cin // groups) + w.shape[1:]), 2, -1).reshape(groups, cin // groups, -1)
    cols = _group_gemm(xp, _channels_last(xp, x, groups), wm)
    cols = cols.reshape(x.shape[:1] + x.shape[2:] + (groups,) + kernel + (og,))
    return col2im(dev, cols, size, kernel, stride, pads, dilation)


def _conv_weight_grad(dev, x, g, kernel, stride, pads, dilation, groups, cols=None):
    """d<g, conv(x, w)>/dw: x (N, C, *sp), g (N, O, *out) -> (O, C/G, *kernel).
    cols: the (layout, cols) pair _conv made from x, or None to build it here (channels-first where
    _conv would go shifted)."""
    xp = dev.xp
    out = tuple(g.shape[2:])
    o, cg = g.shape[1], x.shape[1] // groups
    if not x.shape[0]:
        return xp.zeros((o, cg) + tuple(kernel), dtype=x.dtype)
    if cols is None:
        layout = _layout(dev, x, kernel, stride, pads, out, o // groups, groups)
        if layout == "cl":
            cols = im2col(dev, x, kernel, stride, pads, dilation, out, groups)
        else:
            layout = "kn" if layout == "kn" else "cf"
            cols = im2col_cf(dev, x, kernel, stride, pads, dilation, out, groups, batch_inside=layout == "kn")
    else:
        layout, cols = cols
    if layout == "kn":      # g as (O, N * P) @ cols^T (N * P, K)
        gm = xp.ascontiguousarray(g.reshape(g.shape[0], o, -1).swapaxes(0, 1)).reshape(o, -1)
        return xp.matmul(gm, cols.T).reshape((o, cg) + tuple(kernel))
    if layout == "cf":      # per-sample g (G, Og, P) @ cols^T (G, P, K), summed over the batch
        n = g.shape[0]
        gw = xp.matmul(g.reshape(n, groups, o // groups, -1), cols.swapaxes(-1, -2)).sum(0)
        return gw.reshape((o, cg) + tuple(kernel))
    gm = _channels_last(xp, g, groups)
    cm = cols.reshape(gm.shape[0], groups, -1)
    gw = _group_gemm(xp, gm.transpose(2, 1, 0), cm.transpose(1, 0, 2))   # (Og, G, K*Cg)
    gw = gw.transpose(1, 0, 2).reshape((o,) + tuple(kernel) + (cg,))
    return xp.ascontiguousarray(xp.moveaxis(gw, -1, 1))


def _bias_grad(g):
    return g.sum((0,) + tuple(range(2, g.ndim)))


# ---- Ops ----------------------------------------------------------------------------------------
class Conv(Op):
    _name = "ConvolutionBackward0"

    def forward(ctx, x, w, b, stride, pads, dilation, groups):
        ctx.geom = (stride, pads, dilation, groups)
        keep = ctx._needs is not None and ctx._needs[1]
        y, cols = _conv(ctx.device, x, w, stride, pads, dilation, groups, keep)
        if b is not None:
            y += b.reshape((-1,) + (1,) * (y.ndim - 2))
        if ctx._needs is not None:
            ctx.save_for_backward(x, w)
            ctx.cols = cols if keep else None
            ctx.size = x.shape[2:]
        return y

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = ctx._needs
        stride, pads, dilation, groups = ctx.geom
        gx = ConvTranspose.apply(g, w, None, size=ctx.size, stride=stride, pads=pads, dilation=dilation,
                                 groups=groups) if n[0] else None
        gw = None
        if n[1]:
            cols = None if _enabled[0] else ctx.cols   # a new graph needs cols as a function of x
            gw = ConvWeightGrad.apply(x, g, kernel=tuple(w.shape[2:]), stride=stride, pads=pads,
                                      dilation=dilation, groups=groups, cols=cols)
        ctx.cols = None
        return gx, gw, (_bias_grad(g) if n[2] else None)


class ConvTranspose(Op):
    _name = "ConvolutionBackward0"

    def forward(ctx, x, w, b, size, stride, pads, dilation, groups):
        ctx.geom = (stride, pads, dilation, groups)
        if ctx._needs is not None:
            ctx.save_for_backward(x, w)
            # output_padding: trailing rows no input element reaches (cropped from g in backward)
            ctx.extra = tuple(m - ((n - 1) * s - lo - hi + d * (k - 1) + 1) for m, n, s, (lo, hi), d, k
                              in zip(size, x.shape[2:], stride, pads, dilation, w.shape[2:]))
        y = _conv_transpose(ctx.device, x, w, size, stride, pads, dilation, groups)
        if b is not None:
            y += b.reshape((-1,) + (1,) * (y.ndim - 2))
        return y

    def backward(ctx, g):
        x, w = ctx.saved_tensors
        n = ctx._needs
        stride, pads, dilation, groups = ctx.geom
        gx = None
        if n[0]:
            gc, gpads = g, pads
            if any(ctx.extra):      # take output_padding off the high padding, cropping g where it runs out
                gpads = tuple((lo, max(hi - e, 0)) for (lo, hi), e in zip(pads, ctx.extra))
                crop = tuple(max(e - hi, 0) for (_, hi), e in zip(pads, ctx.extra))
                if any(crop):
                    gc = g[(slice(None),) * 2 + tuple(slice(0, m - c) for m, c in zip(g.shape[2:], crop))]
            gx = Conv.apply(gc, w, None, stride=stride, pads=gpads, dilation=dilation, groups=groups)
        gw = ConvWeightGrad.apply(g, x, kernel=tuple(w.shape[2:]), stride=stride, pads=pads, dilation=dilation,
                                  groups=groups, cols=None) if n[1] else None
        return gx, gw, (_bias_grad(g) if n[2] else None)


class ConvWeightGrad(Op):
    _name = "ConvolutionBackwardBackward0"

    def forward(ctx, x, g, kernel, stride, pads, dilation, groups, cols):
        ctx.geom = (stride, pads, dilation, groups)
        if ctx._needs is not None:
            ctx.save_for_backward(x, g)
            ctx.size = x.shape[2:]
        return _conv_weight_grad(ctx.device, x, g, kernel, stride, pads, dilation, groups, cols)

    def backward(ctx, gg):
        x, g = ctx.saved_tensors
        n = ctx._needs
        stride, pads, dilation, groups = ctx.geom
        gx = ConvTranspose.apply(g, gg, None, size=ctx.size, stride=stride, pads=pads, dilation=dilation,
                                 groups=groups) if n[0] else None
        gg_ = None
        if n[1]:
            gg_ = Conv.apply(x, gg, None, stride=stride, pads=pads, dilation=dilation, groups=groups)
            gsize = tuple(g.shape[2:])
            if tuple(gg_.shape[2:]) != gsize:     # x longer than g's windows need (output_padding)
                gg_ = gg_[(slice(None),) * 2 + tuple(slice(0, m) for m in gsize)]
        return gx, gg_


# ---- argument checking --------------------------------------------------------------------------
def _expand(v, nd, name):
    if isinstance(v, int):
        return (v,) * nd
    v = tuple(int(i) for i in v)
    if len(v) == 1:
        return v * nd
    if len(v) != nd:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {nd} values to match the "
                           f"convolution dimensions, but got {name}={list(v)}")
    return v


def _tname(t):
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
            "int64": "long int", "int32": "int"}.get(t.dtype.name, t.dtype.name)


def _sname(t):
    from ._registry import _torch_name
    return _torch_name(t.dtype)


def _batched(input, nd, name):
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to {name}, but got input "
                           f"of size: {list(input.shape)}")
    if input.ndim == nd + 1:
        return input.reshape((1,) + tuple(input.shape)), True
    return input, False


def _check_common(input, weight, bias, nd, stride, padding, dilation, groups):
    if weight.ndim != nd + 2:
        raise RuntimeError(f"Expected {weight.ndim}-dimensional input for {weight.ndim}-dimensional weight "
                           f"{list(weight.shape)}, but got {input.ndim}-dimensional input of size "
                           f"{list(input.shape)} instead")
    if any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if input.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {_sname(input)} but found {_sname(weight)}")
    if bias is not None and bias.dtype is not input.dtype:
        raise RuntimeError(f"Input type ({_tname(input)}) and bias type ({_tname(bias)}) should be the same")


def _sizes(t):
    return " x ".join(map(str, t))


def _convnd(nd, input, weight, bias, stride, padding, dilation, groups):
    name = f"conv{nd}d"
    x, unbatched = _batched(input, nd, name)
    stride = _expand(stride, nd, "stride")
    dilation = _expand(dilation, nd, "dilation")
    kernel = tuple(weight.shape[2:])
    if padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        tot = [d * (k - 1) for d, k in zip(dilation, kernel)]
        pads = tuple((t // 2, t - t // 2) for t in tot)      # odd totals: the extra one goes high
    elif padding == "valid":
        pads = ((0, 0),) * nd
    elif isinstance(padding, str):
        raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _expand(padding, nd, "padding"))
    _check_common(x, weight, bias, nd, stride, [lo for lo, _ in pads], dilation, groups)
    o = weight.shape[0]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
                           "channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be 1-dimensional with {o} "
                           f"elements, but got bias of size {list(bias.shape)} instead")
    padded_in = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads))
    span = tuple(d * (k - 1) + 1 for d, k in zip(dilation, kernel))
    if any(p < s for p, s in zip(padded_in, span)):
        raise RuntimeError(f"Calculated padded input size per channel: ({_sizes(padded_in)}). Kernel size: "
                           f"({_sizes(span)}). Kernel size can't be greater than actual input size")
    y = Conv.apply(x, weight, bias, stride=stride, pads=pads, dilation=dilation, groups=groups)
    return y.reshape(tuple(y.shape[1:])) if unbatched else y


def _conv_transposend(nd, input, weight, bias, stride, padding, output_padding, groups, dilation):
    name = f"conv_transpose{nd}d"
    if isinstance(padding, str):
        raise TypeError(f"{name}(): argument 'padding' must be tuple of ints, not str")
    x, unbatched = _batched(input, nd, name)
    stride = _expand(stride, nd, "stride")
    padding = _expand(padding, nd, "padding")
    dilation = _expand(dilation, nd, "dilation")
    output_padding = _expand(output_padding, nd, "output_padding")
    _check_common(x, weight, bias, nd, stride, padding, dilation, groups)
    if any(op < 0 for op in output_padding):
        raise RuntimeError("negative output_padding is not supported")
    cin, og = weight.shape[:2]
    if cin % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at dimension 0, but "
                           f"got weight of size [{list(weight.shape)}] instead")
    if x.shape[1] != cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected input{list(x.shape)} "
                           f"to have {cin} channels, but got {x.shape[1]} channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != og * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {og * groups} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    if any(op >= s and op >= d for op, s, d in zip(output_padding, stride, dilation)):
        axes = ("height", "width") if nd == 2 else ("depth", "height", "width")[3 - nd:]
        parts = [f"output_padding_{a}: {v}" for a, v in zip(axes, output_padding)]
        parts += [f"stride_{a}: {v}" for a, v in zip(axes, stride)]
        parts += [f"dilation_{a}: {v}" for a, v in zip(axes, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got " + " ".join(parts))
    kernel = tuple(weight.shape[2:])
    size = tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1
                 for n, s, p, d, k, op in zip(x.shape[2:], stride, padding, dilation, kernel, output_padding))
    if any(n <= 0 for n in size):
        raise RuntimeError(f"Given input size per channel: ({_sizes(x.shape[2:])}). Calculated output size per "
                           f"channel: ({_sizes(size)}). Output size is too small")
    y = ConvTranspose.apply(x, weight, bias, size=size, stride=stride, pads=tuple((p, p) for p in padding),
                            dilation=dilation, groups=groups)
    return y.reshape(tuple(y.shape[1:])) if unbatched else y


# ---- public functions ---------------------------------------------------------------------------
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    return _convnd(3, input, weight, bias, stride, padding, dilation, groups)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transposend(1, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transposend(2, input, weight, bias, stride, padding, output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1, dilation=1):
    return _conv_transposend(3, input, weight, bias, stride, padding, output_padding, groups, dilation)


def _pair(v, name):
    return _expand(v, 2, name)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    if input.ndim not in (3, 4):
        raise RuntimeError(f"Input Error: Only 3D or 4D input Tensors are supported (got {input.ndim}D)")
    x = input.reshape((1,) + tuple(input.shape)) if input.ndim == 3 else input
    kernel, dilation, padding, stride = (_pair(kernel_size, "kernel_size"), _pair(dilation, "dilation"),
                                         _pair(padding, "padding"), _pair(stride, "stride"))
    n, c = x.shape[:2]
    out = tuple(out_size(m, k, s, p, p, d) for m, k, s, p, d in zip(x.shape[2:], kernel, stride, padding, dilation))
    if any(o < 1 for o in out):
        raise RuntimeError(f"Given input with spatial size ({', '.join(map(str, x.shape[2:]))}), "
                           f"kernel_size=({', '.join(map(str, kernel))}), dilation=({', '.join(map(str, dilation))}), "
                           f"padding=({', '.join(map(str, padding))}), calculated shape of the array of sliding blocks "
                           f"as ({', '.join(map(str, out))}), but its components must be at least one.")
    cols = Im2col.apply(x, kernel=kernel, stride=stride, pads=tuple((p, p) for p in padding), dilation=dilation, out=out)
    k = math.prod(kernel)
    y = cols.reshape((n, out[0] * out[1], k, c)).permute(0, 3, 2, 1).reshape((n, c * k, out[0] * out[1]))
    return y.reshape(tuple(y.shape[1:])) if input.ndim == 3 else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    if input.ndim not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and "
                           f"non-zero dimensions for input, but got: {list(input.shape)}")
    x = input.reshape((1,) + tuple(input.shape)) if input.ndim == 2 else input
    size, kernel, dilation, padding, stride = (_pair(output_size, "output_size"), _pair(kernel_size, "kernel_size"),
                                               _pair(dilation, "dilation"), _pair(padding, "padding"),
                                               _pair(stride, "stride"))
    n, ck, length = x.shape
    k = math.prod(kernel)
    if ck % k:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the product of kernel_size, "
                           f"but got input.size(1)={ck} and kernel_size=({', '.join(map(str, kernel))}).")
    out = tuple(out_size(m, kk, s, p, p, d) for m, kk, s, p, d in zip(size, kernel, stride, padding, dilation))
    if out[0] * out[1] != length:
        raise RuntimeError(f"Given output_size=({', '.join(map(str, size))}), kernel_size=({', '.join(map(str, kernel))}), "
                           f"dilation=({', '.join(map(str, dilation))}), padding=({', '.join(map(str, padding))}), "
                           f"stride=({', '.join(map(str, stride))}), expected size of input's dimension 2 to match the "
                           f"calculated number of sliding blocks {out[0]} * {out[1]} = {out[0] * out[1]}, but got "
                           f"input.size(2)={length}.")
    c = ck // k
    cols = x.reshape((n, c) + kernel + out).permute(0, 4, 5, 2, 3, 1).reshape((n,) + out + (1,) + kernel + (c,))
    y = Col2im.apply(cols, size=size, kernel=kernel, stride=stride, pads=tuple((p, p) for p in padding),
                     dilation=dilation)
    return y.reshape(tuple(y.shape[1:])) if input.ndim == 2 else y
