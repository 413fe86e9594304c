"""Colour v2 functionals for tensors, tv_tensor images/videos and PIL images, on the v1 colour kernels."""
from PIL import Image as _PILImage

from ... import functional as _v1
from ._utils import _dispatch, _register_image_kernels


def _v1_colour_functional(name, doc):
    """A v2 functional dispatching on input type to the v1 kernel of the same name."""
    v1_kernel = getattr(_v1, name)

    def functional(inpt, *args, **kwargs):
        return _dispatch(functional, inpt, *args, **kwargs)
    functional.__name__ = functional.__qualname__ = name
    functional.__doc__ = doc
    _register_image_kernels(functional, v1_kernel, v1_kernel)
    return functional, v1_kernel


adjust_brightness, adjust_brightness_image = _v1_colour_functional("adjust_brightness", "Scale the brightness.")
adjust_contrast, adjust_contrast_image = _v1_colour_functional("adjust_contrast", "Blend with the mean grey level.")
adjust_saturation, adjust_saturation_image = _v1_colour_functional("adjust_saturation", "Blend with the greyscale.")
adjust_hue, adjust_hue_image = _v1_colour_functional("adjust_hue", "Rotate the hue by hue_factor in [-0.5, 0.5].")
adjust_gamma, adjust_gamma_image = _v1_colour_functional("adjust_gamma", "Gamma correction.")
adjust_sharpness, adjust_sharpness_image = _v1_colour_functional("adjust_sharpness", "Sharpen or blur.")
invert, invert_image = _v1_colour_functional("invert", "Invert the colours.")
posterize, posterize_image = _v1_colour_functional("posterize", "Keep the top `bits` bits of each channel.")
solarize, solarize_image = _v1_colour_functional("solarize", "Invert the pixels above threshold.")
autocontrast, autocontrast_image = _v1_colour_functional("autocontrast", "Stretch each channel to the full range.")
equalize, equalize_image = _v1_colour_functional("equalize", "Equalize the histogram.")
adjust_brightness_video, adjust_contrast_video = adjust_brightness_image, adjust_contrast_image
adjust_saturation_video, adjust_hue_video = adjust_saturation_image, adjust_hue_image


def rgb_to_grayscale(inpt, num_output_channels=1):
    """Convert RGB to greyscale with 1 or 3 output channels."""
    return _dispatch(rgb_to_grayscale, inpt, num_output_channels=num_output_channels)


def rgb_to_grayscale_image(image, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    return _v1.rgb_to_grayscale(image, num_output_channels=num_output_channels)


def _rgb_to_grayscale_pil(image, num_output_channels=1):
    if num_output_channels not in (1, 3):
        raise ValueError(f"num_output_channels must be 1 or 3, got {num_output_channels}.")
    return _v1.to_grayscale(image, num_output_channels=num_output_channels)


_register_image_kernels(rgb_to_grayscale, rgb_to_grayscale_image, _rgb_to_grayscale_pil)
to_grayscale = rgb_to_grayscale


def permute_channels(inpt, permutation):
    """Reorder the channels: output channel i is input channel permutation[i]."""
    return _dispatch(permute_channels, inpt, permutation=permutation)


def permute_channels_image(image, permutation):
    return image[..., permutation, :, :]


def _permute_channels_pil(image, permutation):
    return _v1.to_pil_image(permute_channels_image(_v1.pil_to_tensor(image), permutation))


permute_channels_video = permute_channels_image
_register_image_kernels(permute_channels, permute_channels_image, _permute_channels_pil)
del _PILImage
