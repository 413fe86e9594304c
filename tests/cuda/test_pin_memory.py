"""Tensor.pin_memory / is_pinned and DataLoader(pin_memory=True) with the (fake) CUDA backend.
Without a backend (the warning, the error) is tested in tests/data/test_dataloader.py."""
import collections

import numpy as np
import pytest

import ember
from ember.utils.data import DataLoader, Dataset

from .backend import fake_only
from .fake_cupy import FAKE


@fake_only
def test_pin_memory_copies_into_pinned_memory():
    t = ember.arange(6.0).reshape(2, 3)
    p = t.pin_memory()
    assert FAKE.pinned_calls == [((2, 3), np.dtype(np.float32))]
    assert p.is_pinned() and not t.is_pinned()
    assert not p.is_cuda and p.device == ember.device("cpu")
    assert p.dtype is t.dtype and p.shape == t.shape
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    assert p.data_ptr() != t.data_ptr()              # a copy, not the same memory
    t[0, 0] = 100.0
    assert p[0, 0].item() == 0.0


@fake_only
def test_pinned_views_and_repinning():
    p = ember.ones(4, 3).pin_memory()
    n = len(FAKE.pinned_calls)
    assert p[1].is_pinned() and p.t().is_pinned() and p.view(-1).is_pinned()
    assert p.pin_memory() is p and len(FAKE.pinned_calls) == n      # already pinned: itself, as torch
    assert not (p + 1).is_pinned() and not p.clone().is_pinned()


@pytest.mark.parametrize("make", [
    lambda: ember.tensor(3.5), lambda: ember.arange(12).reshape(3, 4).t(), lambda: ember.zeros(0, 2),
    lambda: ember.tensor([True, False]), lambda: ember.ones(3, dtype=ember.bfloat16),
    lambda: ember.ones(2, 2, dtype=ember.float16)[:, 1],
], ids=["0-d", "non-contiguous-int", "empty", "bool", "bfloat16", "strided-half"])
def test_pin_memory_dtypes_and_layouts(make):
    t = make()
    p = t.pin_memory()
    assert p.is_pinned() and p.dtype is t.dtype and p.shape == t.shape
    np.testing.assert_array_equal(p.float().numpy(), t.float().numpy())


def test_pin_memory_of_cuda_tensor_errors_like_torch():
    with pytest.raises(RuntimeError, match=r"cannot pin 'torch\.cuda\.FloatTensor' only dense CPU tensors can be "
                                           r"pinned"):
        ember.ones(2, device="cuda").pin_memory()
    assert not ember.ones(2, device="cuda").is_pinned()


def test_pin_memory_is_differentiable_like_torch():
    t = ember.tensor([1.0, 2.0], requires_grad=True)
    p = t.pin_memory()
    assert p.requires_grad and p.grad_fn is not None and type(p.grad_fn).__name__ == "PinMemoryBackward0"
    assert p.grad_fn.name() == "PinMemoryBackward0"
    (p * 3).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), [3.0, 3.0])


def test_pinned_tensor_moves_to_cuda():
    p = ember.arange(4.0).pin_memory()
    g = p.to("cuda", non_blocking=True)
    assert g.is_cuda and not g.is_pinned()
    np.testing.assert_array_equal(g.cpu().numpy(), [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(p.cuda(non_blocking=True).cpu().numpy(), [0.0, 1.0, 2.0, 3.0])


# ---- DataLoader --------------------------------------------------------------------------------
Pair = collections.namedtuple("Pair", "image label")


class _Dicts(Dataset):
    def __len__(self):
        return 10

    def __getitem__(self, i):
        return {"x": ember.full((3,), float(i)), "meta": (ember.tensor(i), "name%d" % i),
                "pair": Pair(ember.ones(2, 2) * i, i), "ids": [ember.tensor([i, i])]}


class _CustomBatch:
    def __init__(self, items):
        self.x = ember.stack([ember.tensor(float(v)) for v in items])
        self.pinned = False

    def pin_memory(self):
        self.x = self.x.pin_memory()
        self.pinned = True
        return self


def _all_tensors(obj):
    if isinstance(obj, ember.Tensor):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from _all_tensors(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from _all_tensors(v)


def test_dataloader_yields_pinned_batches():
    ds = [ember.full((2,), float(i)) for i in range(10)]
    batches = list(DataLoader(ds, batch_size=4, pin_memory=True))
    assert [tuple(b.shape) for b in batches] == [(4, 2), (4, 2), (2, 2)]
    assert all(b.is_pinned() and not b.is_cuda for b in batches)
    np.testing.assert_array_equal(batches[1][:, 0].numpy(), [4.0, 5.0, 6.0, 7.0])
    assert not any(b.is_pinned() for b in DataLoader(ds, batch_size=4))


def test_dataloader_pins_nested_batches():
    batches = list(DataLoader(_Dicts(), batch_size=4, pin_memory=True))
    b = batches[0]
    assert isinstance(b, dict) and set(b) == {"x", "meta", "pair", "ids"}
    assert isinstance(b["pair"], Pair) and isinstance(b["meta"], list) and isinstance(b["ids"], list)
    assert b["meta"][1] == ("name0", "name1", "name2", "name3")
    tensors = list(_all_tensors(b))
    assert len(tensors) == 5 and all(t.is_pinned() for t in tensors)
    np.testing.assert_array_equal(b["pair"].image[:, 0, 0].numpy(), [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_array_equal(b["pair"].label.numpy(), [0, 1, 2, 3])


def test_pin_batch_keeps_container_types():
    from ember.utils.data.dataloader import _pin_batch
    d = collections.defaultdict(list, {"a": ember.ones(2)})
    out = _pin_batch(d)
    assert type(out) is collections.defaultdict and out.default_factory is list and out["a"].is_pinned()
    od = _pin_batch(collections.OrderedDict(b=ember.ones(1), a=[ember.ones(1), "s", 3]))
    assert list(od) == ["b", "a"] and od["a"][0].is_pinned() and od["a"][1:] == ["s", 3]
    assert _pin_batch(Pair(ember.ones(1), 2)).image.is_pinned()
    assert _pin_batch(range(3)) == [0, 1, 2]
    assert _pin_batch(None) is None and _pin_batch(b"x") == b"x"


def test_dataloader_pins_tuples_and_custom_batches():
    pairs = [(ember.tensor(float(i)), ember.tensor(i)) for i in range(6)]
    for x, y in DataLoader(pairs, batch_size=4, pin_memory=True):
        assert x.is_pinned() and y.is_pinned()
    custom = list(DataLoader(list(range(6)), batch_size=4, pin_memory=True, collate_fn=_CustomBatch))
    assert all(c.pinned and c.x.is_pinned() for c in custom)


def test_dataloader_with_workers_pins_in_the_main_process():
    ds = [ember.full((600,), float(i)) for i in range(8)]     # big enough for the shared-memory transport
    batches = list(DataLoader(ds, batch_size=4, num_workers=2, pin_memory=True))
    assert len(batches) == 2 and all(b.is_pinned() for b in batches)
    np.testing.assert_array_equal(batches[1][:, 0].numpy(), [4.0, 5.0, 6.0, 7.0])


def test_pinned_batches_feed_a_cuda_model():
    model = ember.nn.Linear(2, 1).cuda()
    for b in DataLoader([ember.ones(2) * i for i in range(8)], batch_size=4, pin_memory=True):
        out = model(b.to("cuda", non_blocking=True))
        assert out.is_cuda and out.shape == (4, 1)


@pytest.mark.parametrize("make", [lambda: ember.zeros(2, 3, pin_memory=True), lambda: ember.tensor([1.0, 2.0], pin_memory=True),
                                  lambda: ember.randn(4, pin_memory=True), lambda: ember.full((2,), 5.0, pin_memory=True),
                                  lambda: ember.empty(3, pin_memory=True)])
@fake_only
def test_factories_with_pin_memory(make):
    n = len(FAKE.pinned_calls)
    t = make()
    assert t.is_pinned() and not t.is_cuda and len(FAKE.pinned_calls) == n + 1
