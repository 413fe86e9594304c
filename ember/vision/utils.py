"""Image utilities (torchvision.utils): make_grid, save_image and drawing helpers, on ember tensors."""
import math
import warnings

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

from .._device import CPU, transfer
from .._tensor import Tensor, is_tensor

__all__ = ["make_grid", "save_image", "draw_bounding_boxes", "draw_segmentation_masks", "draw_keypoints"]


def _arr(t):
    return t._device.backend.asnumpy(t.detach()._data)


def _wrap(arr, like=None):
    arr = np.ascontiguousarray(arr)
    if like is None:
        return Tensor._wrap(arr)
    return Tensor._wrap(transfer(arr, CPU, like._device), like._device)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False, pad_value=0.0):
    """Tile a (B, C, H, W) batch (or a list of CHW images) into one CHW image, nrow images per row."""
    from .. import stack
    if not is_tensor(tensor):
        if isinstance(tensor, list):
            for t in tensor:
                if not is_tensor(t):
                    raise TypeError(f"tensor or list of tensors expected, got a list containing {type(t)}")
        else:
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    if isinstance(tensor, list):
        tensor = stack(tensor, dim=0)
    x = _arr(tensor)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        if x.shape[0] == 1:
            x = np.concatenate([x, x, x], 0)
        x = x[None]
    if x.ndim == 4 and x.shape[1] == 1:
        x = np.concatenate([x, x, x], 1)
    if normalize is True:
        x = x.copy()
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

        def norm(img):
            low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
            np.clip(img, low, high, out=img)
            img -= np.asarray(low, img.dtype)
            img /= np.asarray(max(high - low, 1e-5), img.dtype)

        if scale_each is True:
            for img in x:
                norm(img)
        else:
            norm(x)
    if x.shape[0] == 1:
        return _wrap(x[0], tensor)
    nmaps = x.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(x.shape[2] + padding), int(x.shape[3] + padding)
    grid = np.full((x.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value, dtype=x.dtype)
    for k in range(nmaps):
        r, c = divmod(k, xmaps)
        grid[:, r * height + padding:(r + 1) * height, c * width + padding:(c + 1) * width] = x[k]
    return _wrap(grid, tensor)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a tensor (or batch, tiled with make_grid(**kwargs)) in [0, 1] as an image file."""
    grid = _arr(make_grid(tensor, **kwargs))
    arr = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(arr).save(fp, format=format)


def _palette(n):
    base = np.array([2 ** 25 - 1, 2 ** 15 - 1, 2 ** 21 - 1])
    return [tuple(int(v) for v in (i * base) % 255) for i in range(n)]


def _parse_colors(colors, num_objects, floating=False):
    if colors is None:
        colors = _palette(num_objects)
    elif isinstance(colors, list):
        if len(colors) < num_objects:
            raise ValueError(f"Number of colors must be equal or larger than the number of objects, but got "
                             f"{len(colors)} < {num_objects}.")
    elif not isinstance(colors, (tuple, str)):
        raise ValueError(f"colors must be a tuple or a string, or a list thereof, but got {colors}.")
    elif isinstance(colors, tuple) and len(colors) != 3:
        raise ValueError(f"If passed as tuple, colors should be an RGB triplet, but got {colors}.")
    else:
        colors = [colors] * num_objects
    colors = [ImageColor.getrgb(c) if isinstance(c, str) else tuple(c) for c in colors]
    if floating:
        colors = [tuple(v / 255 for v in c) for c in colors]
    return colors


def _check_image(image, what="Tensor expected", rgb_only=True):
    if not isinstance(image, Tensor):
        raise TypeError(f"{what}, got {type(image)}")
    if not (image.dtype.np == np.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if rgb_only and image.size(0) != 3:
        raise ValueError("Pass an RGB image. Other Image formats are not supported")


def _to_pil_uint8(image):
    from .transforms.functional import convert_image_dtype
    from .. import uint8
    u8 = convert_image_dtype(image, uint8) if image.is_floating_point() else image
    return Image.fromarray(np.ascontiguousarray(_arr(u8).transpose(1, 2, 0)))


def _from_pil(img, dtype):
    from .transforms.functional import convert_image_dtype
    out = _wrap(np.asarray(img).transpose(2, 0, 1))
    return convert_image_dtype(out, dtype) if dtype.is_floating_point else out


def draw_bounding_boxes(image, boxes, labels=None, colors=None, fill=False, width=1, font=None, font_size=None,
                        label_colors=None, label_background_colors=None, fill_labels=False):
    """Draw (xmin, ymin, xmax, ymax) boxes, optionally filled and labelled, on a uint8/float CHW image."""
    if not isinstance(image, Tensor):
        raise TypeError(f"Tensor expected, got {type(image)}")
    if not (image.dtype.np == np.uint8 or image.is_floating_point()):
        raise ValueError(f"The image dtype must be uint8 or float, got {image.dtype}")
    if image.dim() != 3:
        raise ValueError("Pass individual images, not batches")
    if image.size(0) not in {1, 3}:
        raise ValueError("Only grayscale and RGB images are supported")
    b = _arr(boxes)
    if b.shape[-1] == 4 and ((b[:, 0] > b[:, 2]).any() or (b[:, 1] > b[:, 3]).any()):
        raise ValueError("Boxes need to be in (xmin, ymin, xmax, ymax) format. Use torchvision.ops.box_convert to "
                         "convert them")
    n = b.shape[0]
    if n == 0:
        warnings.warn("boxes doesn't contain any box. No box was drawn")
        return image
    if labels is None:
        labels = [None] * n
    elif len(labels) != n:
        raise ValueError(f"Number of boxes ({n}) and labels ({len(labels)}) mismatch. Please specify labels for each "
                         f"box.")
    colors = _parse_colors(colors, n)
    text_colors = _parse_colors(label_colors or "black", n) if (label_colors or fill_labels) else list(colors)
    bg_colors = _parse_colors(label_background_colors, n) if (fill_labels and label_background_colors) \
        else list(colors)
    if font is None:
        if font_size is not None:
            warnings.warn("Argument 'font_size' will be ignored since 'font' is not set.")
        txt_font = ImageFont.load_default()
    else:
        txt_font = ImageFont.truetype(font=font, size=font_size or 10)
    if image.size(0) == 1:
        image = image.repeat(3, 1, 1)
    img = _to_pil_uint8(image)
    draw = ImageDraw.Draw(img, "RGBA" if fill else None)
    for box, color, label, tcolor, bgcolor in zip(b.astype(np.int64).tolist(), colors, labels, text_colors,
                                                  bg_colors):
        shape = draw.polygon if len(box) > 4 else draw.rectangle    # 8 numbers: an oriented box's corners
        shape(box, width=width, outline=color, fill=color + (100,) if fill else None)
        if label is not None:
            margin = width + 1
            if fill_labels:
                left, top, right, bottom = draw.textbbox((box[0] + margin, box[1] + margin), label, font=txt_font)
                draw.rectangle((left - 1, top - 1, right + 1, bottom + 1), fill=bgcolor)
            draw.text((box[0] + margin, box[1] + margin), label, fill=tcolor, font=txt_font)
    return _from_pil(img, image.dtype)


def draw_segmentation_masks(image, masks, alpha=0.8, colors=None):
    """Blend boolean masks (N, H, W) onto an RGB image with the given transparency."""
    _check_image(image, "The image must be a tensor")
    m = _arr(masks)
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3:
        raise ValueError("masks must be of shape (H, W) or (batch_size, H, W)")
    if m.dtype != np.bool_:
        raise ValueError(f"The masks must be of dtype bool. Got {masks.dtype}")
    if m.shape[-2:] != tuple(image.shape[-2:]):
        raise ValueError("The image and the masks must have the same height and width")
    if m.shape[0] == 0:
        warnings.warn("masks doesn't contain any mask. No mask was drawn")
        return image
    img = _arr(image)
    colors = _parse_colors(colors, m.shape[0], floating=image.is_floating_point())
    painted = img.copy()
    for mask, color in zip(m, colors):
        painted[:, mask] = np.asarray(color, img.dtype)[:, None]
    painted[:, m.sum(0) > 1] = 0
    wd = img.dtype if image.is_floating_point() else np.float32
    out = img.astype(wd) * wd(1 - alpha) + painted.astype(wd) * wd(alpha)
    return _wrap(out.astype(img.dtype), image)


def draw_keypoints(image, keypoints, connectivity=None, colors=None, radius=2, width=3, visibility=None):
    """Draw keypoints (N, K, 2) as discs, and the connections between them as lines."""
    _check_image(image, "The image must be a tensor")
    kp = _arr(keypoints)
    if kp.ndim != 3:
        raise ValueError("keypoints must be of shape (num_instances, K, 2)")
    vis = np.ones(kp.shape[:-1], bool) if visibility is None else _arr(visibility).astype(bool)
    if vis.ndim == 3:
        vis = vis.squeeze(-1)
    if vis.ndim != 2:
        raise ValueError(f"visibility must be of shape (num_instances, K). Got ndim={vis.ndim}")
    if vis.shape != kp.shape[:-1]:
        raise ValueError(f"keypoints and visibility must have the same dimensionality for num_instances and K. Got "
                         f"visibility.shape={vis.shape} and keypoints.shape={tuple(kp.shape)}")
    img = _to_pil_uint8(image)
    draw = ImageDraw.Draw(img)
    for inst, v in zip(kp.astype(np.int64).tolist(), vis.tolist()):
        for (x, y), ok in zip(inst, v):
            if ok:
                draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colors, outline=None, width=0)
        for a, b in connectivity or []:
            if v[a] and v[b]:
                draw.line(((inst[a][0], inst[a][1]), (inst[b][0], inst[b][1])), width=width)
    return _from_pil(img, image.dtype)
