"""Functions the test worlds run on each rank (module level, so spawned children can import them)."""
import numpy as np

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "float16"]
OPS = ["SUM", "PRODUCT", "MIN", "MAX", "AVG"]
BITWISE = ["BAND", "BOR", "BXOR"]


def rank_values(rank, dtype):
    """A small array, different on each rank, representable in every dtype tested."""
    base = np.array([[1, 7, 3], [4, 2, 6]], dtype=np.int64)
    return ((base * (rank + 1) + rank * 3) % 11 + 1).astype(dtype)


def raise_on_rank_one(rank):
    if rank == 1:
        raise ValueError("rank one is unhappy")


def exit_on_rank_one(rank):
    if rank == 1:
        raise SystemExit(3)


def write_rank(rank, outdir):
    import ember
    with open(f"{outdir}/spawned{rank}.txt", "w") as f:
        f.write(repr(ember.tensor([rank, rank * 2]).tolist()))


def collectives(rank, world):
    """Every collective once; returns {name: value} for the parent to check."""
    import ember
    import ember.distributed as dist
    out = {}
    for dt in DTYPES:
        ops = OPS + (BITWISE if dt.startswith(("int", "uint")) else [])
        for op in ops:
            t = ember.from_numpy(rank_values(rank, dt))
            dist.all_reduce(t, op=getattr(dist.ReduceOp, op))
            out[("all_reduce", dt, op)] = t.numpy().copy()
    t = ember.full((2, 2), float(rank * 10 + 1))
    dist.broadcast(t, src=1)
    out["broadcast"] = t.numpy().copy()
    t = ember.full((3,), float(rank + 2))
    dist.reduce(t, dst=1, op=dist.ReduceOp.PRODUCT)
    out["reduce"] = t.numpy().copy()
    parts = [ember.zeros(2, dtype=ember.int64) for _ in range(world)]
    dist.all_gather(parts, ember.tensor([rank, rank + 5]))
    out["all_gather"] = [p.tolist() for p in parts]
    gl = [ember.zeros(1) for _ in range(world)] if rank == 1 else None
    dist.gather(ember.tensor([rank * 1.5]), gl, dst=1)
    out["gather"] = None if gl is None else [p.tolist() for p in gl]
    t = ember.zeros(2)
    dist.scatter(t, [ember.tensor([1.0, 2.0]), ember.tensor([3.0, 4.0])] if rank == 1 else None, src=1)
    out["scatter"] = t.tolist()
    t = ember.zeros(2)
    dist.reduce_scatter(t, [ember.tensor([1.0, 2.0]) * (rank + 1), ember.tensor([3.0, 4.0]) * (rank + 1)])
    out["reduce_scatter"] = t.tolist()
    outs = [ember.zeros(1) for _ in range(world)]
    dist.all_to_all(outs, [ember.tensor([10.0 * rank + j]) for j in range(world)])
    out["all_to_all"] = [o.tolist() for o in outs]
    big = ember.zeros(2 * world)
    dist.all_gather_into_tensor(big, ember.tensor([rank, -rank], dtype=ember.float32))
    out["all_gather_into_tensor"] = big.tolist()
    work = dist.all_reduce(ember.ones(1), async_op=True)
    t = ember.tensor([float(rank + 1)])
    work = dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True)
    out["async"] = (work.wait(), work.is_completed(), t.tolist())
    # point to point: both directions at once, then tagged and any-source receives
    peer = 1 - rank
    got = ember.zeros(3)
    rw = dist.irecv(got, src=peer)
    sw = dist.isend(ember.tensor([rank, rank, rank], dtype=ember.float32) + 100, dst=peer)
    sw.wait()
    rw.wait()
    out["isend_irecv"] = got.tolist()
    if rank == 0:
        dist.send(ember.tensor([7, 8], dtype=ember.int32), dst=1, tag=5)
        dist.send(ember.tensor([1, 2], dtype=ember.int32), dst=1, tag=0)
    else:
        a, b = ember.zeros(2, dtype=ember.int32), ember.zeros(2, dtype=ember.int32)
        sender_b = dist.recv(b, src=None, tag=0)          # tag 0 first although tag 5 was sent first
        sender_a = dist.recv(a, src=0, tag=5)
        out["send_recv"] = (a.tolist(), b.tolist(), sender_a, sender_b)
    objs = [{"from": rank}, rank] if rank == 1 else [None, None]
    dist.broadcast_object_list(objs, src=1)
    out["broadcast_object_list"] = objs
    gathered = [None] * world
    dist.all_gather_object(gathered, ("rank", rank))
    out["all_gather_object"] = gathered
    sub = dist.new_group([1])
    if rank == 1:
        t = ember.tensor([5.0])
        dist.all_reduce(t, group=sub)
        out["subgroup"] = (dist.get_rank(sub), dist.get_world_size(sub), t.tolist())
    else:
        out["subgroup"] = (dist.get_rank(sub), dist.get_world_size(sub), dist.all_reduce(ember.ones(1), group=sub))
    errors = {}
    for name, call in [("send_self", lambda: dist.send(ember.ones(1), dst=rank)),
                       ("bad_root", lambda: dist.broadcast(ember.ones(1), src=world + 1)),
                       ("short_list", lambda: dist.all_gather([ember.ones(1)], ember.ones(1))),
                       ("not_tensor", lambda: dist.all_reduce([ember.ones(1)])),
                       ("twice", lambda: dist.init_process_group("gloo")),
                       ("band_float", lambda: dist.all_reduce(ember.ones(1), op=dist.ReduceOp.BAND))]:
        try:
            call()
            errors[name] = None
        except Exception as e:
            errors[name] = (type(e).__name__, str(e))
    out["errors"] = errors
    out["meta"] = (dist.get_rank(), dist.get_world_size(), dist.get_backend(), dist.is_initialized())
    return out


def env_init(rank, world, port):
    """init through env:// and exchange one tensor."""
    import os
    import ember
    import ember.distributed as dist
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world))
    dist.init_process_group(backend="gloo")
    t = ember.tensor([float(rank)])
    dist.all_reduce(t)
    result = (dist.get_rank(), dist.get_world_size(), t.item())
    dist.destroy_process_group()
    return result


def make_model(seed):
    import ember
    ember.manual_seed(seed)
    return ember.nn.Sequential(ember.nn.Linear(4, 3), ember.nn.Tanh(), ember.nn.Linear(3, 1))


def batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((8, 4)).astype(np.float32), rng.standard_normal((8, 1)).astype(np.float32)


def train_reference(steps=3, accumulate=False):
    """One process, full batch, rank 0's initialisation: the parameters DDP must reproduce."""
    import ember
    model = make_model(10)
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x, y = (ember.from_numpy(a) for a in batch())
    for _ in range(steps):
        opt.zero_grad()
        if accumulate:        # two micro-batches of half the batch, summed gradients (no_sync's pattern)
            for h in (slice(0, 2), slice(2, 4)):
                idx = np.r_[np.arange(8)[0:4][h], np.arange(8)[4:8][h]]
                ember.nn.functional.mse_loss(model(x[idx]), y[idx]).backward()
        else:
            ember.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return [p.detach().numpy().copy() for p in model.parameters()]


def ddp_train(rank, world, steps=3, accumulate=False):
    """Each rank trains on its half of the batch; rank-dependent init must be overwritten by rank 0's."""
    import ember
    from ember.nn.parallel import DistributedDataParallel as DDP
    model = DDP(make_model(10 + rank))
    opt = ember.optim.SGD(model.parameters(), lr=0.1)
    x, y = batch()
    x, y = ember.from_numpy(x[rank * 4:(rank + 1) * 4]), ember.from_numpy(y[rank * 4:(rank + 1) * 4])
    for _ in range(steps):
        opt.zero_grad()
        if accumulate:
            with model.no_sync():
                ember.nn.functional.mse_loss(model(x[0:2]), y[0:2]).backward()
            local = [p.grad.numpy().copy() for p in model.parameters()]
            ember.nn.functional.mse_loss(model(x[2:4]), y[2:4]).backward()
        else:
            ember.nn.functional.mse_loss(model(x), y).backward()
        opt.step()
    return {"params": [p.detach().numpy().copy() for p in model.parameters()],
            "keys": list(model.state_dict()), "local_grad_after_no_sync": local if accumulate else None}


def ddp_unused(rank, world):
    """find_unused_parameters: a branch used only on rank 1 gets rank 1's gradient / world; one never used
    keeps grad None."""
    import ember
    from ember.nn.parallel import DistributedDataParallel as DDP

    class Net(ember.nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.b, self.never = ember.nn.Linear(2, 1), ember.nn.Linear(2, 1), ember.nn.Linear(2, 1)

        def forward(self, x, use_b):
            return self.a(x) + (self.b(x) if use_b else 0)

    ember.manual_seed(0)
    model = DDP(Net(), find_unused_parameters=True)
    x = ember.ones(1, 2)
    model(x, use_b=(rank == 1)).sum().backward()
    return {"a": model.module.a.weight.grad.tolist(), "b": model.module.b.weight.grad.tolist(),
            "never": model.module.never.weight.grad}
