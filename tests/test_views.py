"""Views: memory sharing, write-through, version counters, in-place ops through views with autograd."""
import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, assert_same, to_torch, torch


def _x(*shape):
    return ember.arange(float(np.prod(shape))).reshape(*shape).clone()


def _shares(a, b):
    return np.shares_memory(a.detach().numpy(), b.detach().numpy())


VIEWS = [
    ("view", lambda x: x.view(4, 6)),
    ("reshape", lambda x: x.reshape(-1)),
    ("slice", lambda x: x[1:, ::2]),
    ("index_int", lambda x: x[0]),
    ("none_ellipsis", lambda x: x[None, ..., 1]),
    ("transpose", lambda x: x.transpose(0, 2)),
    ("permute", lambda x: x.permute(1, 2, 0)),
    ("T", lambda x: x[0].T),
    ("mT", lambda x: x.mT),
    ("expand", lambda x: x[:, :1].expand(2, 5, 4)),
    ("squeeze", lambda x: x[:, :1].squeeze(1)),
    ("unsqueeze", lambda x: x.unsqueeze(1)),
    ("narrow", lambda x: x.narrow(2, 1, 2)),
    ("select", lambda x: x.select(1, 2)),
    ("unbind", lambda x: x.unbind(2)[1]),
    ("split", lambda x: x.split(2, 2)[1]),
    ("chunk", lambda x: x.chunk(3, 1)[2]),
    ("tensor_split", lambda x: x.tensor_split(2, 2)[1]),
    ("diagonal", lambda x: x.diagonal(0, 1, 2)),
    ("unfold", lambda x: x.unfold(2, 2, 1)),
    ("flatten", lambda x: x.flatten(1)),
    ("unflatten", lambda x: x.unflatten(2, (2, 2))),
    ("movedim", lambda x: x.movedim(0, -1)),
    ("view_as", lambda x: x.view_as(ember.zeros(24))),
    ("as_strided", lambda x: x.as_strided((2, 2), (1, 4), 1)),
    ("detach", lambda x: x.detach()),
    ("meshgrid", lambda x: ember.meshgrid(x[0, 0], x[0, 1], indexing="ij")[1]),
    ("broadcast_tensors", lambda x: ember.broadcast_tensors(x, ember.zeros(2, 1, 1))[0]),
    ("atleast_3d", lambda x: ember.atleast_3d(x[0])),
]


@pytest.mark.parametrize("name,f", VIEWS, ids=[v[0] for v in VIEWS])
def test_view_shares_memory_both_ways(name, f):
    x = _x(2, 3, 4)
    v = f(x)
    assert v._base is x or name == "detach"
    assert _shares(x, v)
    before = x.clone()
    if name not in ("expand", "meshgrid", "broadcast_tensors"):   # expanded views are read-only
        v.fill_(-7.0)
        assert (x == -7.0).any() and not (before == -7.0).any()
    x.fill_(3.0)
    assert (v == 3.0).all()
    assert v._version == x._version


COPIES = [
    ("flip", lambda x: x.flip(0)),
    ("roll", lambda x: x.roll(1)),
    ("repeat", lambda x: x.repeat(1, 1, 1)),
    ("cat", lambda x: ember.cat([x])),
    ("stack", lambda x: ember.stack([x])[0]),
    ("adv_index", lambda x: x[[0, 1]]),
    ("mask", lambda x: x[x > 3]),
    ("gather", lambda x: x.gather(0, ember.zeros(1, 1, 1, dtype=ember.long))),
    ("tril", lambda x: x.tril()),
    ("reshape_copy", lambda x: x.transpose(0, 1).reshape(-1)),
    ("flatten_copy", lambda x: x.transpose(0, 1).flatten()),
    ("diag", lambda x: ember.diag(x[0])),
    ("rot90", lambda x: x.rot90(1, (1, 2))),
]


@pytest.mark.parametrize("name,f", COPIES, ids=[c[0] for c in COPIES])
def test_copies_do_not_share(name, f):
    x = _x(2, 3, 4)
    y = f(x)
    assert not _shares(x, y)
    assert y._base is None or y._base is not x


@needs_torch
def test_is_view_matches_torch():
    tx = torch.arange(24.0).reshape(2, 3, 4)
    for name, f in VIEWS:
        if "ember" not in f.__code__.co_names and name != "detach":   # torch's detach shares, not a view
            assert f(tx)._is_view(), name
    for name, f in COPIES:
        if "ember" not in f.__code__.co_names:
            assert f(tx)._base is not tx, name


def test_view_after_transpose_raises_reshape_copies():
    x = _x(3, 4)
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        x.t().view(-1)
    r = x.t().reshape(-1)
    assert not _shares(r, x)
    r2 = x.reshape(2, 6)
    assert _shares(r2, x) and r2._base is x
    r3 = x.t().reshape(4, 3)          # no copy needed: same shape
    assert _shares(r3, x)
    y = x.t().contiguous()
    assert not _shares(y, x) and x.contiguous() is x


def test_view_of_view_and_storage():
    x = _x(4, 6)
    v = x[1:, 2:].t()[::2]
    assert v._base is x
    assert v.storage_offset() == torch_offset(x, lambda t: t[1:, 2:].t()[::2])
    assert v.stride() == (2, 6)
    v[0, 0] = 100.0
    assert x[1, 2].item() == 100.0


def torch_offset(x, f):
    if torch is None:
        pytest.skip("needs torch")
    return f(to_torch(x)).storage_offset()


def test_setitem_writes_into_views_and_bumps_version():
    x = _x(3, 4)
    v = x[:, 1]
    x[0, 1] = -1.0
    assert v[0].item() == -1.0
    v[2] = -2.0
    assert x[2, 1].item() == -2.0
    assert x._version == v._version == 2
    x[[0, 2], [0, 0]] = ember.tensor([5.0, 6.0])
    assert x[2, 0].item() == 6.0 and x._version == 3


def test_zero_dim_views_write_through():
    x = _x(2, 3)
    for r in x[0]:
        r.add_(100)
    x[1, 2].fill_(-1.0)
    x.select(1, 0)[1].mul_(0)
    x.unbind(1)[1][1].sub_(50)
    x[1][1:][0].zero_()
    assert x.tolist() == [[100.0, 101.0, 102.0], [0.0, 0.0, -1.0]]
    assert x._version == 7


def test_inplace_shape_ops_keep_memory():
    x = _x(1, 3)
    y = x.view(1, 3)
    p = y.data_ptr()
    y.squeeze_(0)
    assert y.shape == (3,) and y.data_ptr() == p
    y.unsqueeze_(1).t_()
    assert y.shape == (1, 3)
    y[0, 0] = 9.0
    assert x[0, 0].item() == 9.0


# ---- autograd through views -------------------------------------------------------------------
@needs_torch
@pytest.mark.parametrize("case", [
    lambda y: y[:, 0].mul_(2),
    lambda y: y[1].add_(y[0].clone() * 3),
    lambda y: y.t()[1:].mul_(y.t()[:-1].clone()),
    lambda y: y.view(-1)[::3].neg_(),
    lambda y: y.diagonal().mul_(4),
    lambda y: y.unsqueeze(0)[0, 1:, 2:].exp_(),
    lambda y: (y[1:][:, 1:].mul_(2), y[0].add_(1)),
    lambda y: y.__setitem__((slice(None), 1), y[:, 2].clone() * 5),
    lambda y: y.narrow(1, 1, 2).copy_(y[:, :2].clone() ** 2),
    lambda y: y.masked_fill_(y > 0.5, 0.0),
    lambda y: y.unfold(1, 2, 2).mul_(3),
])
def test_inplace_on_view_gradients(case):
    a = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    grads = []
    for m in (ember, torch):
        x = m.tensor(a, requires_grad=True)
        y = x * 1
        case(y)
        (y * m.arange(12.0).reshape(3, 4)).sum().backward()
        grads.append(x.grad)
    assert_same(*grads)


@needs_torch
def test_base_grad_fn_is_copyslices_and_view_value():
    for m in (ember, torch):
        x = m.ones(3, 4, requires_grad=True)
        y = x * 1
        y[0].mul_(3)
        assert y.grad_fn.name().endswith("CopySlices")
        assert y[0, 0].item() == 3.0


def test_version_counter_error_through_view():
    x = ember.ones(3, requires_grad=True)
    y = x * 2
    v = y[:2]
    w = v * v            # mul saves v, whose buffer is y's
    z = v.exp()          # exp saves only its own output: unaffected
    y.add_(1)
    with pytest.raises(RuntimeError, match="one of the variables needed for gradient computation has been "
                                           "modified by an inplace operation.*is at version 1; expected "
                                           "version 0 instead"):
        w.sum().backward()
    z.sum().backward()
    assert x.grad is not None


@needs_torch
def test_version_error_text_matches_torch():
    msgs = []
    for m in (ember, torch):
        x = m.ones(3, requires_grad=True)
        y = x * 2
        v = y[1:]
        w = v * v
        y[0].fill_(5.0)
        with pytest.raises(RuntimeError) as e:
            w.sum().backward()
        msgs.append(str(e.value).split(", which is")[0])
    assert msgs[0] == msgs[1]


@needs_torch
@pytest.mark.parametrize("f", [
    lambda x: x[0].mul_(2),
    lambda x: x.view(-1).zero_(),
    lambda x: x.t().fill_(1.0),
    lambda x: x.unbind(0)[0].add_(1),
    lambda x: x.mul_(2),
    lambda x: x.__setitem__(0, 1.0),
    lambda x: x.index_fill_(0, x.new_zeros(1).long(), 1.0),
    lambda x: x.t_(),
    lambda x: x[:1].squeeze_(0),
])
def test_leaf_inplace_errors(f):
    msgs = []
    for m in (ember, torch):
        x = m.ones(2, 3, requires_grad=True)
        with pytest.raises(RuntimeError) as e:
            f(x)
        msgs.append(str(e.value))
    assert msgs[0] == msgs[1]


def test_leaf_inplace_allowed_under_no_grad():
    x = ember.ones(2, 3, requires_grad=True)
    with ember.no_grad():
        x[0].mul_(2)
        x[1] = 5.0
    assert x.requires_grad and x.grad_fn is None
    assert x.sum().item() == 21.0


@needs_torch
def test_setitem_value_and_dest_gradients():
    a = np.random.default_rng(1).standard_normal((3, 4)).astype(np.float32)
    b = np.random.default_rng(2).standard_normal((4,)).astype(np.float32)
    res = []
    for m in (ember, torch):
        x = m.tensor(a, requires_grad=True)
        v = m.tensor(b, requires_grad=True)
        y = x.clone()
        y[[0, 2]] = v
        y[1, ::2] = v[:2] * 3
        (y ** 2).sum().backward()
        res.append((y, x.grad, v.grad))
    for e, t in zip(*res):
        assert_same(e, t)


@needs_torch
def test_copy_into_view_of_no_grad_base():
    res = []
    for m in (ember, torch):
        w = m.tensor([1.0, 2.0], requires_grad=True)
        buf = m.zeros(2, 3)
        buf[:, 1].copy_(w * w)
        assert buf.requires_grad and buf.grad_fn.name().endswith("CopySlices")
        (buf * m.arange(6.0).reshape(2, 3)).sum().backward()
        res.append(w.grad)
    assert_same(*res)


@needs_torch
def test_double_backward_through_copyslices():
    res = []
    for m in (ember, torch):
        x = m.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 1
        y[1:].mul_(y[:2].clone())
        g, = m.autograd.grad((y ** 2).sum(), x, create_graph=True)
        gg, = m.autograd.grad(g.sum(), x)
        res.append((g, gg))
    assert_same(res[0][0], res[1][0])
    assert_same(res[0][1], res[1][1])


def test_copy_dtype_and_broadcast():
    x = ember.zeros(2, 3, dtype=ember.int64)
    x.copy_(ember.tensor([1.7, -2.5, 3.2]))
    assert x.tolist() == [[1, -2, 3], [1, -2, 3]]
    y = ember.zeros(2, 3, dtype=ember.float64)
    w = ember.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y.copy_(w)
    assert y.dtype is ember.float64
    y.sum().backward()
    assert w.grad.dtype is ember.float32 and w.grad.tolist() == [2.0, 2.0, 2.0]


def test_new_factories():
    x = ember.ones(2, dtype=ember.float64)
    for t, val in ((x.new_zeros(2, 3), 0), (x.new_ones((2, 3)), 1), (x.new_full((2, 3), 7), 7)):
        assert t.shape == (2, 3) and t.dtype is ember.float64 and (t == val).all()
    e = x.new_empty(4, dtype=ember.int32, requires_grad=False)
    assert e.shape == (4,) and e.dtype is ember.int32


@needs_torch
def test_view_taken_before_base_is_modified_in_place_follows_the_base():
    """A view made before an in-place op on its base takes the base's new history (no stale gradient)."""
    import torch as T
    results = []
    for lib in (ember, T):
        x = lib.tensor([[1., 2., 3.], [4., 5., 6.]], requires_grad=True)
        y = x * 1
        row, col = y[0], y[:, 1]
        y.mul_(2)
        y[1].add_(y[0])
        ((row * row).sum() + (col ** 3).sum()).backward()
        results.append(x.grad.tolist())
    assert results[0] == results[1]


@needs_torch
def test_as_subclass_aliases_like_torch():
    got = []
    for lib in (torch, ember):
        class Sub(lib.Tensor):
            pass
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x.as_subclass(Sub)
        (y * y).sum().backward()
        w = lib.ones(2)
        v = w.as_subclass(Sub)
        v.add_(1)
        with pytest.raises(TypeError, match="does not inherit from Tensor"):
            x.as_subclass(int)
        got.append((type(y) is Sub, y.is_leaf, type(y.grad_fn).__name__, x.grad.tolist(), w.tolist(), w._version))
    assert got[0] == got[1]
