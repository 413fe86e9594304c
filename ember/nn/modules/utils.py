"""Small helpers shared by the layer modules."""
import collections.abc
import importlib
from itertools import repeat


def _ntuple(n, name="parse"):
    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))
    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """(a, b) -> (b, b, a, a) for n=2: the F.pad order of per-dimension paddings."""
    return tuple(x for x in reversed(t) for _ in range(n))


class _LazyFunctional:
    """`F.name` resolves to ember.nn.functional.name on first use (the module may load after the
    layers); the function is then kept on this object, so later layer calls pay a plain lookup."""

    _mod = None

    def __getattr__(self, name):
        mod = _LazyFunctional._mod
        if mod is None:
            mod = _LazyFunctional._mod = importlib.import_module("ember.nn.functional")
        value = getattr(mod, name)
        setattr(self, name, value)
        return value


F = _LazyFunctional()
