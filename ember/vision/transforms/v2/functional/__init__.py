"""ember.vision.transforms.v2.functional: functionals that dispatch on the input type (torchvision's v2 functional)."""
from ...functional import InterpolationMode, to_tensor  # noqa: F401
from ._utils import is_pure_tensor, register_kernel  # noqa: F401
from ._meta import (clamp_bounding_boxes, convert_bounding_box_format, get_dimensions, get_dimensions_image,  # noqa
                    get_dimensions_video, get_image_num_channels, get_num_channels, get_num_channels_image,
                    get_num_channels_video, get_num_frames, get_num_frames_video, get_size, get_size_bounding_boxes,
                    get_size_image, get_size_mask, get_size_video)
from ._color import (adjust_brightness, adjust_brightness_image, adjust_brightness_video, adjust_contrast,  # noqa
                     adjust_contrast_image, adjust_contrast_video, adjust_gamma, adjust_gamma_image, adjust_hue,
                     adjust_hue_image, adjust_hue_video, adjust_saturation, adjust_saturation_image,
                     adjust_saturation_video, adjust_sharpness, adjust_sharpness_image, autocontrast,
                     autocontrast_image, equalize, equalize_image, invert, invert_image, permute_channels,
                     permute_channels_image, permute_channels_video, posterize, posterize_image, rgb_to_grayscale,
                     rgb_to_grayscale_image, solarize, solarize_image, to_grayscale)
from ._geometry import (center_crop, center_crop_bounding_boxes, center_crop_image, center_crop_mask,  # noqa
                        center_crop_video, crop, crop_bounding_boxes, crop_image, crop_mask, crop_video, hflip,
                        horizontal_flip, horizontal_flip_bounding_boxes, horizontal_flip_image, horizontal_flip_mask,
                        horizontal_flip_video, pad, pad_bounding_boxes, pad_image, pad_mask, pad_video, resize,
                        resize_bounding_boxes, resize_image, resize_mask, resize_video, resized_crop,
                        resized_crop_bounding_boxes, resized_crop_image, resized_crop_mask, resized_crop_video,
                        vertical_flip, vertical_flip_bounding_boxes, vertical_flip_image, vertical_flip_mask,
                        vertical_flip_video, vflip)
from ._misc import (convert_image_dtype, gaussian_blur, gaussian_blur_image, gaussian_blur_video, normalize,  # noqa
                    normalize_image, normalize_video, sanitize_bounding_boxes, to_dtype, to_dtype_image,
                    to_dtype_video)
from ._type_conversion import pil_to_tensor, to_image, to_pil_image  # noqa: F401
