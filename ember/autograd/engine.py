"""The backward engine: runs graph nodes in topological order, summing gradients per node."""
from . import grad_mode
from .anomaly_mode import _anomaly
from .graph import AccumulateGrad, _FREED, FREED_MSG


def _topo_order(roots):
    """Nodes reachable from roots, each after every node that feeds it a gradient."""
    deps = {}
    stack = list(roots)
    seen = set(stack)
    while stack:
        n = stack.pop()
        for e in n.next_functions:
            if e is None:
                continue
            c = e[0]
            deps[c] = deps.get(c, 0) + 1
            if c not in seen:
                seen.add(c)
                stack.append(c)
    ready = [n for n in dict.fromkeys(roots) if n not in deps]
    order = []
    while ready:
        n = ready.pop()
        order.append(n)
        for e in n.next_functions:
            if e is None:
                continue
            c = e[0]
            d = deps[c] - 1
            deps[c] = d
            if d == 0:
                ready.append(c)
    return order


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
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and gs[i + lead] != 1)
    if axes:
        g = g.sum(axes, keepdim=True)
    if lead:
        g = g.reshape(shape)
    return g


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


def _accumulate(var, g, create_graph):
    if g is None:
        return
    if g.dtype is not var.dtype:
        g = g.to(var.dtype)
    old = var.grad
    if old is None:
        if not create_graph:
            g = g.detach()
            if g._base is not None or g._data is var._data:
                g = g.clone()   # .grad must not alias another tensor
        var.grad = g
    elif create_graph or old.requires_grad:
        var.grad = old + g
    else:
        old._data += g._data
    post = var._post_acc_hooks
    if post:
        for h in list(post.values()):
            h(var)


def execute(roots, grads, retain_graph, create_graph, inputs=None, accumulate=True, allow_unused=False):
    """Backpropagate `grads` from `roots` (pairs (node, output_nr)).

    With `inputs` (list of edges), returns their gradients; with accumulate=True the gradients
    of leaves (all of them, or only `inputs`) are added into `.grad`."""
    root_nodes = [r[0] for r in roots]
    order = _topo_order(root_nodes)
    targets = None
    if inputs is not None:
        targets = {e[0] for e in inputs if e is not None}
        need = _needed(order, targets)
    buffers = {}
    for (node, nr), g in zip(roots, grads):
        buf = buffers.get(node)
        if buf is None:
            buf = buffers[node] = {}
        buf[nr] = g if nr not in buf else buf[nr] + g
    captured = {}
    prev_mode = grad_mode._enabled[0]
    grad_mode._enabled[0] = bool(create_graph)
    try:
        for node in order:
            buf = buffers.pop(node, None)
            if buf is None:
                continue
            if targets is not None and node not in need:
                continue
            # tensor hooks and retain_grad on this node's outputs
            if node._tensor_hooks or node._retained:
                for nr in list(buf):
                    buf[nr] = _run_tensor_hooks(node, nr, buf[nr])
            if type(node) is AccumulateGrad:
                is_target = targets is not None and node in targets
                if targets is None or is_target:
                    var = node.variable
                    g = buf[0]
                    if var._backward_hooks:
                        for h in list(var._backward_hooks.values()):
                            r = h(g)
                            if r is not None:
                                g = r
                    if is_target:
                        captured[(node, 0)] = g
                    if accumulate:
                        _accumulate(var, g, create_graph)
                continue
            if targets is not None and node in targets:
                for nr, g in buf.items():
                    captured[(node, nr)] = g
                if not any(e is not None and e[0] in need for e in node.next_functions):
                    continue
            _run_node(node, buf, buffers, retain_graph, create_graph)
    finally:
        grad_mode._enabled[0] = prev_mode
    if inputs is None:
        return None
    out = []
    for e in inputs:
        g = captured.get(e) if e is not None else None
        if g is None and not allow_unused:
            raise RuntimeError(
                "One of the differentiated Tensors appears to not have been used in the graph. "
                "Set allow_unused=True if this is the desired behavior.")
        out.append(g)
    return out


def _run_node(node, buf, buffers, retain_graph, create_graph):
    if node._saved is _FREED:
        raise RuntimeError(FREED_MSG)
    n_out = getattr(node, "_n_out", 1)
    if n_out == 1:
        grads_out = (buf.get(0),)
    else:
        grads_out = tuple(buf.get(i) for i in range(n_out))
    if None in grads_out:
        grads_out = node._materialize(grads_out)
    if node._pre_hooks:
        for h in list(node._pre_hooks.values()):
            r = h(grads_out)
            if r is not None:
                grads_out = tuple(r)
    grads_in = node.backward(*grads_out)
    if type(grads_in) is not tuple:
        grads_in = (grads_in,)
    if node._post_hooks:
        for h in list(node._post_hooks.values()):
            r = h(grads_in, grads_out)
            if r is not None:
                grads_in = tuple(r)
    if _anomaly[0]:
        _check_nan(node, grads_in)
    if not retain_graph:
        node._free()
    meta = node._meta
    nf = node.next_functions
    for i, e in enumerate(nf):
        if e is None:
            continue
        g = grads_in[i] if i < len(grads_in) else None
        if g is None:
            continue
        if meta is not None:
            m = meta[i]
            if m is not None:
                shape, dt = m
                if g.shape != shape:
                    try:
                        g = sum_to(g, shape)
                    except Exception:
                        raise RuntimeError(
                            f"Function {node.name()} returned an invalid gradient at index {i} - got "
                            f"{list(g.shape)} but expected shape compatible with {list(shape)}") from None
                if g.dtype is not dt:
                    g = g.to(dt)
        c, nr = e
        b = buffers.get(c)
        if b is None:
            buffers[c] = {nr: g}
        elif nr in b:
            b[nr] = b[nr] + g
        else:
            b[nr] = g


def _check_nan(node, grads_in):
    for i, g in enumerate(grads_in):
        if g is not None and g.dtype.is_floating_point and bool(g.isnan().any()):
            msg = f"Function '{node.name()}' returned nan values in its {i}th output."
            if node._anomaly_trace:
                msg += "\nTraceback of forward call that caused the error:\n" + node._anomaly_trace
            raise RuntimeError(msg)
