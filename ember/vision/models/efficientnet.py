"""EfficientNet B0-B7 (Tan & Le 2019) and EfficientNetV2 S/M/L (Tan & Le 2021)."""
import copy
import math
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import ember
from ... import nn
from ._api import Weights, WeightsEnum, register_model
from ._layers import Conv2dNormActivation, SqueezeExcitation, StochasticDepth
from ._presets import ImageClassification, InterpolationMode
from ._utils import _COMMON_META, _load_weights, _make_divisible, _ovewrite_named_param, handle_legacy_interface

__all__ = ["EfficientNet", "EfficientNet_B0_Weights", "EfficientNet_B1_Weights", "EfficientNet_B2_Weights",
           "EfficientNet_B3_Weights", "EfficientNet_B4_Weights", "EfficientNet_B5_Weights", "EfficientNet_B6_Weights",
           "EfficientNet_B7_Weights", "EfficientNet_V2_S_Weights", "EfficientNet_V2_M_Weights",
           "EfficientNet_V2_L_Weights", "efficientnet_b0", "efficientnet_b1", "efficientnet_b2", "efficientnet_b3",
           "efficientnet_b4", "efficientnet_b5", "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_s",
           "efficientnet_v2_m", "efficientnet_v2_l"]


@dataclass
class _MBConvConfig:
    expand_ratio: float
    kernel: int
    stride: int
    input_channels: int
    out_channels: int
    num_layers: int
    block: Callable

    @staticmethod
    def adjust_channels(channels, width_mult, min_value=None):
        return _make_divisible(channels * width_mult, 8, min_value)


class MBConvConfig(_MBConvConfig):
    """A stage of MBConv blocks; channels scaled by ``width_mult``, block count by ``depth_mult``."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, width_mult=1.0,
                 depth_mult=1.0, block=None):
        super().__init__(expand_ratio, kernel, stride, self.adjust_channels(input_channels, width_mult),
                         self.adjust_channels(out_channels, width_mult), self.adjust_depth(num_layers, depth_mult),
                         block or MBConv)

    @staticmethod
    def adjust_depth(num_layers, depth_mult):
        return int(math.ceil(num_layers * depth_mult))


class FusedMBConvConfig(_MBConvConfig):
    """A stage of FusedMBConv blocks (EfficientNetV2's early stages)."""

    def __init__(self, expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block=None):
        super().__init__(expand_ratio, kernel, stride, input_channels, out_channels, num_layers, block or FusedMBConv)


class MBConv(nn.Module):
    """Expand 1x1, depthwise kxk, squeeze-excitation, project 1x1; residual with stochastic depth."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer, se_layer=SqueezeExcitation):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        layers = []
        if expanded != cnf.input_channels:
            layers.append(Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.SiLU))
        layers.append(Conv2dNormActivation(expanded, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                           groups=expanded, norm_layer=norm_layer, activation_layer=nn.SiLU))
        layers.append(se_layer(expanded, max(1, cnf.input_channels // 4), activation=partial(nn.SiLU, inplace=True)))
        layers.append(Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=None))
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class FusedMBConv(nn.Module):
    """Expansion and depthwise conv fused into one regular kxk conv, then a 1x1 projection."""

    def __init__(self, cnf, stochastic_depth_prob, norm_layer):
        super().__init__()
        if not (1 <= cnf.stride <= 2):
            raise ValueError("illegal stride value")
        self.use_res_connect = cnf.stride == 1 and cnf.input_channels == cnf.out_channels
        expanded = cnf.adjust_channels(cnf.input_channels, cnf.expand_ratio)
        if expanded != cnf.input_channels:
            layers = [
                Conv2dNormActivation(cnf.input_channels, expanded, kernel_size=cnf.kernel, stride=cnf.stride,
                                     norm_layer=norm_layer, activation_layer=nn.SiLU),
                Conv2dNormActivation(expanded, cnf.out_channels, kernel_size=1, norm_layer=norm_layer,
                                     activation_layer=None),
            ]
        else:
            layers = [Conv2dNormActivation(cnf.input_channels, cnf.out_channels, kernel_size=cnf.kernel,
                                           stride=cnf.stride, norm_layer=norm_layer, activation_layer=nn.SiLU)]
        self.block = nn.Sequential(*layers)
        self.stochastic_depth = StochasticDepth(stochastic_depth_prob, "row")
        self.out_channels = cnf.out_channels

    def forward(self, input):
        result = self.block(input)
        if self.use_res_connect:
            result = self.stochastic_depth(result)
            result += input
        return result


class EfficientNet(nn.Module):
    def __init__(self, inverted_residual_setting, dropout, stochastic_depth_prob=0.2, num_classes=1000,
                 norm_layer=None, last_channel=None):
        super().__init__()
        if not inverted_residual_setting:
            raise ValueError("The inverted_residual_setting should not be empty")
        if not (isinstance(inverted_residual_setting, (list, tuple))
                and all(isinstance(s, _MBConvConfig) for s in inverted_residual_setting)):
            raise TypeError("The inverted_residual_setting should be List[MBConvConfig]")
        norm_layer = norm_layer or nn.BatchNorm2d

        layers = [Conv2dNormActivation(3, inverted_residual_setting[0].input_channels, kernel_size=3, stride=2,
                                       norm_layer=norm_layer, activation_layer=nn.SiLU)]
        total_blocks = sum(cnf.num_layers for cnf in inverted_residual_setting)
        block_id = 0
        for cnf in inverted_residual_setting:
            stage = []
            for _ in range(cnf.num_layers):
                block_cnf = copy.copy(cnf)
                if stage:   # blocks after a stage's first keep its output width and stride 1
                    block_cnf.input_channels = block_cnf.out_channels
                    block_cnf.stride = 1
                # the drop probability grows linearly with depth
                sd_prob = stochastic_depth_prob * float(block_id) / total_blocks
                stage.append(block_cnf.block(block_cnf, sd_prob, norm_layer))
                block_id += 1
            layers.append(nn.Sequential(*stage))

        last_in = inverted_residual_setting[-1].out_channels
        last_out = last_channel if last_channel is not None else 4 * last_in
        layers.append(Conv2dNormActivation(last_in, last_out, kernel_size=1, norm_layer=norm_layer,
                                           activation_layer=nn.SiLU))
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout, inplace=True), nn.Linear(last_out, num_classes))

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                init_range = 1.0 / math.sqrt(m.out_features)
                nn.init.uniform_(m.weight, -init_range, init_range)
                nn.init.zeros_(m.bias)

    def _forward_impl(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(ember.flatten(x, 1))

    def forward(self, x):
        return self._forward_impl(x)


def _efficientnet(inverted_residual_setting, dropout, last_channel, weights, progress, **kwargs):
    if weights is not None:
        _ovewrite_named_param(kwargs, "num_classes", len(weights.meta["categories"]))
    model = EfficientNet(inverted_residual_setting, dropout, last_channel=last_channel, **kwargs)
    if weights is not None:
        _load_weights(model, weights, progress)
    return model


def _efficientnet_conf(arch, **kwargs):
    # expand ratio, kernel, stride, input channels, output channels, blocks
    if arch.startswith("efficientnet_b"):
        row = partial(MBConvConfig, width_mult=kwargs.pop("width_mult"), depth_mult=kwargs.pop("depth_mult"))
        setting = [row(1, 3, 1, 32, 16, 1), row(6, 3, 2, 16, 24, 2), row(6, 5, 2, 24, 40, 2), row(6, 3, 2, 40, 80, 3),
                   row(6, 5, 1, 80, 112, 3), row(6, 5, 2, 112, 192, 4), row(6, 3, 1, 192, 320, 1)]
        return setting, None
    fused, mb = FusedMBConvConfig, MBConvConfig
    if arch.startswith("efficientnet_v2_s"):
        setting = [fused(1, 3, 1, 24, 24, 2), fused(4, 3, 2, 24, 48, 4), fused(4, 3, 2, 48, 64, 4),
                   mb(4, 3, 2, 64, 128, 6), mb(6, 3, 1, 128, 160, 9), mb(6, 3, 2, 160, 256, 15)]
    elif arch.startswith("efficientnet_v2_m"):
        setting = [fused(1, 3, 1, 24, 24, 3), fused(4, 3, 2, 24, 48, 5), fused(4, 3, 2, 48, 80, 5),
                   mb(4, 3, 2, 80, 160, 7), mb(6, 3, 1, 160, 176, 14), mb(6, 3, 2, 176, 304, 18),
                   mb(6, 3, 1, 304, 512, 5)]
    elif arch.startswith("efficientnet_v2_l"):
        setting = [fused(1, 3, 1, 32, 32, 4), fused(4, 3, 2, 32, 64, 7), fused(4, 3, 2, 64, 96, 7),
                   mb(4, 3, 2, 96, 192, 10), mb(6, 3, 1, 192, 224, 19), mb(6, 3, 2, 224, 384, 25),
                   mb(6, 3, 1, 384, 640, 7)]
    else:
        raise ValueError(f"Unsupported model type {arch}")
    return setting, 1280


class EfficientNet_B0_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth',
        transforms=partial(ImageClassification, crop_size=224, resize_size=256, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 5288548,
            '_metrics': {'ImageNet-1K': {'acc@1': 77.692, 'acc@5': 93.532}},
            '_ops': 0.386,
            '_file_size': 20.451,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B1_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b1_rwightman-bac287d4.pth',
        transforms=partial(ImageClassification, crop_size=240, resize_size=256, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 7794184,
            '_metrics': {'ImageNet-1K': {'acc@1': 78.642, 'acc@5': 94.186}},
            '_ops': 0.687,
            '_file_size': 30.134,
        },
    )
    IMAGENET1K_V2 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b1-c27df63c.pth',
        transforms=partial(ImageClassification, crop_size=240, resize_size=255, interpolation=InterpolationMode.BILINEAR),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/issues/3995#new-recipe-with-lr-wd-crop-tuning',
            'num_params': 7794184,
            '_metrics': {'ImageNet-1K': {'acc@1': 79.838, 'acc@5': 94.934}},
            '_ops': 0.687,
            '_file_size': 30.136,
        },
    )
    DEFAULT = IMAGENET1K_V2


class EfficientNet_B2_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b2_rwightman-c35c1473.pth',
        transforms=partial(ImageClassification, crop_size=288, resize_size=288, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 9109994,
            '_metrics': {'ImageNet-1K': {'acc@1': 80.608, 'acc@5': 95.31}},
            '_ops': 1.088,
            '_file_size': 35.174,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B3_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b3_rwightman-b3899882.pth',
        transforms=partial(ImageClassification, crop_size=300, resize_size=320, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 12233232,
            '_metrics': {'ImageNet-1K': {'acc@1': 82.008, 'acc@5': 96.054}},
            '_ops': 1.827,
            '_file_size': 47.184,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B4_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b4_rwightman-23ab8bcd.pth',
        transforms=partial(ImageClassification, crop_size=380, resize_size=384, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 19341616,
            '_metrics': {'ImageNet-1K': {'acc@1': 83.384, 'acc@5': 96.594}},
            '_ops': 4.394,
            '_file_size': 74.489,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B5_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b5_lukemelas-1a07897c.pth',
        transforms=partial(ImageClassification, crop_size=456, resize_size=456, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 30389784,
            '_metrics': {'ImageNet-1K': {'acc@1': 83.444, 'acc@5': 96.628}},
            '_ops': 10.266,
            '_file_size': 116.864,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B6_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b6_lukemelas-24a108a5.pth',
        transforms=partial(ImageClassification, crop_size=528, resize_size=528, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 43040704,
            '_metrics': {'ImageNet-1K': {'acc@1': 84.008, 'acc@5': 96.916}},
            '_ops': 19.068,
            '_file_size': 165.362,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_B7_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_b7_lukemelas-c5b4e57e.pth',
        transforms=partial(ImageClassification, crop_size=600, resize_size=600, interpolation=InterpolationMode.BICUBIC),
        meta={
            **_COMMON_META, 
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v1',
            'num_params': 66347960,
            '_metrics': {'ImageNet-1K': {'acc@1': 84.122, 'acc@5': 96.908}},
            '_ops': 37.746,
            '_file_size': 254.675,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_S_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_v2_s-dd5fe13b.pth',
        transforms=partial(ImageClassification, crop_size=384, resize_size=384, interpolation=InterpolationMode.BILINEAR),
        meta={
            **_COMMON_META, "min_size": (33, 33),
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2',
            'num_params': 21458488,
            '_metrics': {'ImageNet-1K': {'acc@1': 84.228, 'acc@5': 96.878}},
            '_ops': 8.366,
            '_file_size': 82.704,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_M_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_v2_m-dc08266a.pth',
        transforms=partial(ImageClassification, crop_size=480, resize_size=480, interpolation=InterpolationMode.BILINEAR),
        meta={
            **_COMMON_META, "min_size": (33, 33),
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2',
            'num_params': 54139356,
            '_metrics': {'ImageNet-1K': {'acc@1': 85.112, 'acc@5': 97.156}},
            '_ops': 24.582,
            '_file_size': 208.01,
        },
    )
    DEFAULT = IMAGENET1K_V1


class EfficientNet_V2_L_Weights(WeightsEnum):
    IMAGENET1K_V1 = Weights(
        url='https://download.pytorch.org/models/efficientnet_v2_l-59c71312.pth',
        transforms=partial(ImageClassification, crop_size=480, resize_size=480, interpolation=InterpolationMode.BICUBIC, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5)),
        meta={
            **_COMMON_META, "min_size": (33, 33),
            'recipe': 'https://github.com/pytorch/vision/tree/main/references/classification#efficientnet-v2',
            'num_params': 118515272,
            '_metrics': {'ImageNet-1K': {'acc@1': 85.808, 'acc@5': 97.788}},
            '_ops': 56.08,
            '_file_size': 454.573,
        },
    )
    DEFAULT = IMAGENET1K_V1


def _b(arch, width_mult, depth_mult, default_dropout, weights, progress, kwargs, norm_layer=None):
    setting, last_channel = _efficientnet_conf(arch, width_mult=width_mult, depth_mult=depth_mult)
    extra = {"norm_layer": norm_layer} if norm_layer is not None else {}
    return _efficientnet(setting, kwargs.pop("dropout", default_dropout), last_channel, weights, progress, **extra,
                         **kwargs)


def _v2(arch, default_dropout, weights, progress, kwargs):
    setting, last_channel = _efficientnet_conf(arch)
    return _efficientnet(setting, kwargs.pop("dropout", default_dropout), last_channel, weights, progress,
                         norm_layer=partial(nn.BatchNorm2d, eps=1e-03), **kwargs)


_BN_B5 = partial(nn.BatchNorm2d, eps=0.001, momentum=0.01)   # B5-B7 were ported with TF's batch-norm settings


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B0_Weights.IMAGENET1K_V1))
def efficientnet_b0(*, weights: Optional[EfficientNet_B0_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B0 from "EfficientNet: Rethinking Model Scaling for Convolutional Neural Networks"."""
    return _b("efficientnet_b0", 1.0, 1.0, 0.2, EfficientNet_B0_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B1_Weights.IMAGENET1K_V1))
def efficientnet_b1(*, weights: Optional[EfficientNet_B1_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B1."""
    return _b("efficientnet_b1", 1.0, 1.1, 0.2, EfficientNet_B1_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B2_Weights.IMAGENET1K_V1))
def efficientnet_b2(*, weights: Optional[EfficientNet_B2_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B2."""
    return _b("efficientnet_b2", 1.1, 1.2, 0.3, EfficientNet_B2_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B3_Weights.IMAGENET1K_V1))
def efficientnet_b3(*, weights: Optional[EfficientNet_B3_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B3."""
    return _b("efficientnet_b3", 1.2, 1.4, 0.3, EfficientNet_B3_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B4_Weights.IMAGENET1K_V1))
def efficientnet_b4(*, weights: Optional[EfficientNet_B4_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B4."""
    return _b("efficientnet_b4", 1.4, 1.8, 0.4, EfficientNet_B4_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B5_Weights.IMAGENET1K_V1))
def efficientnet_b5(*, weights: Optional[EfficientNet_B5_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B5."""
    return _b("efficientnet_b5", 1.6, 2.2, 0.4, EfficientNet_B5_Weights.verify(weights), progress, kwargs, _BN_B5)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B6_Weights.IMAGENET1K_V1))
def efficientnet_b6(*, weights: Optional[EfficientNet_B6_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B6."""
    return _b("efficientnet_b6", 1.8, 2.6, 0.5, EfficientNet_B6_Weights.verify(weights), progress, kwargs, _BN_B5)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_B7_Weights.IMAGENET1K_V1))
def efficientnet_b7(*, weights: Optional[EfficientNet_B7_Weights] = None, progress: bool = True,
                    **kwargs) -> EfficientNet:
    """EfficientNet B7."""
    return _b("efficientnet_b7", 2.0, 3.1, 0.5, EfficientNet_B7_Weights.verify(weights), progress, kwargs, _BN_B5)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_V2_S_Weights.IMAGENET1K_V1))
def efficientnet_v2_s(*, weights: Optional[EfficientNet_V2_S_Weights] = None, progress: bool = True,
                      **kwargs) -> EfficientNet:
    """EfficientNetV2-S from "EfficientNetV2: Smaller Models and Faster Training"."""
    return _v2("efficientnet_v2_s", 0.2, EfficientNet_V2_S_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_V2_M_Weights.IMAGENET1K_V1))
def efficientnet_v2_m(*, weights: Optional[EfficientNet_V2_M_Weights] = None, progress: bool = True,
                      **kwargs) -> EfficientNet:
    """EfficientNetV2-M."""
    return _v2("efficientnet_v2_m", 0.3, EfficientNet_V2_M_Weights.verify(weights), progress, kwargs)


@register_model()
@handle_legacy_interface(weights=("pretrained", EfficientNet_V2_L_Weights.IMAGENET1K_V1))
def efficientnet_v2_l(*, weights: Optional[EfficientNet_V2_L_Weights] = None, progress: bool = True,
                      **kwargs) -> EfficientNet:
    """EfficientNetV2-L."""
    return _v2("efficientnet_v2_l", 0.4, EfficientNet_V2_L_Weights.verify(weights), progress, kwargs)
