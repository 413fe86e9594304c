"""ember.nn.utils.rnn (PackedSequence, pack / pad helpers) against torch.nn.utils.rnn: values, index
fields, gradients through packing and padding, errors."""
import re

import numpy as np
import pytest

import ember
from ember.nn.utils import rnn as ernn
from tests.helpers import needs_torch, to_ember, assert_same

try:
    import torch
    from torch.nn.utils import rnn as trnn
except ImportError:   # pragma: no cover
    torch = trnn = None

pytestmark = needs_torch


def rand(*shape):
    t = torch.randn(*shape).requires_grad_()
    return t, to_ember(t)


def same_packed(pe, pt):
    assert isinstance(pe, ernn.PackedSequence)
    assert_same(pe.data, pt.data)
    assert_same(pe.batch_sizes, pt.batch_sizes)
    for a, b in ((pe.sorted_indices, pt.sorted_indices), (pe.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if a is not None:
            assert_same(a, b)


def backward_both(yt, ye):
    w = torch.randn(yt.shape)
    (yt * w).sum().backward()
    (ye * to_ember(w)).sum().backward()


def test_public_names():
    assert set(ernn.__all__) == set(trnn.__all__)
    assert ernn.PackedSequence._fields == trnn.PackedSequence._fields
    assert ember.nn.utils.rnn is ernn


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("lengths,enforce", [([5, 3, 3, 1], True), ([2, 5, 2, 5, 1, 3], False),
                                             (torch.tensor([3, 5, 1]) if torch else None, False)])
def test_pack_pad_roundtrip(lengths, enforce, batch_first):
    n = len(lengths)
    shape = (n, 5, 2, 3) if batch_first else (5, n, 2, 3)
    xt, xe = rand(*shape)
    le = lengths if isinstance(lengths, list) else to_ember(lengths)
    pt = trnn.pack_padded_sequence(xt, lengths, batch_first=batch_first, enforce_sorted=enforce)
    pe = ernn.pack_padded_sequence(xe, le, batch_first=batch_first, enforce_sorted=enforce)
    same_packed(pe, pt)
    for kw in ({}, {"padding_value": -2.5, "total_length": 7}, {"batch_first": not batch_first}):
        yt, lt = trnn.pad_packed_sequence(pt, **kw)
        ye, ly = ernn.pad_packed_sequence(pe, **kw)
        assert_same(ye, yt)
        assert_same(ly, lt)
    backward_both(yt, ye)
    assert_same(xe.grad, xt.grad)


def test_pack_2d_input_and_float_lengths():
    xt, xe = rand(4, 3)
    pt = trnn.pack_padded_sequence(xt, torch.tensor([4.0, 2.0, 1.0]))
    pe = ernn.pack_padded_sequence(xe, ember.tensor([4.0, 2.0, 1.0]))
    same_packed(pe, pt)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("side", ["right", "left"])
def test_pad_sequence(batch_first, side):
    pairs = [rand(n, 2, 3) for n in (2, 5, 1, 5)]
    st, se = [p[0] for p in pairs], [p[1] for p in pairs]
    yt = trnn.pad_sequence(st, batch_first=batch_first, padding_value=1.5, padding_side=side)
    ye = ernn.pad_sequence(se, batch_first=batch_first, padding_value=1.5, padding_side=side)
    assert_same(ye, yt)
    backward_both(yt, ye)
    for a, b in zip(se, st):
        assert_same(a.grad, b.grad)
    # 1-D sequences, a tuple, the default arguments
    st1 = (torch.randn(3), torch.randn(1))
    assert_same(ernn.pad_sequence(tuple(to_ember(s) for s in st1)), trnn.pad_sequence(st1))


def test_pack_sequence_unpack_unpad():
    seqs_t = [torch.randn(n, 2) for n in (3, 4, 1)]
    seqs_e = [to_ember(s) for s in seqs_t]
    pt = trnn.pack_sequence(seqs_t, enforce_sorted=False)
    pe = ernn.pack_sequence(seqs_e, enforce_sorted=False)
    same_packed(pe, pt)
    for a, b in zip(ernn.unpack_sequence(pe), trnn.unpack_sequence(pt)):
        assert_same(a, b)
    sorted_t = sorted(seqs_t, key=len, reverse=True)
    same_packed(ernn.pack_sequence([to_ember(s) for s in sorted_t]), trnn.pack_sequence(sorted_t))
    for bf in (False, True):
        padded = trnn.pad_sequence(seqs_t, batch_first=bf)
        lens = torch.tensor([3, 4, 1])
        for a, b in zip(ernn.unpad_sequence(to_ember(padded), to_ember(lens), batch_first=bf),
                        trnn.unpad_sequence(padded, lens, batch_first=bf)):
            assert_same(a, b)


def test_packed_sequence_object():
    p = ernn.PackedSequence(ember.randn(3, 2), ember.tensor([2, 1]), ember.tensor([1, 0]))
    assert p.unsorted_indices.tolist() == [1, 0]
    assert ernn.invert_permutation(ember.tensor([2, 0, 1])).tolist() == \
        trnn.invert_permutation(torch.tensor([2, 0, 1])).tolist()
    assert ernn.invert_permutation(None) is None
    legacy = ernn.PackedSequence((p.data, p.batch_sizes))
    assert legacy.sorted_indices is None and legacy.data is p.data
    d = p.double()
    assert d.data.dtype == ember.float64 and d.batch_sizes is p.batch_sizes
    assert p.to(ember.float32) is p
    assert not p.is_cuda
    assert repr(p).startswith("PackedSequence(data=tensor(")
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert batch_sizes is p.batch_sizes


def _raises_like(fe, ft):
    with pytest.raises(Exception) as it:
        ft()
    with pytest.raises(type(it.value), match="^" + re.escape(str(it.value))):
        fe()


@pytest.mark.parametrize("k", range(7))
def test_errors(k):
    x = np.random.RandomState(0).randn(3, 6, 2).astype(np.float32)
    xt, xe = torch.from_numpy(x), ember.from_numpy(x)
    cases = [
        (lambda m, r, a: r.pack_padded_sequence(a, [3, 3, 2, 2, 1, 2])),
        (lambda m, r, a: r.pack_padded_sequence(a, [3, 3, 2, 2, 1, 0])),
        (lambda m, r, a: r.pack_padded_sequence(a, [3, 3, 2, 2, 1])),
        (lambda m, r, a: r.pad_packed_sequence(r.pack_padded_sequence(a, [3, 2, 2, 2, 1, 1]), total_length=2)),
        (lambda m, r, a: r.pad_sequence([a[0], a[1]], padding_side="middle")),
        (lambda m, r, a: r.pad_sequence([])),
        (lambda m, r, a: r.pad_sequence([a[0], a[1, :, :1].expand(6, 3) if m is torch else a[1, :, :1].expand(6, 3)])),
    ]
    f = cases[k]
    _raises_like(lambda: f(ember, ernn, xe), lambda: f(torch, trnn, xt))
