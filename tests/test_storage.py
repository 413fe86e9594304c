"""Tensor.untyped_storage() and storage_offset() against torch."""
import pytest

import ember
from tests.helpers import needs_torch, torch


def _views(m):
    x = m.tensor([[1, 2, 3], [4, 5, 6]], dtype=m.int16)
    return {"x": x, "row": x[1], "col": x[:, 2], "t": x.t(), "flat": x.view(-1)[2:]}


@needs_torch
@pytest.mark.parametrize("name", ["x", "row", "col", "t", "flat"])
def test_untyped_storage_and_offset_match_torch(name):
    e, t = _views(ember)[name], _views(torch)[name]
    se, st = e.untyped_storage(), t.untyped_storage()
    assert se.nbytes() == st.nbytes() and len(se) == len(st) and se.size() == st.size()
    assert se.tolist() == st.tolist() and se[3] == st[3] and se.element_size() == st.element_size() == 1
    assert str(se.device) == str(st.device) and se.is_cuda == st.is_cuda
    assert e.storage_offset() == t.storage_offset()
    assert repr(se) == repr(st).replace("torch.storage", "ember.storage")


def test_views_share_one_storage():
    v = _views(ember)
    ptrs = {k: t.untyped_storage().data_ptr() for k, t in v.items()}
    assert len(set(ptrs.values())) == 1
    assert ember.tensor([1, 2]).untyped_storage().data_ptr() != ptrs["x"]
    s = v["x"].untyped_storage()
    s[0] = 9                                  # writes through to every view
    assert v["x"][0, 0].item() == 9


@needs_torch
def test_empty_storage_repr_matches_torch():
    assert repr(ember.empty(0).untyped_storage()) == repr(torch.empty(0).untyped_storage()).replace("torch.", "ember.")
