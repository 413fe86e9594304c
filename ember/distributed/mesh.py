"""A full mesh of TCP connections between the ranks of a job, with a receiving thread per peer.

Every message carries a key (the collective's sequence number or a point-to-point tag); readers file
incoming arrays in a mailbox by (sender, key), so sends never wait for the matching receive and
operations match by key whatever order they are issued in."""
import collections
import ipaddress
import socket
import threading
import time

from . import _wire
from .errors import DistBackendError, DistNetworkError
from .store import connect


class Mailbox:
    """Arrays received and not yet claimed, by (sender rank, key)."""

    def __init__(self):
        self.items = collections.defaultdict(collections.deque)
        self.cond = threading.Condition()
        self.dead = {}                                   # peer rank -> why its connection ended

    def put(self, src, key, value):
        with self.cond:
            self.items[(src, key)].append(value)
            self.cond.notify_all()

    def hang_up(self, src, why):
        with self.cond:
            self.dead[src] = why
            self.cond.notify_all()

    def _find(self, srcs, key):
        for s in srcs:
            q = self.items.get((s, key))
            if q:
                v = q.popleft()
                if not q:
                    del self.items[(s, key)]
                return s, v
        return None

    def poll(self, srcs, key):
        """(src, array) if a message under `key` from one of `srcs` is here, else None."""
        with self.cond:
            return self._find(srcs, key)

    def take(self, srcs, key, timeout):
        """(src, array) for the first of `srcs` with a message under `key`; waits up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                found = self._find(srcs, key)
                if found is not None:
                    return found
                gone = [s for s in srcs if s in self.dead]
                if gone and len(gone) == len(srcs):
                    raise DistNetworkError(f"Connection closed by peer rank {gone[0]} ({self.dead[gone[0]]})")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DistBackendError(f"Timed out after {timeout:.0f}s waiting for a message from rank(s) "
                                           f"{list(srcs)}")
                self.cond.wait(left)


def _listen_host(store):
    """The address to listen on and advertise: loopback when the store is on loopback, otherwise the local
    address this process reaches the store through."""
    sock = getattr(store, "_sock", None) or getattr(getattr(store, "underlying_store", None), "_sock", None)
    if sock is None:
        return "127.0.0.1", "127.0.0.1"
    local = sock.getsockname()[0]
    if ipaddress.ip_address(local).is_loopback:
        return local, local
    return "", local


class Mesh:
    """Connections from this rank to every other rank of the world, set up through `store`."""

    def __init__(self, store, rank, world_size, timeout):
        self.rank, self.world_size, self.timeout = rank, world_size, timeout
        self.mailbox = Mailbox()
        self.peers = {}
        self.send_locks = {}
        bind, advertise = _listen_host(store)
        server = socket.create_server((bind, 0), backlog=max(world_size, 1))
        try:
            store.set(f"mesh/addr/{rank}", f"{advertise}:{server.getsockname()[1]}")
            addrs = {}
            for r in range(rank):
                host, port = store.get(f"mesh/addr/{r}").decode().rsplit(":", 1)
                addrs[r] = (host, int(port))
            for r in range(rank):                       # connect down, then accept from above
                sock = connect(*addrs[r], timeout)
                _wire.send_obj(sock, rank)
                self._add_peer(r, sock)
            server.settimeout(timeout)
            for _ in range(rank + 1, world_size):
                try:
                    sock, _ = server.accept()
                except socket.timeout:
                    raise DistNetworkError(f"rank {rank} timed out after {timeout}s waiting for its peers to "
                                           "connect") from None
                sock.settimeout(None)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                peer, _ = _wire.recv_obj(sock)
                self._add_peer(peer, sock)
        finally:
            server.close()

    def _add_peer(self, r, sock):
        self.peers[r] = sock
        self.send_locks[r] = threading.Lock()
        threading.Thread(target=self._read, args=(r, sock), daemon=True, name=f"ember-dist-recv-{r}").start()

    def _read(self, src, sock):
        while True:
            try:
                (key, meta), payload = _wire.recv_obj(sock)
            except (ConnectionError, OSError) as e:
                self.mailbox.hang_up(src, str(e))
                return
            self.mailbox.put(src, key, _wire.array_from(meta, payload))

    def send(self, dst, key, array):
        if dst == self.rank:
            self.mailbox.put(dst, key, array.copy())
            return
        try:
            with self.send_locks[dst]:
                _wire.send_obj(self.peers[dst], (key, _wire.array_meta(array)), _wire.array_bytes(array))
        except OSError as e:
            raise DistNetworkError(f"sending to rank {dst} failed: {e}") from None

    def recv(self, srcs, key):
        return self.mailbox.take(srcs, key, self.timeout)

    def close(self):
        for sock in self.peers.values():
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.peers.clear()
