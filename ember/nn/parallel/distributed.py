"""DistributedDataParallel: one model replica per process, gradients averaged across ranks.

At construction rank 0's parameters and buffers are broadcast to every rank. Each forward (with
grad enabled and outside `no_sync()`) arms a post-accumulate-grad hook on every parameter; when the
last expected parameter's gradient is accumulated, the hook all-reduces all gradients at once (one
coalesced all-reduce per dtype, inside backward) and divides them by the world size. With
`find_unused_parameters=True` the expected set is the parameters reachable from the forward's
outputs; unused ones contribute zeros and keep `grad=None` if no rank used them."""
import contextlib

import numpy as np

from ..modules.module import Module

__all__ = ["DistributedDataParallel"]

_UNFINISHED = (
    "Expected to have finished reduction in the prior iteration before starting a new one. This error indicates "
    "that your module has parameters that were not used in producing loss. You can enable unused parameter "
    "detection by passing the keyword argument `find_unused_parameters=True` to "
    "`torch.nn.parallel.DistributedDataParallel`, and by making sure all `forward` function outputs participate "
    "in calculating loss.")


def _tensors_in(obj):
    from ..._tensor import Tensor
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, (list, tuple)):
        for o in obj:
            yield from _tensors_in(o)
    elif isinstance(obj, dict):
        for o in obj.values():
            yield from _tensors_in(o)


def _reachable_leaves(outputs):
    """ids of the leaf tensors whose gradients backward from `outputs` would accumulate."""
    found, seen = set(), set()
    stack = []
    for t in _tensors_in(outputs):
        if t.grad_fn is not None:
            stack.append(t.grad_fn)
        elif t.requires_grad:
            found.add(id(t))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        var = getattr(node, "variable", None)
        if var is not None:
            found.add(id(var))
        for edge in node.next_functions:
            if edge is not None and edge[0] is not None:
                stack.append(edge[0])
    return found


class DistributedDataParallel(Module):
    """torch.nn.parallel.DistributedDataParallel for ember (CPU; device_ids/output_device are accepted)."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=True,
                 init_sync=True, process_group=None, bucket_cap_mb=None, find_unused_parameters=False,
                 check_reduction=False, gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None, mixed_precision=None,
                 device_mesh=None, skip_all_reduce_unused_params=False):
        super().__init__()
        from ... import distributed as dist
        from ...distributed.distributed_c10d import _default
        self.process_group = _default() if process_group is None else process_group
        params = [p for p in module.parameters() if p.requires_grad]
        if not params:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have any parameter "
                               "that requires a gradient.")
        self.module = module
        self.device_ids = list(device_ids) if device_ids else None
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.gradient_as_bucket_view = gradient_as_bucket_view
        self.static_graph = static_graph
        self.bucket_bytes_cap = int((25 if bucket_cap_mb is None else bucket_cap_mb) * 1024 * 1024)
        self.require_backward_grad_sync = True
        self.require_forward_param_sync = True
        self._dist = dist
        self._params = params
        self._index = {id(p): i for i, p in enumerate(params)}
        self._expected, self._ready, self._armed = set(), set(), False
        if init_sync:
            self._broadcast_coalesced(list(module.parameters()) + list(module.buffers()))
        for p in params:
            p.register_post_accumulate_grad_hook(self._on_grad_ready)

    # ---- synchronisation ---------------------------------------------------------------------------
    def _broadcast_coalesced(self, tensors):
        """Overwrite `tensors` with rank 0's values: one broadcast per dtype."""
        from ...distributed.distributed_c10d import _array, _write
        pg = self.process_group
        by_dtype = {}
        for t in tensors:
            by_dtype.setdefault(t.dtype, []).append(t)
        for group in by_dtype.values():
            flat = np.concatenate([_array(t).reshape(-1) for t in group])
            flat = pg.broadcast(pg.next_key(), flat, 0)
            if pg.rank() != 0:
                self._scatter_back(flat, group, _write)

    @staticmethod
    def _scatter_back(flat, tensors, write):
        at = 0
        for t in tensors:
            n = t.numel()
            write(t, flat[at:at + n].reshape(tuple(t.shape)))
            at += n

    def _on_grad_ready(self, param):
        if not self._armed:
            return
        self._ready.add(self._index[id(param)])
        if self._ready >= self._expected:
            self._reduce_grads()

    def _reduce_grads(self):
        """Average every parameter's gradient over the ranks (zeros stand in for locally unused ones)."""
        from ... import from_numpy
        from ...distributed.distributed_c10d import _array, _write
        from ...distributed.reduce_op import RedOpType
        self._armed = False
        pg, world = self.process_group, self.process_group.size()
        used = np.array([p.grad is not None for p in self._params], dtype=np.int32)
        if self.find_unused_parameters:
            used = pg.all_reduce(pg.next_key(), used, RedOpType.SUM)
        by_dtype = {}
        for i, p in enumerate(self._params):
            if used[i]:
                by_dtype.setdefault(p.dtype, []).append(p)
        for params in by_dtype.values():
            parts = [(_array(p.grad) if p.grad is not None else np.zeros(tuple(p.shape), dtype=_array(p).dtype))
                     for p in params]
            flat = np.concatenate([a.reshape(-1) for a in parts])
            flat = flat / np.asarray(world, dtype=flat.dtype)
            flat = pg.all_reduce(pg.next_key(), flat.astype(parts[0].dtype), RedOpType.SUM)
            at = 0
            for p in params:
                n = p.numel()
                values = flat[at:at + n].reshape(tuple(p.shape))
                if p.grad is None:
                    p.grad = from_numpy(np.array(values))
                else:
                    _write(p.grad, values)
                at += n

    # ---- the Module surface ------------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        from ... import is_grad_enabled
        if self._armed and self.require_backward_grad_sync:
            raise RuntimeError(_UNFINISHED)
        if self.broadcast_buffers and self.require_forward_param_sync:
            buffers = list(self.module.buffers())
            if buffers:
                self._broadcast_coalesced(buffers)
        out = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            if self.find_unused_parameters:
                reach = _reachable_leaves(out)
                self._expected = {i for i, p in enumerate(self._params) if id(p) in reach}
            else:
                self._expected = set(range(len(self._params)))
            self._ready, self._armed = set(), True
            if not self._expected:                  # nothing will fire a hook: take part in the reduction now
                self._reduce_grads()
        else:
            self._armed = False
        return out

    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates local gradients only; the first synced backward after averages them."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old

    def join(self, divide_by_initial_world_size=True, enable=True, throw_on_early_termination=False):
        raise NotImplementedError("DistributedDataParallel.join (uneven inputs) is not supported by ember")

    def register_comm_hook(self, state, hook):
        raise NotImplementedError("DistributedDataParallel.register_comm_hook is not supported by ember")

    def _get_ddp_logging_data(self):
        return {"backend_name": self.process_group.name(), "world_size": self.process_group.size()}
