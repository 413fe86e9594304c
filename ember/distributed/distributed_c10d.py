"""The process-group API of torch.distributed on ember tensors: init, groups, collectives, point to point."""
import itertools
import os
import pickle
from datetime import timedelta

import numpy as np

from . import backend as _backend
from .backend import Backend
from .errors import NOT_INITIALIZED
from .process_group import ProcessGroup
from .reduce_op import RedOpType, ReduceOp, as_op, check as _check_op
from .store import PrefixStore
from .work import Work

default_pg_timeout = timedelta(minutes=30)


class GroupMember:
    """`GroupMember.WORLD` is the default group once initialised; NON_GROUP_MEMBER marks groups one is not in."""
    WORLD = None
    NON_GROUP_MEMBER = object()


class group:
    WORLD = None


class _State:
    default = None          # the default ProcessGroup
    transport = None
    store = None
    group_ids = itertools.count(1)


def _set_world(pg):
    _State.default = GroupMember.WORLD = group.WORLD = pg


# ---- setup ----------------------------------------------------------------------------------------------
def is_available():
    return True


def is_initialized():
    return _State.default is not None


def is_gloo_available():
    return True


def is_nccl_available():
    return False


def is_ucc_available():
    return False


def is_xccl_available():
    return False


def is_mpi_available():
    import importlib.util
    return importlib.util.find_spec("mpi4py") is not None


def is_backend_available(backend):
    return {"gloo": True, "mpi": is_mpi_available()}.get(Backend(backend), False)


def is_torchelastic_launched():
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1, store=None,
                       group_name="", pg_options=None, device_id=None):
    """Join the job: meet the other ranks at `init_method` (default env://) or `store`, connect to them."""
    from .rendezvous import rendezvous
    if _State.default is not None:
        raise ValueError("trying to initialize the default process group twice!")
    if store is not None and init_method is not None:
        raise ValueError("Cannot specify both init_method and store.")
    name = _backend.pick(backend)
    seconds = (timeout or default_pg_timeout).total_seconds()
    if name == Backend.MPI:
        from .mpi import MpiTransport
        transport = MpiTransport(seconds)
        rank, world_size = transport.rank, transport.world_size
    else:
        if store is None:
            store, rank, world_size = rendezvous(init_method or "env://", rank, world_size, timeout)
        else:
            if world_size <= 0:
                raise ValueError("world_size must be positive if using store")
            if rank < 0:
                raise ValueError("rank must be non-negative if using store")
        from .mesh import Mesh
        transport = Mesh(PrefixStore("ember/default_pg", store), rank, world_size, seconds)
    _State.transport, _State.store = transport, store
    _set_world(ProcessGroup(transport, range(world_size), 0, Backend(name), rank))


def destroy_process_group(group=None):
    """Leave the job (group None: close every connection; a subgroup: forget it)."""
    if _State.default is None:
        raise AssertionError("Process group cannot be None")
    if group is not None and group is not _State.default:
        if isinstance(group, ProcessGroup):
            group.shutdown()
        return
    _State.default.shutdown()
    _State.transport.close()
    close = getattr(_State.store, "close", None)
    if close is not None:
        close()
    _State.transport = _State.store = None
    _set_world(None)


def _default():
    if _State.default is None:
        raise ValueError(NOT_INITIALIZED)
    return _State.default


def _group(g):
    return _default() if g is None else g


def _member(g):
    """The ProcessGroup for `g`, or None when this rank is not in it (the operation is then a no-op)."""
    pg = _group(g)
    if pg is GroupMember.NON_GROUP_MEMBER or pg.rank() < 0:
        return None
    return pg


def get_rank(group=None):
    pg = _group(group)
    return -1 if pg is GroupMember.NON_GROUP_MEMBER else pg.rank()


def get_world_size(group=None):
    pg = _group(group)
    return -1 if pg is GroupMember.NON_GROUP_MEMBER else pg.size()


def get_backend(group=None):
    pg = _group(group)
    if pg is GroupMember.NON_GROUP_MEMBER:
        raise ValueError("Invalid process group specified")
    return pg.name()


def get_process_group_ranks(group):
    return list(_group(group)._ranks)


def get_global_rank(group, group_rank):
    return _group(group)._ranks[group_rank]


def get_group_rank(group, global_rank):
    pg = _group(group)
    if global_rank not in pg._ranks:
        raise ValueError(f"Global rank {global_rank} is not part of group {pg}")
    return pg._ranks.index(global_rank)


def new_group(ranks=None, timeout=None, backend=None, pg_options=None, use_local_synchronization=False,
              group_desc=None, device_id=None):
    """A subgroup of the world; every rank must call it, in the same order, members or not."""
    world = _default()
    gid = next(_State.group_ids)
    ranks = list(range(world.size())) if ranks is None else sorted(int(r) for r in ranks)
    if any(r < 0 or r >= world.size() for r in ranks):
        raise ValueError("The new group's rank should be within the world_size set by init_process_group")
    pg = ProcessGroup(_State.transport, ranks, gid, world.name(), world._ranks[world.rank()])
    return pg if pg.rank() >= 0 else GroupMember.NON_GROUP_MEMBER


# ---- tensors <-> arrays ----------------------------------------------------------------------------------
def _tensor_check(t, param="tensor"):
    from .._tensor import Tensor
    if not isinstance(t, Tensor):
        raise TypeError(f"Invalid function argument. Expected parameter `{param}` of type torch.Tensor\n"
                        f"             but got {type(t)} instead.")


def _list_check(ts, param):
    from .._tensor import Tensor
    if not isinstance(ts, (list, tuple)) or not all(isinstance(t, Tensor) for t in ts):
        raise TypeError(f"Invalid function argument. Expected parameter `{param}` of type List[torch.Tensor]\n"
                        f"             but got {type(ts)} with elements of type "
                        f"{[type(t) for t in ts] if isinstance(ts, (list, tuple)) else type(ts)}.")


def _array(t):
    """A private NumPy copy of tensor t's values."""
    return np.array(t.detach().cpu().numpy(), copy=True)


def _write(t, a):
    """Copy array `a` into tensor t in place (outside autograd, like torch's collectives)."""
    from .. import from_numpy, no_grad
    with no_grad():
        t.copy_(from_numpy(np.array(a, dtype=a.dtype, copy=True)).reshape(t.shape))


def _issue(pg, run, finish, async_op, outputs=()):
    """Run `run` now (sync) or on the group's worker thread (async), then `finish(result)` on this thread."""
    if not async_op:
        finish(run())
        return None
    return Work(pg.run_async(run), finish, list(outputs))


def _root(pg, rank, group_rank, what):
    """The group rank of a root given as global `rank` or as `group_rank`."""
    if group_rank is not None:
        r = group_rank
    elif pg is _State.default:
        r = rank
    else:
        r = get_group_rank(pg, rank)
    if not 0 <= r < pg.size():
        raise RuntimeError(f"ProcessGroupGloo::{what}: invalid root rank: {r}")
    return r


def _nothing(_):
    pass


# ---- collectives -------------------------------------------------------------------------------------
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` across the group; every rank ends with the result, in place."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    op = as_op(op)
    a = _array(tensor)
    _check_op(op, a.dtype)
    key = pg.next_key()
    return _issue(pg, lambda: pg.all_reduce(key, a, op), lambda r: _write(tensor, r), async_op, [tensor])


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Copy `src`'s tensor into everyone's, in place."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    root = _root(pg, 0 if src is None and group_src is None else src, group_src, "broadcast")
    a = _array(tensor)
    key = pg.next_key()
    finish = _nothing if pg.rank() == root else (lambda r: _write(tensor, r))
    return _issue(pg, lambda: pg.broadcast(key, a, root), finish, async_op, [tensor])


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """Reduce into `dst`'s tensor; the others' tensors are left as they are."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    root = _root(pg, 0 if dst is None and group_dst is None else dst, group_dst, "reduce")
    op = as_op(op)
    a = _array(tensor)
    _check_op(op, a.dtype)
    key = pg.next_key()
    finish = (lambda r: _write(tensor, r)) if pg.rank() == root else _nothing
    return _issue(pg, lambda: pg.reduce(key, a, root, op), finish, async_op, [tensor])


def _fill_list(outs):
    def finish(parts):
        for t, p in zip(outs, parts):
            _write(t, p)
    return finish


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] <- rank i's tensor, on every rank."""
    _list_check(tensor_list, "tensor_list")
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    if len(tensor_list) != pg.size():
        raise RuntimeError(f"ProcessGroupGloo::allgather: invalid output tensor list at index 0 (expected length "
                           f"{pg.size()}, got {len(tensor_list)})")
    a = _array(tensor)
    key = pg.next_key()
    return _issue(pg, lambda: pg.all_gather(key, a), _fill_list(tensor_list), async_op, tensor_list)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """Every rank's input concatenated along dim 0 (or stacked, if output has one more dim) into output."""
    _tensor_check(output_tensor, "output_tensor")
    _tensor_check(input_tensor, "input_tensor")
    pg = _member(group)
    if pg is None:
        return None
    a = _array(input_tensor)
    key = pg.next_key()
    finish = lambda parts: _write(output_tensor, np.concatenate([p.reshape((-1,) + a.shape[1:]) if a.ndim else
                                                                 p.reshape(1) for p in parts]))  # noqa: E731
    return _issue(pg, lambda: pg.all_gather(key, a), finish, async_op, [output_tensor])


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """gather_list[i] <- rank i's tensor, on `dst` only."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    root = _root(pg, 0 if dst is None and group_dst is None else dst, group_dst, "gather")
    if pg.rank() == root:
        _list_check(gather_list, "gather_list")
        if len(gather_list) != pg.size():
            raise ValueError("Argument ``gather_list`` must have the same size as the group")
    elif gather_list:
        raise ValueError("Argument ``gather_list`` must NOT be specified on non-destination ranks.")
    a = _array(tensor)
    key = pg.next_key()
    finish = _fill_list(gather_list) if pg.rank() == root else _nothing
    return _issue(pg, lambda: pg.gather(key, a, root), finish, async_op, gather_list or [])


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """tensor <- src's scatter_list[rank]."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    root = _root(pg, 0 if src is None and group_src is None else src, group_src, "scatter")
    if pg.rank() == root:
        _list_check(scatter_list, "scatter_list")
        if len(scatter_list) != pg.size():
            raise ValueError("Argument ``scatter_list`` must have the same size as the group")
        arrays = [_array(t) for t in scatter_list]
    else:
        if scatter_list:
            raise ValueError("Argument ``scatter_list`` must NOT be specified on non-source ranks.")
        arrays = None
    key = pg.next_key()
    return _issue(pg, lambda: pg.scatter(key, arrays, root), lambda r: _write(tensor, r), async_op, [tensor])


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """output <- the reduction over ranks of their input_list[rank]."""
    _tensor_check(output, "output")
    _list_check(input_list, "input_list")
    pg = _member(group)
    if pg is None:
        return None
    if len(input_list) != pg.size():
        raise ValueError(f"reduce_scatter: input_list must have {pg.size()} tensors, got {len(input_list)}")
    op = as_op(op)
    arrays = [_array(t) for t in input_list]
    _check_op(op, arrays[0].dtype)
    key = pg.next_key()
    return _issue(pg, lambda: pg.reduce_scatter(key, arrays, op), lambda r: _write(output, r), async_op, [output])


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """reduce_scatter with the inputs as equal dim-0 chunks of one tensor."""
    pg = _member(group)
    if pg is None:
        return None
    return reduce_scatter(output, list(input.chunk(pg.size())), op, group, async_op)


def all_to_all(output_tensor_list, input_tensor_list, group=None, async_op=False):
    """output_tensor_list[i] <- rank i's input_tensor_list[rank]."""
    _list_check(output_tensor_list, "output_tensor_list")
    _list_check(input_tensor_list, "input_tensor_list")
    pg = _member(group)
    if pg is None:
        return None
    arrays = [_array(t) for t in input_tensor_list]
    key = pg.next_key()
    return _issue(pg, lambda: pg.all_to_all(key, arrays), _fill_list(output_tensor_list), async_op,
                  output_tensor_list)


def barrier(group=None, async_op=False, device_ids=None):
    """Return once every rank of the group has called barrier."""
    pg = _member(group)
    if pg is None:
        return None
    key = pg.next_key()
    return _issue(pg, lambda: pg.barrier(key), _nothing, async_op)


def monitored_barrier(group=None, timeout=None, wait_all_ranks=False):
    return barrier(group)


# ---- point to point ------------------------------------------------------------------------------------------
def _peer(pg, rank, group_rank, what):
    r = _root(pg, rank, group_rank, what)
    if r == pg.rank():
        word = "destination" if what == "send" else "source"
        raise ValueError(f"Invalid {word} rank: {word} rank should not be the same as the rank of the current "
                         "process.")
    return r


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send `tensor` to `dst`; the returned Work is already complete (sends never wait for the receiver)."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    pg.send(_array(tensor), _peer(pg, dst, group_dst, "send"), tag)
    return Work()


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    isend(tensor, dst, group, tag, group_dst)


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor` from `src` (None: any rank); the tensor is filled by the Work's wait()."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return None
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "recv")
    work = Work(None, None, [tensor])

    def finish(got):
        work._source_rank = pg._ranks[got[0]]
        _write(tensor, got[1])

    if getattr(pg, "_p2p_executor", None) is None:
        from concurrent.futures import ThreadPoolExecutor
        pg._p2p_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ember-dist-irecv")
    work._future, work._finish, work._done = pg._p2p_executor.submit(pg.recv, peer, tag), finish, False
    return work


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """Receive into `tensor`; returns the sender's rank."""
    _tensor_check(tensor)
    pg = _member(group)
    if pg is None:
        return -1
    peer = None if src is None and group_src is None else _peer(pg, src, group_src, "recv")
    sender, a = pg.recv(peer, tag)
    _write(tensor, a)
    return pg._ranks[sender]


class P2POp:
    """One operation of batch_isend_irecv: P2POp(dist.isend or dist.irecv, tensor, peer)."""

    def __init__(self, op, tensor, peer=None, group=None, tag=0, group_peer=None):
        self.op, self.tensor, self.peer, self.group, self.tag, self.group_peer = op, tensor, peer, group, tag, \
            group_peer


def batch_isend_irecv(p2p_op_list):
    return [p.op(p.tensor, p.peer, p.group, p.tag) for p in p2p_op_list]


# ---- Python objects ----------------------------------------------------------------------------------------
def _pack(obj):
    return np.frombuffer(pickle.dumps(obj), dtype=np.uint8).copy()


def _unpack(a):
    return pickle.loads(a.tobytes())


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """object_list[:] <- src's object_list (pickled)."""
    pg = _member(group)
    if pg is None:
        return
    root = _root(pg, 0 if src is None and group_src is None else src, group_src, "broadcast")
    got = _unpack(pg.broadcast(pg.next_key(), _pack(list(object_list)), root))
    object_list[:] = got


def all_gather_object(object_list, obj, group=None):
    pg = _member(group)
    if pg is None:
        return
    object_list[:] = [_unpack(a) for a in pg.all_gather(pg.next_key(), _pack(obj))]


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    pg = _member(group)
    if pg is None:
        return
    root = _root(pg, 0 if dst is None and group_dst is None else dst, group_dst, "gather")
    parts = pg.gather(pg.next_key(), _pack(obj), root)
    if parts is not None:
        object_gather_list[:] = [_unpack(a) for a in parts]


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None, group=None,
                        group_src=None):
    pg = _member(group)
    if pg is None:
        return
    root = _root(pg, 0 if src is None and group_src is None else src, group_src, "scatter")
    arrays = [_pack(o) for o in scatter_object_input_list] if pg.rank() == root else None
    scatter_object_output_list[0] = _unpack(pg.scatter(pg.next_key(), arrays, root))


__all__ = ["Backend", "GroupMember", "group", "ReduceOp", "RedOpType", "P2POp", "Work", "default_pg_timeout",
           "is_available", "is_initialized", "is_gloo_available", "is_nccl_available", "is_mpi_available",
           "is_ucc_available", "is_xccl_available", "is_backend_available", "is_torchelastic_launched",
           "init_process_group", "destroy_process_group", "get_rank", "get_world_size", "get_backend",
           "get_process_group_ranks", "get_global_rank", "get_group_rank", "new_group", "all_reduce", "broadcast",
           "reduce", "all_gather", "all_gather_into_tensor", "gather", "scatter", "reduce_scatter",
           "reduce_scatter_tensor", "all_to_all", "barrier", "monitored_barrier", "isend", "send", "irecv", "recv",
           "batch_isend_irecv", "broadcast_object_list", "all_gather_object", "gather_object",
           "scatter_object_list", "ProcessGroup", "RedOpType"]
