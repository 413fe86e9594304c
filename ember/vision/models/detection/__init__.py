"""ember.vision.models.detection: torchvision's R-CNN family (Faster, Mask and Keypoint R-CNN)
with their building blocks and pretrained-weights enums."""
from .faster_rcnn import *  # noqa: F401,F403
from .keypoint_rcnn import *  # noqa: F401,F403
from .mask_rcnn import *  # noqa: F401,F403
