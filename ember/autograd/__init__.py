"""ember.autograd: backward, grad, Function, grad modes, gradcheck, anomaly detection."""
from .grad_mode import (no_grad, enable_grad, set_grad_enabled, inference_mode, is_grad_enabled,
                        is_inference_mode_enabled)
from .anomaly_mode import detect_anomaly, set_detect_anomaly, is_anomaly_enabled
from .function import Function, FunctionCtx, once_differentiable
from .gradcheck import gradcheck, gradgradcheck
from . import graph, forward_ad  # noqa: F401
from .graph import Node


def _engine():
    from . import engine
    global _engine
    _engine = lambda: engine  # noqa: E731  (import once; backward() is on the hot path)
    return engine


_ONES = {}


def _one(xp, dtype):
    """A read-only 0-d CPU one of a NumPy dtype (cached): the seed gradient of `loss.backward()`."""
    one = _ONES.get(dtype)
    if one is None:
        one = _ONES[dtype] = xp.ones((), dtype)
        one.flags.writeable = False
    return one


def _tensor_list(x):
    from .._tensor import Tensor
    if x is None:
        return None
    if isinstance(x, Tensor):
        return [x]
    return list(x)


def _make_grads(outputs, grad_outputs, create_graph):
    from .._factory import ones_like
    grads = []
    for i, (o, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if o._data.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            if not o.dtype.is_floating_point:
                raise RuntimeError(f"grad can be implicitly created only for real scalar outputs but got {o.dtype}")
            g = ones_like(o)
        else:
            if g.shape != o.shape:
                raise RuntimeError(
                    f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and output[{i}] has a shape "
                    f"of {o.shape}.")
            if g.dtype is not o.dtype:
                g = g.to(o.dtype)
        grads.append(g)
    return grads


def _roots(outputs):
    roots = []
    for i, o in enumerate(outputs):
        if not o._rg:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(graph.edge(o))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, grad_variables=None, inputs=None):
    """Accumulate d(tensors)/d(leaves) into the leaves' `.grad`."""
    engine = _engine()
    if grad_tensors is None and inputs is None and getattr(tensors, "_data", None) is not None:
        t = tensors     # the common `loss.backward()`
        a = t._data
        if a.size == 1 and a.dtype.kind in "fV" and t._rg:
            dev = t._device
            fn = t.grad_fn
            if not a.ndim and dev.type == "cpu" and fn is not None and not fn._hooked:
                one = _one(dev.xp, a.dtype)     # no hook can see it, and the engine never writes into a root's gradient
            else:
                one = dev.xp.array(1, dtype=a.dtype) if dev.type == "cpu" else dev.call(dev.xp.ones_like, a)
            g = type(t)._wrap(one.reshape(a.shape) if a.ndim else one, dev)
            if create_graph:
                engine.execute([graph.edge(t)], [g], True, True)
            else:
                node, nr = graph.edge(t)
                engine.backward_one(node, nr, g, bool(retain_graph))
            return
    execute = engine.execute
    outputs = _tensor_list(tensors)
    grads = _tensor_list(grad_tensors) if grad_tensors is not None else [None] * len(outputs)
    if len(grads) != len(outputs):
        raise RuntimeError(f"got {len(grads)} tensors and {len(outputs)} gradients")
    if retain_graph is None:
        retain_graph = create_graph
    grads = _make_grads(outputs, grads, create_graph)
    roots = _roots(outputs)
    in_edges = None
    if inputs is not None:
        ins = _tensor_list(inputs)
        if not ins:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        in_edges = [graph.edge(t) for t in ins]
    execute(roots, grads, retain_graph, create_graph, inputs=in_edges, accumulate=True,
            allow_unused=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, only_inputs=True,
         allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Gradients of outputs with respect to inputs, returned (not accumulated into .grad)."""
    from .engine import execute
    outs = _tensor_list(outputs)
    ins = _tensor_list(inputs)
    single = not isinstance(inputs, (list, tuple))
    go = _tensor_list(grad_outputs) if grad_outputs is not None else [None] * len(outs)
    if len(go) != len(outs):
        raise RuntimeError(f"grad requires one grad_output per output: got {len(go)} and {len(outs)}")
    if allow_unused is None:
        allow_unused = materialize_grads
    if retain_graph is None:
        retain_graph = create_graph
    for t in ins:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    grads = _make_grads(outs, go, create_graph)
    roots = _roots(outs)
    edges = [graph.edge(t) for t in ins]
    res = execute(roots, grads, retain_graph, create_graph, inputs=edges, accumulate=False,
                  allow_unused=allow_unused)
    if materialize_grads:
        from .._factory import zeros_like
        res = [zeros_like(t) if g is None else g for g, t in zip(res, ins)]
    return tuple(res)


Variable = None  # set in ember/__init__ (Variable(t) returns t, as in PyTorch >= 0.4)
