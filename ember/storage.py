"""`UntypedStorage`: the bytes behind a tensor and every view of it (`Tensor.untyped_storage()`)."""


def root_array(a):
    """The array that owns the memory `a` views (NumPy and CuPy both chain views through .base)."""
    while getattr(a, "base", None) is not None and hasattr(a.base, "dtype"):
        a = a.base
    return a


class UntypedStorage:
    """A flat uint8 view of a tensor's whole buffer, shared by the tensor and all its views."""

    def __init__(self, data, device):
        self._bytes = data          # 1-d uint8 backend array
        self.device = device

    @classmethod
    def _of_tensor(cls, t):
        root = root_array(t._data)
        return cls(root.reshape(-1).view(t._device.xp.uint8), t._device)

    def data_ptr(self):
        b = self._bytes
        return b.__array_interface__["data"][0] if self.device.type == "cpu" else b.data.ptr

    def nbytes(self):
        return int(self._bytes.size)

    size = nbytes
    __len__ = nbytes

    def element_size(self):
        return 1

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def tolist(self):
        return self.device.backend.asnumpy(self._bytes).tolist()

    def __getitem__(self, i):
        if isinstance(i, slice):
            return UntypedStorage(self._bytes[i], self.device)
        return int(self._bytes[i])

    def __setitem__(self, i, value):
        dev = self.device
        if dev.type != "cpu" and dev.needs_switch():
            return dev.call(self.__setitem__, i, value)
        self._bytes[i] = value

    def cpu(self):
        if self.device.type == "cpu":
            return self
        from ._device import CPU
        return UntypedStorage(self.device.backend.asnumpy(self._bytes), CPU)

    def __repr__(self):
        body = "\n".join(f" {v}" for v in self.tolist()) or " "
        return f"{body}\n[ember.storage.UntypedStorage(device={self.device}) of size {self.nbytes()}]"
