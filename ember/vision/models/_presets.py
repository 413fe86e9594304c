"""The evaluation preprocessing attached to classification weights (``weights.transforms()``).

``ember.vision.transforms._presets.ImageClassification`` is used when the transforms package
provides it; otherwise the class below (same arguments and repr as torchvision's) stands in. It
runs ``ember.vision.transforms.functional`` (resize, centre crop, to float, normalise) when that
exists, and a small self-contained version of the same steps when it does not."""
from enum import Enum

try:
    from ..transforms._presets import ImageClassification  # noqa: F401
    from ..transforms import InterpolationMode  # noqa: F401
except ImportError:
    import numpy as np

    import ember
    from ... import nn
    from ...nn import functional as F

    try:
        from ..transforms import InterpolationMode
    except ImportError:
        class InterpolationMode(Enum):
            NEAREST = "nearest"
            NEAREST_EXACT = "nearest-exact"
            BILINEAR = "bilinear"
            BICUBIC = "bicubic"
            BOX = "box"
            HAMMING = "hamming"
            LANCZOS = "lanczos"

    def _resized_hw(h, w, size):
        short, long = (h, w) if h <= w else (w, h)
        if short == size:
            return h, w
        new_long = int(size * long / short)
        return (size, new_long) if h <= w else (new_long, size)

    def _crop_box(h, w, ch, cw):
        return int(round((h - ch) / 2.0)), int(round((w - cw) / 2.0))

    def _to_tensor_pil(img, size, crop, interpolation):
        from PIL import Image
        resample = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
                    "box": Image.BOX, "hamming": Image.HAMMING, "lanczos": Image.LANCZOS}[interpolation.value]
        w, h = img.size
        nh, nw = _resized_hw(h, w, size)
        if (nh, nw) != (h, w):
            img = img.resize((nw, nh), resample)
        if crop > nh or crop > nw:
            raise ValueError("ImageClassification (fallback): crop larger than the resized image")
        top, left = _crop_box(nh, nw, crop, crop)
        img = img.crop((left, top, left + crop, top + crop))
        arr = np.asarray(img)
        arr = arr[:, :, None] if arr.ndim == 2 else arr
        return ember.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))

    def _resize_tensor(img, size, interpolation, antialias):
        h, w = img.shape[-2:]
        nh, nw = _resized_hw(h, w, size)
        if (nh, nw) == (h, w):
            return img
        batched = img.ndim == 4
        x = img if batched else img.unsqueeze(0)
        dtype = x.dtype
        x = x.float() if not dtype.is_floating_point else x
        mode = interpolation.value
        kwargs = {"align_corners": False, "antialias": bool(antialias)} if mode in ("bilinear", "bicubic") else {}
        x = F.interpolate(x, size=[nh, nw], mode=mode, **kwargs)
        if not dtype.is_floating_point:
            x = x.round().clamp(0, 255).to(dtype)
        return x if batched else x.squeeze(0)

    class ImageClassification(nn.Module):
        def __init__(self, *, crop_size, resize_size=256, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                     interpolation=InterpolationMode.BILINEAR, antialias=True):
            super().__init__()
            self.crop_size = [crop_size]
            self.resize_size = [resize_size]
            self.mean = list(mean)
            self.std = list(std)
            self.interpolation = interpolation
            self.antialias = antialias

        def forward(self, img):
            try:   # the transforms package's functional ops, when present, give torchvision's exact behaviour
                from ..transforms import functional as TF
            except ImportError:
                TF = None
            if TF is not None and all(hasattr(TF, n) for n in ("resize", "center_crop", "pil_to_tensor",
                                                               "convert_image_dtype", "normalize")):
                img = TF.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
                img = TF.center_crop(img, self.crop_size)
                if not isinstance(img, ember.Tensor):
                    img = TF.pil_to_tensor(img)
                img = TF.convert_image_dtype(img, ember.float)
                return TF.normalize(img, mean=self.mean, std=self.std)
            size, crop = self.resize_size[0], self.crop_size[0]
            if not isinstance(img, ember.Tensor):
                img = _to_tensor_pil(img, size, crop, self.interpolation)
            else:
                img = _resize_tensor(img, size, self.interpolation, self.antialias)
                h, w = img.shape[-2:]
                if crop > h or crop > w:
                    raise ValueError("ImageClassification (fallback): crop larger than the resized image")
                top, left = _crop_box(h, w, crop, crop)
                img = img[..., top:top + crop, left:left + crop]
            if not img.dtype.is_floating_point:
                img = img.float() / 255.0
            shape = (-1, 1, 1)
            mean = ember.tensor(self.mean, dtype=img.dtype).reshape(shape)
            std = ember.tensor(self.std, dtype=img.dtype).reshape(shape)
            return (img - mean) / std

        def __repr__(self):
            return (f"{self.__class__.__name__}(\n    crop_size={self.crop_size}\n    resize_size={self.resize_size}"
                    f"\n    mean={self.mean}\n    std={self.std}\n    interpolation={self.interpolation}\n)")

        def describe(self):
            return (f"Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image tensors, "
                    f"resized to ``resize_size={self.resize_size}`` with ``interpolation={self.interpolation}``, "
                    f"centre-cropped to ``crop_size={self.crop_size}``, rescaled to ``[0.0, 1.0]`` and normalized "
                    f"with ``mean={self.mean}`` and ``std={self.std}``.")
