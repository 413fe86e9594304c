"""ObjectDetection: the preprocessing attached to detection weights (``weights.transforms()``)."""
import ember
from .... import nn

__all__ = ["ObjectDetection"]


class ObjectDetection(nn.Module):
    """PIL image or image tensor -> float tensor in ``[0, 1]`` (no resizing: the model does that)."""

    def forward(self, img):
        from ...transforms import functional as TF
        if not isinstance(img, ember.Tensor):
            img = TF.pil_to_tensor(img)
        return TF.convert_image_dtype(img, ember.float)

    def __repr__(self):
        return self.__class__.__name__ + "()"

    def describe(self):
        return ("Accepts ``PIL.Image``, batched ``(B, C, H, W)`` and single ``(C, H, W)`` image ``torch.Tensor`` "
                "objects. The images are rescaled to ``[0.0, 1.0]``.")
