"""The 'mpi' backend's transport: keyed point-to-point messages over mpi4py (imported on first use).

Ranks and world size come from MPI (launch with mpirun/mpiexec); the collectives are the same
rank-0 star as gloo's, so results are identical across backends."""
import threading
import time

from .errors import DistBackendError
from .mesh import Mailbox

_TAG = 7701


def load_mpi():
    try:
        from mpi4py import MPI
    except ImportError:
        raise RuntimeError("Distributed package doesn't have MPI built in: the 'mpi' backend needs mpi4py. Install "
                           "it with `pip install 'ember[distributed]'` (and an MPI library such as Open MPI or "
                           "MPICH), or use backend='gloo'.") from None
    return MPI


class MpiTransport:
    """send/recv by key on a duplicate of MPI.COMM_WORLD; one lock serialises the MPI calls, and a receiver
    pumps whatever has arrived into the mailbox until its own message is there."""

    def __init__(self, timeout):
        MPI = load_mpi()
        self._MPI = MPI
        self.comm = MPI.COMM_WORLD.Dup()
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        self.timeout = timeout
        self.mailbox = Mailbox()
        self.lock = threading.Lock()
        self.pending = []

    def _pump(self):
        status = self._MPI.Status()
        while self.comm.iprobe(source=self._MPI.ANY_SOURCE, tag=_TAG, status=status):
            src = status.Get_source()
            key, array = self.comm.recv(source=src, tag=_TAG)
            self.mailbox.put(src, key, array)
        self.pending = [r for r in self.pending if not r.Test()]

    def send(self, dst, key, array):
        if dst == self.rank:
            self.mailbox.put(dst, key, array.copy())
            return
        with self.lock:
            self.pending.append(self.comm.isend((key, array), dest=dst, tag=_TAG))
            self._pump()

    def recv(self, srcs, key):
        deadline = time.monotonic() + self.timeout
        delay = 1e-5
        while True:
            with self.lock:
                self._pump()
            found = self.mailbox.poll(srcs, key)
            if found is not None:
                return found
            if time.monotonic() > deadline:
                raise DistBackendError(f"Timed out after {self.timeout:.0f}s waiting for a message from "
                                       f"rank(s) {list(srcs)}")
            time.sleep(delay)
            delay = min(delay * 2, 1e-3)

    def close(self):
        with self.lock:
            for r in self.pending:
                r.Wait()
            self.pending = []
            self.comm.Free()
