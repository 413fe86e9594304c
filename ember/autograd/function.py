"""User-defined ops: `class MyReLU(ember.autograd.Function)` with static forward/backward."""
import functools

from . import grad_mode
from .graph import Node, accumulator, next_seq


class FunctionCtx:
    """What `ctx` offers inside a custom Function's forward/backward."""

    def save_for_backward(self, *tensors):
        self.to_save = tensors

    def mark_dirty(self, *tensors):
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        self.materialize_grads = value

    def save_for_forward(self, *tensors):
        pass


class BackwardCFunction(Node, FunctionCtx):
    """The graph node a custom Function call creates; it is also the `ctx`."""

    materialize_grads = True
    to_save = None
    dirty_tensors = ()
    non_differentiable = ()

    def __repr__(self):
        return f"<ember.autograd.function.{self._name} object at {hex(id(self))}>"

    def backward(self, *grads):
        if self._once and grad_mode._enabled[0]:
            with grad_mode.no_grad():
                res = self._cls.backward(self, *grads)
        else:
            res = self._cls.backward(self, *grads)
        if not isinstance(res, tuple):
            res = (res,)
        n = len(self.next_functions)
        if len(res) < n:
            raise RuntimeError(f"function {self._name} returned an incorrect number of gradients (expected {n}, got {len(res)})")
        return tuple(res[:n])

    def _materialize(self, grads):
        if not self.materialize_grads:
            return grads
        from .._factory import zeros
        return tuple(g if g is not None else zeros(m[0], dtype=m[1], device=m[2]) for g, m in zip(grads, self._out_meta))

    @property
    def needs_input_grad(self):
        return self._needs

    @property
    def saved_variables(self):
        return self.saved_tensors


class _FunctionMeta(type):
    def __init__(cls, name, bases, attrs):
        super().__init__(name, bases, attrs)
        cls._backward_cls = type(name + "Backward", (BackwardCFunction,), {"_name": name + "Backward", "_cls": cls})


class Function(metaclass=_FunctionMeta):
    """Base for custom autograd ops: define static `forward(ctx, ...)` and `backward(ctx, *grads)`."""

    _once = False

    def __init__(self, *args, **kwargs):
        pass

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement either the backward or vjp method for your custom "
                                  "autograd.Function to use it with backward mode AD.")

    vjp = backward

    @staticmethod
    def setup_context(ctx, inputs, output):
        raise NotImplementedError

    @classmethod
    def apply(cls, *args, **kwargs):
        from .._tensor import Tensor
        ctx = cls._backward_cls()
        ctx._once = getattr(cls.backward, "_once_differentiable", False)
        tensors = [a for a in args if isinstance(a, Tensor)]
        requires = grad_mode._enabled[0] and any(t._rg for t in tensors)
        ctx._needs = tuple(isinstance(a, Tensor) and a._rg for a in args)
        uses_setup = cls.setup_context is not Function.setup_context
        with grad_mode.no_grad():
            if uses_setup:
                out = cls.forward(*args, **kwargs)
                cls.setup_context(ctx, args, out)
            else:
                out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if not requires:
            return out
        nf = []
        meta = []
        for a in args:
            if isinstance(a, Tensor) and a._rg:
                nf.append((accumulator(a), 0) if a.grad_fn is None else (a.grad_fn, a._output_nr))
                meta.append((a._data.shape, a._data.dtype))
            else:
                nf.append(None)
                meta.append(None)
        ctx.next_functions = tuple(nf)
        ctx._meta = tuple(meta)
        ctx._seq = next_seq()
        non_diff = {id(t) for t in ctx.non_differentiable}
        dirty = {id(t) for t in ctx.dirty_tensors}
        new_outs = []
        for i, o in enumerate(outs):
            if not isinstance(o, Tensor):
                new_outs.append(o)
                continue
            if id(o) in {id(t) for t in tensors} and id(o) not in dirty:
                o = o.view_as(o) if False else _alias(o)
            if id(o) in non_diff or not (o.dtype.is_floating_point or o.dtype.is_complex):
                new_outs.append(o)
                continue
            if id(o) in dirty:
                o._bump()
            o.grad_fn = ctx
            o._rg = True
            o._output_nr = i
            new_outs.append(o)
        ctx._n_out = len(outs)
        ctx._out_meta = tuple((o._data.shape, o.dtype, o._device) if isinstance(o, Tensor) else ((), None, None)
                              for o in outs)
        if ctx.to_save:
            ctx._saved = tuple((0, t, t._version) if isinstance(t, Tensor) else (2, t) for t in ctx.to_save)
            ctx.to_save = None
        return new_outs[0] if single else tuple(new_outs)


def _alias(t):
    from .._tensor import Tensor
    a = Tensor._wrap(t._data, t._device)
    a._vc = t._shared_vc()
    a._base = t if t._base is None else t._base
    return a


def once_differentiable(fn):
    @functools.wraps(fn)
    def wrapper(ctx, *grads):
        with grad_mode.no_grad():
            return fn(ctx, *grads)
    wrapper._once_differentiable = True
    return wrapper


class InplaceFunction(Function):
    def __init__(self, inplace=False):
        self.inplace = inplace


class NestedIOFunction(Function):
    pass
