"""GeneralizedRCNNTransform: normalise, resize and batch the input images (and their targets), and
map the detections back onto the original images."""
import math

import ember
from .... import nn
from ....nn import functional as F
from .image_list import ImageList
from .roi_heads import paste_masks_in_image

__all__ = ["GeneralizedRCNNTransform", "resize_boxes", "resize_keypoints"]


def _resize_image_and_masks(image, self_min_size, self_max_size, target=None, fixed_size=None):
    """Resize ``image`` (bilinear) so its short side becomes ``self_min_size`` unless that makes the
    long side exceed ``self_max_size``; ``fixed_size`` = (w, h) overrides. Target masks follow
    (nearest)."""
    if fixed_size is not None:
        size, scale_factor, recompute = [fixed_size[1], fixed_size[0]], None, None
    else:
        h, w = image.shape[-2:]
        size, scale_factor, recompute = None, min(self_min_size / min(h, w), self_max_size / max(h, w)), True
    image = F.interpolate(image[None], size=size, scale_factor=scale_factor, mode="bilinear",
                          recompute_scale_factor=recompute, align_corners=False)[0]
    if target is not None and "masks" in target:
        masks = F.interpolate(target["masks"][:, None].float(), size=size, scale_factor=scale_factor,
                              recompute_scale_factor=recompute)[:, 0]
        target["masks"] = masks.byte()
    return image, target


def _scale_ratios(original_size, new_size, device):
    """(new / old) per axis as float32 scalars, the way the boxes are rescaled."""
    f32 = dict(dtype=ember.float32, device=device)
    return [ember.tensor(s, **f32) / ember.tensor(s_orig, **f32) for s, s_orig in zip(new_size, original_size)]


def resize_boxes(boxes, original_size, new_size):
    """Rescale ``(x1, y1, x2, y2)`` boxes from an image of ``original_size`` (h, w) to ``new_size``."""
    ratio_h, ratio_w = _scale_ratios(original_size, new_size, boxes.device)
    x1, y1, x2, y2 = boxes.unbind(1)
    return ember.stack((x1 * ratio_w, y1 * ratio_h, x2 * ratio_w, y2 * ratio_h), dim=1)


def resize_keypoints(keypoints, original_size, new_size):
    """Rescale ``(..., 3)`` keypoints ``(x, y, visibility)`` like :func:`resize_boxes`."""
    ratio_h, ratio_w = _scale_ratios(original_size, new_size, keypoints.device)
    return ember.stack((keypoints[..., 0] * ratio_w, keypoints[..., 1] * ratio_h, keypoints[..., 2]), dim=-1)


class GeneralizedRCNNTransform(nn.Module):
    """Input side of the R-CNN models: ``forward(images, targets)`` normalises each ``(C, H, W)``
    float image with ``image_mean``/``image_std``, resizes it (short side to ``min_size`` -- chosen at
    random among several while training -- long side at most ``max_size``), rescales the targets'
    boxes, masks and keypoints alike, and pads everything into one batch whose height and width are
    multiples of ``size_divisible``. Returns an :class:`ImageList` and the new targets.
    :meth:`postprocess` maps detections back to the original image sizes."""

    def __init__(self, min_size, max_size, image_mean, image_std, size_divisible=32, fixed_size=None, **kwargs):
        super().__init__()
        if not isinstance(min_size, (list, tuple)):
            min_size = (min_size,)
        self.min_size = min_size
        self.max_size = max_size
        self.image_mean = image_mean
        self.image_std = image_std
        self.size_divisible = size_divisible
        self.fixed_size = fixed_size
        self._skip_resize = kwargs.pop("_skip_resize", False)

    def forward(self, images, targets=None):
        images = list(images)
        if targets is not None:
            targets = [dict(t) for t in targets]   # shallow copies: the caller's dicts stay untouched
        for i, image in enumerate(images):
            if image.dim() != 3:
                raise ValueError(f"images is expected to be a list of 3d tensors of shape [C, H, W], got {image.shape}")
            image = self.normalize(image)
            image, target = self.resize(image, targets[i] if targets is not None else None)
            images[i] = image
            if targets is not None and target is not None:
                targets[i] = target
        image_sizes = [(int(img.shape[-2]), int(img.shape[-1])) for img in images]
        return ImageList(self.batch_images(images, size_divisible=self.size_divisible), image_sizes), targets

    def normalize(self, image):
        if not image.is_floating_point():
            raise TypeError(f"Expected input images to be of floating type (in range [0, 1]), "
                            f"but found type {image.dtype} instead")
        mean = ember.as_tensor(self.image_mean, dtype=image.dtype, device=image.device)
        std = ember.as_tensor(self.image_std, dtype=image.dtype, device=image.device)
        return (image - mean[:, None, None]) / std[:, None, None]

    def torch_choice(self, k):
        """``random.choice(k)`` drawn from ember's generator."""
        return k[int(ember.empty(1).uniform_(0.0, float(len(k))).item())]

    def resize(self, image, target=None):
        h, w = image.shape[-2:]
        if self.training:
            if self._skip_resize:
                return image, target
            size = self.torch_choice(self.min_size)
        else:
            size = self.min_size[-1]
        image, target = _resize_image_and_masks(image, size, self.max_size, target, self.fixed_size)
        if target is None:
            return image, target
        target["boxes"] = resize_boxes(target["boxes"], (h, w), image.shape[-2:])
        if "keypoints" in target:
            target["keypoints"] = resize_keypoints(target["keypoints"], (h, w), image.shape[-2:])
        return image, target

    def max_by_axis(self, the_list):
        return [max(sizes) for sizes in zip(*the_list)]

    def batch_images(self, images, size_divisible=32):
        """Zero-pad the images at the bottom/right to a common size divisible by ``size_divisible``."""
        max_size = self.max_by_axis([list(img.shape) for img in images])
        stride = float(size_divisible)
        max_size[1] = int(math.ceil(float(max_size[1]) / stride) * stride)
        max_size[2] = int(math.ceil(float(max_size[2]) / stride) * stride)
        padded = [F.pad(img, (0, max_size[2] - img.shape[2], 0, max_size[1] - img.shape[1],
                              0, max_size[0] - img.shape[0])) for img in images]
        return ember.stack(padded)

    def postprocess(self, result, image_shapes, original_image_sizes):
        """Boxes, masks and keypoints of each detection dict, from the resized to the original image."""
        if self.training:
            return result
        for pred, im_s, o_im_s in zip(result, image_shapes, original_image_sizes):
            pred["boxes"] = resize_boxes(pred["boxes"], im_s, o_im_s)
            if "masks" in pred:
                pred["masks"] = paste_masks_in_image(pred["masks"], pred["boxes"], o_im_s)
            if "keypoints" in pred:
                pred["keypoints"] = resize_keypoints(pred["keypoints"], im_s, o_im_s)
        return result

    def __repr__(self):
        indent = "\n    "
        return (f"{self.__class__.__name__}({indent}Normalize(mean={self.image_mean}, std={self.image_std})"
                f"{indent}Resize(min_size={self.min_size}, max_size={self.max_size}, mode='bilinear')\n)")
