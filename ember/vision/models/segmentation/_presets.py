"""SemanticSegmentation: the preprocessing attached to segmentation weights (``weights.transforms()``)."""
import ember
from .... import nn
from ...transforms import InterpolationMode

__all__ = ["SemanticSegmentation"]


class SemanticSegmentation(nn.Module):
    """Optionally resize (the short side to ``resize_size``), then make a float tensor in ``[0, 1]``
    and normalise it with ``mean``/``std``. Accepts PIL images and ``(C, H, W)``/``(B, C, H, W)`` tensors."""

    def __init__(self, *, resize_size, mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        super().__init__()
        self.resize_size = None if resize_size is None else [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def forward(self, img):
        from ...transforms import functional as TF
        if isinstance(self.resize_size, list):
            img = TF.resize(img, self.resize_size, interpolation=self.interpolation, antialias=self.antialias)
        if not isinstance(img, ember.Tensor):
            img = TF.pil_to_tensor(img)
        img = TF.convert_image_dtype(img, ember.float)
        return TF.normalize(img, mean=self.mean, std=self.std)

    def __repr__(self):
        return (f"{self.__class__.__name__}(\n    resize_size={self.resize_size}\n    mean={self.mean}"
                f"\n    std={self.std}\n    interpolation={self.interpolation}\n)")

    def describe(self):
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                f"objects. The images are resized to ``resize_size={self.resize_size}`` using "
                f"``interpolation={self.interpolation}``. Finally the values are first rescaled to ``[0.0, 1.0]`` "
                f"and then normalized using ``mean={self.mean}`` and ``std={self.std}``.")
