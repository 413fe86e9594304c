"""ember.vision.transforms.v2: transforms for images, videos, masks and bounding boxes together
(torchvision.transforms.v2)."""
from ..autoaugment import AutoAugmentPolicy  # noqa: F401
from ..functional import InterpolationMode  # noqa: F401
from . import functional  # noqa: F401
from ._transform import Transform  # noqa: F401
from ._color import ColorJitter, Grayscale, RandomGrayscale, RandomPhotometricDistort  # noqa: F401
from ._container import Compose, RandomApply, RandomChoice, RandomOrder  # noqa: F401
from ._geometry import (CenterCrop, Pad, RandomCrop, RandomHorizontalFlip, RandomIoUCrop,  # noqa: F401
                        RandomResizedCrop, RandomVerticalFlip, RandomZoomOut, Resize)
from ._meta import ClampBoundingBoxes, ConvertBoundingBoxFormat, SetClampingMode  # noqa: F401
from ._misc import (ConvertImageDtype, GaussianBlur, Identity, Lambda, Normalize,  # noqa: F401
                    SanitizeBoundingBoxes, ToDtype)
from ._type_conversion import PILToTensor, ToImage, ToPILImage, ToPureTensor  # noqa: F401
from ._utils import check_type, get_bounding_boxes, has_all, has_any, query_chw, query_size  # noqa: F401
