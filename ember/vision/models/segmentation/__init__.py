"""ember.vision.models.segmentation: torchvision's semantic-segmentation models (FCN, DeepLabV3,
LR-ASPP) with their pretrained-weights enums."""
from .deeplabv3 import *  # noqa: F401,F403
from .fcn import *  # noqa: F401,F403
from .lraspp import *  # noqa: F401,F403
