"""Op: one primitive = forward on raw backend arrays + backward written with ember ops.

    class Exp(Op):
        def forward(ctx, x):            # arrays in, array (or tuple of arrays) out
            y = ctx.xp.exp(x)
            ctx.save_for_backward(y)    # inputs/outputs are recognised by identity
            return y
        def backward(ctx, grad):        # ember Tensors in and out: differentiable again
            y, = ctx.saved_tensors
            return grad * y

`Op.apply(*inputs, **attrs)` runs forward and, when any input requires grad and grad mode is on,
makes the node the outputs' `grad_fn`. The engine reduces broadcast gradients and casts them back
to each input's dtype, so backward may return gradients of the broadcast shape.
"""
from .._device import CPU
from .._tensor import Tensor
from ..autograd import grad_mode
from ..autograd.anomaly_mode import _anomaly
from ..autograd.graph import Node, accumulator
from ._promote import _SCALARS

_new = object.__new__
_enabled = grad_mode._enabled
_wrap = Tensor._wrap


class Op(Node):
    _to_save = None
    _needs = None
    _n_out = 1
    _out_meta = None
    differentiable_outputs = None   # indices of outputs that carry gradient (None: all floating ones)

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "_name" not in cls.__dict__:
            cls._name = cls.__name__ + "Backward0"

    def save_for_backward(self, *arrays):
        self._to_save = arrays

    @property
    def needs_input_grad(self):
        return self._needs

    device = CPU                    # set per call only when not 'cpu'

    @property
    def xp(self):
        return self.device.xp

    @classmethod
    def apply(cls, *inputs, **attrs):
        ctx = _new(cls)
        arrays = []
        dev = None
        requires = False
        mixed = False
        for x in inputs:
            if isinstance(x, Tensor):
                arrays.append(x._data)
                if x._rg:
                    requires = True
                d = x._device
                if dev is None:
                    dev = d
                elif d is not dev:
                    dev = _mixed_devices(dev, x, cls, inputs)
                    mixed = True
            else:
                arrays.append(x)
        if mixed:       # 0-d CPU tensors joining tensors of another device: their values move there
            arrays = [dev.xp.asarray(a) if isinstance(x, Tensor) and x._device is not dev else a
                      for x, a in zip(inputs, arrays)]
        if dev is None:
            dev = CPU
        elif dev is not CPU:
            ctx.device = dev
        if requires and _enabled[0]:
            ctx._needs = tuple([isinstance(x, Tensor) and x._rg for x in inputs])
        else:
            requires = False
        out = ctx.forward(*arrays, **attrs)
        if type(out) is tuple:
            return _finish_multi(ctx, cls, inputs, arrays, out, dev, requires)
        if type(out) is not dev.xp.ndarray:
            scalar = out
            out = dev.xp.asarray(out)
            if ctx._to_save:   # a saved 0-d result must still be recognised as the output
                ctx._to_save = tuple(out if a is scalar else a for a in ctx._to_save)
        t = _new(Tensor)
        t._data = out
        t._device = dev
        if requires:
            if out.dtype.kind in "fc" or out.dtype.kind == "V":
                t._rg = True
                t.grad_fn = ctx
                _link(ctx, inputs, arrays, (out,), (t,), dev)
            else:
                ctx._to_save = None
        return t

    def _materialize(self, grads):
        from .._factory import zeros
        return tuple(g if g is not None else zeros(m[0], dtype=m[1], device=m[2])
                     for g, m in zip(grads, self._out_meta))


def _finish_multi(ctx, cls, inputs, arrays, outs, dev, requires):
    xp = dev.xp
    outs = tuple(o if type(o) is xp.ndarray else xp.asarray(o) for o in outs)
    ts = []
    diff = cls.differentiable_outputs
    any_diff = False
    for i, o in enumerate(outs):
        t = _new(Tensor)
        t._data = o
        t._device = dev
        if requires and (diff is None or i in diff) and (o.dtype.kind in "fc" or o.dtype.kind == "V"):
            t._rg = True
            t.grad_fn = ctx
            t._output_nr = i
            any_diff = True
        ts.append(t)
    if any_diff:
        ctx._n_out = len(outs)
        ctx._out_meta = tuple((o.shape, t.dtype, dev) for o, t in zip(outs, ts))
        _link(ctx, inputs, arrays, outs, ts, dev)
    return tuple(ts)


def _link(ctx, inputs, arrays, outs, out_tensors, dev):
    """Connect the node to its inputs and turn saved arrays into saved-tensor entries."""
    nf = []
    meta = []
    for x in inputs:
        if isinstance(x, Tensor) and x._rg:
            if x._base is not None and x._vc[0] != x._view_ver:
                _refresh_view(x)
            fn = x.grad_fn
            nf.append((accumulator(x), 0) if fn is None else (fn, x._output_nr))
            if x._device is dev:
                meta.append((x._data.shape, x._data.dtype))
            else:   # its gradient is computed on `dev` and must go back to x's device
                meta.append((x._data.shape, x._data.dtype, x._device))
        else:
            nf.append(None)
            meta.append(None)
    ctx.next_functions = tuple(nf)
    ctx._meta = tuple(meta)
    to_save = ctx._to_save
    if to_save:
        ctx._saved = tuple([_entry(a, inputs, arrays, outs, out_tensors, dev) for a in to_save])
        ctx._to_save = None
    if _anomaly[0]:
        import traceback
        ctx._anomaly_trace = "".join(traceback.format_stack()[:-3])


def _refresh_view(x):
    from .movement import refresh_view
    refresh_view(x)


def _entry(a, inputs, arrays, outs, out_tensors, dev):
    if a is None or type(a) in _SCALARS:
        return (2, a)
    if isinstance(a, Tensor):
        return (0, a, a._version)
    for x, arr in zip(inputs, arrays):
        if a is arr and isinstance(x, Tensor):
            return (0, x, x._version)
    for i, o in enumerate(outs):
        if a is o:
            vc = out_tensors[i]._shared_vc()
            return (1, o, vc, vc[0], i, dev)
    return (2, _wrap(a, dev))


def _mixed_devices(dev, x, cls, inputs):
    """The device of an op whose tensors are on `dev` and x's device: 0-d CPU tensors may join
    tensors of another device, as in PyTorch; any other mix is an error."""
    if x._device.type == "cpu" and x._data.ndim == 0:
        return dev
    if dev.type == "cpu" and all(t._data.ndim == 0 for t in inputs
                                 if isinstance(t, Tensor) and t._device is dev):
        return x._device
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{x._device} and {dev}! (when checking arguments for {cls.__name__.lower()})")
