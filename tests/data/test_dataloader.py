"""utils.data: datasets, samplers, collate and the (multi-process) DataLoader."""
import collections
import gc
import math
import multiprocessing
import os
import signal

import numpy as np
import pytest

import ember
from ember.utils.data import (BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
                              RandomSampler, SequentialSampler, StackDataset, Subset, SubsetRandomSampler,
                              TensorDataset, WeightedRandomSampler, default_collate, get_worker_info, random_split)
from tests.helpers import needs_torch, torch

Point = collections.namedtuple("Point", "x y")


class Squares(Dataset):
    def __init__(self, n=10):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return {"x": np.full((2,), i, dtype=np.float32), "y": i, "name": f"s{i}", "p": Point(float(i), [i, i + 1])}


class Failing(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            raise ValueError("bad sample 5")
        return i


class Range(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        info = get_worker_info()
        if info is None:
            return iter(range(self.n))
        return iter(range(info.id, self.n, info.num_workers))

    def __len__(self):
        return self.n


class RandomItem(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return ember.rand(1).item()


# ---- collate --------------------------------------------------------------------------------------
@needs_torch
def test_default_collate_matches_torch_structure():
    from torch.utils.data import default_collate as tcollate
    samples = [Squares()[i] for i in range(4)]
    tsamples = [{**s} for s in samples]
    e, t = default_collate(samples), tcollate(tsamples)
    assert set(e) == set(t)
    assert e["x"].shape == tuple(t["x"].shape) and str(e["x"].dtype).split(".")[1] == str(t["x"].dtype).split(".")[1]
    assert str(e["y"].dtype).split(".")[1] == str(t["y"].dtype).split(".")[1] == "int64"
    assert e["name"] == t["name"]
    assert isinstance(e["p"], Point) and str(e["p"].x.dtype) == "ember.float64" and t["p"].x.dtype == torch.float64
    assert len(e["p"].y) == len(t["p"].y) == 2 and e["p"].y[1].tolist() == t["p"].y[1].tolist()
    assert default_collate([(1, 2.0, True)] * 3)[2].dtype is ember.bool


def test_collate_errors():
    with pytest.raises(RuntimeError, match="stack expects each tensor to be equal size"):
        default_collate([ember.zeros(3), ember.zeros(4)])
    with pytest.raises(RuntimeError, match="each element in list of batch should be of equal size"):
        default_collate([[1, 2], [1]])


# ---- datasets and samplers -------------------------------------------------------------------------
def test_datasets():
    x, y = ember.arange(10).float(), ember.arange(10)
    ds = TensorDataset(x, y)
    assert len(ds) == 10 and ds[3][1].item() == 3
    with pytest.raises(AssertionError, match="Size mismatch"):
        TensorDataset(x, ember.arange(9))
    cat = ds + TensorDataset(x, y)
    assert isinstance(cat, ConcatDataset) and len(cat) == 20 and cat[15][1].item() == 5 and cat[-1][1].item() == 9
    sub = Subset(ds, [9, 0])
    assert len(sub) == 2 and sub[0][1].item() == 9
    st = StackDataset(a=ds, b=ds)
    assert st[2]["b"][1].item() == 2
    chain = ChainDataset([Range(3), Range(2)])
    assert list(chain) == [0, 1, 2, 0, 1]


def test_random_split():
    ds = TensorDataset(ember.arange(10))
    a, b = random_split(ds, [7, 3], generator=ember.Generator().manual_seed(0))
    assert len(a) == 7 and len(b) == 3 and not set(a.indices) & set(b.indices)
    parts = random_split(ds, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [5, 3, 2]
    assert sorted(i for p in parts for i in p.indices) == list(range(10))
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(ds, [3, 3])
    g1, g2 = ember.Generator().manual_seed(1), ember.Generator().manual_seed(1)
    assert random_split(ds, [5, 5], generator=g1)[0].indices == random_split(ds, [5, 5], generator=g2)[0].indices


def test_samplers():
    data = list(range(10))
    assert list(SequentialSampler(data)) == data
    r = list(RandomSampler(data, generator=ember.Generator().manual_seed(0)))
    assert sorted(r) == data and len(r) == 10
    rr = list(RandomSampler(data, replacement=True, num_samples=25))
    assert len(rr) == 25 and all(0 <= i < 10 for i in rr)
    s = list(SubsetRandomSampler([3, 5, 7]))
    assert sorted(s) == [3, 5, 7]
    w = list(WeightedRandomSampler([0, 0, 1, 0], 5))
    assert w == [2] * 5
    w2 = list(WeightedRandomSampler([1, 1, 1], 3, replacement=False))
    assert sorted(w2) == [0, 1, 2]
    b = list(BatchSampler(range(10), 3, drop_last=False))
    assert b == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]] and len(BatchSampler(range(10), 3, False)) == 4
    assert len(BatchSampler(range(10), 3, True)) == 3
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        RandomSampler(data, num_samples=0)


# ---- DataLoader ----------------------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("drop_last", [False, True])
@pytest.mark.parametrize("batch_size", [1, 3, 4])
def test_len_and_batches_match_torch(batch_size, drop_last):
    el = DataLoader(Squares(10), batch_size=batch_size, drop_last=drop_last)
    tl = torch.utils.data.DataLoader(Squares(10), batch_size=batch_size, drop_last=drop_last)
    assert len(el) == len(tl)
    eb, tb = list(el), list(tl)
    assert len(eb) == len(tb)
    for e, t in zip(eb, tb):
        assert e["y"].tolist() == t["y"].tolist() and tuple(e["x"].shape) == tuple(t["x"].shape)


def test_no_auto_batching_and_iterable_len():
    dl = DataLoader(Squares(4), batch_size=None)
    first = next(iter(dl))
    assert isinstance(first["x"], ember.Tensor) and first["y"] == 0
    assert len(DataLoader(Range(10), batch_size=3)) == 4
    assert len(DataLoader(Range(10), batch_size=3, drop_last=True)) == 3
    assert [b.tolist() for b in DataLoader(Range(5), batch_size=2)] == [[0, 1], [2, 3], [4]]


@needs_torch
def test_argument_errors_match_torch():
    cases = [dict(shuffle=True, sampler=SequentialSampler(range(3))),
             dict(batch_sampler=BatchSampler(range(3), 2, False), batch_size=2),
             dict(batch_size=None, drop_last=True), dict(num_workers=-1), dict(timeout=-1),
             dict(prefetch_factor=2), dict(persistent_workers=True)]
    for kw in cases:
        tkw = dict(kw)
        if "sampler" in tkw:
            tkw["sampler"] = torch.utils.data.SequentialSampler(range(3))
        if "batch_sampler" in tkw:
            tkw["batch_sampler"] = torch.utils.data.BatchSampler(range(3), 2, False)
        with pytest.raises(ValueError) as te:
            torch.utils.data.DataLoader(list(range(3)), **tkw)
        with pytest.raises(ValueError) as ee:
            DataLoader(list(range(3)), **kw)
        assert str(ee.value) == str(te.value)
    with pytest.raises(ValueError, match="expected unspecified shuffle option"):
        DataLoader(Range(3), shuffle=True)
    dl = DataLoader(list(range(3)))
    with pytest.raises(ValueError, match="batch_size attribute should not be set"):
        dl.batch_size = 4


def test_shuffle_is_deterministic_under_seeded_generator():
    def order(seed):
        g = ember.Generator().manual_seed(seed)
        return [b.tolist() for b in DataLoader(list(range(20)), batch_size=5, shuffle=True, generator=g)]
    assert order(3) == order(3)
    assert order(3) != order(4)
    assert sorted(sum(order(3), [])) == list(range(20))
    ember.manual_seed(7)
    a = [b.tolist() for b in DataLoader(list(range(20)), batch_size=5, shuffle=True)]
    ember.manual_seed(7)
    assert a == [b.tolist() for b in DataLoader(list(range(20)), batch_size=5, shuffle=True)]


def _children():
    return {p.pid for p in multiprocessing.active_children()}


def test_workers_return_batches_in_order_through_shared_memory():
    x = ember.randn(64, 3, 16, 16)
    y = ember.arange(64)
    before = _children()
    dl = DataLoader(TensorDataset(x, y), batch_size=8, num_workers=2)
    batches = list(dl)
    assert [b[1].tolist() for b in batches] == [list(range(i, i + 8)) for i in range(0, 64, 8)]
    got = ember.cat([b[0] for b in batches])
    np.testing.assert_array_equal(got.numpy(), x.numpy())
    big = batches[0][0].numpy()
    assert not big.flags.owndata        # a view of the shared mapping, not an unpickled copy
    assert _children() <= before        # exhausted iterator shut its workers down


def test_worker_seeds_and_worker_init_fn():
    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 2
    g = ember.Generator().manual_seed(0)
    a = [b.tolist() for b in DataLoader(RandomItem(), batch_size=1, num_workers=2, worker_init_fn=init, generator=g)]
    g = ember.Generator().manual_seed(0)
    b = [b.tolist() for b in DataLoader(RandomItem(), batch_size=1, num_workers=2, worker_init_fn=init, generator=g)]
    assert a == b
    assert a[0] != a[1]     # workers draw from different seeds


def test_iterable_dataset_sharded_across_workers_without_duplicates():
    dl = DataLoader(Range(20), batch_size=3, num_workers=2)
    items = sorted(sum((b.tolist() for b in dl), []))
    assert items == list(range(20))


def test_worker_exception_is_reraised_with_worker_id_and_traceback():
    dl = DataLoader(Failing(), batch_size=2, num_workers=2)
    with pytest.raises(ValueError) as ei:
        list(dl)
    msg = str(ei.value)
    assert "Caught ValueError in DataLoader worker process" in msg
    assert "bad sample 5" in msg and "Traceback" in msg


def _die(worker_id):
    os.kill(os.getpid(), signal.SIGKILL)


def test_killed_worker_raises_instead_of_hanging():
    dl = DataLoader(list(range(10)), batch_size=2, num_workers=1, worker_init_fn=_die)
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(dl)


class Blocking(Dataset):
    """__getitem__ blocks reading a pipe nobody writes to (no lock shared with the test)."""

    def __init__(self, fd):
        self.fd = fd

    def __len__(self):
        return 4

    def __getitem__(self, i):
        os.read(self.fd, 1)
        return i


def test_timeout():
    r, w = os.pipe()
    try:
        dl = DataLoader(Blocking(r), batch_size=1, num_workers=1, timeout=1)
        with pytest.raises(RuntimeError, match="DataLoader timed out after 1 seconds"):
            next(iter(dl))
    finally:
        os.close(r)
        os.close(w)


def test_breaking_out_and_deleting_iterator_leaves_no_orphans():
    before = _children()
    dl = DataLoader(list(range(100)), batch_size=2, num_workers=2)
    it = iter(dl)
    pids = [w.pid for w in it._workers]
    for i, _ in enumerate(it):
        if i == 2:
            break
    del it
    gc.collect()
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)     # already reaped: the worker is gone
    assert _children() <= before


def test_persistent_workers_survive_epochs():
    dl = DataLoader(list(range(6)), batch_size=2, num_workers=2, persistent_workers=True)
    e1 = [b.tolist() for b in dl]
    pids = [w.pid for w in dl._iterator._workers]
    e2 = [b.tolist() for b in dl]
    assert e1 == e2 == [[0, 1], [2, 3], [4, 5]]
    assert [w.pid for w in dl._iterator._workers] == pids
    dl._iterator._shutdown_workers()


def test_prefetch_bounded_and_pin_memory_accepted():
    dl = DataLoader(list(range(40)), batch_size=2, num_workers=2, prefetch_factor=3, pin_memory=True)
    it = iter(dl)
    assert it._send_idx == 6          # prefetch_factor batches in flight per worker
    assert len(list(it)) == 20


def test_wrapped_dataloader_pattern():
    class WrappedDataLoader:
        def __init__(self, dl, func):
            self.dl, self.func = dl, func

        def __len__(self):
            return len(self.dl)

        def __iter__(self):
            for b in self.dl:
                yield self.func(*b)
    x, y = ember.randn(8, 784), ember.arange(8)
    wdl = WrappedDataLoader(DataLoader(TensorDataset(x, y), batch_size=4), lambda a, b: (a.view(-1, 1, 28, 28), b))
    xb, yb = next(iter(wdl))
    assert xb.shape == (4, 1, 28, 28) and len(wdl) == 2


@needs_torch
def test_tensor_dataset_batches_equal_torch_with_and_without_subset():
    x = np.random.default_rng(0).random((30, 3), dtype=np.float32)
    y = np.arange(30)
    eds = TensorDataset(ember.from_numpy(x), ember.from_numpy(y))
    tds = torch.utils.data.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    idx = [5, 1, 7, 3, 20, 11, 2]
    for e_set, t_set in ((eds, tds), (Subset(eds, idx), torch.utils.data.Subset(tds, idx))):
        eb = list(DataLoader(e_set, batch_size=4))
        tb = list(torch.utils.data.DataLoader(t_set, batch_size=4))
        assert len(eb) == len(tb)
        for e, t in zip(eb, tb):
            assert isinstance(e, list) and isinstance(t, list)
            np.testing.assert_array_equal(e[0].numpy(), t[0].numpy())
            assert e[1].tolist() == t[1].tolist() and e[1].dtype is ember.int64
    # a custom collate_fn still receives a sequence of per-sample tuples
    seen = DataLoader(eds, batch_size=3, collate_fn=lambda b: [s[1].item() for s in b])
    assert next(iter(seen)) == [0, 1, 2]


@needs_torch
def test_pin_memory_without_accelerator_warns_like_torch():
    if ember.cuda.is_available():
        pytest.skip("a CUDA device is present: pinning is real there")
    with pytest.warns(UserWarning) as ew:
        eb = list(DataLoader(list(range(4)), batch_size=2, pin_memory=True))
    with pytest.warns(UserWarning) as tw:
        tb = list(torch.utils.data.DataLoader(list(range(4)), batch_size=2, pin_memory=True))
    assert [str(w.message) for w in ew] == [str(w.message) for w in tw]
    assert [b.tolist() for b in eb] == [b.tolist() for b in tb]
    for lib in (ember, torch):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            lib.ones(2).pin_memory()


@needs_torch
@pytest.mark.parametrize("workers", [0, 1])
def test_iterator_class_names_like_torch(workers):
    """Seed 000's `iter(loader).next()` (Python 2 style) fails with torch's AttributeError, naming the iterator class."""
    def run(lib):
        it = iter(lib.utils.data.DataLoader(lib.utils.data.TensorDataset(lib.arange(4.)), num_workers=workers))
        try:
            it.next()
        except AttributeError as e:
            return type(it).__name__, type(it).__mro__[1].__name__, str(e)
        finally:
            del it
    assert run(ember) == run(torch)
