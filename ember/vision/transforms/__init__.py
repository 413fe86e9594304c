"""ember.vision.transforms: torchvision.transforms for PIL images and ember tensors."""
from .autoaugment import AugMix, AutoAugment, AutoAugmentPolicy, RandAugment, TrivialAugmentWide  # noqa: F401
from .transforms import *  # noqa: F401,F403
from .transforms import __all__ as _all
from . import functional  # noqa: F401

__all__ = _all + ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]
