"""Layout and memory-format singletons (ember tensors are always strided)."""


class layout:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "ember." + self.name


class memory_format:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "ember." + self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
contiguous_format = memory_format("contiguous_format")
channels_last = memory_format("channels_last")
channels_last_3d = memory_format("channels_last_3d")
preserve_format = memory_format("preserve_format")


_LAST = {"channels_last": 4, "channels_last_3d": 5}


def in_format(xp, a, fmt):
    """A copy of array `a` laid out in memory format `fmt` (None/preserve_format keeps a's own layout,
    contiguous_format is row-major, channels_last(_3d) stores the channel dim innermost)."""
    name = getattr(fmt, "name", "preserve_format")
    rank = _LAST.get(name)
    if rank is None:
        return a.copy(order="C" if name == "contiguous_format" else "K")
    if a.ndim != rank:
        raise RuntimeError(f"required rank {rank} tensor to use {name} format")
    last = (0,) + tuple(range(2, rank)) + (1,)
    back = (0, rank - 1) + tuple(range(1, rank - 1))
    return xp.ascontiguousarray(a.transpose(last)).transpose(back)


def is_in_format(a, fmt):
    """Whether array `a` is laid out densely in memory format `fmt` (channels_last(_3d) only)."""
    name = getattr(fmt, "name", "")
    rank = _LAST.get(name)
    if rank is None or a.ndim != rank:
        return False
    last = a.transpose((0,) + tuple(range(2, rank)) + (1,))
    return bool(last.flags.c_contiguous)
