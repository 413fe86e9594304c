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
preserve_format = memory_format("preserve_format")
