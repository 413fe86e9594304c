"""The worker process loop and get_worker_info()."""
import os
import queue
import random
import sys
import traceback

from . import transport

STATUS_CHECK_INTERVAL = 1.0     # seconds between liveness checks while waiting on a queue


class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: id, num_workers, seed, dataset."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)
        self._frozen = True

    def __setattr__(self, key, val):
        if self.__dict__.get("_frozen"):
            raise RuntimeError(f"Cannot assign attributes to {type(self).__name__} objects")
        super().__setattr__(key, val)

    def __repr__(self):
        items = ", ".join(f"{k}={getattr(self, k)}" for k in ("id", "num_workers", "seed", "dataset"))
        return f"WorkerInfo({items})"


_worker_info = None


def get_worker_info():
    """Inside a DataLoader worker: its WorkerInfo; in the main process: None."""
    return _worker_info


class ExceptionWrapper:
    """An exception caught in a worker, carried to the main process with its traceback text."""

    def __init__(self, exc_info, where):
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        msg = f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"
        if self.exc_type is KeyError:
            msg = KeyErrorMessage(msg)
        try:
            exc = self.exc_type(msg)
        except Exception:   # noqa: BLE001  (exception types with other constructors)
            raise RuntimeError(msg) from None
        raise exc


class KeyErrorMessage(str):
    def __repr__(self):
        return self


class IterableStop:
    """Sent by a worker whose IterableDataset is exhausted."""

    def __init__(self, worker_id):
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at the start of a new epoch."""

    def __init__(self, seed=None):
        self.seed = seed


def worker_loop(fetcher_factory, dataset, index_queue, data_queue, done_event, base_seed, init_fn,
                worker_id, num_workers):
    global _worker_info
    seed = base_seed + worker_id
    random.seed(seed)
    import ember
    ember.manual_seed(seed)
    _worker_info = WorkerInfo(id=worker_id, num_workers=num_workers, seed=seed, dataset=dataset)
    parent = os.getppid()
    init_error = None
    fetcher = None
    try:
        if init_fn is not None:
            init_fn(worker_id)
        fetcher = fetcher_factory(dataset)
    except Exception:   # noqa: BLE001
        init_error = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
    exhausted = False
    try:
        while os.getppid() == parent:
            try:
                r = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                continue
            if r is None:
                break
            if isinstance(r, ResumeIteration):
                data_queue.put((r, None, None))
                exhausted = False
                if init_error is None:
                    fetcher = fetcher_factory(dataset)
                continue
            if done_event.is_set() or exhausted:
                continue
            idx, index = r
            if init_error is not None:
                data, init_error = init_error, None
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    data = IterableStop(worker_id)
                    exhausted = True
                except Exception:   # noqa: BLE001
                    data = ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}")
            if isinstance(data, (ExceptionWrapper, IterableStop)):
                data_queue.put((idx, data, None))
            else:
                try:
                    payload, path = transport.pack(data)
                except Exception:   # noqa: BLE001
                    data_queue.put((idx, ExceptionWrapper(sys.exc_info(), f"in DataLoader worker process {worker_id}"), None))
                    continue
                data_queue.put((idx, payload, path))
    except KeyboardInterrupt:
        pass
    if done_event.is_set():
        data_queue.cancel_join_thread()
        data_queue.close()
