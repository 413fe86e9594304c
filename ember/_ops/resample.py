"""Resampling (torch.nn.functional.pad, interpolate, affine_grid, pixel_shuffle ...).

Everything here is separable along spatial axes:
- non-constant padding and nearest interpolation pick source positions per axis (`AxisGather`,
  adjoint `AxisScatter`: a segmented sum over the positions that read the same source);
- linear/bilinear/bicubic/trilinear interpolation apply an (out, in) weight matrix per axis
  (`pooling.SeparableLinear`); `area` is adaptive average pooling.

grid_sample is the exception (arbitrary sampling positions): it gathers the input at every tap's
integer position (`PlaneGather`, adjoint `PlaneScatter`) and weights the taps with ember ops on the
grid, so gradients reach both the input and the grid and can be differentiated again.
"""
__all__ = ['pad', 'interpolate', 'upsample', 'upsample_nearest', 'upsample_bilinear', 'pixel_shuffle',
           'pixel_unshuffle', 'channel_shuffle', 'affine_grid', 'grid_sample']

import itertools
import math
import warnings

import numpy as _np

from .._device import CPU
from ._op import Op
from .pooling import SeparableLinear, adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d


# ---- per-axis gathers ----------------------------------------------------------------------------
class AxisGather(Op):
    """x.take(idx, axis) for each (axis, idx, in_size) in maps; idx are host integer arrays."""

    def forward(ctx, x, maps, name):
        ctx._name = name
        ctx.maps = maps
        xp = ctx.xp
        for axis, idx, _ in maps:
            x = xp.take(x, xp.asarray(idx), axis=axis)
        return x

    def backward(ctx, g):
        return AxisScatter.apply(g, maps=ctx.maps, name=ctx._name.replace("Backward0", "BackwardBackward0"))


class AxisScatter(Op):
    """Adjoint of AxisGather: sums, per axis, the entries that were read from the same position."""

    def forward(ctx, g, maps, name):
        ctx._name = name
        ctx.maps = maps
        xp = ctx.xp
        for axis, idx, n in reversed(maps):
            order = _np.argsort(idx, kind="stable")
            s = idx[order]
            starts = _np.flatnonzero(_np.r_[True, s[1:] != s[:-1]])
            if not (order == _np.arange(len(order))).all():
                g = xp.take(g, xp.asarray(order), axis=axis)
            sums = xp.add.reduceat(g, xp.asarray(starts), axis=axis) if len(s) else g
            shape = list(g.shape)
            shape[axis] = n
            out = xp.zeros(shape, dtype=g.dtype)
            out[(slice(None),) * axis + (xp.asarray(s[starts]),)] = sums
            g = out
        return g

    def backward(ctx, gg):
        return AxisGather.apply(gg, maps=ctx.maps, name=ctx._name.replace("BackwardBackward0", "Backward0"))


# ---- pad -------------------------------------------------------------------------------------------
class ConstantPad(Op):
    """pads: ((lo, hi), ...) for the trailing dims in order; negative amounts crop."""
    _name = "ConstantPadNdBackward0"

    def forward(ctx, x, pads, value):
        ctx.pads = pads
        lead = x.ndim - len(pads)
        shape = x.shape[:lead] + tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[lead:], pads))
        out = ctx.xp.full(shape, value, dtype=x.dtype)
        src = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(x.shape[lead:], pads))
        dst = tuple(slice(max(lo, 0), m - max(hi, 0)) for m, (lo, hi) in zip(shape[lead:], pads))
        out[(Ellipsis,) + dst] = x[(Ellipsis,) + src]
        return out

    def backward(ctx, g):
        return ConstantPad.apply(g, pads=tuple((-lo, -hi) for lo, hi in ctx.pads), value=0)


def _source_positions(mode, n, lo, hi):
    p = _np.arange(-lo, n + hi)
    if mode == "circular":      # wraps within what is left after negative pads crop
        start, m = max(-lo, 0), n - max(-lo, 0) - max(-hi, 0)
        return (_np.arange(n + lo + hi) - max(lo, 0)) % m + start
    if mode == "reflect":
        p = _np.abs(p)
        return _np.where(p >= n, 2 * (n - 1) - p, p)
    return _np.clip(p, 0, n - 1)


_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


def pad(input, pad, mode="constant", value=None):
    pad = [int(p) for p in pad]
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise RuntimeError(f"Padding length should be less than or equal to two times the input dimension but got "
                           f"padding length {len(pad)} and input of dimension {input.ndim}")
    pairs = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd)))   # first padded dim first
    sizes = input.shape[input.ndim - nd:]
    if mode == "constant":
        if any(n + lo + hi < 0 for n, (lo, hi) in zip(sizes, pairs)):
            raise RuntimeError("narrow(): length must be non-negative.")
        return ConstantPad.apply(input, pads=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if value is not None and value != 0:
        raise RuntimeError(f'Padding mode "{mode}" doesn\'t take in value argument')
    if input.ndim not in (nd + 1, nd + 2) or nd > 3:
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {input.ndim}D input tensor.\n"
                                  + _SUPPORTED)
    maps = []
    for i, (n, (lo, hi)) in enumerate(zip(sizes, pairs)):
        axis = input.ndim - nd + i
        if mode == "reflect" and (lo >= n or hi >= n):
            raise RuntimeError(f"Argument #4: Padding size should be less than the corresponding input dimension, "
                               f"but got: padding ({lo}, {hi}) at dimension {axis} of input {list(input.shape)}")
        if mode == "circular" and (lo > n or hi > n):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        maps.append((axis, _source_positions(mode, n, lo, hi), n))
    name = {"reflect": f"ReflectionPad{nd}DBackward0", "replicate": f"ReplicationPad{nd}DBackward0",
            "circular": "CopySlices"}[mode]
    return AxisGather.apply(input, maps=tuple(maps), name=name)


# ---- interpolate ----------------------------------------------------------------------------------
_LINEAR = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_NAME = {"nearest": "Nearest", "nearest-exact": "NearestExact", "linear": "Linear", "bilinear": "Bilinear",
         "bicubic": "Bicubic", "trilinear": "Trilinear"}


def _scale(n, o, align_corners, sf, t=float):
    """PyTorch's area_pixel_compute_scale: source step per output step (t: the type it computes in)."""
    if align_corners:
        return t(n - 1) / t(o - 1) if o > 1 else t(0)
    return t(1.0 / sf) if sf is not None and sf > 0 else t(n) / t(o)


def _nearest_positions(n, o, sf, exact):
    if o == n:
        return _np.arange(o)
    scale = _np.float32(1.0 / sf if sf is not None and sf > 0 else n / o)   # float32 like PyTorch's kernel
    j = _np.arange(o, dtype=_np.float32) + (_np.float32(0.5) if exact else _np.float32(0))
    return _np.minimum(_np.floor(j * scale).astype(_np.int64), n - 1)


def _linear_matrix(n, o, align_corners, sf, t=_np.float64):
    """Interpolation weights (o, n); positions and weights computed in t, as torch does for the input's
    dtype (float32 for float32 inputs, where float64 positions drift ~1e-5 at 800 pixels)."""
    scale = _scale(n, o, align_corners, sf, t)
    j = _np.arange(o)
    jt = j.astype(t)
    src = scale * jt if align_corners else _np.maximum(scale * (jt + t(0.5)) - t(0.5), t(0))
    i0 = src.astype(_np.int64)
    i1 = i0 + (i0 < n - 1)
    lam = src - i0.astype(t)
    m = _np.zeros((o, n), dtype=t)
    _np.add.at(m, (j, i0), 1 - lam)
    _np.add.at(m, (j, i1), lam)
    return m


def _cubic_matrix(n, o, align_corners, sf):
    a = -0.75
    scale = _scale(n, o, align_corners, sf)
    j = _np.arange(o)
    src = scale * j if align_corners else scale * (j + 0.5) - 0.5
    i0 = _np.floor(src).astype(_np.int64)
    t = src - i0

    def near(x):    # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):     # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

    m = _np.zeros((o, n))
    for k, w in zip((-1, 0, 1, 2), (far(t + 1), near(t), near(1 - t), far(2 - t))):
        _np.add.at(m, (j, _np.clip(i0 + k, 0, n - 1)), w)
    return m


def _aa_matrix(n, o, align_corners, sf, cubic):
    """Antialiased (downsampling-aware) weights, PyTorch's separable AA kernels."""
    scale = _scale(n, o, align_corners, sf)
    width = 2.0 if cubic else 1.0
    support = width * scale if scale >= 1.0 else width
    inv = 1.0 / scale if scale >= 1.0 else 1.0

    def filt(x):
        x = _np.abs(x)
        if not cubic:
            return _np.maximum(0.0, 1.0 - x)
        a = -0.5
        return _np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                         _np.where(x < 2, ((a * x - 5 * a) * x + 8 * a) * x - 4 * a, 0.0))

    m = _np.zeros((o, n))
    for i in range(o):
        center = scale * (i + 0.5 if not align_corners else i)
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), n)
        w = filt((_np.arange(lo, hi) - center + (0.5 if not align_corners else 0.0)) * inv)
        total = w.sum()
        m[i, lo:hi] = w / total if total != 0 else w
    return m


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(interpolate, input, size, scale_factor, mode, align_corners, recompute_scale_factor, antialias)
    nd = input.ndim - 2
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and requires a 4-D "
                         "tensor as input")
    if nd < 1:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    spatial = tuple(input.shape[2:])
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        osz = (size,) * nd if not isinstance(size, (list, tuple)) else tuple(size)
        if len(osz) != nd:
            raise ValueError(f"Input and output must have the same number of spatial dimensions, but got input with "
                             f"spatial dimensions of {list(spatial)} and output size of {tuple(size)}. Please provide "
                             "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                             "format.")
        osz = tuple(int(o) for o in osz)
        sfs = (None,) * nd
    elif scale_factor is not None:
        sfs = (scale_factor,) * nd if not isinstance(scale_factor, (list, tuple)) else tuple(scale_factor)
        if len(sfs) != nd:
            raise ValueError(f"Input and scale_factor must have the same number of spatial dimensions, but got input "
                             f"with spatial dimensions of {list(spatial)} and scale_factor of shape "
                             f"{tuple(scale_factor)}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                             "scale_factor in (s1, s2, ...,sK) format.")
        sfs = tuple(float(s) for s in sfs)
        osz = tuple(int(math.floor(n * s)) for n, s in zip(spatial, sfs))
        if recompute_scale_factor:
            sfs = (None,) * nd
    else:
        raise ValueError("either size or scale_factor should be defined")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[nd - 1](input, osz)
    if mode in ("nearest", "nearest-exact"):
        if nd > 3:
            raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) "
                                      f"for the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                      f"nearest-exact (got {mode})")
        maps = tuple((2 + i, _nearest_positions(n, o, sf, mode == "nearest-exact"), n)
                     for i, (n, o, sf) in enumerate(zip(spatial, osz, sfs)))
        return AxisGather.apply(input, maps=maps, name=f"Upsample{_NAME[mode]}{nd}DBackward0")
    if mode not in _LINEAR:
        raise NotImplementedError(f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {input.ndim}D) for "
                                  f"the modes: nearest | linear | bilinear | bicubic | trilinear | area | "
                                  f"nearest-exact (got {mode})")
    if _LINEAR[mode] != nd:
        need = {"linear": "3D", "bilinear": "4D", "bicubic": "4D", "trilinear": "5D"}[mode]
        raise NotImplementedError(f"Got {input.ndim}D input, but {mode} mode needs {need} input")
    if antialias:
        mats = [_aa_matrix(n, o, align_corners, sf, mode == "bicubic") for n, o, sf in zip(spatial, osz, sfs)]
    elif mode == "bicubic":
        mats = [_cubic_matrix(n, o, align_corners, sf) for n, o, sf in zip(spatial, osz, sfs)]
    else:
        t = _np.float32 if input._data.dtype == _np.float32 else _np.float64
        mats = [_linear_matrix(n, o, align_corners, sf, t) for n, o, sf in zip(spatial, osz, sfs)]
    xp = input._device.xp
    name = f"Upsample{_NAME[mode]}{nd}D{'Aa' if antialias else ''}Backward0"
    return SeparableLinear.apply(input, mats=tuple(xp.asarray(m) for m in mats), name=name)


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


# ---- channel/space rearrangements ----------------------------------------------------------------
def pixel_shuffle(input, upscale_factor):
    r = int(upscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
                           f"upscale_factor, but input.size(-3)={c} is not divisible by {r * r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c // (r * r), r, r, h, w))
    x = x.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return x.reshape(tuple(lead) + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    r = int(downscale_factor)
    if input.ndim < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by downscale_factor, but input.size(-2)="
                           f"{h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size(-1)="
                           f"{w} is not divisible by {r}")
    k = len(lead)
    x = input.reshape(tuple(lead) + (c, h // r, r, w // r, r))
    x = x.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return x.reshape(tuple(lead) + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{input.ndim} dimension(s)")
    n, c = input.shape[:2]
    if c % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels and {groups} groups.")
    rest = tuple(input.shape[2:])
    x = input.reshape((n, groups, c // groups) + rest).transpose(1, 2)
    return x.reshape((n, c) + rest)


def affine_grid(theta, size, align_corners=None):
    """Sampling grid (N, *spatial, nd) for batches of affine matrices theta (N, nd, nd + 1)."""
    dev = theta._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(affine_grid, theta, size, align_corners)
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    size = tuple(size)
    if len(size) == 4:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {size}. Got "
                             f"{theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {size}. Got "
                             f"{theta.shape}.")
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {size}.")
    if not theta.is_floating_point():
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    if min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    spatial = size[2:]
    nd = len(spatial)

    def lin(n):
        if n == 1:
            return _np.zeros(1)
        v = _np.linspace(-1.0, 1.0, n)
        return v if align_corners else v * (n - 1) / n

    # base grid (*spatial, nd + 1): coordinates in x, y(, z) order, then a column of ones
    axes = [lin(n) for n in spatial]
    mesh = _np.meshgrid(*axes, indexing="ij")
    base = _np.stack([mesh[i] for i in reversed(range(nd))] + [_np.ones(spatial)], axis=-1)
    from .._tensor import Tensor
    base = Tensor._wrap(theta._device.xp.asarray(base.reshape(1, -1, nd + 1), dtype=theta._data.dtype),
                        theta._device)
    grid = base @ theta.transpose(1, 2)
    return grid.reshape((size[0],) + spatial + (nd,))


# ---- grid_sample ---------------------------------------------------------------------------------
class PlaneGather(Op):
    """x (N, C, *S) read at flat positions idx (N, P) of each sample's plane -> (N, C, P)."""

    def forward(ctx, x, idx):
        ctx.idx, ctx.size = idx, x.shape[2:]
        flat = x.reshape(x.shape[:2] + (-1,))
        return ctx.xp.take_along_axis(flat, idx[:, None, :], axis=2)

    def backward(ctx, g):
        return PlaneScatter.apply(g, idx=ctx.idx, size=ctx.size)


class PlaneScatter(Op):
    """Adjoint of PlaneGather: g (N, C, P) summed into zeros (N, C, *size) at positions idx (N, P)."""

    def forward(ctx, g, idx, size):
        ctx.idx = idx
        xp = ctx.xp
        n, c, p = g.shape
        plane = math.prod(size)
        out = xp.zeros(n * c * plane, dtype=g.dtype)
        base = (xp.arange(n * c, dtype=xp.int64) * plane).reshape(n, c, 1)
        ctx.device.backend.index_add(out, (base + idx[:, None, :]).reshape(-1), g.reshape(-1))
        return out.reshape((n, c) + tuple(size))

    def backward(ctx, gg):
        return PlaneGather.apply(gg, ctx.idx)


def _reflect_np(v, lo2, hi2):
    """PyTorch's reflect_coordinates on float data: reflect v into [lo2 / 2, hi2 / 2]; also returns the
    derivative (+1 or -1) of the reflected value with respect to v."""
    t = v.dtype.type
    if lo2 == hi2:
        return _np.zeros_like(v), _np.zeros_like(v)
    mn = t(lo2 / 2)
    span = t((hi2 - lo2) / 2)
    d = v - mn
    a = _np.abs(d)
    extra = _np.fmod(a, span)
    flips = _np.floor(a / span)
    even = flips % 2 == 0
    out = _np.where(even, extra + mn, span - extra + mn).astype(v.dtype)
    slope = _np.where(d < 0, -1, 1) * _np.where(even, 1, -1)
    return out, slope


def _pad_coords_np(v, size, padding_mode, align_corners):
    """PyTorch's compute_coordinates on a host float array: (new positions, their derivative)."""
    if padding_mode == "zeros":
        return v, _np.ones_like(v)
    slope = _np.ones_like(v)
    if padding_mode == "reflection":
        v, slope = (_reflect_np(v, 0, 2 * (size - 1)) if align_corners else _reflect_np(v, -1, 2 * size - 1))
    inside = (v > 0) & (v < size - 1)           # the clip passes gradient strictly inside only
    return _np.clip(v, 0, size - 1).astype(v.dtype), slope * inside


def _grid_coord(coord, size, padding_mode, align_corners, apply_padding=True):
    """Source positions along one axis as an ember tensor (differentiable in the grid)."""
    if align_corners:
        pos = ((coord + 1) / 2) * (size - 1)
    else:
        pos = ((coord + 1) * size - 1) / 2
    if not apply_padding or padding_mode == "zeros":
        return pos
    from .nn_ops import piecewise
    be = pos._device.backend
    v, slope = _pad_coords_np(be.asnumpy(pos._data), size, padding_mode, align_corners)
    xp = pos._device.xp
    return piecewise(pos, xp.asarray(v), xp.asarray(slope), "GridSamplerCoordBackward0")


def _gather_taps(input, taps, sizes):
    """taps: list of (weight tensor (N, *out) or None, [int position arrays per axis, host]); positions
    outside the input (zero padding) contribute nothing. Returns (N, C, *out)."""
    from .._tensor import Tensor
    from .._factory import zeros
    n, c = input.shape[:2]
    xp = input._device.xp
    out_sp = None
    idxs, ws = [], []
    for w, pos in taps:
        out_sp = pos[0].shape[1:]
        ok = _np.ones(pos[0].shape, bool)
        flat = _np.zeros(pos[0].shape, _np.int64)
        for p, m in zip(pos, sizes):
            ok &= (p >= 0) & (p < m)
            flat = flat * m + _np.clip(p, 0, m - 1)
        idxs.append(flat.reshape(n, -1))
        mask = Tensor._wrap(xp.asarray(ok.astype(input._data.dtype)), input._device)
        ws.append(mask if w is None else w * mask)
    t = len(taps)
    p = math.prod(out_sp)
    if n * p == 0 or c == 0:
        return zeros((n, c) + tuple(out_sp), dtype=input.dtype, device=input.device)
    idx = xp.asarray(_np.concatenate(idxs, axis=1))                  # (N, T * P)
    vals = PlaneGather.apply(input, idx).reshape(n, c, t, p)
    from .movement import stack
    wt = stack([w.reshape(n, p) for w in ws], 1).reshape(n, 1, t, p)
    return (vals * wt).sum(2).reshape((n, c) + tuple(out_sp))


def _cubic_weights(t):
    """Cubic convolution (A = -0.75) weights of the 4 taps at offsets -1, 0, 1, 2 for fraction t."""
    a = -0.75

    def near(x):
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample input (N, C, *S) at grid (N, *out, nd) positions in [-1, 1] (x first: the last spatial
    axis), with bilinear/nearest/bicubic interpolation and zeros/border/reflection padding."""
    dev = input._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(grid_sample, input, grid, mode, padding_mode, align_corners)
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or 'bicubic', "
                         f"but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                      "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                      "grid_sample for details.", stacklevel=2)
        align_corners = False
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, but "
                           f"got input with sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    nd = input.ndim - 2
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input with "
                           f"sizes {list(input.shape)} and grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last dimension, but got grid with "
                           f"sizes {list(grid.shape)}")
    if any(s == 0 for s in input.shape[2:]):
        raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but input has "
                           f"sizes {list(input.shape)} with dimension 2 being empty")
    if input.dtype is not grid.dtype:
        raise RuntimeError(f"grid_sampler(): expected input and grid to have same dtype, but input has "
                           f"{input.dtype} and grid has {grid.dtype}")
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    sizes = tuple(input.shape[2:])
    # grid's last axis is (x, y[, z]): x indexes the last spatial axis
    coords = [grid[..., nd - 1 - i] for i in range(nd)]                   # per spatial axis, (N, *out)
    be = input._device.backend
    if mode == "bicubic":
        pos = [_grid_coord(c, m, padding_mode, align_corners, apply_padding=False) for c, m in zip(coords, sizes)]
        base = [_np.floor(be.asnumpy(p._data)) for p in pos]
        wts = [_cubic_weights(p - _on_device(b, p)) for p, b in zip(pos, base)]
        taps = []
        for i in range(4):
            for j in range(4):
                ii = [_np.trunc(_pad_coords_np((b + k - 1).astype(b.dtype), m, padding_mode, align_corners)[0])
                      .astype(_np.int64) if padding_mode != "zeros" else (b + k - 1).astype(_np.int64)
                      for b, k, m in zip(base, (i, j), sizes)]
                taps.append((wts[0][i] * wts[1][j], ii))
        out = _gather_taps(input, taps, sizes)
        name = "GridSampler2DBackward0"
    else:
        pos = [_grid_coord(c, m, padding_mode, align_corners) for c, m in zip(coords, sizes)]
        host = [be.asnumpy(p._data) for p in pos]
        if mode == "nearest":
            near = [_np.where(_np.isfinite(h), _np.rint(h), -1).astype(_np.int64) for h in host]
            out = _gather_taps(input, [(None, near)], sizes)
            if grid.requires_grad:
                out = _zero_link(out, grid)     # torch reports a zero (not a missing) grid gradient
        else:
            lo = [_np.floor(h) for h in host]
            fr = [p - _on_device(b, p) for p, b in zip(pos, lo)]
            lo_i = [_np.where(_np.isfinite(b), b, -2).astype(_np.int64) for b in lo]
            taps = []
            for bits in itertools.product((0, 1), repeat=nd):
                w = None
                for f, bit in zip(fr, bits):
                    term = f if bit else 1 - f
                    w = term if w is None else w * term
                taps.append((w, [b + bit for b, bit in zip(lo_i, bits)]))
            out = _gather_taps(input, taps, sizes)
        name = f"GridSampler{nd}DBackward0"
    if out.grad_fn is not None:
        out.grad_fn._name = name
    return out


def _zero_link(out, grid):
    """out, with a zero-gradient dependency on grid (nearest sampling: torch's grid gradient is zeros)."""
    from .. import where
    from .._tensor import Tensor
    z = where(Tensor._wrap(grid._device.xp.zeros((), bool), grid._device), grid, 0.0).sum(-1)
    return out + z.reshape((grid.shape[0], 1) + tuple(grid.shape[1:-1]))


def _on_device(host, like):
    """A host array as a constant tensor on `like`'s device and dtype (a raw CuPy array is no operand)."""
    from .._tensor import Tensor
    return Tensor._wrap(like._device.xp.asarray(host, dtype=like._data.dtype), like._device)
