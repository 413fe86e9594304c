"""ember.vision.models.detection: torchvision's detectors -- the R-CNN family (Faster, Mask and
Keypoint R-CNN) and the single-stage RetinaNet, FCOS, SSD and SSDlite -- with their building
blocks and pretrained-weights enums."""
from .faster_rcnn import *  # noqa: F401,F403
from .fcos import *  # noqa: F401,F403
from .keypoint_rcnn import *  # noqa: F401,F403
from .mask_rcnn import *  # noqa: F401,F403
from .retinanet import *  # noqa: F401,F403
from .ssd import *  # noqa: F401,F403
from .ssdlite import *  # noqa: F401,F403
