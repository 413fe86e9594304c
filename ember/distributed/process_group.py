"""ProcessGroup: a set of ranks and the collectives among them, on NumPy arrays.

The algorithms go through rank 0 of the group (a star): reductions fold the arrays in rank order, so
every rank ends with bit-identical results. The transport (`Mesh` for gloo) moves arrays by key."""
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .reduce_op import RedOpType, reduce_arrays


class ProcessGroup:
    """Global ranks `ranks` (this process among them, or not: then it is a non-member handle)."""

    def __init__(self, transport, ranks, group_id, backend_name, global_rank):
        self._transport = transport
        self._ranks = list(ranks)
        self._gid = group_id
        self._backend = backend_name
        self._rank = self._ranks.index(global_rank) if global_rank in self._ranks else -1
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self._executor = None
        self.group_name = str(group_id)

    # ---- torch.distributed.ProcessGroup surface ------------------------------------------------
    def rank(self):
        return self._rank

    def size(self):
        return len(self._ranks)

    def name(self):
        return self._backend

    def __repr__(self):
        return f"<ember.distributed.ProcessGroup {self._backend} ranks={self._ranks} rank={self._rank}>"

    # ---- plumbing -----------------------------------------------------------------------------------
    def next_key(self):
        with self._lock:
            return ("c", self._gid, next(self._seq))

    def run_async(self, fn):
        """Run `fn` on this group's worker thread (one thread: async operations keep their order)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ember-dist-async")
        return self._executor.submit(fn)

    def _send(self, dst, key, array):
        self._transport.send(self._ranks[dst], key, array)

    def _recv(self, src, key):
        return self._transport.recv([self._ranks[src]], key)[1]

    def _recv_any(self, key):
        g, a = self._transport.recv([r for r in self._ranks if r != self._ranks[self._rank]], key)
        return self._ranks.index(g), a

    def shutdown(self):
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    # ---- collectives on arrays (key: from next_key(), taken at call time) ---------------------------
    def broadcast(self, key, array, src):
        if self._rank == src:
            for r in range(self.size()):
                if r != src:
                    self._send(r, key, array)
            return array
        return self._recv(src, key)

    def gather(self, key, array, dst):
        """The list of every rank's array on `dst`, None elsewhere."""
        if self._rank != dst:
            self._send(dst, key, array)
            return None
        return [array if r == dst else self._recv(r, key) for r in range(self.size())]

    def reduce(self, key, array, dst, op):
        parts = self.gather(key, array, dst)
        return None if parts is None else reduce_arrays(op, parts)

    def all_reduce(self, key, array, op):
        out = self.reduce(key + ("reduce",), array, 0, op)
        return self.broadcast(key + ("bcast",), out, 0)

    def all_gather(self, key, array):
        parts = self.gather(key + ("gather",), array, 0)
        if self._rank == 0:
            for r in range(1, self.size()):
                for i, p in enumerate(parts):
                    self._send(r, key + ("bcast", i), p)
            return parts
        return [self._recv(0, key + ("bcast", i)) for i in range(self.size())]

    def scatter(self, key, arrays, src):
        if self._rank == src:
            for r in range(self.size()):
                if r != src:
                    self._send(r, key, arrays[r])
            return arrays[src]
        return self._recv(src, key)

    def all_to_all(self, key, arrays):
        for r in range(self.size()):
            if r != self._rank:
                self._send(r, key, arrays[r])
        return [arrays[r] if r == self._rank else self._recv(r, key) for r in range(self.size())]

    def reduce_scatter(self, key, arrays, op):
        return reduce_arrays(op, self.all_to_all(key, arrays))

    def barrier(self, key):
        self.all_reduce(key, np.zeros(1, np.uint8), RedOpType.SUM)

    # ---- point to point (tags, group ranks) ---------------------------------------------------------
    def send(self, array, dst, tag):
        self._send(dst, ("p", self._gid, tag), array)

    def recv(self, src, tag):
        """(sender, array); src None receives from any rank."""
        key = ("p", self._gid, tag)
        if src is None:
            return self._recv_any(key)
        return src, self._recv(src, key)
