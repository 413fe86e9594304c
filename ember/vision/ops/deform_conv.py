"""Deformable convolution v1/v2 (torchvision.ops.deform_conv2d): each kernel tap reads the input at
its regular position plus a learned offset (bilinear, zero outside the map), optionally scaled by a
learned mask, before the usual grouped convolution.

The sampling is ``grid_sample`` (bilinear, zero padding), so gradients reach the input, the offsets,
the mask, the weight and the bias, and can be differentiated again."""
import math

import ember
from ... import nn
from ...nn import functional as F
from ...nn import init
from ...nn.modules.utils import _pair

__all__ = ["deform_conv2d", "DeformConv2d"]


def _check(input, offset, weight, mask, kernel, out_size, offset_groups, weight_groups):
    kh, kw = kernel
    if offset_groups == 0:
        raise RuntimeError("the shape of the offset tensor at dimension 1 is not valid. It should be a multiple of "
                           f"2 * weight.size[2] * weight.size[3].\nGot offset.shape[1]={offset.shape[1]}, while "
                           f"2 * weight.size[2] * weight.size[3]={2 * kh * kw}")
    if input.dim() != 4 or offset.dim() != 4 or weight.dim() != 4:
        raise RuntimeError("deform_conv2d: input, offset and weight must be 4D tensors")
    n, c = input.shape[:2]
    if weight_groups == 0 or weight.shape[1] * weight_groups != c:
        raise RuntimeError("Input channels should be a multiple of weight.size(1)")
    if weight.shape[0] % weight_groups != 0:
        raise RuntimeError("weight.size(0) should be divisible by n_weight_grps")
    if c % offset_groups != 0 or offset.shape[1] != offset_groups * 2 * kh * kw:
        raise RuntimeError("offset.shape[1] is not valid: got: " + str(offset.shape[1]))
    if offset.shape[0] != n:
        raise RuntimeError("invalid batch size of offset")
    if tuple(offset.shape[2:]) != out_size:
        raise RuntimeError(f"offset output dims: ({offset.shape[2]}, {offset.shape[3]}) - computed output dims: "
                           f"({out_size[0]}, {out_size[1]})")
    if out_size[0] <= 0 or out_size[1] <= 0:
        raise RuntimeError(f"Calculated output size too small - out_h: {out_size[0]} out_w: {out_size[1]}")
    if mask is not None:
        if mask.shape[0] != n:
            raise RuntimeError("invalid batch size of mask")
        if mask.shape[1] != offset_groups * kh * kw:
            raise RuntimeError("mask.shape[1] is not valid: got: " + str(mask.shape[1]))
        if tuple(mask.shape[2:]) != out_size:
            raise RuntimeError(f"mask output dims: ({mask.shape[2]}, {mask.shape[3]}) - computed output dims: "
                               f"({out_size[0]}, {out_size[1]})")


def _sample_taps(input, offset, kernel, stride, padding, dilation, out_size, groups):
    """(N, C, kh * kw, oh * ow): the input read at every tap's deformed position."""
    n, c, h, w = input.shape
    kh, kw = kernel
    oh, ow = out_size
    opts = dict(dtype=input.dtype, device=input.device)
    tap_i = ember.arange(kh, **opts).repeat_interleave(kw).reshape(kh * kw, 1, 1)
    tap_j = ember.arange(kw, **opts).repeat(kh).reshape(kh * kw, 1, 1)
    rows = (ember.arange(oh, **opts) * stride[0] - padding[0]).reshape(1, oh, 1) + tap_i * dilation[0]
    cols = (ember.arange(ow, **opts) * stride[1] - padding[1]).reshape(1, 1, ow) + tap_j * dilation[1]
    shifts = offset.reshape(n, groups, kh * kw, 2, oh, ow)
    y = rows + shifts[:, :, :, 0]
    x = cols + shifts[:, :, :, 1]
    # grid_sample's normalised coordinates (align_corners=False): pixel p -> (2p + 1) / size - 1
    grid = ember.stack([(2 * x + 1) / w - 1, (2 * y + 1) / h - 1], dim=-1).reshape(n * groups, kh * kw * oh, ow, 2)
    sampled = F.grid_sample(input.reshape(n * groups, c // groups, h, w), grid, mode="bilinear",
                            padding_mode="zeros", align_corners=False)
    return sampled.reshape(n, groups, c // groups, kh * kw, oh * ow)


def deform_conv2d(input, offset, weight, bias=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1), mask=None):
    """Deformable convolution: ``offset`` (N, 2 * offset_groups * kh * kw, out_h, out_w) holds (dy, dx)
    per tap; ``mask`` (N, offset_groups * kh * kw, out_h, out_w), if given, scales each tap (v2)."""
    stride, padding, dilation = _pair(stride), _pair(padding), _pair(dilation)
    kernel = tuple(weight.shape[-2:])
    kh, kw = kernel
    offset_groups = offset.shape[1] // (2 * kh * kw)
    weight_groups = input.shape[1] // weight.shape[1] if weight.shape[1] else 0
    h, w = input.shape[-2:]
    out_size = tuple((size + 2 * p - (d * (k - 1) + 1)) // s + 1
                     for size, p, d, k, s in zip((h, w), padding, dilation, kernel, stride))
    _check(input, offset, weight, mask, kernel, out_size, offset_groups, weight_groups)
    n, c = input.shape[:2]
    taps = _sample_taps(input, offset, kernel, stride, padding, dilation, out_size, offset_groups)
    if mask is not None:
        taps = taps * mask.reshape(n, offset_groups, 1, kh * kw, -1)
    cols = taps.reshape(n, weight_groups, (c // weight_groups) * kh * kw, -1)
    out_channels = weight.shape[0]
    kernels = weight.reshape(weight_groups, out_channels // weight_groups, -1)
    out = ember.matmul(kernels, cols).reshape(n, out_channels, *out_size)
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out


class DeformConv2d(nn.Module):
    """See :func:`deform_conv2d`."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1, bias=True):
        super().__init__()
        if in_channels % groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups != 0:
            raise ValueError("out_channels must be divisible by groups")
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _pair(kernel_size)
        self.stride = _pair(stride)
        self.padding = _pair(padding)
        self.dilation = _pair(dilation)
        self.groups = groups
        self.weight = nn.Parameter(ember.empty(out_channels, in_channels // groups, *self.kernel_size))
        if bias:
            self.bias = nn.Parameter(ember.empty(out_channels))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in)
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input, offset, mask=None):
        return deform_conv2d(input, offset, self.weight, self.bias, stride=self.stride, padding=self.padding,
                             dilation=self.dilation, mask=mask)

    def __repr__(self):
        s = (f"{self.__class__.__name__}({self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        s += f", padding={self.padding}" if self.padding != (0, 0) else ""
        s += f", dilation={self.dilation}" if self.dilation != (1, 1) else ""
        s += f", groups={self.groups}" if self.groups != 1 else ""
        s += ", bias=False" if self.bias is None else ""
        return s + ")"
