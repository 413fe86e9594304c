"""Attach op functions to Tensor as methods, and make `_` in-place variants.

    @method                 # x.exp() calls exp(x)
    def exp(input): ...

    @method("absolute")     # under another (or an extra) name
"""
from .._device import CPU
from .._tensor import Tensor
from ..autograd import grad_mode

_enabled = grad_mode._enabled


def method(fn_or_name=None, *names):
    def deco(fn):
        for n in (names or (fn.__name__,)):
            setattr(Tensor, n, fn)
        return fn
    if callable(fn_or_name):
        return deco(fn_or_name)
    if fn_or_name is not None:
        names = (fn_or_name,) + names
    return deco


def inplace(fn, name=None):
    """Tensor.<name>_ from an out-of-place function: computes, then writes into self's buffer."""
    def inplace_method(self, *args, **kwargs):
        return apply_inplace(self, fn(self, *args, **kwargs))
    inplace_method.__name__ = name or fn.__name__ + "_"
    setattr(Tensor, inplace_method.__name__, inplace_method)
    return inplace_method


def check_inplace(self):
    if self._rg and self.grad_fn is None and _enabled[0]:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")


def apply_inplace(self, result):
    """Write `result` into self (same buffer, so views see it) and move the autograd history."""
    dev = self._device
    if dev is not CPU and dev.needs_switch():
        return dev.call(apply_inplace, self, result)
    if _enabled[0]:
        check_inplace(self)
        if self._base is not None and result._rg and "_multi_view" in self.__dict__:
            from .movement import check_multi_view
            check_multi_view(self)
        if self._base is not None and self._base._rg and self._base.grad_fn is None and result._rg:
            raise RuntimeError(
                "a view of a leaf Variable that requires grad is being used in an in-place operation.")
    rd = result._data
    sd = self._data
    if rd.dtype != sd.dtype:
        if not _can_cast(rd.dtype, sd.dtype):
            from .._dtypes import from_np
            raise RuntimeError(
                f"result type {_torch_name(from_np(rd.dtype))} can't be cast to the desired output type "
                f"{_torch_name(from_np(sd.dtype))}")
        rd = rd.astype(sd.dtype)
    if rd.shape != sd.shape:
        try:
            rd = self._device.xp.broadcast_to(rd, sd.shape)
        except ValueError:
            raise RuntimeError(
                f"output with shape {list(sd.shape)} doesn't match the broadcast shape {list(rd.shape)}") from None
    node = result.grad_fn
    if node is not None:
        # saved copies of self's old value must survive the write
        saved = node._saved
        if saved:
            node._saved = tuple((2, _copy_of(e[1])) if e[0] == 0 and e[1] is self else e for e in saved)
    if rd is not sd:
        sd[...] = rd
    self._bump()
    if result._rg:
        self.grad_fn = node
        self._output_nr = result._output_nr
        self._rg = True
        if node is not None and node._saved:
            # a saved output now lives in self's buffer: track self's versions
            vc = self._shared_vc()
            node._saved = tuple((1, sd, vc, vc[0], e[4], e[5]) if e[0] == 1 and e[1] is result._data else e
                                for e in node._saved)
        if self._base is not None:
            from .movement import rebase_view
            rebase_view(self)
    return self


def _copy_of(t):
    c = Tensor._wrap(t._data.copy(), t._device)
    c._rg = t._rg
    c.grad_fn = t.grad_fn
    c._output_nr = t._output_nr
    if t.grad_fn is None and t._rg:
        c = t  # a leaf: keep the tensor itself (in-place on it was refused above)
    return c


def _can_cast(src, dst):
    order = "biufcV"
    ks, kd = src.kind, dst.kind
    if ks == "V":
        ks = "f"
    if kd == "V":
        kd = "f"
    if ks == "u":
        ks = "i"
    if kd == "u":
        kd = "i"
    return order.index(ks) <= order.index(kd)


def _torch_name(d):
    return {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16", "int64": "Long",
            "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool",
            "complex64": "ComplexFloat", "complex128": "ComplexDouble"}[d.name]
