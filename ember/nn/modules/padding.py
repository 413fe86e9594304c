"""Padding layers (constant, zero, reflection, replication, circular) via F.pad."""
from .module import Module
from .utils import F, _ntuple

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
           "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d", "ReplicationPad1d", "ReplicationPad2d",
           "ReplicationPad3d", "CircularPad1d", "CircularPad2d", "CircularPad3d"]


class _PadNd(Module):
    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _ntuple(2 * self._n)(padding)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


def _make(name, base, n, mode=None, zero=False):
    attrs = {"_n": n}
    if mode is not None:
        attrs["_mode"] = mode
    if zero:
        def __init__(self, padding):
            _ConstantPadNd.__init__(self, padding, 0.0)
        attrs["__init__"] = __init__
        attrs["extra_repr"] = _PadNd.extra_repr
    cls = type(name, (base,), attrs)
    cls.__module__ = __name__
    return cls


ConstantPad1d = _make("ConstantPad1d", _ConstantPadNd, 1)
ConstantPad2d = _make("ConstantPad2d", _ConstantPadNd, 2)
ConstantPad3d = _make("ConstantPad3d", _ConstantPadNd, 3)
ZeroPad1d = _make("ZeroPad1d", ConstantPad1d, 1, zero=True)
ZeroPad2d = _make("ZeroPad2d", ConstantPad2d, 2, zero=True)
ZeroPad3d = _make("ZeroPad3d", ConstantPad3d, 3, zero=True)
ReflectionPad1d = _make("ReflectionPad1d", _PadNd, 1, "reflect")
ReflectionPad2d = _make("ReflectionPad2d", _PadNd, 2, "reflect")
ReflectionPad3d = _make("ReflectionPad3d", _PadNd, 3, "reflect")
ReplicationPad1d = _make("ReplicationPad1d", _PadNd, 1, "replicate")
ReplicationPad2d = _make("ReplicationPad2d", _PadNd, 2, "replicate")
ReplicationPad3d = _make("ReplicationPad3d", _PadNd, 3, "replicate")
CircularPad1d = _make("CircularPad1d", _PadNd, 1, "circular")
CircularPad2d = _make("CircularPad2d", _PadNd, 2, "circular")
CircularPad3d = _make("CircularPad3d", _PadNd, 3, "circular")
