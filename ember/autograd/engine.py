"""The backward engine: runs graph nodes in topological order, summing gradients per node."""
from heapq import heapify, heappop, heappush
from operator import attrgetter
from sys import getrefcount as _getrefcount

from . import grad_mode
from .anomaly_mode import _anomaly
from .._device import CPU
from .._dtypes import from_np as _from_np
from .._tensor import Tensor
from .graph import AccumulateGrad, _FREED, FREED_MSG


def _topo_order(roots):
    """Nodes reachable from roots, each after every node that feeds it a gradient (newest first)."""
    seen = set(roots)
    stack = list(seen)
    while stack:
        for e in stack.pop().next_functions:
            if e is not None and e[0] not in seen:
                seen.add(e[0])
                stack.append(e[0])
    return sorted(seen, key=attrgetter("_seq"))


def _needed(order, targets):
    """Nodes from which some target node can be reached (the only ones worth running)."""
    need = set(targets)
    for n in reversed(order):
        if n in need:
            continue
        for e in n.next_functions:
            if e is not None and e[0] in need:
                need.add(n)
                break
    return need


def sum_to(g, shape):
    """Reduce a broadcast gradient back to `shape` (ember ops: differentiable)."""
    gs = g.shape
    if gs == shape:
        return g
    lead = len(gs) - len(shape)
    inner = tuple(i + lead for i, s in enumerate(shape) if s == 1 and gs[i + lead] != 1)
    if not inner:               # only leading dims were broadcast (a bias; lead > 0, equal shapes left above)
        return g.sum(tuple(range(lead)))
    g = g.sum(tuple(range(lead)) + inner, keepdim=True)
    return g.reshape(shape) if lead else g


def _run_tensor_hooks(node, nr, g):
    hooks = node._tensor_hooks
    if hooks and nr in hooks:
        for h in list(hooks[nr].values()):
            r = h(g)
            if r is not None:
                g = r
    ret = node._retained
    if ret and nr in ret:
        t = ret[nr]()
        if t is not None:
            gg = g if grad_mode._enabled[0] else g.detach()
            t.grad = gg if t.grad is None else t.grad + gg
    return g


def _accumulate(var, g, create_graph, shared):
    if g is None:
        return
    if g._device is not CPU and g._device.needs_switch():
        return g._device.call(_accumulate, var, g, create_graph, shared)
    a = g._data
    if a.dtype != var._data.dtype:
        g = g.to(var.dtype)
        a = g._data
    old = var._grad
    if old is None:
        if create_graph:
            var._grad = g
        elif id(g) not in shared and g.grad_fn is None and _fresh_layout(a.flags) and _exclusive(g):
            var._grad = Tensor._wrap(a, g._device)          # a fresh gradient nobody else holds: keep it
        else:
            var._grad = Tensor._wrap(a.copy(), g._device)    # .grad must not alias another tensor
    elif create_graph or old._rg:
        var._grad = old + g
    else:
        old._data += a
    post = var._post_acc_hooks
    if post:
        for h in list(post.values()):
            h(var)


def _fresh_layout(flags):
    """C-contiguous and writeable (CuPy's flags have no `writeable`)."""
    return flags.c_contiguous and getattr(flags, "writeable", True)


def _exclusive(g):
    """True when nothing outside this gradient holds its array or the buffer it views, so it can
    become a leaf's .grad without a copy. CPython refcounts; the counts below are the references
    made by `g` itself, the locals here and getrefcount's argument."""
    a = g._data
    if _getrefcount(a) > 4:                   # g's __dict__, the caller's and our local `a`, the argument
        return False
    b = a.base
    if b is None:
        return True
    owner = g._base                           # a view tensor keeps its base tensor alive
    held = 3                                  # the view's base pointer, local `b`, the argument
    if owner is not None and owner._data is b:
        if _getrefcount(owner) > 3:           # g's __dict__, local `owner`, the argument
            return False
        held += 1                             # the base tensor's __dict__
    return _getrefcount(b) <= held and getattr(b, "base", None) is None


def execute(roots, grads, retain_graph, create_graph, inputs=None, accumulate=True, allow_unused=False):
    """Backpropagate `grads` from `roots` (pairs (node, output_nr)).

    With `inputs` (list of edges), returns their gradients; with accumulate=True the gradients
    of leaves (all of them, or only `inputs`) are added into `.grad`."""
    buffers = {}        # node -> its gradient so far (a list of them for multi-output nodes)
    shared = set()      # ids of gradient tensors that must not become a leaf's .grad as they are
    root_nodes = []
    for (node, nr), g in zip(roots, grads):
        shared.add(id(g))
        _add_grad(buffers, node, nr, g)
        root_nodes.append(node)
    prev_mode = grad_mode._enabled[0]
    grad_mode._enabled[0] = bool(create_graph)
    try:
        if inputs is None:
            _run_all(root_nodes, buffers, retain_graph, create_graph, shared, accumulate)
            return None
        captured = _run_towards(root_nodes, buffers, retain_graph, create_graph, shared, accumulate,
                                {e[0] for e in inputs if e is not None})
    finally:
        grad_mode._enabled[0] = prev_mode
    out = []
    for e in inputs:
        g = captured.get(e) if e is not None else None
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
        out.append(g)
    return out


def backward_one(node, nr, g, retain_graph):
    """`loss.backward()`: gradient g into output nr of node, accumulated into every leaf it reaches
    (execute's common case without its generality)."""
    if node._n_out == 1:
        buffers = {node: g}
    else:
        buffers = {}
        _add_grad(buffers, node, nr, g)
    prev_mode = grad_mode._enabled[0]
    grad_mode._enabled[0] = False
    try:
        _run_all((node,), buffers, retain_graph, False, {id(g)}, True)
    finally:
        grad_mode._enabled[0] = prev_mode


def _add_grad(buffers, node, nr, g):
    n_out = node._n_out
    b = buffers.get(node)
    if n_out == 1:
        buffers[node] = g if b is None else b + g
        return
    if b is None:
        b = buffers[node] = [None] * n_out
    b[nr] = g if b[nr] is None else b[nr] + g


def _run_all(root_nodes, buffers, retain_graph, create_graph, shared, accumulate):
    """Run every node that receives a gradient from the roots (Tensor.backward without `inputs`).

    Nodes run newest first (ascending sequence number, see graph.next_seq): every node that can
    send a gradient to a node was made after it, so it has run by then. A node waits in the heap
    from its first incoming gradient; nodes no gradient reaches never run."""
    if len(root_nodes) == 1:
        n = root_nodes[0]
        heap = [(n._seq, n)]
    else:
        heap = [(n._seq, n) for n in dict.fromkeys(root_nodes)]
        heapify(heap)
    pop = buffers.pop
    plain = not _anomaly[0]
    while heap:
        node = heappop(heap)[1]
        buf = pop(node)
        if node._inline and plain:
            # _run_node's common case inline (one output, no hooks, on the CPU): the per-node cost
            # of the engine is most of a small graph's backward
            saved = node._saved
            if saved is _FREED:
                raise RuntimeError(FREED_MSG)
            grads_in = node.backward(buf)
            if saved and not retain_graph:
                node._saved = _FREED
            if type(grads_in) is not tuple:
                grads_in = (grads_in,)
            _send(node, grads_in, buffers, shared, heap)
        elif type(node) is AccumulateGrad:
            if accumulate:
                _accumulate_leaf(node, buf, create_graph, shared)
        else:
            _run_node(node, buf, buffers, retain_graph, shared, heap)


def _accumulate_leaf(node, g, create_graph, shared):
    if node._hooked:
        g = _run_tensor_hooks(node, 0, g)
    var = node.variable
    _accumulate(var, _leaf_hooks(var, g) if var._backward_hooks else g, create_graph, shared)
    return g


def _run_towards(root_nodes, buffers, retain_graph, create_graph, shared, accumulate, targets):
    """Run only the nodes that lead to `targets`; return the gradients arriving there."""
    order = _topo_order(root_nodes)
    need = _needed(order, targets)
    captured = {}
    for node in order:
        buf = buffers.pop(node, None)
        if buf is None or node not in need:
            continue
        if type(node) is AccumulateGrad:
            if node in targets:
                if node._hooked:
                    buf = _run_tensor_hooks(node, 0, buf)
                g = _leaf_hooks(node.variable, buf)
                captured[(node, 0)] = g
                shared.add(id(g))
                if accumulate:
                    _accumulate(node.variable, g, create_graph, shared)
            continue
        if node in targets:
            if node._n_out == 1:
                captured[(node, 0)] = _output_hooks(node, buf)
            else:
                for nr, g in enumerate(_output_hooks(node, buf)):
                    if g is not None:
                        captured[(node, nr)] = g
            if not any(e is not None and e[0] in need for e in node.next_functions):
                continue
        _run_node(node, buf, buffers, retain_graph, shared)
    return captured


def _leaf_hooks(var, g):
    hooks = var._backward_hooks
    if hooks:
        for h in list(hooks.values()):
            r = h(g)
            if r is not None:
                g = r
    return g


def _output_hooks(node, buf):
    """The node's incoming gradient(s) after the hooks registered on its output tensors."""
    if not node._hooked:
        return buf
    if node._n_out == 1:
        return _run_tensor_hooks(node, 0, buf)
    return [g if g is None else _run_tensor_hooks(node, nr, g) for nr, g in enumerate(buf)]


def _run_node(node, buf, buffers, retain_graph, shared, heap=None):
    """Run one node's backward on its incoming gradient(s) `buf` and send the results down its
    edges; with `heap`, children reached for the first time join it."""
    saved = node._saved
    if saved is _FREED:
        raise RuntimeError(FREED_MSG)
    hooked = node._hooked
    if hooked:
        buf = _output_hooks(node, buf)
    if node._n_out == 1:
        grads_out = (buf,)
    else:
        grads_out = tuple(buf)
        if None in grads_out:
            grads_out = node._materialize(grads_out)
    if hooked and node._pre_hooks:
        for h in list(node._pre_hooks.values()):
            r = h(grads_out)
            if r is not None:
                grads_out = tuple(r)
    dev = node.device
    if dev is None or dev is CPU or not dev.needs_switch():
        grads_in = node.backward(*grads_out)
    else:                       # a node of a second GPU: its backward runs with that GPU current
        grads_in = dev.call(node.backward, *grads_out)
    if type(grads_in) is not tuple:
        grads_in = (grads_in,)
    if hooked and node._post_hooks:
        for h in list(node._post_hooks.values()):
            r = h(grads_in, grads_out)
            if r is not None:
                grads_in = tuple(r)
    if _anomaly[0]:
        _check_nan(node, grads_in)
    if saved and not retain_graph:
        node._saved = _FREED
    _send(node, grads_in, buffers, shared, heap)


def _send(node, grads_in, buffers, shared, heap=None):
    """Add a node's input gradients into its children's buffers (each in its input's shape, dtype and
    device); with `heap`, children reached for the first time join it."""
    edges = node.next_functions
    n = len(edges)
    if len(grads_in) != n:          # fewer gradients than inputs: the rest are None
        grads_in = (grads_in + (None,) * n)[:n]
    if n == 2:
        g = grads_in[0]
        if g is not None and g is grads_in[1]:
            shared.add(id(g))       # one tensor down two edges must not become a leaf's .grad as it is
    elif n == 3:                    # addmm, linear, where ...: the same, without a set
        a, b, c = grads_in
        if a is not None and (a is b or a is c):
            shared.add(id(a))
        elif b is not None and b is c:
            shared.add(id(b))
    elif n > 3:
        _mark_repeats(grads_in, shared)
    meta = node._meta               # None: nodes made outside Op.apply (CopySlices ...)
    i = 0
    for e in edges:
        if e is not None:
            g = grads_in[i]
            if g is not None:
                c = e[0]
                if meta is not None:
                    m = meta[i]
                    a = g._data
                    if m is not None and (a.shape != m[0] or a.dtype is not m[1] or len(m) > 2):
                        g = _fit(node, grads_in, g, m)
                b = buffers.get(c)
                if b is None:
                    if heap is not None:
                        heappush(heap, (c._seq, c))
                    if c._n_out == 1:
                        buffers[c] = g
                    else:
                        _add_grad(buffers, c, e[1], g)
                elif c._n_out == 1:
                    buffers[c] = b + g
                else:
                    _add_grad(buffers, c, e[1], g)
        i += 1


def _mark_repeats(grads, shared):
    """A tensor sent down two edges must not become a leaf's .grad as it is."""
    seen = set()
    for g in grads:
        if g is not None:
            i = id(g)
            if i in seen:
                shared.add(i)
            seen.add(i)


def _fit(node, grads_in, g, m):
    """Gradient g (one of the node's grads_in) in its input's shape, dtype and device (meta m)."""
    given = g
    a = g._data
    if len(m) > 2 and g._device is not m[2]:
        g = g.to(m[2])      # a 0-d CPU input of an op on another device
        a = g._data
    shape = m[0]
    if a.shape != shape:
        if not _reducible(a.shape, shape):
            i = next(j for j, x in enumerate(grads_in) if x is given)
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"{list(a.shape)} but expected shape compatible with {list(shape)}")
        g = sum_to(g, shape)
        a = g._data
    dt = m[1]
    if a.dtype is not dt and a.dtype != dt:
        g = g.to(_from_np(dt))
    return g


def _reducible(got, shape):
    """Whether a gradient of shape `got` is a broadcast of `shape` (sum_to can reduce it)."""
    lead = len(got) - len(shape)
    return lead >= 0 and all(s == 1 or s == n for s, n in zip(shape, got[lead:]))


def _check_nan(node, grads_in):
    for i, g in enumerate(grads_in):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            msg = f"Function '{node.name()}' returned nan values in its {i}th output."
            if node._anomaly_trace:
                msg += "\nTraceback of forward call that caused the error:\n" + node._anomaly_trace
            raise RuntimeError(msg)
