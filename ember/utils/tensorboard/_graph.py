"""A TensorBoard GraphDef for an ember model, built from one forward pass.

PyTorch traces the model with the JIT; ember has no JIT, so it runs the model once (in eval mode,
with gradients on) and reads two things:

* the module tree, through forward pre-/post-hooks on every module: when a module returns, the
  autograd nodes reachable from its outputs that no inner module has claimed, down to the nodes
  of its inputs, were created by this module's own code, so they get its scope
  (`Net/Sequential[fc]/Linear[0]`, the naming of PyTorch's graphs);
* the autograd graph of the outputs: one NodeDef per grad_fn node (op `aten::<op>` from the node's
  name, `MulBackward0` -> `aten::mul`), per parameter (`<scope>/<attr>`, op `prim::GetAttr`) and per
  model input/output (`input/<arg>`, `output/output.<i>`, op `IO Node`), inputs from
  `next_functions` and the attribute `_output_shapes`.

Only differentiable data flow is visible: tensors that need no gradient (integer inputs, buffers
such as running statistics) and non-tensor arguments leave no autograd node.
"""
import collections
import inspect
import re

from tensorboardX.proto.attr_value_pb2 import AttrValue
from tensorboardX.proto.graph_pb2 import GraphDef
from tensorboardX.proto.node_def_pb2 import NodeDef
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboardX.proto.versions_pb2 import VersionDef

from ..._tensor import Tensor
from ...autograd.graph import AccumulateGrad, edge
from ._proto import run_metadata

_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_BACKWARD = re.compile(r"Backward\d*$")

# RunMetadata { step_stats { dev_stats { device: "/device:CPU:0" } } }, as PyTorch writes it
_RUN_METADATA = run_metadata("/device:CPU:0")


def op_name(node):
    """`MaxPool2DWithIndicesBackward0` -> `max_pool2d_with_indices`."""
    return _CAMEL.sub("_", _BACKWARD.sub("", node.name())).lower() or "op"


def _tensors(obj):
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors(o)


def _arg_names(model, n):
    try:
        params = list(inspect.signature(model.forward if hasattr(model, "forward") else model).parameters.values())
    except (TypeError, ValueError):
        params = []
    names = []
    for p in params:
        if p.kind == p.VAR_POSITIONAL:
            names += [f"{p.name}.{i}" for i in range(n - len(names))]
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
    names += [f"input.{i}" for i in range(len(names), n)]
    return names[:n]


def _shape_proto(shape):
    if shape is None:
        return TensorShapeProto(unknown_rank=True)
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in shape])


def _node_def(name, op, inputs=(), shapes=None, attr=None):
    attrs = {}
    if attr is not None:
        attrs["attr"] = AttrValue(s=attr.encode("utf-8"))
    if shapes:
        attrs["_output_shapes"] = AttrValue(list=AttrValue.ListValue(shape=[_shape_proto(s) for s in shapes]))
    return NodeDef(name=name, op=op, input=list(inputs), attr=attrs)


def _scopes(model, root):
    """{id(module): scope} and {id(parameter): node name} from the module tree."""
    paths, scope_of, param_names = {"": root}, {}, {}
    for name, m in model.named_modules():
        if name:
            parent, _, last = name.rpartition(".")
            paths[name] = f"{paths[parent]}/{type(m).__name__}[{last}]"
        scope_of[id(m)] = paths[name]
    for name, p in model.named_parameters():
        mod, _, attr = name.rpartition(".")
        param_names[id(p)] = f"{paths[mod]}/{attr}"
    return scope_of, param_names


def _run(model, args, is_module, scope_of, root):
    """Call the model once with hooks; returns (outputs, {node: scope}, {(node, nr): shape})."""
    from ... import enable_grad
    owner, shapes, boundaries = {}, {}, []

    def pre_hook(module, inputs):
        boundaries.append({t.grad_fn for t in _tensors(inputs) if t.grad_fn is not None})

    def post_hook(module, inputs, output):
        stop = boundaries.pop()
        scope = scope_of.get(id(module), root)
        todo = []
        for t in _tensors(output):
            if t.grad_fn is not None:
                shapes[(t.grad_fn, t._output_nr)] = tuple(t.shape)
                todo.append(t.grad_fn)
        seen = set()
        while todo:
            n = todo.pop()
            if n in seen or n in stop or isinstance(n, AccumulateGrad):
                continue
            seen.add(n)
            owner.setdefault(n, scope)       # inner modules returned first and keep their nodes
            todo.extend(e[0] for e in n.next_functions if e is not None)

    handles = []
    training = model.training if is_module else None
    try:
        if is_module:
            for m in model.modules():
                handles.append(m.register_forward_pre_hook(pre_hook))
                handles.append(m.register_forward_hook(post_hook))
            model.train(False)
        with enable_grad():
            out = model(*args)
    finally:
        for h in handles:
            h.remove()
        if is_module:
            model.train(training)
    return out, owner, shapes


def _topological(starts):
    """Nodes reachable from `starts`, every node after the nodes it consumes."""
    order, visited = [], set()
    for start in starts:
        stack = [(start, False)]
        while stack:
            n, done = stack.pop()
            if done:
                order.append(n)
                continue
            if n in visited:
                continue
            visited.add(n)
            stack.append((n, True))
            stack.extend((e[0], False) for e in reversed(n.next_functions) if e is not None and e[0] not in visited)
    return order


def graph(model, args=None, verbose=False):
    """(GraphDef, serialized RunMetadata) for `model(*args)`."""
    from ...nn.modules.module import Module
    args = () if args is None else tuple(args) if isinstance(args, (list, tuple)) else (args,)
    # fresh leaves that require grad, so that the recorded graph starts at the model's inputs
    args = tuple(a.detach().requires_grad_(True) if isinstance(a, Tensor) and a.dtype.is_floating_point else a
                 for a in args)
    is_module = isinstance(model, Module)
    root = type(model).__name__ if is_module else getattr(model, "__name__", "Graph")
    scope_of, param_names = _scopes(model, root) if is_module else ({}, {})
    out, owner, shapes = _run(model, args, is_module, scope_of, root)

    outputs = list(_tensors(out))
    out_edges = [edge(t) for t in outputs]
    order = _topological([e[0] for e in out_edges if e is not None])
    for n in order:                                  # shapes of every node's outputs
        if isinstance(n, AccumulateGrad):
            shapes[(n, 0)] = tuple(n.variable.shape)
        for (m, nr), meta in zip((e or (None, 0) for e in n.next_functions), n._meta or ()):
            if m is not None and meta is not None:
                shapes.setdefault((m, nr), tuple(meta[0]))
        for nr, meta in enumerate(getattr(n, "_out_meta", None) or ()):
            shapes.setdefault((n, nr), tuple(meta[0]))

    input_names = dict(zip((id(a) for a in args), _arg_names(model, len(args))))
    names, used, inputs, body = {}, collections.Counter(), [], []

    def unique(base):
        k = used[base]
        used[base] += 1
        return base if k == 0 else f"{base}.{k}"

    def ref(e):
        return names[e[0]] + (f":{e[1]}" if e[1] else "")

    for n in order:
        if isinstance(n, AccumulateGrad):
            v = n.variable
            if id(v) in input_names:
                names[n] = f"input/{input_names[id(v)]}"
                inputs.append(_node_def(names[n], "IO Node", shapes=[tuple(v.shape)]))
                continue
            if id(v) in param_names:
                names[n] = param_names[id(v)]
                attr = f"{{ name :  {names[n].rsplit('/', 1)[-1]} }}"
                body.append(_node_def(names[n], "prim::GetAttr", shapes=[tuple(v.shape)], attr=attr))
            else:
                names[n] = unique(f"{root}/tensor")
                body.append(_node_def(names[n], "prim::Constant", shapes=[tuple(v.shape)], attr="{}"))
            continue
        op = op_name(n)
        names[n] = unique(f"{owner.get(n, root)}/{op}")
        node_shapes = [shapes.get((n, k)) for k in range(n._n_out)]
        body.append(_node_def(names[n], f"aten::{op}", [ref(e) for e in n.next_functions if e is not None],
                              node_shapes, attr=f"{{ grad_fn : {n.name()} }}"))

    outs = [_node_def(f"output/output.{i + 1}", "IO Node", [ref(e)] if e is not None else [], [tuple(t.shape)])
            for i, (t, e) in enumerate(zip(outputs, out_edges))]
    nodes = inputs + body + outs
    if verbose:
        for nd in nodes:
            print(f"{nd.name}  {nd.op}  <- {list(nd.input)}")
    return GraphDef(node=nodes, versions=VersionDef(producer=22)), _RUN_METADATA
