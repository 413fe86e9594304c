"""Image operations on ember tensors of shape (..., C, H, W), computed with NumPy.

The arithmetic follows torchvision's tensor backend (same dtypes for intermediate results, same rounding), so
results agree with it up to floating point summation order."""
import numpy as np

from ... import _dtypes
from ..._device import CPU, transfer
from ..._tensor import Tensor

_INT_MAX = {np.dtype(np.uint8): 255, np.dtype(np.int8): 127, np.dtype(np.int16): 32767,
            np.dtype(np.uint16): 65535, np.dtype(np.int32): 2 ** 31 - 1, np.dtype(np.int64): 2 ** 63 - 1,
            np.dtype(np.uint32): 2 ** 32 - 1, np.dtype(np.uint64): 2 ** 64 - 1}


# ---- plumbing ----------------------------------------------------------------------------------------
def _arr(t):
    """The NumPy array behind an ember tensor (no copy on cpu)."""
    return t._device.backend.asnumpy(t._data)


def _wrap(arr, like):
    arr = np.ascontiguousarray(arr)
    return Tensor._wrap(transfer(arr, CPU, like._device), like._device)


def _is_float(a):
    return a.dtype.kind == "f" or a.dtype == _dtypes.bfloat16.np


def _max_value(npdtype):
    return 1.0 if npdtype.kind == "f" or npdtype == _dtypes.bfloat16.np else _INT_MAX.get(np.dtype(npdtype), 1)


def _assert_image_tensor(img):
    if not isinstance(img, Tensor) or img.ndim < 2:
        raise TypeError("Tensor is not a torch image.")


def _assert_channels(img, permitted):
    c = get_dimensions(img)[0]
    if c not in permitted:
        raise TypeError(f"Input image tensor permitted channel values are {permitted}, but found {c}")


def _work_dtype(a):
    """Floating dtype in which an image's arithmetic runs (float32 for integer images)."""
    return a.dtype if _is_float(a) else np.dtype(np.float32)


def _cast_out(res, dtype):
    """Back to an image's dtype: integers are rounded first (torchvision's _cast_squeeze_out)."""
    if res.dtype == dtype:
        return res
    if dtype.kind in "iu":
        res = np.round(res)
    return res.astype(dtype)


def _as4d(a):
    """(N, C, H, W) view of an (..., C, H, W) array plus the shape to restore."""
    return a.reshape((-1,) + a.shape[-3:]) if a.ndim >= 3 else a.reshape((1, 1) + a.shape), a.shape


# ---- geometry ----------------------------------------------------------------------------------------
def get_dimensions(img):
    _assert_image_tensor(img)
    channels = 1 if img.ndim == 2 else img.shape[-3]
    return [channels, img.shape[-2], img.shape[-1]]


def get_image_size(img):
    _assert_image_tensor(img)
    return [img.shape[-1], img.shape[-2]]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


def hflip(img):
    _assert_image_tensor(img)
    return img.flip(-1)


def vflip(img):
    _assert_image_tensor(img)
    return img.flip(-2)


def crop(img, top, left, height, width):
    _assert_image_tensor(img)
    _, h, w = get_dimensions(img)
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        ltrb = [max(-left + min(0, right), 0), max(-top + min(0, bottom), 0),
                max(right - max(w, left), 0), max(bottom - max(h, top), 0)]
        return pad(img[..., max(top, 0):bottom, max(left, 0):right], ltrb, fill=0)
    return img[..., top:bottom, left:right]


def pad(img, padding, fill=0, padding_mode="constant"):
    _assert_image_tensor(img)
    if fill is None:
        fill = 0
    if not isinstance(padding, (int, tuple, list)):
        raise TypeError("Got inappropriate padding arg")
    if not isinstance(fill, (int, float)):
        raise TypeError("Got inappropriate fill arg")
    if not isinstance(padding_mode, str):
        raise TypeError("Got inappropriate padding_mode arg")
    if isinstance(padding, tuple):
        padding = list(padding)
    if isinstance(padding, list) and len(padding) not in (1, 2, 4):
        raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    if isinstance(padding, int):
        left = right = top = bottom = padding
    elif len(padding) == 1:
        left = right = top = bottom = padding[0]
    elif len(padding) == 2:
        left = right = padding[0]
        top = bottom = padding[1]
    else:
        left, top, right, bottom = padding
    a = _arr(img)
    h, w = a.shape[-2:]
    a = a[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]   # negative padding crops
    widths = [(0, 0)] * (a.ndim - 2) + [(max(top, 0), max(bottom, 0)), (max(left, 0), max(right, 0))]
    if padding_mode == "constant":
        out = np.pad(a, widths, mode="constant", constant_values=np.array(float(fill)).astype(a.dtype))
    else:
        if padding_mode == "reflect" and (widths[-1][0] >= w or widths[-1][1] >= w or widths[-2][0] >= h
                                          or widths[-2][1] >= h):
            raise RuntimeError("Padding size should be less than the corresponding input dimension")
        out = np.pad(a, widths, mode=padding_mode)
    return _wrap(out, img)


def resize(img, size, interpolation="bilinear", antialias=True):
    from ...nn import functional as nnF
    _assert_image_tensor(img)
    if interpolation not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")
    antialias = bool(antialias) and interpolation in ("bilinear", "bicubic")
    dtype = img.dtype
    x = img
    shape = tuple(img.shape)
    x = x.reshape((-1,) + shape[-3:]) if x.ndim >= 3 else x.reshape((1, 1) + shape)
    if not dtype.is_floating_point:
        x = x.to(_dtypes.float32)
    align = False if interpolation in ("bilinear", "bicubic") else None
    out = nnF.interpolate(x, size=list(size), mode=interpolation, align_corners=align, antialias=antialias)
    out = out.reshape(shape[:-2] + tuple(out.shape[-2:]))
    if not dtype.is_floating_point:
        o = _arr(out)
        if interpolation == "bicubic" and dtype is _dtypes.uint8:
            o = np.clip(o, 0, 255)
        out = _wrap(_cast_out(o, dtype.np), img)
    return out


def _inverse_affine_grid(theta, w, h, ow, oh):
    """Normalized sampling grid (oh, ow, 2) for an inverse affine matrix theta (2x3) in centred pixel units."""
    xs = np.linspace(-ow * 0.5 + 0.5, ow * 0.5 - 0.5, ow, dtype=np.float32)
    ys = np.linspace(-oh * 0.5 + 0.5, oh * 0.5 - 0.5, oh, dtype=np.float32)
    base = np.empty((oh, ow, 3), np.float32)
    base[..., 0] = xs
    base[..., 1] = ys[:, None]
    base[..., 2] = 1.0
    m = np.asarray(theta, np.float32).T / np.array([0.5 * w, 0.5 * h], np.float32)
    return base @ m


def _grid_sample(a, grid, mode):
    """grid_sample with align_corners=False and zero padding; a: (N, C, H, W) float, grid: (H', W', 2)."""
    n, c, h, w = a.shape
    ix = ((grid[..., 0] + 1) * w - 1) / 2
    iy = ((grid[..., 1] + 1) * h - 1) / 2
    if mode == "nearest":
        xi, yi = np.rint(ix).astype(np.int64), np.rint(iy).astype(np.int64)
        ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
        out = a[:, :, np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
        return out * ok.astype(a.dtype)
    x0, y0 = np.floor(ix), np.floor(iy)
    out = np.zeros((n, c) + grid.shape[:2], a.dtype)
    for dx in (0, 1):
        for dy in (0, 1):
            xi, yi = x0 + dx, y0 + dy
            wgt = (1 - np.abs(ix - xi)) * (1 - np.abs(iy - yi))
            ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
            xi = np.clip(xi, 0, w - 1).astype(np.int64)
            yi = np.clip(yi, 0, h - 1).astype(np.int64)
            out += a[:, :, yi, xi] * (wgt * ok).astype(a.dtype)
    return out


def _apply_grid(img, grid, mode, fill):
    a = _arr(img)
    dtype = a.dtype
    x, shape = _as4d(a)
    x = x.astype(grid.dtype)
    if fill is not None:
        x = np.concatenate([x, np.ones(x.shape[:1] + (1,) + x.shape[2:], x.dtype)], axis=1)
    out = _grid_sample(x, grid, mode)
    if fill is not None:
        out, mask = out[:, :-1], out[:, -1:]
        fills = np.asarray(fill if isinstance(fill, (list, tuple)) else [float(fill)], out.dtype).reshape(1, -1, 1, 1)
        if mode == "nearest":
            out = np.where(mask < 0.5, fills, out)
        else:
            out = out * mask + (1.0 - mask) * fills
    out = out.reshape(shape[:-2] + out.shape[-2:])
    return _wrap(_cast_out(out, dtype), img)


def _check_grid_inputs(img, fill, interpolation):
    _assert_image_tensor(img)
    if fill is not None and isinstance(fill, (tuple, list)) and len(fill) > 1 and len(fill) != img.shape[-3]:
        raise ValueError(f"The number of elements in 'fill' cannot broadcast to match the number of channels of "
                         f"the image ({len(fill)} != {img.shape[-3]})")
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"Interpolation mode '{interpolation}' is unsupported with Tensor input")


def affine(img, matrix, interpolation="nearest", fill=None):
    _check_grid_inputs(img, fill, interpolation)
    h, w = img.shape[-2:]
    grid = _inverse_affine_grid(np.reshape(matrix, (2, 3)), w, h, w, h)
    return _apply_grid(img, grid, interpolation, fill)


def _affine_output_size(matrix, w, h):
    pts = np.array([[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0],
                    [0.5 * w, -0.5 * h, 1.0]], np.float32)
    new = pts @ np.asarray(matrix, np.float32).reshape(2, 3).T
    half = np.array([0.5 * w, 0.5 * h], np.float32)
    tol = np.float32(1e-4)
    hi = np.ceil(np.trunc((new.max(0) + half) / tol) * tol)
    lo = np.floor(np.trunc((new.min(0) + half) / tol) * tol)
    size = hi - lo
    return int(size[0]), int(size[1])


def rotate(img, matrix, interpolation="nearest", expand=False, fill=None):
    _check_grid_inputs(img, fill, interpolation)
    h, w = img.shape[-2:]
    ow, oh = _affine_output_size(matrix, w, h) if expand else (w, h)
    grid = _inverse_affine_grid(np.reshape(matrix, (2, 3)), w, h, ow, oh)
    return _apply_grid(img, grid, interpolation, fill)


def perspective(img, coeffs, interpolation="bilinear", fill=None):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor.")
    _check_grid_inputs(img, fill, interpolation)
    h, w = img.shape[-2:]
    c = np.asarray(coeffs, np.float32)
    base = np.empty((h, w, 3), np.float32)
    base[..., 0] = np.linspace(0.5, w - 0.5, w, dtype=np.float32)
    base[..., 1] = np.linspace(0.5, h - 0.5, h, dtype=np.float32)[:, None]
    base[..., 2] = 1.0
    num = base @ (np.array([[c[0], c[1], c[2]], [c[3], c[4], c[5]]], np.float32).T /
                  np.array([0.5 * w, 0.5 * h], np.float32))
    den = base @ np.array([c[6], c[7], 1.0], np.float32)
    grid = num / den[..., None] - 1.0
    return _apply_grid(img, grid, interpolation, fill)


def elastic_transform(img, displacement, interpolation="bilinear", fill=None):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    h, w = img.shape[-2:]
    ys = np.linspace((-h + 1) / h, (h - 1) / h, h, dtype=np.float32)
    xs = np.linspace((-w + 1) / w, (w - 1) / w, w, dtype=np.float32)
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    grid = np.stack([gx, gy], -1) + _arr(displacement).astype(np.float32)[0]
    return _apply_grid(img, grid, interpolation, fill)


# ---- filters -----------------------------------------------------------------------------------------
def _depthwise(x, kernel):
    """Valid 2-D correlation of each (N, C) plane of x with a small kernel."""
    kh, kw = kernel.shape
    oh, ow = x.shape[-2] - kh + 1, x.shape[-1] - kw + 1
    out = np.zeros(x.shape[:-2] + (oh, ow), x.dtype)
    for i in range(kh):
        for j in range(kw):
            out += kernel[i, j] * x[..., i:i + oh, j:j + ow]
    return out


def _gaussian_kernel1d(size, sigma):
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size, dtype=np.float32)
    pdf = np.exp(-0.5 * (x / np.float32(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor. Got {type(img)}")
    _assert_image_tensor(img)
    a = _arr(img)
    dtype = a.dtype
    wd = _work_dtype(a)
    kx = _gaussian_kernel1d(kernel_size[0], sigma[0]).astype(wd)
    ky = _gaussian_kernel1d(kernel_size[1], sigma[1]).astype(wd)
    x, shape = _as4d(a)
    x = x.astype(wd)
    px, py = kernel_size[0] // 2, kernel_size[1] // 2
    if px >= x.shape[-1] or py >= x.shape[-2]:
        raise RuntimeError("Padding size should be less than the corresponding input dimension")
    x = np.pad(x, [(0, 0), (0, 0), (py, py), (px, px)], mode="reflect")
    # separable: rows then columns (the 2-D kernel is the outer product ky x kx)
    ow = x.shape[-1] - kernel_size[0] + 1
    tmp = sum(kx[j] * x[..., :, j:j + ow] for j in range(kernel_size[0]))
    oh = x.shape[-2] - kernel_size[1] + 1
    out = sum(ky[i] * tmp[..., i:i + oh, :] for i in range(kernel_size[1]))
    return _wrap(_cast_out(out.reshape(shape), dtype), img)


# ---- colour ------------------------------------------------------------------------------------------
def _blend(a, b, ratio):
    bound = _max_value(a.dtype)
    wd = _work_dtype(a)
    r = float(ratio)
    out = np.clip(r * a.astype(wd) + (1.0 - r) * np.asarray(b).astype(wd), 0, bound)
    return out.astype(a.dtype)


def _gray(a):
    r, g, b = a[..., 0, :, :], a[..., 1, :, :], a[..., 2, :, :]
    wd = _work_dtype(a)
    l = (wd.type(0.2989) * r.astype(wd) + wd.type(0.587) * g.astype(wd) + wd.type(0.114) * b.astype(wd))
    return l.astype(a.dtype)[..., None, :, :]


def rgb_to_grayscale(img, num_output_channels=1):
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    a = _arr(img)
    out = _gray(a) if a.shape[-3] == 3 else a.copy()
    if num_output_channels == 3:
        out = np.broadcast_to(out, a.shape)
    return _wrap(out, img)


def _check_factor(value, name):
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    _check_factor(brightness_factor, "brightness_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    a = _arr(img)
    return _wrap(_blend(a, np.zeros((), a.dtype), brightness_factor), img)


def adjust_contrast(img, contrast_factor):
    _check_factor(contrast_factor, "contrast_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [3, 1])
    a = _arr(img)
    wd = _work_dtype(a)
    src = _gray(a) if a.shape[-3] == 3 else a
    mean = src.astype(wd).mean(axis=(-3, -2, -1), keepdims=True, dtype=np.float64).astype(wd)
    return _wrap(_blend(a, mean, contrast_factor), img)


def adjust_saturation(img, saturation_factor):
    _check_factor(saturation_factor, "saturation_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    a = _arr(img)
    if a.shape[-3] == 1:
        return img
    return _wrap(_blend(a, _gray(a), saturation_factor), img)


def _rgb2hsv(x):
    r, g, b = x[..., 0, :, :], x[..., 1, :, :], x[..., 2, :, :]
    maxc, minc = x.max(-3), x.min(-3)
    eq = maxc == minc
    cr = maxc - minc
    s = cr / np.where(eq, 1, maxc)
    div = np.where(eq, 1, cr)
    rc, gc, bc = (maxc - r) / div, (maxc - g) / div, (maxc - b) / div
    h = np.where(maxc == r, bc - gc, np.where(maxc == g, 2.0 + rc - bc, 4.0 + gc - rc)).astype(x.dtype)
    h = np.fmod(h / 6.0 + 1.0, 1.0)
    return h, s, maxc


def _hsv2rgb(h, s, v):
    i = np.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.astype(np.int32) % 6
    p = np.clip(v * (1.0 - s), 0.0, 1.0)
    q = np.clip(v * (1.0 - s * f), 0.0, 1.0)
    t = np.clip(v * (1.0 - s * (1.0 - f)), 0.0, 1.0)
    table = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]   # (r, g, b) per hue sector
    rgb = [np.select([i == k for k in range(6)], [table[k][ch] for k in range(6)]) for ch in range(3)]
    return np.stack(rgb, axis=-3)


def adjust_hue(img, hue_factor):
    if not (-0.5 <= hue_factor <= 0.5):
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be Tensor image")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if get_dimensions(img)[0] == 1:
        return img
    a = _arr(img)
    x = a.astype(np.float32) / np.float32(_max_value(a.dtype)) if not _is_float(a) else a.astype(np.float32)
    h, s, v = _rgb2hsv(x)
    h = np.mod(h + np.float32(hue_factor), 1.0).astype(np.float32)
    out = _hsv2rgb(h, s, v).astype(np.float32)
    return _wrap(_from_float(out, a.dtype), img)


def _from_float(x, dtype):
    """convert_image_dtype from float32 [0, 1] to dtype."""
    if dtype.kind == "f" or dtype == _dtypes.bfloat16.np:
        return x.astype(dtype)
    return (x * np.float32(_max_value(dtype) + 1.0 - 1e-3)).astype(dtype)


def adjust_gamma(img, gamma, gain=1):
    if not isinstance(img, Tensor):
        raise TypeError("Input img should be a Tensor.")
    _assert_channels(img, [1, 3])
    if gamma < 0:
        raise ValueError("Gamma should be a non-negative real number")
    a = _arr(img)
    x = a if _is_float(a) else a.astype(np.float32) / np.float32(_max_value(a.dtype))
    out = np.clip(gain * x ** gamma, 0, 1).astype(x.dtype)
    return _wrap(_from_float(out, a.dtype), img)


def invert(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    a = _arr(img)
    return _wrap((np.asarray(_max_value(a.dtype), a.dtype) - a).astype(a.dtype), img)


def posterize(img, bits):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    if img.dtype is not _dtypes.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    mask = np.uint8((0xFF << (8 - bits)) & 0xFF)
    return _wrap(_arr(img) & mask, img)


def solarize(img, threshold):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    a = _arr(img)
    bound = _max_value(a.dtype)
    if threshold > bound:
        raise TypeError("Threshold should be less than bound of img.")
    return _wrap(np.where(a >= threshold, (np.asarray(bound, a.dtype) - a).astype(a.dtype), a), img)


def adjust_sharpness(img, sharpness_factor):
    _check_factor(sharpness_factor, "sharpness_factor")
    _assert_image_tensor(img)
    _assert_channels(img, [1, 3])
    if img.shape[-1] <= 2 or img.shape[-2] <= 2:
        return img
    a = _arr(img)
    wd = _work_dtype(a)
    kernel = np.ones((3, 3), wd)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    blurred = a.copy()
    blurred[..., 1:-1, 1:-1] = _cast_out(_depthwise(a.astype(wd), kernel), a.dtype)
    return _wrap(_blend(a, blurred, sharpness_factor), img)


def autocontrast(img):
    _assert_image_tensor(img)
    if img.ndim < 3:
        raise TypeError(f"Input image tensor should have at least 3 dimensions, but found {img.ndim}")
    _assert_channels(img, [1, 3])
    a = _arr(img)
    bound = _max_value(a.dtype)
    wd = _work_dtype(a)
    lo = a.min(axis=(-2, -1), keepdims=True).astype(wd)
    hi = a.max(axis=(-2, -1), keepdims=True).astype(wd)
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = (np.asarray(bound, wd) / (hi - lo)).astype(wd)
    bad = ~np.isfinite(scale)
    lo = np.where(bad, 0, lo).astype(wd)
    scale = np.where(bad, 1, scale).astype(wd)
    return _wrap(np.clip((a - lo) * scale, 0, bound).astype(a.dtype), img)


def _equalize_plane(p):
    hist = np.bincount(p.ravel(), minlength=256)
    nonzero = hist[hist != 0]
    step = nonzero[:-1].sum() // 255
    if step == 0:
        return p
    lut = (np.cumsum(hist) + step // 2) // step
    lut = np.clip(np.concatenate([[0], lut[:-1]]), 0, 255)
    return lut[p].astype(np.uint8)


def equalize(img):
    _assert_image_tensor(img)
    if not (3 <= img.ndim <= 4):
        raise TypeError(f"Input image tensor should have 3 or 4 dimensions, but found {img.ndim}")
    if img.dtype is not _dtypes.uint8:
        raise TypeError(f"Only torch.uint8 image tensors are supported, but found {img.dtype}")
    _assert_channels(img, [1, 3])
    a = _arr(img)
    flat = a.reshape((-1,) + a.shape[-2:])
    out = np.stack([_equalize_plane(p) for p in flat]).reshape(a.shape)
    return _wrap(out, img)


def normalize(tensor, mean, std, inplace=False):
    _assert_image_tensor(tensor)
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = "
                         f"{tensor.size()}")
    dtype = tensor.dtype
    mean = np.asarray(mean, dtype=dtype.np)
    std = np.asarray(std, dtype=dtype.np)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {dtype}, leading to division by zero.")
    if mean.ndim == 1:
        mean = mean.reshape(-1, 1, 1)
    if std.ndim == 1:
        std = std.reshape(-1, 1, 1)
    if inplace or tensor.requires_grad:   # through ember ops: in-place semantics / autograd
        m, s = (Tensor._wrap(transfer(v, CPU, tensor._device), tensor._device) for v in (mean, std))
        return tensor.sub_(m).div_(s) if inplace else (tensor - m) / s
    a = _arr(tensor)
    out = np.subtract(a, mean)
    np.divide(out, std, out=out)
    return _wrap(out, tensor)


def erase(img, i, j, h, w, v, inplace=False):
    _assert_image_tensor(img)
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
