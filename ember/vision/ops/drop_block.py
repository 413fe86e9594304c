"""DropBlock ("DropBlock: A regularization method for convolutional networks"): drop contiguous
square (cube) regions of the feature maps during training."""
from ... import nn
from ...nn import functional as F

__all__ = ["drop_block2d", "drop_block3d", "DropBlock2d", "DropBlock3d"]


def _drop_block(input, p, block_size, inplace, eps, training, ndim):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"drop probability has to be between 0 and 1, but got {p}.")
    if input.ndim != ndim + 2:
        raise ValueError(f"input should be {ndim + 2} dimensional. Got {input.ndim} dimensions.")
    if not training or p == 0.0:
        return input
    sizes = input.shape[2:]
    block_size = min(block_size, *sizes)
    if block_size % 2 == 0:
        raise ValueError(f"block size should be odd. Got {block_size} which is even.")
    volume, valid = 1, 1
    for s in sizes:
        volume *= s
        valid *= s - block_size + 1
    gamma = p * volume / (block_size ** ndim * valid)
    # block centres are drawn where a whole block fits, then grown to blocks by a max pool
    noise = input.new_empty(tuple(input.shape[:2]) + tuple(s - block_size + 1 for s in sizes)).bernoulli_(gamma)
    noise = F.pad(noise, [block_size // 2] * (2 * ndim), value=0)
    pool = F.max_pool2d if ndim == 2 else F.max_pool3d
    noise = 1 - pool(noise, stride=(1,) * ndim, kernel_size=(block_size,) * ndim, padding=block_size // 2)
    scale = noise.numel() / (eps + noise.sum())
    if inplace:
        return input.mul_(noise).mul_(scale)
    return input * noise * scale


def drop_block2d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """Zero ``block_size`` x ``block_size`` squares of each (N, C, H, W) map so that about a ``p``
    share is dropped, rescaling the rest to keep the mean."""
    return _drop_block(input, p, block_size, inplace, eps, training, 2)


def drop_block3d(input, p, block_size, inplace=False, eps=1e-06, training=True):
    """drop_block2d for (N, C, D, H, W) inputs, dropping cubes."""
    return _drop_block(input, p, block_size, inplace, eps, training, 3)


class DropBlock2d(nn.Module):
    """See :func:`drop_block2d`."""

    def __init__(self, p, block_size, inplace=False, eps=1e-06):
        super().__init__()
        self.p = p
        self.block_size = block_size
        self.inplace = inplace
        self.eps = eps

    def forward(self, input):
        return drop_block2d(input, self.p, self.block_size, self.inplace, self.eps, self.training)

    def __repr__(self):
        return f"{self.__class__.__name__}(p={self.p}, block_size={self.block_size}, inplace={self.inplace})"


class DropBlock3d(DropBlock2d):
    """See :func:`drop_block3d`."""

    def forward(self, input):
        return drop_block3d(input, self.p, self.block_size, self.inplace, self.eps, self.training)
