"""Key-value stores for rendezvous: TCPStore (a server thread in the master process) and HashStore."""
import socket
import threading
import time
from datetime import timedelta

from . import _wire
from .errors import DistNetworkError, DistStoreError

__all__ = ["Store", "TCPStore", "HashStore", "PrefixStore"]

_DEFAULT_TIMEOUT = timedelta(seconds=300)


def _seconds(timeout):
    return timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)


def _as_bytes(value):
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


class _Table:
    """The store's contents and the operations on them; thread-safe, blocking reads wait on a condition."""

    def __init__(self):
        self.data = {}
        self.cond = threading.Condition()

    def set(self, key, value):
        with self.cond:
            self.data[key] = value
            self.cond.notify_all()

    def wait(self, keys, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not all(k in self.data for k in keys):
                left = deadline - time.monotonic()
                if left <= 0:
                    missing = ", ".join(k for k in keys if k not in self.data)
                    raise DistStoreError(f"wait timeout after {int(timeout * 1000)}ms, keys: {missing}")
                self.cond.wait(left)

    def get(self, key, timeout):
        self.wait([key], timeout)
        with self.cond:
            return self.data[key]

    def add(self, key, amount):
        with self.cond:
            value = int(self.data.get(key, b"0")) + int(amount)
            self.data[key] = str(value).encode()
            self.cond.notify_all()
            return value

    def compare_set(self, key, expected, desired):
        with self.cond:
            current = self.data.get(key)
            if current is None and expected == b"":
                self.data[key] = desired
            elif current is not None and current == expected:
                self.data[key] = desired
            else:
                return current if current is not None else expected
            self.cond.notify_all()
            return desired

    def check(self, keys):
        with self.cond:
            return all(k in self.data for k in keys)

    def delete_key(self, key):
        with self.cond:
            return self.data.pop(key, None) is not None

    def num_keys(self):
        with self.cond:
            return len(self.data)


class Store:
    """The store interface: subclasses implement `_call(op, *args)`."""

    def __init__(self, timeout=_DEFAULT_TIMEOUT):
        self._timeout = _seconds(timeout)

    @property
    def timeout(self):
        return timedelta(seconds=self._timeout)

    def set_timeout(self, timeout):
        self._timeout = _seconds(timeout)

    def set(self, key, value):
        self._call("set", key, _as_bytes(value))

    def get(self, key):
        return self._call("get", key, self._timeout)

    def add(self, key, amount):
        return self._call("add", key, int(amount))

    def compare_set(self, key, expected_value, desired_value):
        return self._call("compare_set", key, _as_bytes(expected_value), _as_bytes(desired_value))

    def wait(self, keys, timeout=None):
        self._call("wait", list(keys), self._timeout if timeout is None else _seconds(timeout))

    def check(self, keys):
        return self._call("check", list(keys))

    def delete_key(self, key):
        return self._call("delete_key", key)

    def num_keys(self):
        return self._call("num_keys")


class HashStore(Store):
    """An in-process store (threads of one process share it)."""

    def __init__(self):
        super().__init__()
        self._table = _Table()

    def _call(self, op, *args):
        return getattr(self._table, op)(*args)


class PrefixStore(Store):
    """Another store with every key prefixed by `prefix/`."""

    def __init__(self, prefix, store):
        super().__init__(store.timeout)
        self.prefix, self.underlying_store = prefix, store

    def _key(self, k):
        return f"{self.prefix}/{k}"

    def _call(self, op, *args):
        if op in ("wait", "check"):
            args = ([self._key(k) for k in args[0]],) + args[1:]
        elif op != "num_keys":
            args = (self._key(args[0]),) + args[1:]
        return self.underlying_store._call(op, *args)


class _StoreServer:
    """Serves a _Table over TCP, one thread per client connection."""

    def __init__(self, host, port):
        self.table = _Table()
        self.sock = socket.create_server((host, port), backlog=128, reuse_port=False)
        self.port = self.sock.getsockname()[1]
        self.closed = False
        threading.Thread(target=self._accept, daemon=True, name="ember-store-accept").start()

    def _accept(self):
        while not self.closed:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="ember-store-client").start()

    def _serve(self, conn):
        with conn:
            while True:
                try:
                    (op, args), _ = _wire.recv_obj(conn)
                except (ConnectionError, OSError):
                    return
                try:
                    reply = (True, getattr(self.table, op)(*args))
                except Exception as e:                 # sent back and raised by the client
                    reply = (False, e)
                try:
                    _wire.send_obj(conn, reply)
                except OSError:
                    return

    def close(self):
        self.closed = True
        try:
            self.sock.close()
        except OSError:
            pass


def connect(host, port, timeout):
    """A TCP connection to host:port, retried until `timeout` seconds pass (the server may start later)."""
    deadline = time.monotonic() + timeout
    delay = 0.005
    while True:
        try:
            sock = socket.create_connection((host, port), timeout=max(deadline - time.monotonic(), 0.01))
            sock.settimeout(None)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError as e:
            if time.monotonic() >= deadline:
                raise DistNetworkError(f"The client socket has timed out after {timeout}s while trying to "
                                       f"connect to ({host}, {port}): {e}") from None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)


class TCPStore(Store):
    """A key-value store served over TCP by the process created with is_master=True; everyone else is a
    client. port=0 on the master picks a free port (read it back from `.port`)."""

    def __init__(self, host_name, port, world_size=None, is_master=False, timeout=_DEFAULT_TIMEOUT,
                 wait_for_workers=True, multi_tenant=False, master_listen_fd=None, use_libuv=True):
        super().__init__(timeout)
        self.host = host_name
        self._server = None
        if is_master:
            self._server = _StoreServer(host_name, port)
            port = self._server.port
        self.port = port
        self.world_size = world_size
        self.libuvBackend = False
        self._sock = connect(host_name, port, self._timeout)
        self._lock = threading.Lock()
        if world_size is not None and world_size > 0 and wait_for_workers:
            if self.add("ember/store/workers", 1) == world_size:      # the last one in opens the door
                self.set("ember/store/ready", b"1")
            if is_master:
                self.wait(["ember/store/ready"])

    def _call(self, op, *args):
        with self._lock:
            try:
                _wire.send_obj(self._sock, (op, args))
                (ok, value), _ = _wire.recv_obj(self._sock)
            except (ConnectionError, OSError) as e:
                raise DistNetworkError(f"TCPStore connection to {self.host}:{self.port} failed: {e}") from None
        if not ok:
            raise value
        return value

    def close(self):
        """Close this client's connection (and the server, on the master)."""
        try:
            self._sock.close()
        except OSError:
            pass
        if self._server is not None:
            self._server.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass
