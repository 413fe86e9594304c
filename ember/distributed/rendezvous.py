"""init_method URLs -> (store, rank, world_size): env:// and tcp://host:port."""
import os
import urllib.parse

from .store import TCPStore

__all__ = ["rendezvous"]


def _need(scheme, what, value):
    if value is None or value == -1:
        raise ValueError(f"Error initializing torch.distributed using {scheme}:// rendezvous: {what}")
    return value


def _env(name):
    value = os.environ.get(name)
    if value is None:
        raise ValueError(f"Error initializing torch.distributed using env:// rendezvous: environment variable "
                         f"{name} expected, but not set")
    return value


def rendezvous(url, rank=-1, world_size=-1, timeout=None):
    """The store every rank meets at (rank 0 serves it), with this process's rank and the world size."""
    parsed = urllib.parse.urlparse(url)
    query = dict(urllib.parse.parse_qsl(parsed.query))
    if parsed.scheme == "env":
        rank = int(_env("RANK")) if rank == -1 else rank
        world_size = int(_env("WORLD_SIZE")) if world_size == -1 else world_size
        host, port = _env("MASTER_ADDR"), int(_env("MASTER_PORT"))
    elif parsed.scheme == "tcp":
        rank = int(query.get("rank", rank))
        world_size = int(query.get("world_size", world_size))
        _need("tcp", "rank parameter missing", rank)
        _need("tcp", "world size parameter missing", world_size)
        if parsed.port is None:
            raise ValueError(f"Error initializing torch.distributed using tcp:// rendezvous: port number missing")
        host, port = parsed.hostname, parsed.port
    else:
        raise RuntimeError(f"No rendezvous handler for {parsed.scheme}://")
    kw = {} if timeout is None else {"timeout": timeout}
    store = TCPStore(host, port, world_size, is_master=(rank == 0), **kw)
    return store, rank, world_size
