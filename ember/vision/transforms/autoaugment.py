"""Learned/automatic augmentation policies: AutoAugment, RandAugment, TrivialAugmentWide and AugMix."""
import math
from enum import Enum

import numpy as np

from ..._tensor import Tensor
from ...nn import Module
from . import functional as F
from .functional import InterpolationMode

__all__ = ["AutoAugmentPolicy", "AutoAugment", "RandAugment", "TrivialAugmentWide", "AugMix"]


def _randint(high):
    from ... import randint
    return int(randint(high, (1,)).item())


def _apply_op(img, op_name, magnitude, interpolation, fill):
    if op_name == "ShearX":
        # torchvision shears about the top-left corner here, matching the reference implementations
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[math.degrees(math.atan(magnitude)), 0.0],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "ShearY":
        return F.affine(img, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, math.degrees(math.atan(magnitude))],
                        interpolation=interpolation, fill=fill, center=[0, 0])
    if op_name == "TranslateX":
        return F.affine(img, angle=0.0, translate=[int(magnitude), 0], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "TranslateY":
        return F.affine(img, angle=0.0, translate=[0, int(magnitude)], scale=1.0, interpolation=interpolation,
                        shear=[0.0, 0.0], fill=fill)
    if op_name == "Rotate":
        return F.rotate(img, magnitude, interpolation=interpolation, fill=fill)
    enhance = {"Brightness": F.adjust_brightness, "Color": F.adjust_saturation, "Contrast": F.adjust_contrast,
               "Sharpness": F.adjust_sharpness}
    if op_name in enhance:
        return enhance[op_name](img, 1.0 + magnitude)
    if op_name == "Posterize":
        return F.posterize(img, int(magnitude))
    if op_name == "Solarize":
        return F.solarize(img, magnitude)
    if op_name == "AutoContrast":
        return F.autocontrast(img)
    if op_name == "Equalize":
        return F.equalize(img)
    if op_name == "Invert":
        return F.invert(img)
    if op_name == "Identity":
        return img
    raise ValueError(f"The provided operator {op_name} is not recognized.")


def _lin(lo, hi, n):
    return np.linspace(lo, hi, n, dtype=np.float32)


def _posterize_bits(top, n, steps):
    return (top - np.round(np.arange(n) / ((n - 1) / steps))).astype(np.int32)


_NONE = np.float32(0.0)   # a 0-d magnitude table: the op takes no magnitude


def _tensor_fill(fill, img):
    if isinstance(img, Tensor):
        if isinstance(fill, (int, float)):
            return [float(fill)] * F.get_dimensions(img)[0]
        if fill is not None:
            return [float(f) for f in fill]
    return fill


class AutoAugmentPolicy(Enum):
    """The policies learned on ImageNet, CIFAR10 and SVHN."""
    IMAGENET = "imagenet"
    CIFAR10 = "cifar10"
    SVHN = "svhn"


# each sub-policy: two (op, probability, magnitude bin) steps, written "Op:prob:bin" (bin "-" = no magnitude)
_POLICIES = {
    AutoAugmentPolicy.IMAGENET: """
        Posterize:.4:8 Rotate:.6:9 | Solarize:.6:5 AutoContrast:.6:- | Equalize:.8:- Equalize:.6:-
        Posterize:.6:7 Posterize:.6:6 | Equalize:.4:- Solarize:.2:4 | Equalize:.4:- Rotate:.8:8
        Solarize:.6:3 Equalize:.6:- | Posterize:.8:5 Equalize:1:- | Rotate:.2:3 Solarize:.6:8
        Equalize:.6:- Posterize:.4:6 | Rotate:.8:8 Color:.4:0 | Rotate:.4:9 Equalize:.6:-
        Equalize:0:- Equalize:.8:- | Invert:.6:- Equalize:1:- | Color:.6:4 Contrast:1:8
        Rotate:.8:8 Color:1:2 | Color:.8:8 Solarize:.8:7 | Sharpness:.4:7 Invert:.6:-
        ShearX:.6:5 Equalize:1:- | Color:.4:0 Equalize:.6:- | Equalize:.4:- Solarize:.2:4
        Solarize:.6:5 AutoContrast:.6:- | Invert:.6:- Equalize:1:- | Color:.6:4 Contrast:1:8
        Equalize:.8:- Equalize:.6:-""",
    AutoAugmentPolicy.CIFAR10: """
        Invert:.1:- Contrast:.2:6 | Rotate:.7:2 TranslateX:.3:9 | Sharpness:.8:1 Sharpness:.9:3
        ShearY:.5:8 TranslateY:.7:9 | AutoContrast:.5:- Equalize:.9:- | ShearY:.2:7 Posterize:.3:7
        Color:.4:3 Brightness:.6:7 | Sharpness:.3:9 Brightness:.7:9 | Equalize:.6:- Equalize:.5:-
        Contrast:.6:7 Sharpness:.6:5 | Color:.7:7 TranslateX:.5:8 | Equalize:.3:- AutoContrast:.4:-
        TranslateY:.4:3 Sharpness:.2:6 | Brightness:.9:6 Color:.2:8 | Solarize:.5:2 Invert:0:-
        Equalize:.2:- AutoContrast:.6:- | Equalize:.2:- Equalize:.6:- | Color:.9:9 Equalize:.6:-
        AutoContrast:.8:- Solarize:.2:8 | Brightness:.1:3 Color:.7:0 | Solarize:.4:5 AutoContrast:.9:-
        TranslateY:.9:9 TranslateY:.7:9 | AutoContrast:.9:- Solarize:.8:3 | Equalize:.8:- Invert:.1:-
        TranslateY:.7:9 AutoContrast:.9:-""",
    AutoAugmentPolicy.SVHN: """
        ShearX:.9:4 Invert:.2:- | ShearY:.9:8 Invert:.7:- | Equalize:.6:- Solarize:.6:6
        Invert:.9:- Equalize:.6:- | Equalize:.6:- Rotate:.9:3 | ShearX:.9:4 AutoContrast:.8:-
        ShearY:.9:8 Invert:.4:- | ShearY:.9:5 Solarize:.2:6 | Invert:.9:- AutoContrast:.8:-
        Equalize:.6:- Rotate:.9:3 | ShearX:.9:4 Solarize:.3:3 | ShearY:.8:8 Invert:.7:-
        Equalize:.9:- TranslateY:.6:6 | Invert:.9:- Equalize:.6:- | Contrast:.3:3 Rotate:.8:4
        Invert:.8:- TranslateY:0:2 | ShearY:.7:6 Solarize:.4:8 | Invert:.6:- Rotate:.8:4
        ShearY:.3:7 TranslateX:.9:3 | ShearX:.1:6 Invert:.6:- | Solarize:.7:2 TranslateY:.6:7
        ShearY:.8:4 Invert:.8:- | ShearX:.7:9 TranslateY:.8:3 | ShearY:.8:5 AutoContrast:.7:-
        ShearX:.7:2 Invert:.1:-""",
}


def _parse_policy(text):
    def step(s):
        name, p, b = s.split(":")
        return name, float(p), None if b == "-" else int(b)
    steps = [step(s) for s in text.split() if s != "|"]
    return [tuple(steps[i:i + 2]) for i in range(0, len(steps), 2)]


class AutoAugment(Module):
    """AutoAugment: apply one randomly chosen sub-policy of a learned policy."""

    def __init__(self, policy=AutoAugmentPolicy.IMAGENET, interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__()
        self.policy = policy
        self.interpolation = interpolation
        self.fill = fill
        self.policies = self._get_policies(policy)

    def _get_policies(self, policy):
        if policy not in _POLICIES:
            raise ValueError(f"The provided policy {policy} is not recognized.")
        return _parse_policy(_POLICIES[policy])

    def _augmentation_space(self, num_bins, image_size):
        return {
            "ShearX": (_lin(0.0, 0.3, num_bins), True),
            "ShearY": (_lin(0.0, 0.3, num_bins), True),
            "TranslateX": (_lin(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "TranslateY": (_lin(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "Rotate": (_lin(0.0, 30.0, num_bins), True),
            "Brightness": (_lin(0.0, 0.9, num_bins), True),
            "Color": (_lin(0.0, 0.9, num_bins), True),
            "Contrast": (_lin(0.0, 0.9, num_bins), True),
            "Sharpness": (_lin(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bits(8, num_bins, 4), False),
            "Solarize": (_lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_NONE, False),
            "Equalize": (_NONE, False),
            "Invert": (_NONE, False),
        }

    @staticmethod
    def get_params(transform_num):
        from ... import rand, randint
        return _randint(transform_num), rand((2,)), randint(2, (2,))

    def forward(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        policy_id, probs, signs = self.get_params(len(self.policies))
        probs, signs = probs.tolist(), signs.tolist()
        space = self._augmentation_space(10, (height, width))
        for i, (op_name, p, bin_id) in enumerate(self.policies[policy_id]):
            if probs[i] <= p:
                magnitudes, signed = space[op_name]
                magnitude = float(magnitudes[bin_id]) if bin_id is not None else 0.0
                if signed and signs[i] == 0:
                    magnitude = -magnitude
                img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return f"{self.__class__.__name__}(policy={self.policy}, fill={self.fill})"


class RandAugment(Module):
    """RandAugment: num_ops random ops, all at one fixed magnitude."""

    def __init__(self, num_ops=2, magnitude=9, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST,
                 fill=None):
        super().__init__()
        self.num_ops = num_ops
        self.magnitude = magnitude
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins, image_size):
        return {
            "Identity": (_NONE, False),
            "ShearX": (_lin(0.0, 0.3, num_bins), True),
            "ShearY": (_lin(0.0, 0.3, num_bins), True),
            "TranslateX": (_lin(0.0, 150.0 / 331.0 * image_size[1], num_bins), True),
            "TranslateY": (_lin(0.0, 150.0 / 331.0 * image_size[0], num_bins), True),
            "Rotate": (_lin(0.0, 30.0, num_bins), True),
            "Brightness": (_lin(0.0, 0.9, num_bins), True),
            "Color": (_lin(0.0, 0.9, num_bins), True),
            "Contrast": (_lin(0.0, 0.9, num_bins), True),
            "Sharpness": (_lin(0.0, 0.9, num_bins), True),
            "Posterize": (_posterize_bits(8, num_bins, 4), False),
            "Solarize": (_lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_NONE, False),
            "Equalize": (_NONE, False),
        }

    def forward(self, img):
        fill = _tensor_fill(self.fill, img)
        _, height, width = F.get_dimensions(img)
        space = self._augmentation_space(self.num_magnitude_bins, (height, width))
        names = list(space)
        for _ in range(self.num_ops):
            op_name = names[_randint(len(names))]
            magnitudes, signed = space[op_name]
            magnitude = float(magnitudes[self.magnitude]) if np.ndim(magnitudes) > 0 else 0.0
            if signed and _randint(2):
                magnitude = -magnitude
            img = _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)
        return img

    def __repr__(self):
        return (f"{self.__class__.__name__}(num_ops={self.num_ops}, magnitude={self.magnitude}, "
                f"num_magnitude_bins={self.num_magnitude_bins}, interpolation={self.interpolation}, "
                f"fill={self.fill})")


class TrivialAugmentWide(Module):
    """TrivialAugment Wide: one random op at a random magnitude."""

    def __init__(self, num_magnitude_bins=31, interpolation=InterpolationMode.NEAREST, fill=None):
        super().__init__()
        self.num_magnitude_bins = num_magnitude_bins
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins):
        return {
            "Identity": (_NONE, False),
            "ShearX": (_lin(0.0, 0.99, num_bins), True),
            "ShearY": (_lin(0.0, 0.99, num_bins), True),
            "TranslateX": (_lin(0.0, 32.0, num_bins), True),
            "TranslateY": (_lin(0.0, 32.0, num_bins), True),
            "Rotate": (_lin(0.0, 135.0, num_bins), True),
            "Brightness": (_lin(0.0, 0.99, num_bins), True),
            "Color": (_lin(0.0, 0.99, num_bins), True),
            "Contrast": (_lin(0.0, 0.99, num_bins), True),
            "Sharpness": (_lin(0.0, 0.99, num_bins), True),
            "Posterize": (_posterize_bits(8, num_bins, 6), False),
            "Solarize": (_lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_NONE, False),
            "Equalize": (_NONE, False),
        }

    def forward(self, img):
        fill = _tensor_fill(self.fill, img)
        space = self._augmentation_space(self.num_magnitude_bins)
        names = list(space)
        op_name = names[_randint(len(names))]
        magnitudes, signed = space[op_name]
        magnitude = float(magnitudes[_randint(len(magnitudes))]) if np.ndim(magnitudes) > 0 else 0.0
        if signed and _randint(2):
            magnitude = -magnitude
        return _apply_op(img, op_name, magnitude, interpolation=self.interpolation, fill=fill)

    def __repr__(self):
        return (f"{self.__class__.__name__}(num_magnitude_bins={self.num_magnitude_bins}, "
                f"interpolation={self.interpolation}, fill={self.fill})")


class AugMix(Module):
    """AugMix: a Dirichlet-weighted mix of several random augmentation chains, blended with the original."""

    def __init__(self, severity=3, mixture_width=3, chain_depth=-1, alpha=1.0, all_ops=True,
                 interpolation=InterpolationMode.BILINEAR, fill=None):
        super().__init__()
        self._PARAMETER_MAX = 10
        if not (1 <= severity <= self._PARAMETER_MAX):
            raise ValueError(f"The severity must be between [1, {self._PARAMETER_MAX}]. Got {severity} instead.")
        self.severity = severity
        self.mixture_width = mixture_width
        self.chain_depth = chain_depth
        self.alpha = alpha
        self.all_ops = all_ops
        self.interpolation = interpolation
        self.fill = fill

    def _augmentation_space(self, num_bins, image_size):
        s = {
            "ShearX": (_lin(0.0, 0.3, num_bins), True),
            "ShearY": (_lin(0.0, 0.3, num_bins), True),
            "TranslateX": (_lin(0.0, image_size[1] / 3.0, num_bins), True),
            "TranslateY": (_lin(0.0, image_size[0] / 3.0, num_bins), True),
            "Rotate": (_lin(0.0, 30.0, num_bins), True),
            "Posterize": (_posterize_bits(4, num_bins, 4), False),
            "Solarize": (_lin(255.0, 0.0, num_bins), False),
            "AutoContrast": (_NONE, False),
            "Equalize": (_NONE, False),
        }
        if self.all_ops:
            s.update({"Brightness": (_lin(0.0, 0.9, num_bins), True), "Color": (_lin(0.0, 0.9, num_bins), True),
                      "Contrast": (_lin(0.0, 0.9, num_bins), True), "Sharpness": (_lin(0.0, 0.9, num_bins), True)})
        return s

    @staticmethod
    def _sample_dirichlet(params):
        """Dirichlet samples, one row per row of params (a float32 array), from ember's generator."""
        from ...random import default_generator
        g = default_generator._np.standard_gamma(params.astype(np.float64))
        return (g / g.sum(-1, keepdims=True)).astype(np.float32)

    def forward(self, orig_img):
        from ... import from_numpy
        fill = self.fill
        _, height, width = F.get_dimensions(orig_img)
        if isinstance(orig_img, Tensor):
            img = orig_img
            fill = _tensor_fill(fill, img)
        else:
            img = F.pil_to_tensor(orig_img)
        space = self._augmentation_space(self._PARAMETER_MAX, (height, width))
        names = list(space)
        orig_dims = list(img.shape)
        batch = img.reshape([1] * max(4 - img.ndim, 0) + orig_dims)
        n = batch.shape[0]
        bdims = [n] + [1] * (batch.ndim - 1)
        m = self._sample_dirichlet(np.full((n, 2), self.alpha, np.float32))
        weights = self._sample_dirichlet(np.full((n, self.mixture_width), self.alpha, np.float32)) * m[:, 1:2]
        mix = from_numpy(m[:, 0].reshape(bdims)) * batch
        for i in range(self.mixture_width):
            aug = batch
            depth = self.chain_depth if self.chain_depth > 0 else 1 + _randint(3)
            for _ in range(depth):
                op_name = names[_randint(len(names))]
                magnitudes, signed = space[op_name]
                magnitude = float(magnitudes[_randint(self.severity)]) if np.ndim(magnitudes) > 0 else 0.0
                if signed and _randint(2):
                    magnitude = -magnitude
                aug = _apply_op(aug, op_name, magnitude, interpolation=self.interpolation, fill=fill)
            mix = mix + from_numpy(np.ascontiguousarray(weights[:, i]).reshape(bdims)) * aug
        mix = mix.reshape(orig_dims).to(dtype=img.dtype)
        return mix if isinstance(orig_img, Tensor) else F.to_pil_image(mix)

    def __repr__(self):
        return (f"{self.__class__.__name__}(severity={self.severity}, mixture_width={self.mixture_width}, "
                f"chain_depth={self.chain_depth}, alpha={self.alpha}, all_ops={self.all_ops}, "
                f"interpolation={self.interpolation}, fill={self.fill})")
