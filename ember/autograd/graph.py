"""Graph nodes: what a tensor's `grad_fn` is.

Every node has `next_functions` (one `(node, output_nr)` pair per differentiable input, `None`
for inputs that need no gradient) and a `backward(*grad_outputs)` that returns one gradient per
input, written with ember ops so that it can itself be differentiated.
"""
from itertools import count as _count
from weakref import ref as _weakref

_FREED = object()
# Every node gets a sequence number when it joins the graph, counting down: a node's number is below
# those of its inputs' nodes (made before it), so the engine runs nodes in ascending order (newest first).
next_seq = _count(0, -1).__next__
_new = object.__new__

FREED_MSG = (
    "Trying to backward through the graph a second time (or directly access saved tensors after they "
    "have already been freed). Saved intermediate values of the graph are freed when you call .backward() "
    "or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time "
    "or if you need to access saved tensors after calling backward.")


class Node:
    """Base of all graph nodes (built-in ops, custom Functions, AccumulateGrad)."""

    next_functions = ()
    _n_out = 1
    _saved = None              # tuple of saved entries, or _FREED after backward
    _meta = None               # per input: (shape, dtype) for gradient reduction, or None
    _tensor_hooks = None       # {output_nr: [hook]} from Tensor.register_hook on outputs
    _retained = None           # {output_nr: tensor} from retain_grad()
    _pre_hooks = None
    _post_hooks = None
    _hooked = False            # any of the four above set: the engine looks at them only then
    _inline = False            # the engine may run it inline: an op with one output, on the CPU, no hooks
    _anomaly_trace = None
    _name = "Node"
    device = None              # the device its backward runs on (set by ops off the CPU)

    def name(self):
        return self._name

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"

    def __call__(self, *grads):
        return self.backward(*grads)

    @property
    def metadata(self):
        d = self.__dict__.get("_metadata")
        if d is None:
            d = self._metadata = {}
        return d

    # ---- saved tensors ---------------------------------------------------------------------
    @property
    def saved_tensors(self):
        s = self._saved
        if s is _FREED:
            raise RuntimeError(FREED_MSG)
        if s is None:
            return ()
        if len(s) == 1:                 # the common cases without building a list
            e = s[0]
            return (e[1] if e[0] == 2 else _unpack(e, self),)
        return tuple([e[1] if e[0] == 2 else _unpack(e, self) for e in s])

    def _free(self):
        if self._saved:
            self._saved = _FREED

    # ---- hooks on the node ---------------------------------------------------------------
    def _hook_added(self):
        self._hooked = True
        self._inline = False

    def register_hook(self, fn):
        """fn(grad_inputs, grad_outputs) -> None or new grad_inputs, after this node runs."""
        if self._post_hooks is None:
            self._post_hooks = {}
            self._hook_added()
        from ..utils.hooks import RemovableHandle
        h = RemovableHandle(self._post_hooks)
        self._post_hooks[h.id] = fn
        return h

    def register_prehook(self, fn):
        """fn(grad_outputs) -> None or new grad_outputs, before this node runs."""
        if self._pre_hooks is None:
            self._pre_hooks = {}
            self._hook_added()
        from ..utils.hooks import RemovableHandle
        h = RemovableHandle(self._pre_hooks)
        self._pre_hooks[h.id] = fn
        return h


class AccumulateGrad(Node):
    """The node behind a leaf tensor that requires grad: adds incoming gradients to `.grad`."""

    _name = "AccumulateGrad"

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()
        self._seq = next_seq()

    def backward(self, grad):
        raise RuntimeError("AccumulateGrad is applied by the engine")


def accumulator(t):
    """The (cached) AccumulateGrad node of a leaf tensor."""
    ref = t._acc_ref
    if ref is not None:
        node = ref()
        if node is not None:
            return node
    node = _new(AccumulateGrad)
    node.variable = t
    node._seq = next_seq()
    t._acc_ref = _weakref(node)
    return node


def edge(t):
    """The `(node, output_nr)` pair through which gradient reaches tensor t, or None."""
    if not t._rg:
        return None
    if t._base is not None and t._vc[0] != t._view_ver:
        from .._ops.movement import refresh_view
        refresh_view(t)
    fn = t.grad_fn
    if fn is None:
        return (accumulator(t), 0)
    return (fn, t._output_nr)


# ---- saved entries ---------------------------------------------------------------------------
# (0, tensor, version)                         an input tensor, returned as is
# (1, array, counter, version, output_nr, dev) an output of this node, rebuilt on access
# (2, tensor)                                  a constant (no grad)


def _version_error(t_desc, fn_name, found, expected):
    return RuntimeError(
        "one of the variables needed for gradient computation has been modified by an inplace operation: "
        f"[{t_desc}], which is output 0 of {fn_name}, is at version {found}; expected version {expected} "
        "instead. Hint: enable anomaly detection to find the operation that failed to compute its gradient, "
        "with torch.autograd.set_detect_anomaly(True, check_nan=False).")


def _unpack(e, node):
    kind = e[0]
    if kind == 0:
        t = e[1]
        vc = t._vc
        v = vc[0] if vc is not None else 0
        if v != e[2]:
            fn = t.grad_fn.name() if t.grad_fn is not None else "AccumulateGrad"
            raise _version_error(_desc(t), fn, v, e[2])
        return t
    if kind == 1:
        _, arr, vc, ver, nr, dev = e
        if vc[0] != ver:
            raise _version_error(f"{_legacy_name(arr)} [{', '.join(map(str, arr.shape))}]", node.name(), vc[0], ver)
        t = _new(_tensor_type())
        t._data = arr
        t._device = dev
        t._vc = vc
        t._rg = True
        t.grad_fn = node
        t._output_nr = nr
        return t
    return e[1]


def _tensor_type():
    global _tensor_type
    from .._tensor import Tensor
    _tensor_type = lambda: Tensor  # noqa: E731  (imported once: unpacking is on every backward)
    return Tensor


def _legacy_name(arr):
    from .._dtypes import from_np
    return "torch." + from_np(arr.dtype)._legacy


def _desc(t):
    return f"{_legacy_name(t._data)} [{', '.join(map(str, t.shape))}]"
