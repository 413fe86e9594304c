"""What only a real GPU shows (EMBER_CUDA_TESTS=real; skipped elsewhere): CuPy's device queries and memory
pool, page-locked host memory as the driver reports it, files and results shared with torch's CUDA build,
and the training CLI on 'cuda'."""
import numpy as np
import pytest

import ember
import ember.nn as nn
import ember.nn.functional as F
from ember.utils.data import DataLoader, TensorDataset

from .backend import real_only

pytestmark = real_only


def _torch_cuda():
    torch = pytest.importorskip("torch")
    if not torch.cuda.is_available():
        pytest.skip("torch has no CUDA here")
    return torch


def test_device_queries(fake_cuda):
    cp = fake_cuda
    assert ember.cuda.is_available() and ember.cuda.device_count() == cp.cuda.runtime.getDeviceCount() >= 1
    assert ember.cuda.current_device() == 0
    props = cp.cuda.runtime.getDeviceProperties(0)
    assert ember.cuda.get_device_name() == ember.cuda.get_device_name(0) == props["name"].decode()
    assert ember.cuda.get_device_capability() == (props["major"], props["minor"])
    ember.cuda.synchronize()


def test_memory_counters_follow_allocations():
    ember.cuda.synchronize()
    before = ember.cuda.memory_allocated()
    t = ember.empty(1 << 20, device="cuda")               # 4 MiB of float32
    assert ember.cuda.memory_allocated() - before >= 4 << 20
    assert ember.cuda.max_memory_allocated() >= ember.cuda.memory_allocated()
    del t
    assert ember.cuda.memory_allocated() == before
    reserved = ember.cuda.memory_reserved()
    ember.cuda.empty_cache()
    assert ember.cuda.memory_reserved() <= reserved


def _is_page_locked(cp, t):
    attrs = cp.cuda.runtime.pointerGetAttributes(t.data_ptr())
    return attrs.type == cp.cuda.runtime.memoryTypeHost


def test_pin_memory_is_page_locked_for_the_driver(fake_cuda):
    t = ember.arange(12.0).reshape(3, 4)
    p = t.pin_memory()
    assert p.is_pinned() and _is_page_locked(fake_cuda, p) and not t.is_pinned()
    assert p.pin_memory() is p
    np.testing.assert_array_equal(p.numpy(), t.numpy())
    g = p.to("cuda", non_blocking=True)
    ember.cuda.synchronize()
    np.testing.assert_array_equal(g.cpu().numpy(), t.numpy())
    z = ember.zeros(5, pin_memory=True)
    assert z.is_pinned() and _is_page_locked(fake_cuda, z)


def test_dataloader_pins_batches(fake_cuda):
    ds = TensorDataset(ember.randn(10, 3), ember.arange(10))
    for x, y in DataLoader(ds, batch_size=4, pin_memory=True):
        assert x.is_pinned() and y.is_pinned() and _is_page_locked(fake_cuda, x)
        assert x.cuda(non_blocking=True).is_cuda


def test_cuda_randoms_repeat_with_the_seed():
    ember.cuda.manual_seed(3)
    a = ember.randn(1000, device="cuda")
    ember.cuda.manual_seed(3)
    b = ember.randn(1000, device="cuda")
    assert a.is_cuda and ember.equal(a, b)
    assert abs(a.mean().item()) < 0.15 and 0.85 < a.std().item() < 1.15


def test_ember_cuda_file_loads_in_torch_on_cuda(tmp_path):
    torch = _torch_cuda()
    m = nn.Linear(4, 3).cuda()
    x = ember.randn(2, 4, device="cuda")
    ember.save({"sd": m.state_dict(), "x": x}, tmp_path / "e.pt")
    ck = torch.load(tmp_path / "e.pt", weights_only=True)
    assert ck["x"].is_cuda and ck["sd"]["weight"].is_cuda and ck["x"].dtype == torch.float32
    tm = torch.nn.Linear(4, 3).cuda()
    tm.load_state_dict(ck["sd"])
    np.testing.assert_allclose(tm(ck["x"]).detach().cpu().numpy(), m(x).detach().cpu().numpy(), rtol=1e-6,
                               atol=1e-6)


def test_torch_cuda_file_loads_in_ember_on_cuda(tmp_path):
    torch = _torch_cuda()
    t = torch.arange(6.0, device="cuda").reshape(2, 3)[:, 1:]         # a strided view of a CUDA storage
    torch.save({"t": t, "i": torch.tensor([1, 2], device="cuda")}, tmp_path / "t.pt")
    ck = ember.load(tmp_path / "t.pt")
    assert ck["t"].is_cuda and ck["i"].is_cuda and ck["i"].dtype is ember.int64
    np.testing.assert_array_equal(ck["t"].cpu().numpy(), t.cpu().numpy())
    on_cpu = ember.load(tmp_path / "t.pt", map_location="cpu")
    assert not on_cpu["t"].is_cuda


def test_training_step_matches_torch_on_cuda():
    """Same weights, same batch: ember on the GPU and torch on the GPU give the same loss, gradients and
    updated weights after an SGD-with-momentum step (torch's float32 matmul without TF32)."""
    torch = _torch_cuda()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    tnet = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                               torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(8 * 4 * 4, 10)).cuda()
    enet = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
    enet.load_state_dict({k: ember.tensor(v.cpu().numpy()) for k, v in tnet.state_dict().items()})
    enet.cuda()
    r = np.random.RandomState(0)
    x, y = r.randn(16, 3, 8, 8).astype(np.float32), r.randint(0, 10, 16)
    topt = torch.optim.SGD(tnet.parameters(), lr=0.1, momentum=0.9)
    eopt = ember.optim.SGD(enet.parameters(), lr=0.1, momentum=0.9)
    for _ in range(2):
        tl = torch.nn.functional.cross_entropy(tnet(torch.tensor(x, device="cuda")), torch.tensor(y, device="cuda"))
        el = F.cross_entropy(enet(ember.tensor(x, device="cuda")), ember.tensor(y, device="cuda"))
        topt.zero_grad()
        eopt.zero_grad()
        tl.backward()
        el.backward()
        np.testing.assert_allclose(el.item(), tl.item(), rtol=1e-5)
        for (name, tp), ep in zip(tnet.named_parameters(), enet.parameters()):
            assert ep.grad.is_cuda, name
            np.testing.assert_allclose(ep.grad.cpu().numpy(), tp.grad.cpu().numpy(), rtol=1e-4, atol=1e-5,
                                       err_msg=name)
        topt.step()
        eopt.step()
    for (name, tb), eb in zip(tnet.state_dict().items(), enet.state_dict().values()):
        np.testing.assert_allclose(eb.cpu().numpy(), tb.cpu().numpy(), rtol=1e-4, atol=1e-5, err_msg=name)


def test_train_cli_on_cuda(tmp_path):
    from tests.train.helpers import run_ember
    res = run_ember("train", "-d", "cuda", "--epochs", 1, "--save-dir", tmp_path / "runs", "--run-id", "g",
                    cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "epochs on cuda\n" in res.stdout
    ck = ember.load(tmp_path / "runs" / "digits" / "g" / "model_best.pth", map_location="cpu")
    assert all(not v.is_cuda for v in ck["state_dict"].values())
