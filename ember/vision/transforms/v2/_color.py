"""Colour v2 transforms: Grayscale, RandomGrayscale, ColorJitter, RandomPhotometricDistort."""
import collections.abc

from .. import transforms as _v1
from . import functional as F
from ._transform import Transform, _RandomApplyTransform
from ._utils import query_chw


class Grayscale(Transform):
    """Convert images to greyscale with 1 or 3 channels."""

    _v1_transform_cls = _v1.Grayscale

    def __init__(self, num_output_channels=1):
        super().__init__()
        self.num_output_channels = num_output_channels

    def transform(self, inpt, params):
        return self._call_kernel(F.rgb_to_grayscale, inpt, num_output_channels=self.num_output_channels)


class RandomGrayscale(_RandomApplyTransform):
    """Convert images to greyscale (keeping their channel count) with probability p."""

    _v1_transform_cls = _v1.RandomGrayscale

    def make_params(self, flat_inputs):
        num_input_channels, *_ = query_chw(flat_inputs)
        return dict(num_input_channels=num_input_channels)

    def transform(self, inpt, params):
        return self._call_kernel(F.rgb_to_grayscale, inpt, num_output_channels=params["num_input_channels"])


def _uniform(left, right):
    from .... import empty
    return float(empty(1).uniform_(left, right).item())


class ColorJitter(Transform):
    """Random brightness, contrast, saturation and hue changes, applied in a random order."""

    _v1_transform_cls = _v1.ColorJitter

    def __init__(self, brightness=None, contrast=None, saturation=None, hue=None):
        super().__init__()
        self.brightness = self._check_input(brightness, "brightness")
        self.contrast = self._check_input(contrast, "contrast")
        self.saturation = self._check_input(saturation, "saturation")
        self.hue = self._check_input(hue, "hue", center=0, bound=(-0.5, 0.5), clip_first_on_zero=False)

    def _check_input(self, value, name, center=1.0, bound=(0, float("inf")), clip_first_on_zero=True):
        if value is None:
            return None
        if isinstance(value, (int, float)):
            if value < 0:
                raise ValueError(f"If {name} is a single number, it must be non negative.")
            value = [center - value, center + value]
            if clip_first_on_zero:
                value[0] = max(value[0], 0.0)
        elif isinstance(value, collections.abc.Sequence) and len(value) == 2:
            value = [float(v) for v in value]
        else:
            raise TypeError(f"{name}={value} should be a single number or a sequence with length 2.")
        if not bound[0] <= value[0] <= value[1] <= bound[1]:
            raise ValueError(f"{name} values should be between {bound} and increasing, but got {value}.")
        return None if value[0] == value[1] == center else (float(value[0]), float(value[1]))

    _generate_value = staticmethod(_uniform)

    def make_params(self, flat_inputs):
        from .... import randperm
        fn_idx = randperm(4)
        factors = [None if r is None else _uniform(r[0], r[1])
                   for r in (self.brightness, self.contrast, self.saturation, self.hue)]
        return dict(fn_idx=fn_idx, brightness_factor=factors[0], contrast_factor=factors[1],
                    saturation_factor=factors[2], hue_factor=factors[3])

    def transform(self, inpt, params):
        steps = [(F.adjust_brightness, "brightness_factor"), (F.adjust_contrast, "contrast_factor"),
                 (F.adjust_saturation, "saturation_factor"), (F.adjust_hue, "hue_factor")]
        output = inpt
        for fn_id in params["fn_idx"]:
            functional, key = steps[int(fn_id)]
            if params[key] is not None:
                output = self._call_kernel(functional, output, **{key: params[key]})
        return output


class RandomPhotometricDistort(Transform):
    """SSD's photometric distortions: each of brightness, contrast, saturation, hue and a channel shuffle with
    probability p, contrast either before or after the rest."""

    def __init__(self, brightness=(0.875, 1.125), contrast=(0.5, 1.5), saturation=(0.5, 1.5), hue=(-0.05, 0.05),
                 p=0.5):
        super().__init__()
        self.brightness = brightness
        self.contrast = contrast
        self.hue = hue
        self.saturation = saturation
        self.p = p

    def make_params(self, flat_inputs):
        from .... import rand, randperm
        num_channels, *_ = query_chw(flat_inputs)
        params = {key: _uniform(r[0], r[1]) if rand(1) < self.p else None
                  for key, r in [("brightness_factor", self.brightness), ("contrast_factor", self.contrast),
                                 ("saturation_factor", self.saturation), ("hue_factor", self.hue)]}
        params["contrast_before"] = bool(rand(()) < 0.5)
        params["channel_permutation"] = randperm(num_channels) if rand(1) < self.p else None
        return params

    def transform(self, inpt, params):
        if params["brightness_factor"] is not None:
            inpt = self._call_kernel(F.adjust_brightness, inpt, brightness_factor=params["brightness_factor"])
        if params["contrast_factor"] is not None and params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt, contrast_factor=params["contrast_factor"])
        if params["saturation_factor"] is not None:
            inpt = self._call_kernel(F.adjust_saturation, inpt, saturation_factor=params["saturation_factor"])
        if params["hue_factor"] is not None:
            inpt = self._call_kernel(F.adjust_hue, inpt, hue_factor=params["hue_factor"])
        if params["contrast_factor"] is not None and not params["contrast_before"]:
            inpt = self._call_kernel(F.adjust_contrast, inpt, contrast_factor=params["contrast_factor"])
        if params["channel_permutation"] is not None:
            inpt = self._call_kernel(F.permute_channels, inpt, permutation=params["channel_permutation"])
        return inpt
