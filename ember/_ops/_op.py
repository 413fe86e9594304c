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
from ..autograd.graph import Node, accumulator, next_seq
from ._promote import _SCALARS, broadcast_error, numpy_broadcast_failure

_new = object.__new__
_CPU_ARRAY = CPU.xp.ndarray
_enabled = grad_mode._enabled
_wrap = Tensor._wrap


class Op(Node):
    _to_save = None
    _needs = None
    _n_out = 1
    _out_meta = None
    _inline = True
    differentiable_outputs = None   # indices of outputs that carry gradient (None: all floating ones)
    _broadcast_order = None         # see broadcast_failure

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        cls._kernel = cls.__name__.lower()          # the op, as error messages name it
        if "_name" not in cls.__dict__:
            cls._name = cls.__name__ + "Backward0"
        cls.__name__ = cls.__qualname__ = cls._name  # type(t.grad_fn).__name__ is torch's node name

    def save_for_backward(self, *arrays):
        self._to_save = arrays

    @property
    def needs_input_grad(self):
        n = self._needs
        return n if n is None else tuple(e is not None for e in n)

    device = CPU                    # set per call only when not 'cpu'
    xp = CPU.xp                     # the device's array module (likewise)

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
                if d is not dev:
                    if dev is None:
                        dev = d
                    else:
                        dev = _mixed_devices(dev, x, cls._kernel, inputs)
                        mixed = True
            else:
                arrays.append(x)
        if mixed:       # 0-d CPU tensors joining tensors of another device: their values move there
            arrays = [dev.xp.asarray(a) if isinstance(x, Tensor) and x._device is not dev else a
                      for x, a in zip(inputs, arrays)]
        if dev is None:
            dev = CPU
        elif dev is not CPU:
            if dev.needs_switch():      # run on the tensors' CUDA device, not CuPy's current one
                return dev.call(cls.apply, *inputs, **attrs)
            ctx.device = dev
            ctx.xp = dev.xp
            ctx._inline = False
        if requires:
            if _enabled[0]:
                # the edges to the inputs' nodes (None for an input that needs no gradient; also
                # `ctx._needs`, read for truth) and the shape/dtype (and device, when it differs from
                # the op's) each gradient must come back in
                nf = []
                meta = []
                for x in inputs:
                    if isinstance(x, Tensor) and x._rg:
                        if x._base is not None and x._vc[0] != x._view_ver:
                            _refresh_view(x)
                        fn = x.grad_fn
                        nf.append((accumulator(x), 0) if fn is None else (fn, x._output_nr))
                        a = x._data
                        meta.append((a.shape, a.dtype) if x._device is dev else (a.shape, a.dtype, x._device))
                    else:
                        nf.append(None)
                        meta.append(None)
                ctx._needs = ctx.next_functions = tuple(nf)
                ctx._meta = tuple(meta)
                ctx._seq = next_seq()
                if _anomaly[0]:
                    _trace(ctx)
            else:
                requires = False
        try:
            out = ctx.forward(*arrays, **attrs) if attrs else ctx.forward(*arrays)
        except ValueError as e:
            raise broadcast_failure(e, inputs, cls._broadcast_order)
        if requires or type(out) is not _CPU_ARRAY:
            return _finish(ctx, cls, inputs, arrays, out, dev, requires)
        return _wrap(out)          # a CPU result outside the graph

    @classmethod
    def apply_one(cls, *inputs):
        """`apply(*inputs)` where inputs[0] is the only tensor (unary ops, tensor-scalar arithmetic,
        reductions; no keyword attributes): the same result and node with less bookkeeping."""
        x = inputs[0]
        if x._device is not CPU or _anomaly[0] or x._base is not None and x._vc[0] != x._view_ver:
            return cls.apply(*inputs)
        ctx = _new(cls)
        a = x._data
        n = len(inputs)
        arrays = (a,) + inputs[1:] if n > 1 else (a,)
        requires = x._rg and _enabled[0]
        if requires:
            fn = x.grad_fn
            edge = (accumulator(x), 0) if fn is None else (fn, x._output_nr)
            if n == 1:
                ctx._needs = ctx.next_functions = (edge,)
                ctx._meta = ((a.shape, a.dtype),)
            else:
                rest = (None,) * (n - 1)
                ctx._needs = ctx.next_functions = (edge,) + rest
                ctx._meta = ((a.shape, a.dtype),) + rest
            ctx._seq = next_seq()
        try:
            out = ctx.forward(*arrays)
        except ValueError as e:
            raise broadcast_failure(e, inputs, cls._broadcast_order)
        if requires or type(out) is not _CPU_ARRAY:
            return _finish(ctx, cls, inputs, arrays, out, CPU, requires)
        t = _new(Tensor)            # Tensor._wrap, inline: every op run under no_grad (and in backward) ends here
        t._data = out
        t._device = CPU
        return t

    def _materialize(self, grads):
        from .._factory import zeros
        return tuple(g if g is not None else zeros(m[0], dtype=m[1], device=m[2])
                     for g, m in zip(grads, self._out_meta))


def _finish(ctx, cls, inputs, arrays, out, dev, requires):
    """The output tensor around forward's result `out`; with `requires`, joined to the graph as ctx's output
    (its saved arrays turned into saved-tensor entries)."""
    kind = type(out)
    if kind is not _CPU_ARRAY and kind is not dev.xp.ndarray:
        if kind is tuple:
            return _finish_multi(ctx, cls, inputs, arrays, out, dev, requires)
        scalar = out
        out = dev.xp.asarray(out)
        if ctx._to_save:   # a saved 0-d result must still be recognised as the output
            ctx._to_save = tuple(out if a is scalar else a for a in ctx._to_save)
    t = _new(Tensor)
    t._data = out
    t._device = dev
    if requires:
        if out.dtype.kind in "fcV":
            t._rg = True
            t.grad_fn = ctx
            save = ctx._to_save
            if save:
                if len(save) == 1 and save[0] is out and len(arrays) == 1 and out is not arrays[0]:
                    # a unary op saving only its own (new) output: exp, relu, tanh ...
                    vc = t._vc = [0]
                    ctx._saved = ((1, out, vc, 0, 0, dev),)
                    ctx._to_save = None
                else:
                    _save(ctx, inputs, arrays, (out,), (t,), dev)
        else:
            _disconnect(ctx)
    return t


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
        if requires and (diff is None or i in diff) and o.dtype.kind in "fcV":
            t._rg = True
            t.grad_fn = ctx
            t._output_nr = i
            any_diff = True
        ts.append(t)
    if any_diff:
        ctx._n_out = len(outs)
        ctx._inline = False
        ctx._out_meta = tuple((o.shape, t.dtype, dev) for o, t in zip(outs, ts))
        if ctx._to_save:
            _save(ctx, inputs, arrays, outs, ts, dev)
    elif requires:
        _disconnect(ctx)
    return tuple(ts)


def _trace(ctx):
    import traceback
    ctx._anomaly_trace = "".join(traceback.format_stack()[:-3])


def _disconnect(ctx):
    """No output carries gradient (integer/bool results): the node is not part of the graph."""
    ctx._to_save = None
    ctx.next_functions = ()


def _save(ctx, inputs, arrays, outs, out_tensors, dev):
    """Turn the arrays forward saved into saved-tensor entries (inputs and outputs by identity)."""
    saved = []
    for a in ctx._to_save:
        if a is None or type(a) in _SCALARS:
            saved.append((2, a))
            continue
        for x, arr in zip(inputs, arrays):
            if a is arr and isinstance(x, Tensor):
                saved.append((0, x, x._version))
                break
        else:
            saved.append(_entry(a, outs, out_tensors, dev))
    ctx._saved = tuple(saved)
    ctx._to_save = None


def _refresh_view(x):
    from .movement import refresh_view
    refresh_view(x)


def _entry(a, outs, out_tensors, dev):
    """The saved entry of an array that is not one of the op's tensor inputs."""
    if isinstance(a, Tensor):
        return (0, a, a._version)
    for i, o in enumerate(outs):
        if a is o:
            vc = out_tensors[i]._shared_vc()
            return (1, o, vc, vc[0], i, dev)
    return (2, _wrap(a, dev))


def broadcast_failure(e, operands, order=None):
    """NumPy's broadcast ValueError as torch's RuntimeError naming the sizes that differ (other errors as they are);
    `order`: the operands' positions in the order torch pairs them, when that is not the argument order (empty: the
    op reports the error itself)."""
    if numpy_broadcast_failure(e):
        if order is not None:
            operands = [operands[i] for i in order]
        err = broadcast_error([x._data.shape for x in operands if isinstance(x, Tensor)])
        if err is not None:
            err.__suppress_context__ = True
            return err
    return e


def _mixed_devices(dev, x, op, inputs):
    """The device of an op whose tensors are on `dev` and x's device: 0-d CPU tensors may join
    tensors of another device, as in PyTorch; any other mix is an error."""
    if x._device.type == "cpu" and x._data.ndim == 0:
        return dev
    if dev.type == "cpu" and all(t._data.ndim == 0 for t in inputs
                                 if isinstance(t, Tensor) and t._device is dev):
        return x._device
    raise RuntimeError(
        "Expected all tensors to be on the same device, but found at least two devices, "
        f"{x._device} and {dev}! (when checking arguments for {op})")
