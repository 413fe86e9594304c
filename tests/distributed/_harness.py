"""Run a function on a small local world of processes and collect what each rank reports."""
import os
import pickle
import socket
from datetime import timedelta

import ember.multiprocessing as mp


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _entry(rank, fn, world_size, port, outdir, extra, init):
    import ember.distributed as dist
    if not init:
        result = fn(rank, world_size, port, *extra)
    else:
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world_size,
                                timeout=timedelta(seconds=60))      # a broken test fails instead of hanging
        try:
            result = fn(rank, world_size, *extra)
            dist.barrier()
        finally:
            dist.destroy_process_group()
    with open(os.path.join(outdir, f"rank{rank}.pkl"), "wb") as f:
        pickle.dump(result, f)


def run_world(fn, tmp_path, world_size=2, args=(), start_method="fork", init=True):
    """fn(rank, world_size, *args) on each rank of an initialised gloo world (init=False: fn(rank, world_size,
    port, *args), which sets up the world itself); the list of its return values, by rank."""
    mp.start_processes(_entry, args=(fn, world_size, free_port(), str(tmp_path), tuple(args), init),
                       nprocs=world_size, start_method=start_method)
    out = []
    for r in range(world_size):
        with open(os.path.join(tmp_path, f"rank{r}.pkl"), "rb") as f:
            out.append(pickle.load(f))
    return out
