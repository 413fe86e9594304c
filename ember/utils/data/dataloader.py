"""DataLoader: batches from a dataset, in the main process or in worker processes."""
import collections.abc
import copy
import itertools
import math
import multiprocessing as _mp
import queue
import warnings

from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler, _seed_from
from ._utils import transport
from ._utils.collate import default_collate, default_convert
from ._utils.fetch import FetcherFactory
from ._utils.worker import ExceptionWrapper, IterableStop, ResumeIteration, STATUS_CHECK_INTERVAL, worker_loop

__all__ = ["DataLoader", "default_collate", "default_convert"]


def _cuda_available():
    from ... import cuda
    return cuda.is_available()


def _pin_batch(data):
    """data with every cpu tensor copied to pinned memory, through mappings, namedtuples, tuples and
    sequences (their types kept where possible); objects with a `pin_memory()` method pin themselves."""
    from ..._tensor import Tensor
    if isinstance(data, Tensor):
        return data.pin_memory() if data._device.type == "cpu" else data
    if hasattr(data, "pin_memory"):
        return data.pin_memory()
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        pinned = {k: _pin_batch(v) for k, v in data.items()}
        try:
            if isinstance(data, collections.abc.MutableMapping):   # keeps e.g. a defaultdict's factory
                out = copy.copy(data)
                out.update(pinned)
                return out
            return type(data)(pinned)
        except TypeError:
            return pinned
    if isinstance(data, tuple):
        items = [_pin_batch(v) for v in data]
        return type(data)(*items) if hasattr(data, "_fields") else type(data)(items)
    if isinstance(data, collections.abc.Sequence):
        items = [_pin_batch(v) for v in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                out = copy.copy(data)
                out[:] = items
                return out
            return type(data)(items)
        except TypeError:
            return items
    return data


class _InfiniteConstantSampler(Sampler):
    """Sampler of an IterableDataset: the dataset itself decides what comes next."""

    def __iter__(self):
        while True:
            yield None


class DataLoader:
    """Iterates over `dataset` in batches (see torch.utils.data.DataLoader)."""

    _frozen = False

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None, num_workers=0,
                 collate_fn=None, pin_memory=False, drop_last=False, timeout=0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None, persistent_workers=False,
                 pin_memory_device="", in_order=True):
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing.let num_workers > 0 "
                             "to enable multiprocessing, otherwise set prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset = dataset
        self.num_workers = num_workers
        self.prefetch_factor = prefetch_factor
        self.pin_memory = pin_memory
        self.pin_memory_device = pin_memory_device
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.in_order = in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler option, but got "
                                 f"batch_sampler={batch_sampler}")
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            elif shuffle:
                sampler = RandomSampler(dataset, generator=generator)
            else:
                sampler = SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.generator = generator
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None
        self._frozen = True

    def __setattr__(self, name, value):
        if self._frozen and name in ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                                     "persistent_workers"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def _auto_collation(self):
        return self.batch_sampler is not None

    @property
    def _index_sampler(self):
        return self.batch_sampler if self._auto_collation else self.sampler

    def __iter__(self):
        if self.num_workers == 0:
            return _SingleProcessDataLoaderIter(self)
        if self.persistent_workers:
            if self._iterator is None:
                self._iterator = _MultiProcessingDataLoaderIter(self)
            else:
                self._iterator._reset(self)
            return self._iterator
        return _MultiProcessingDataLoaderIter(self)

    def __len__(self):
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is not None:
                n = n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
            return n
        return len(self._index_sampler)

    def check_worker_number_rationality(self):
        pass


class _BaseDataLoaderIter:
    def __init__(self, loader):
        self._loader = loader
        self._dataset = loader.dataset
        self._iterable = loader._iterable
        self._index_sampler = loader._index_sampler
        self._fetcher_factory = FetcherFactory(loader._iterable, loader._auto_collation, loader.collate_fn,
                                               loader.drop_last)
        self._sampler_iter = iter(self._index_sampler)
        self._base_seed = _seed_from(loader.generator)     # drawn by every iterator, as torch's (workers or not)
        self._yielded = 0
        self._len = None
        try:
            self._len = len(loader)
        except TypeError:
            pass
        self._warned = False
        self._pin_memory = loader.pin_memory and _cuda_available()
        if loader.pin_memory and not self._pin_memory:
            warnings.warn("'pin_memory' argument is set as true but no accelerator is found, then device pinned "
                          "memory won't be used.", UserWarning, stacklevel=3)

    def __iter__(self):
        return self

    def __len__(self):
        return len(self._loader)

    def _next_index(self):
        return next(self._sampler_iter)

    def _pin(self, data):
        return _pin_batch(data) if self._pin_memory else data

    def _count(self):
        self._yielded += 1
        if self._iterable and self._len is not None and self._yielded > self._len and not self._warned:
            self._warned = True
            warnings.warn(f"Length of IterableDataset {self._dataset} was reported to be {self._len} (when accessing "
                          f"len(dataloader)), but {self._yielded} samples have been fetched. ", UserWarning)


class _SingleProcessDataLoaderIter(_BaseDataLoaderIter):
    def __init__(self, loader):
        super().__init__(loader)
        self._fetcher = self._fetcher_factory(self._dataset)

    def __next__(self):
        index = self._next_index()
        data = self._fetcher.fetch(index)
        self._count()
        return self._pin(data)


class _MultiProcessingDataLoaderIter(_BaseDataLoaderIter):
    """Workers fetch batches; results come back in sampler order through shared memory."""

    def __init__(self, loader):
        super().__init__(loader)
        self._shutdown = True
        n = loader.num_workers
        self._num_workers = n
        self._prefetch = loader.prefetch_factor
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        ctx = loader.multiprocessing_context
        if ctx is None:
            ctx = _mp.get_context()
        elif isinstance(ctx, str):
            ctx = _mp.get_context(ctx)
        self._result_queue = ctx.Queue()
        self._done_event = ctx.Event()
        self._index_queues = []
        self._workers = []
        base_seed = self._base_seed
        for i in range(n):
            iq = ctx.Queue()
            iq.cancel_join_thread()
            w = ctx.Process(target=worker_loop, daemon=True,
                            args=(self._fetcher_factory, self._dataset, iq, self._result_queue, self._done_event,
                                  base_seed, loader.worker_init_fn, i, n))
            w.start()
            self._index_queues.append(iq)
            self._workers.append(w)
        self._shutdown = False
        self._start_epoch()

    def _start_epoch(self):
        self._send_idx = 0
        self._rcvd_idx = 0
        self._tasks = {}          # send index -> [worker id] or [worker id, data]
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch * self._num_workers):
            self._put_index()

    def _reset(self, loader):
        """A new epoch for persistent workers."""
        self._sampler_iter = iter(self._index_sampler)
        self._yielded = 0
        for iq in self._index_queues:
            iq.put(ResumeIteration())
        waiting = self._num_workers
        while waiting:
            idx, data, path = self._get()
            if isinstance(idx, ResumeIteration):
                waiting -= 1
            else:
                transport.discard(path)
        self._start_epoch()

    def _put_index(self):
        try:
            index = self._next_index()
        except StopIteration:
            return
        for _ in range(self._num_workers):
            w = next(self._worker_cycle)
            if self._active[w]:
                break
        else:
            return
        self._index_queues[w].put((self._send_idx, index))
        self._tasks[self._send_idx] = [w]
        self._send_idx += 1

    def _get(self):
        """One result from any worker, watching for dead workers and the loader's timeout."""
        waited = 0.0
        while True:
            step = STATUS_CHECK_INTERVAL if not self._timeout else min(STATUS_CHECK_INTERVAL, self._timeout - waited)
            try:
                return self._result_queue.get(timeout=max(step, 0.01))
            except queue.Empty:
                waited += step
                dead = [w for w in self._workers if not w.is_alive()]
                if dead:
                    self._shutdown_workers()
                    pids = ", ".join(str(w.pid) for w in dead)
                    codes = ", ".join(str(w.exitcode) for w in dead)
                    raise RuntimeError(f"DataLoader worker (pid(s) {pids}) exited unexpectedly (exit code(s) {codes})") from None
                if self._timeout and waited >= self._timeout:
                    self._shutdown_workers()
                    raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds") from None

    def __next__(self):
        while True:
            while self._rcvd_idx < self._send_idx:
                task = self._tasks[self._rcvd_idx]
                if len(task) == 2 or self._active[task[0]]:
                    break
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown_workers()
                raise StopIteration
            task = self._tasks[self._rcvd_idx]
            if len(task) == 2:
                del self._tasks[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(task[1])
            idx, data, path = self._get()
            if isinstance(idx, ResumeIteration):
                continue
            if isinstance(data, IterableStop):
                self._active[data.worker_id] = False    # its pending tasks are skipped above
                self._index_queues[data.worker_id].put(None)
                continue
            data = data if isinstance(data, ExceptionWrapper) else transport.unpack(data, path)
            if idx != self._rcvd_idx and self._in_order:
                self._tasks[idx].append(data)
                continue
            del self._tasks[idx]
            if idx == self._rcvd_idx:
                self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._put_index()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        self._count()
        return self._pin(data)

    def _shutdown_workers(self):
        if self._shutdown:
            return
        self._shutdown = True
        self._done_event.set()
        for iq in self._index_queues:
            try:
                iq.put(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.join(timeout=5)
            if w.is_alive():
                w.terminate()
                w.join(timeout=5)
        while True:   # drop results nobody will read, and their shared-memory files
            try:
                _, _, path = self._result_queue.get_nowait()
            except (queue.Empty, OSError, ValueError, EOFError):
                break
            transport.discard(path)
        for q in self._index_queues + [self._result_queue]:
            q.cancel_join_thread()
            q.close()

    def __del__(self):
        try:
            self._shutdown_workers()
        except Exception:   # noqa: BLE001  (interpreter shutdown)
            pass
