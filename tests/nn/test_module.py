"""The Module system: registration, traversal, state_dict, hooks, conversion, containers, errors."""
import copy
import pickle
from collections import OrderedDict

import numpy as np
import pytest

import ember
import ember.nn as enn
from tests.helpers import needs_torch, to_ember, to_torch, assert_same

try:
    import torch
    import torch.nn as tnn
except ImportError:   # pragma: no cover
    torch = tnn = None


def _net_init(self, nn, lib):
    super(type(self), self).__init__()
    self.fc = nn.Linear(4, 3)
    self.block = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    self.register_buffer("stat", lib.zeros(2))
    self.register_buffer("tmp", lib.ones(1), persistent=False)
    self.scale = nn.Parameter(lib.ones(1))


class Net(enn.Module):   # module level so that it pickles
    def __init__(self):
        _net_init(self, enn, ember)

    def forward(self, x):
        return self.block(self.fc(x)) * self.scale


def make_net(nn, lib):
    if nn is enn:
        return Net()

    class TNet(nn.Module):
        def __init__(self):
            _net_init(self, nn, lib)

    TNet.__name__ = "Net"
    return TNet()


def lenet(nn):
    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            F = nn.functional
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = x.flatten(1)
            return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

    return LeNet()


# ---- registration and traversal -----------------------------------------------------------
def test_registration_and_traversal():
    n = make_net(enn, ember)
    assert [k for k, _ in n.named_parameters()] == ["scale", "fc.weight", "fc.bias", "block.0.weight",
                                                    "block.0.bias", "block.1.weight", "block.1.bias"]
    assert [k for k, _ in n.named_buffers()] == ["stat", "tmp", "block.1.running_mean", "block.1.running_var",
                                                 "block.1.num_batches_tracked"]
    assert [k for k, _ in n.named_children()] == ["fc", "block"]
    assert [k for k, _ in n.named_modules()] == ["", "fc", "block", "block.0", "block.1"]
    assert [k for k, _ in n.named_modules(prefix="m")] == ["m", "m.fc", "m.block", "m.block.0", "m.block.1"]
    assert len(list(n.parameters(recurse=False))) == 1
    assert n.get_submodule("block.0") is n.block[0]
    assert n.get_parameter("block.1.bias") is n.block[1].bias
    assert n.get_buffer("block.1.running_mean") is n.block[1].running_mean
    assert isinstance(n.fc.weight, enn.Parameter) and isinstance(n.fc.weight, ember.Tensor)
    assert "fc" in dir(n) and "scale" in dir(n) and "stat" in dir(n)
    # shared modules/parameters are reported once unless remove_duplicate=False
    s = enn.Sequential(n.fc, n.fc)
    assert len(list(s.parameters())) == 2
    assert len(list(s.named_parameters(remove_duplicate=False))) == 4
    del n.stat
    assert "stat" not in n._buffers
    n.fc = None
    assert n.fc is None and "fc" in n._modules


@needs_torch
def test_state_dict_keys_match_torch():
    e, t = make_net(enn, ember), make_net(tnn, torch)
    assert list(e.state_dict()) == list(t.state_dict())
    sd = e.state_dict(prefix="p.", keep_vars=True)
    assert list(sd)[0] == "p.scale" and sd["p.scale"] is e.scale
    assert isinstance(e.state_dict(), OrderedDict)
    assert e.state_dict()["scale"].requires_grad is False


@needs_torch
def test_state_dict_positional_args_warn_like_torch():
    """Seed 002 documents state_dict(destination=None, prefix='', keep_vars=False); torch deprecates passing them
    positionally with one FutureWarning (children are called with keywords)."""
    import warnings

    def run(nn):
        m = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.BatchNorm1d(3)))
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            keys = list(m.state_dict(None, "x.", False))
        return keys, [(x.category, str(x.message)) for x in w]
    assert run(enn) == run(tnn)
    for name in ("get_extra_state", "set_extra_state"):
        args = () if name == "get_extra_state" else (None,)
        with pytest.raises(RuntimeError) as te:
            getattr(tnn.Linear(1, 1), name)(*args)
        with pytest.raises(RuntimeError) as ee:
            getattr(enn.Linear(1, 1), name)(*args)
        assert str(ee.value) == str(te.value)


@needs_torch
def test_load_state_dict_roundtrip_and_errors():
    e, t = make_net(enn, ember), make_net(tnn, torch)
    res = e.load_state_dict({k: to_ember(v) for k, v in t.state_dict().items()})
    assert repr(res) == "<All keys matched successfully>"
    assert_same(e.fc.weight, t.fc.weight)
    w = e.fc.weight
    e.load_state_dict(e.state_dict())
    assert e.fc.weight is w                       # copies in place, the Parameter object stays
    bad = {k: to_ember(v) for k, v in t.state_dict().items()}
    bad["fc.weight"] = ember.zeros(2, 4)
    del bad["fc.bias"]
    bad["extra"] = ember.zeros(1)
    tbad = {k: to_torch(v) for k, v in bad.items()}
    with pytest.raises(RuntimeError) as te:
        t.load_state_dict(tbad)
    with pytest.raises(RuntimeError) as ee:
        e.load_state_dict(bad)
    assert str(ee.value) == str(te.value).replace("torch.Size", "ember.Size")
    assert str(ee.value).startswith("Error(s) in loading state_dict for Net:\n\tMissing key(s)")
    del bad["fc.weight"]
    tres = t.load_state_dict({k: to_torch(v) for k, v in bad.items()}, strict=False)
    eres = e.load_state_dict(bad, strict=False)
    assert eres.missing_keys == tres.missing_keys and eres.unexpected_keys == tres.unexpected_keys
    assert repr(eres) == repr(tres)
    with pytest.raises(TypeError, match="Expected state_dict to be dict-like"):
        e.load_state_dict(3)


def test_load_state_dict_assign_and_size_message():
    m = enn.Linear(4, 3)
    new = {"weight": ember.ones(3, 4), "bias": ember.zeros(3)}
    m.load_state_dict(new, assign=True)
    assert isinstance(m.weight, enn.Parameter) and m.weight.requires_grad
    assert m.weight.data_ptr() == new["weight"].data_ptr()

    class Net(enn.Module):
        def __init__(self, n):
            super().__init__()
            self.fc = enn.Linear(4, n)

    with pytest.raises(RuntimeError) as e:
        Net(3).load_state_dict(Net(2).state_dict())
    assert str(e.value) == (
        "Error(s) in loading state_dict for Net:\n\tsize mismatch for fc.weight: copying a param with shape "
        "ember.Size([2, 4]) from checkpoint, the shape in current model is ember.Size([3, 4]).\n\tsize mismatch "
        "for fc.bias: copying a param with shape ember.Size([2]) from checkpoint, the shape in current model is "
        "ember.Size([3]).")


def test_batchnorm_old_checkpoint_without_num_batches_tracked():
    bn = enn.BatchNorm1d(3)
    sd = bn.state_dict()
    del sd["num_batches_tracked"]
    sd._metadata[""]["version"] = 1
    assert repr(bn.load_state_dict(sd)) == "<All keys matched successfully>"


@needs_torch
def test_setattr_errors_match_torch():
    cases = [
        lambda nn, lib: setattr(nn.Linear(2, 3), "weight", lib.ones(3, 2)),
        lambda nn, lib: nn.Linear(2, 3).foo,
        lambda nn, lib: nn.Linear(2, 3).register_buffer("weight", lib.ones(1)),
        lambda nn, lib: nn.Linear(2, 3).register_parameter("a.b", None),
        lambda nn, lib: nn.Linear(2, 3).register_buffer("z", 3),
        lambda nn, lib: nn.Linear(2, 3).add_module("z", 3),
        lambda nn, lib: nn.Linear(2, 3).get_submodule("x.y"),
        lambda nn, lib: nn.Linear(2, 3).get_parameter("bias.x"),
        lambda nn, lib: nn.Linear(2, 3).get_buffer("weight"),
        lambda nn, lib: nn.Linear(2, 3).register_parameter("q", lib.ones(2)),
        lambda nn, lib: nn.Module().forward(1),
        lambda nn, lib: setattr(nn.Sequential(nn.ReLU()), "0", 3),
        lambda nn, lib: nn.Linear(2, 3).train(3),
        lambda nn, lib: nn.Sequential()[0],
        lambda nn, lib: nn.ModuleList([nn.ReLU()])[-2],
        lambda nn, lib: nn.Linear(2, 3).to(lib.int64),
        lambda nn, lib: nn.Dropout(1.5),
        lambda nn, lib: nn.Conv2d(3, 4, 3, groups=2),
        lambda nn, lib: nn.Conv2d(3, 3, 3, stride=2, padding="same"),
        lambda nn, lib: nn.GroupNorm(3, 4),
    ]
    for f in cases:
        with pytest.raises(Exception) as te:
            f(tnn, torch)
        with pytest.raises(Exception) as ee:
            f(enn, ember)
        assert type(ee.value) is type(te.value)
        assert str(ee.value) == str(te.value).replace("torch.int64", "ember.int64")

    class N(enn.Module):
        def __init__(self):
            self.w = enn.Parameter(ember.ones(1))
    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call"):
        N()


def test_train_eval_requires_grad_zero_grad():
    n = make_net(enn, ember)
    assert n.training and n.block[1].training
    assert n.eval() is n and not n.block[1].training
    n.train()
    out = n(ember.randn(5, 4)).sum()
    out.backward()
    assert n.fc.weight.grad is not None
    n.zero_grad(set_to_none=False)
    assert (n.fc.weight.grad.numpy() == 0).all()
    n.zero_grad()
    assert n.fc.weight.grad is None
    n.requires_grad_(False)
    assert not any(p.requires_grad for p in n.parameters())


def test_dtype_conversion_keeps_parameter_objects():
    n = make_net(enn, ember)
    w = n.fc.weight
    n.double()
    assert n.fc.weight is w and w.dtype is ember.float64 and isinstance(w, enn.Parameter)
    assert n.block[1].num_batches_tracked.dtype is ember.int64
    assert n.stat.dtype is ember.float64
    n.to(ember.float32)
    assert w.dtype is ember.float32
    n.half()
    assert w.dtype is ember.float16
    n.bfloat16()
    assert w.dtype is ember.bfloat16
    n.float().to("cpu").cpu()
    assert w.dtype is ember.float32 and w.device.type == "cpu"
    n.to(ember.zeros(1, dtype=ember.float64))
    assert w.dtype is ember.float64
    seen = []
    n.apply(lambda m: seen.append(type(m).__name__))
    assert seen == ["Linear", "Linear", "BatchNorm1d", "Sequential", "Net"]


def test_deepcopy_and_pickle():
    n = make_net(enn, ember)
    x = ember.randn(3, 4)
    n.eval()
    ref = n(x).detach().numpy()
    for m in (copy.deepcopy(n), pickle.loads(pickle.dumps(n))):
        assert m.fc.weight is not n.fc.weight and isinstance(m.fc.weight, enn.Parameter)
        assert m.fc.weight.requires_grad
        np.testing.assert_array_equal(m(x).detach().numpy(), ref)
        assert list(m.state_dict()) == list(n.state_dict())


# ---- hooks ---------------------------------------------------------------------------------------
def test_forward_hooks():
    m = enn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre") or (args[0] * 0,))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append("post") or out + 1)
    h3 = m.register_forward_hook(lambda mod, args, out: calls.append("first"), prepend=True)
    out = m(ember.ones(1, 2))
    assert calls == ["pre", "first", "post"]
    np.testing.assert_allclose(out.detach().numpy(), m.bias.detach().numpy()[None] + 1, rtol=1e-6)
    for h in (h1, h2, h3):
        h.remove()
    calls.clear()
    m(ember.ones(1, 2))
    assert calls == []
    got = {}
    with m.register_forward_pre_hook(lambda mod, a, kw: got.update(kw=kw), with_kwargs=True):
        m(input=ember.ones(1, 2))
    assert "input" in got["kw"]
    assert not m._forward_pre_hooks and not m._forward_pre_hooks_with_kwargs


def test_global_forward_hook():
    from ember.nn.modules.module import register_module_forward_hook
    names = []
    h = register_module_forward_hook(lambda mod, a, o: names.append(type(mod).__name__))
    try:
        enn.Sequential(enn.ReLU(), enn.Tanh())(ember.ones(2))
    finally:
        h.remove()
    assert names == ["ReLU", "Tanh", "Sequential"]


@needs_torch
def test_full_backward_hooks_match_torch():
    def run(nn, lib, x):
        m = nn.Linear(3, 2)
        with lib.no_grad():
            m.weight.copy_(lib.tensor([[1.0, 2, 3], [4, 5, 6]])) if lib is torch else None
        if lib is ember:
            m.load_state_dict({"weight": ember.tensor([[1.0, 2, 3], [4, 5, 6]]), "bias": ember.zeros(2)})
        else:
            with torch.no_grad():
                m.bias.zero_()
        rec = {}

        def hook(mod, gin, gout):
            rec["gin"] = [g.detach().numpy().copy() for g in gin]
            rec["gout"] = [g.detach().numpy().copy() for g in gout]
            return (gin[0] * 2,)

        def pre(mod, gout):
            rec["pre"] = gout[0].detach().numpy().copy()
            return (gout[0] * 3,)

        m.register_full_backward_hook(hook)
        m.register_full_backward_pre_hook(pre)
        xi = lib.tensor(x, requires_grad=True)
        m(xi).sum().backward()
        return rec, xi.grad.numpy(), m.weight.grad.numpy()

    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    er, exg, ewg = run(enn, ember, x)
    tr, txg, twg = run(tnn, torch, x)
    for k in ("gin", "gout"):
        for a, b in zip(er[k], tr[k]):
            np.testing.assert_allclose(a, b)
    np.testing.assert_allclose(er["pre"], tr["pre"])
    np.testing.assert_allclose(exg, txg)
    np.testing.assert_allclose(ewg, twg)


def test_backward_hook_without_input_grad():
    m = enn.Linear(3, 2)
    rec = []
    m.register_full_backward_hook(lambda mod, gin, gout: rec.append((gin, tuple(gout[0].shape))))
    m(ember.ones(4, 3)).sum().backward()
    assert rec == [((None,), (4, 2))]


def test_state_dict_hooks():
    m = enn.Linear(2, 2)
    def drop_bias(mod, sd, prefix, meta):
        del sd[prefix + "bias"]

    m._register_state_dict_hook(drop_bias)
    assert list(m.state_dict()) == ["weight"]
    seen = []
    m.register_load_state_dict_post_hook(lambda mod, keys: seen.append(list(keys.missing_keys)))
    m.load_state_dict({"weight": ember.zeros(2, 2)}, strict=False)
    assert seen == [["bias"]]


# ---- containers ----------------------------------------------------------------------------------
@needs_torch
def test_container_reprs_and_ops_match_torch():
    def build(nn, lib):
        s = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
        out = [repr(s[1:]), repr(s[-1])]
        del s[0]
        out.append(repr(s))
        s.insert(0, nn.ELU())
        out.append(repr(s.pop(1)))
        s.append(nn.ReLU())
        s.extend([nn.GELU()])
        out += [repr(s), repr(s + nn.Sequential(nn.ReLU())), len(s), repr(s * 2)]
        out.append(repr(nn.Sequential(OrderedDict([("a", nn.ReLU()), ("b", nn.Linear(1, 2))]))))
        ml = nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.ReLU(), nn.Linear(1, 2), nn.Linear(1, 2)])
        out.append(repr(ml))
        ml.insert(1, nn.Tanh())
        del ml[0]
        out += [repr(ml), repr(ml[1:3]), repr(nn.ModuleList()), repr(ml + nn.ModuleList([nn.ELU()]))]
        md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Linear(2, 2)})
        md.update([("c", nn.Tanh())])
        out += [repr(md), list(md.keys()), "a" in md, repr(md.pop("b"))]
        pl = nn.ParameterList([nn.Parameter(lib.ones(2, 3)), lib.ones(3, dtype=lib.float64), 3])
        out += [repr(pl).replace("torch.", ""), len(pl), [type(p).__name__ for p in pl]]
        pd = nn.ParameterDict({"w": nn.Parameter(lib.ones(2, 3)), "b": lib.ones(2)})
        out += [repr(pd), list(pd.keys()), [k for k, _ in pd.named_parameters()]]
        return out

    e = build(enn, ember)
    t = build(tnn, torch)
    e = [x.replace("ember.", "") if isinstance(x, str) else x for x in e]
    assert e == t


def test_sequential_forward_and_indexing():
    s = enn.Sequential(enn.Linear(2, 3), enn.ReLU(), enn.Linear(3, 1))
    assert tuple(s(ember.ones(4, 2)).shape) == (4, 1)
    assert isinstance(s[-3], enn.Linear) and isinstance(s[0:2], enn.Sequential)
    s[1] = enn.Tanh()
    assert isinstance(s[1], enn.Tanh)
    with pytest.raises(IndexError, match="index 3 is out of range"):
        s[3]
    assert [type(m).__name__ for m in s] == ["Linear", "Tanh", "Linear"]


# ---- beginner errors --------------------------------------------------------------------------
@needs_torch
def test_lenet_shape_error_names_the_layer():
    t = lenet(tnn)
    with pytest.raises(RuntimeError) as te:
        t(torch.zeros(16, 1, 36, 36))
    e = lenet(enn)
    with pytest.raises(RuntimeError) as ee:
        e(ember.zeros(16, 1, 36, 36))
    msg = str(ee.value)
    assert msg.startswith(str(te.value))
    assert "mat1 and mat2 shapes cannot be multiplied (16x576 and 400x120)" in msg
    assert "in module 'fc1' (Linear(in_features=400, out_features=120, bias=True))" in msg
    assert "change in_features to 576" in msg
    assert msg.count("This error was raised") == 1
    # the success path still works, and a direct call names the layer without a path
    assert tuple(e(ember.zeros(2, 1, 32, 32)).shape) == (2, 10)
    with pytest.raises(RuntimeError, match=r"in Linear\(in_features=400"):
        e.fc1(ember.zeros(2, 5))


def test_conv_channel_error_hint():
    net = enn.Sequential(enn.Conv2d(3, 8, 3), enn.Conv2d(4, 8, 3))
    with pytest.raises(RuntimeError) as ei:
        net(ember.zeros(1, 3, 8, 8))
    assert "in module '1' (Conv2d(4, 8, kernel_size=(3, 3), stride=(1, 1)))" in str(ei.value)
    assert "change in_channels to 8" in str(ei.value)


def test_parameter_basics():
    t = ember.ones(2, 3)
    p = enn.Parameter(t)
    assert p.requires_grad and p.data_ptr() == t.data_ptr() and p.is_leaf
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert not enn.Parameter(t, requires_grad=False).requires_grad
    assert tuple(enn.Parameter().shape) == (0,)
    assert type(p * 2) is ember.Tensor
    b = enn.Buffer(ember.zeros(2))
    m = enn.Module()
    m.buf = b
    assert "buf" in m._buffers
