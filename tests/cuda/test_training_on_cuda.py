"""A small CNN trained for a few steps on 'cuda' (the fake CuPy) equals the same run on 'cpu'."""
import copy

import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F

from .backend import array_type


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        # no bias before BatchNorm: its gradient is rounding noise, which Adam-like optimizers turn into +-lr steps
        # that differ between devices (and reach the output through the running mean)
        self.conv1 = nn.Conv2d(1, 4, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 6, 3, stride=1)
        self.pool = nn.MaxPool2d(2)
        self.avg = nn.AdaptiveAvgPool2d((2, 2))
        self.drop = nn.Dropout(0.25)
        self.ln = nn.LayerNorm(24)
        self.fc = nn.Linear(24, 5)
        self.emb = nn.Embedding(7, 24)

    def forward(self, x, tok):
        x = self.pool(F.relu(self.bn1(self.conv1(x))))
        x = self.avg(F.gelu(self.conv2(x))).flatten(1)
        x = self.ln(x + self.emb(tok))
        return self.fc(self.drop(x))


_OPTIMIZERS = {
    "sgd": lambda ps: ember.optim.SGD(ps, lr=0.1),
    "sgd_momentum_nesterov_wd": lambda ps: ember.optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True,
                                                           weight_decay=1e-2),
    "adam": lambda ps: ember.optim.Adam(ps, lr=1e-2),
    "adamw_amsgrad": lambda ps: ember.optim.AdamW(ps, lr=1e-2, amsgrad=True),
    "rmsprop": lambda ps: ember.optim.RMSprop(ps, lr=1e-2, momentum=0.5),
    "adagrad": lambda ps: ember.optim.Adagrad(ps, lr=1e-2),
    "adamax_nadam_radam": None,
}


def _data():
    r = np.random.RandomState(1)
    x = r.randn(4, 1, 8, 8).astype(np.float32)
    tok = r.randint(0, 7, size=4)
    y = r.randint(0, 5, size=4)
    return x, tok, y


def _train(model, make_opt, device, steps=3, clip=None):
    x, tok, y = _data()
    x, tok, y = (ember.tensor(a, device=device) for a in (x, tok, y))
    opt = make_opt(model.parameters())
    losses = []
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        out = model(x, tok)
        assert out.device.type == device
        loss = F.cross_entropy(out, y)
        loss.backward()
        if clip is not None:
            total = nn.utils.clip_grad_norm_(model.parameters(), clip)
            assert float(total) > 0
        opt.step()
        losses.append(loss.item())
    model.eval()
    with ember.no_grad():
        ev = model(x, tok)
    return losses, ev.cpu().numpy()


def _pair():
    ember.manual_seed(0)
    cpu = SmallCNN()
    cpu.drop.p = 0.0            # dropout draws differ between devices in torch too; keep the runs deterministic
    gpu = copy.deepcopy(cpu).cuda()
    return cpu, gpu


@pytest.mark.parametrize("opt", [k for k, v in _OPTIMIZERS.items() if v is not None])
def test_small_cnn_trains_the_same_on_cuda(opt):
    cpu, gpu = _pair()
    assert all(p.is_cuda for p in gpu.parameters()) and all(b.is_cuda for b in gpu.buffers())
    cl, ce = _train(cpu, _OPTIMIZERS[opt], "cpu")
    gl, ge = _train(gpu, _OPTIMIZERS[opt], "cuda")
    np.testing.assert_allclose(gl, cl, rtol=1e-5)
    np.testing.assert_allclose(ge, ce, rtol=1e-4, atol=1e-5)
    for (name, pc), pg in zip(cpu.named_parameters(), gpu.parameters()):
        assert pg.is_cuda and type(pg._data) is array_type(), name
        assert pg.grad is not None and pg.grad.is_cuda and type(pg.grad._data) is array_type(), name
        np.testing.assert_allclose(pg.detach().cpu().numpy(), pc.detach().numpy(), rtol=1e-4, atol=1e-6,
                                   err_msg=name)
    for (name, bc), bg in zip(cpu.named_buffers(), gpu.buffers()):
        assert bg.is_cuda, name
        np.testing.assert_allclose(bg.cpu().numpy(), bc.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("name", ["Adamax", "NAdam", "RAdam", "Adadelta", "ASGD", "Rprop"])
def test_other_optimizers_step_the_same_on_cuda(name):
    cpu, gpu = _pair()
    make = lambda ps: getattr(ember.optim, name)(ps, lr=1e-2)     # noqa: E731
    cl, _ = _train(cpu, make, "cpu", steps=2)
    gl, _ = _train(gpu, make, "cuda", steps=2)
    np.testing.assert_allclose(gl, cl, rtol=1e-5)
    for pc, pg in zip(cpu.parameters(), gpu.parameters()):
        np.testing.assert_allclose(pg.detach().cpu().numpy(), pc.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_clip_grad_norm_on_cuda():
    cpu, gpu = _pair()
    sgd = lambda ps: ember.optim.SGD(ps, lr=0.1)      # noqa: E731
    cl, ce = _train(cpu, sgd, "cpu", clip=0.5)
    gl, ge = _train(gpu, sgd, "cuda", clip=0.5)
    np.testing.assert_allclose(gl, cl, rtol=1e-5)
    np.testing.assert_allclose(ge, ce, rtol=1e-4, atol=1e-5)


def test_optimizer_state_dict_of_cuda_run_loads(tmp_path):
    _, gpu = _pair()
    opt = ember.optim.Adam(gpu.parameters(), lr=1e-2)
    x, tok, y = (ember.tensor(a, device="cuda") for a in _data())
    F.cross_entropy(gpu(x, tok), y).backward()
    opt.step()
    p = tmp_path / "ckpt.pt"
    ember.save({"model": gpu.state_dict(), "opt": opt.state_dict()}, p)
    ck = ember.load(p, map_location="cpu")
    m2 = SmallCNN()
    m2.load_state_dict(ck["model"])
    opt2 = ember.optim.Adam(m2.parameters(), lr=1e-2)
    opt2.load_state_dict(ck["opt"])
    for pc, pg in zip(m2.parameters(), gpu.parameters()):
        np.testing.assert_array_equal(pc.detach().numpy(), pg.detach().cpu().numpy())
    m3 = copy.deepcopy(m2).cuda()                   # and back onto the device, state included
    opt3 = ember.optim.Adam(m3.parameters(), lr=1e-2)
    opt3.load_state_dict(ck["opt"])
    F.cross_entropy(m3(x, tok), y).backward()
    opt3.step()
    for st in opt3.state.values():
        for k, v in st.items():
            if isinstance(v, ember.Tensor) and v.dim() > 0:
                assert v.is_cuda, k


def test_dropout_train_on_cuda_stays_on_device():
    x = ember.ones(1000, device="cuda", requires_grad=True)
    y = F.dropout(x, 0.5, training=True)
    assert y.is_cuda and type(y._data) is array_type()
    kept = (y.detach() != 0).float().mean().item()
    assert 0.4 < kept < 0.6
    y.sum().backward()
    assert x.grad.is_cuda
    np.testing.assert_array_equal(x.grad.cpu().numpy(), (y.detach() != 0).float().cpu().numpy() * 2)


def test_data_parallel_runs_on_the_first_device():
    m = ember.nn.DataParallel(ember.nn.Linear(3, 2))
    assert m.device_ids == [0] and m.module.weight.is_cuda
    y = m(ember.ones(4, 3))                    # a CPU batch is moved to the module's device
    assert y.is_cuda and y.shape == (4, 2)
