"""save/load: PyTorch's file format both ways, safe loading, corrupt files, mmap, safetensors."""
import collections
import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch, to_torch, assert_same

pytestmark = needs_torch

DTYPES = ["float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _sample(dtype, shape=(2, 3)):
    t = torch.arange(int(np.prod(shape))).reshape(shape) % 5
    return t.to(getattr(torch, dtype))


@pytest.mark.parametrize("dtype", DTYPES)
def test_ember_to_torch_every_dtype(tmp_path, dtype):
    tt = _sample(dtype)
    e = ember.tensor(tt.float().numpy()).to(getattr(ember, dtype))
    p = tmp_path / "x.pt"
    ember.save({"x": e, "xt": e.t(), "row": e[1]}, p)
    back = torch.load(p)   # default weights_only=True
    assert back["x"].dtype == tt.dtype
    assert torch.equal(back["x"], tt)
    assert torch.equal(back["xt"], tt.t())
    assert back["xt"].stride() == tt.t().stride()
    assert torch.equal(back["row"], tt[1])
    # views saved once, restored sharing one storage
    assert back["row"].untyped_storage().data_ptr() == back["x"].untyped_storage().data_ptr()


@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_to_ember_every_dtype(tmp_path, dtype):
    tt = _sample(dtype, (3, 4))
    p = tmp_path / "x.pt"
    torch.save({"x": tt, "v": tt[:, 1:3], "t": tt.t()}, p)
    d = ember.load(p)
    assert_same(d["x"], tt)
    assert_same(d["v"], tt[:, 1:3])
    assert_same(d["t"], tt.t())
    d["x"][0, 0] = 1                    # restored views share memory
    assert d["t"][0, 0].item() == d["x"][0, 0].item()


def test_zero_dim_empty_and_nested_checkpoint(tmp_path):
    p = tmp_path / "ckpt.tar"
    ck = {"epoch": 7, "loss": 0.25, "model_state_dict": collections.OrderedDict(w=ember.ones(2, 2), b=ember.zeros(0)),
          "scalar": ember.tensor(3.5), "names": ["a", ("b", 1)], "blob": b"\x00\x01", "dtype": ember.float64,
          "size": ember.Size([2, 3]), "np": np.float32(1.5), "none": None, "flag": True}
    ember.save(ck, p)
    t = torch.load(p)
    assert t["epoch"] == 7 and t["loss"] == 0.25 and t["names"] == ["a", ("b", 1)] and t["blob"] == b"\x00\x01"
    assert isinstance(t["model_state_dict"], collections.OrderedDict)
    assert t["model_state_dict"]["b"].shape == (0,)
    assert t["scalar"].dim() == 0 and t["scalar"].item() == 3.5
    assert t["dtype"] is torch.float64 and t["size"] == torch.Size([2, 3]) and t["np"] == 1.5
    e = ember.load(p)
    assert e["dtype"] is ember.float64 and e["size"] == (2, 3) and e["epoch"] == 7
    assert e["scalar"].shape == () and e["model_state_dict"]["w"].tolist() == [[1, 1], [1, 1]]


def test_parameters_and_requires_grad_round_trip(tmp_path):
    nn = pytest.importorskip("ember.nn")
    p = nn.Parameter(ember.randn(3))
    path = tmp_path / "p.pt"
    ember.save({"p": p, "g": ember.ones(2, requires_grad=True)}, path)
    t = torch.load(path)
    assert isinstance(t["p"], torch.nn.Parameter) and t["p"].requires_grad
    assert t["g"].requires_grad
    e = ember.load(path)
    assert isinstance(e["p"], nn.Parameter) and e["p"].requires_grad
    np.testing.assert_array_equal(e["p"].detach().numpy(), p.detach().numpy())
    tp = tmp_path / "tp.pt"
    torch.save({"p": torch.nn.Parameter(torch.ones(2))}, tp)
    assert isinstance(ember.load(tp)["p"], nn.Parameter)


def test_torch_optimizer_state_dict_loads(tmp_path):
    w = torch.nn.Parameter(torch.randn(3, 2))
    opt = torch.optim.Adam([w], lr=0.1)
    w.sum().backward()
    opt.step()
    p = tmp_path / "opt.pt"
    torch.save(opt.state_dict(), p)
    sd = ember.load(p)
    assert sd["param_groups"][0]["lr"] == 0.1
    assert_same(sd["state"][0]["exp_avg"], opt.state_dict()["state"][0]["exp_avg"])
    assert_same(sd["state"][0]["step"], opt.state_dict()["state"][0]["step"])


def test_legacy_format_from_torch(tmp_path):
    p = tmp_path / "legacy.pt"
    x = torch.randn(3, 4)
    torch.save({"x": x, "xt": x.t(), "i": torch.arange(5), "n": 2}, p, _use_new_zipfile_serialization=False)
    d = ember.load(p)
    assert_same(d["x"], x)
    assert_same(d["xt"], x.t())
    assert_same(d["i"], torch.arange(5))
    assert d["n"] == 2


class _Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def test_malicious_pickle_refused(tmp_path):
    p = tmp_path / "evil.pt"
    torch.save({"e": _Evil()}, p)
    with pytest.raises(pickle.UnpicklingError) as ei:
        ember.load(p)
    msg = str(ei.value)
    assert "Unsupported global" in msg and "system" in msg and "add_safe_globals" in msg


def test_safe_globals_allow_list(tmp_path):
    p = tmp_path / "od.pt"
    torch.save({"c": collections.Counter(a=1)}, p)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(p)
    with ember.serialization.safe_globals([collections.Counter]):
        assert ember.load(p)["c"] == collections.Counter(a=1)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(p)
    assert ember.load(p, weights_only=False)["c"]["a"] == 1


def test_whole_model_round_trip(tmp_path):
    nn = pytest.importorskip("ember.nn")
    model = nn.Sequential(nn.Linear(3, 2), nn.ReLU())
    p = tmp_path / "model.pth"
    ember.save(model, p)
    with pytest.raises(pickle.UnpicklingError):
        ember.load(p)
    m2 = ember.load(p, weights_only=False)
    x = ember.randn(4, 3)
    np.testing.assert_allclose(m2(x).detach().numpy(), model(x).detach().numpy())


def test_corrupt_and_truncated_files(tmp_path):
    p = tmp_path / "x.pt"
    ember.save({"x": ember.randn(100)}, p)
    data = p.read_bytes()
    (tmp_path / "trunc.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="truncated|corrupt|not a valid"):
        ember.load(tmp_path / "trunc.pt")
    (tmp_path / "junk.pt").write_bytes(b"\x80\x02garbage" * 10)
    with pytest.raises(RuntimeError):
        ember.load(tmp_path / "junk.pt")


def test_crafted_strides_cannot_read_past_storage(tmp_path):
    """A file whose tensor claims more elements than its storage holds is refused."""
    p = tmp_path / "x.pt"
    torch.save({"x": torch.arange(4.)}, p)
    zin = zipfile.ZipFile(p)
    out = tmp_path / "bad.pt"
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename.endswith("data.pkl"):
                data = data.replace(b"K\x04\x85", b"M\x00\x10\x85", 1)   # size (4,) -> (4096,)
            zout.writestr(info, data)
    with pytest.raises(RuntimeError, match="past its storage|corrupt"):
        ember.load(out)


def test_map_location_forms(tmp_path):
    p = tmp_path / "x.pt"
    ember.save({"x": ember.ones(2)}, p)
    for ml in ("cpu", ember.device("cpu"), {"cpu": "cpu"}, lambda storage, loc: storage):
        assert ember.load(p, map_location=ml)["x"].device == ember.device("cpu")
    if not ember.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            ember.load(p, map_location="cuda")


def test_mmap_reads_lazily_from_a_larger_file(tmp_path):
    p = tmp_path / "big.pt"
    big = torch.randn(1000, 256)
    torch.save({"big": big, "small": torch.arange(3)}, p)
    d = ember.load(p, mmap=True)
    assert isinstance(d["big"].numpy().base, np.memmap) or isinstance(d["big"].numpy(), np.memmap) \
        or d["big"].numpy().base is not None
    assert_same(d["small"], torch.arange(3))
    assert_same(d["big"], big)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    p = tmp_path / "ck.pt"
    ember.save({"v": 1}, p)
    before = p.read_bytes()

    class Bad:
        def __reduce__(self):
            raise RuntimeError("boom")
    with pytest.raises(Exception):
        ember.save({"v": Bad()}, p)
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["ck.pt"]


def test_file_objects(tmp_path):
    buf = io.BytesIO()
    ember.save({"x": ember.arange(3)}, buf)
    buf.seek(0)
    assert torch.load(buf)["x"].tolist() == [0, 1, 2]
    buf.seek(0)
    assert ember.load(buf)["x"].tolist() == [0, 1, 2]


def test_safetensors_round_trip(tmp_path):
    from ember.utils import safetensors as st
    tensors = {"a": ember.randn(2, 3), "b": ember.arange(4), "c": ember.ones(2, dtype=ember.bfloat16)}
    p = tmp_path / "m.safetensors"
    st.save_file(tensors, p, metadata={"format": "pt"})
    back = st.load_file(p)
    for k in tensors:
        assert back[k].dtype is tensors[k].dtype
        np.testing.assert_array_equal(back[k].float().numpy(), tensors[k].float().numpy())
    with pytest.raises(ValueError):
        st.load(b"\x01\x02")


def test_torch_optimizer_checkpoint_resumes_in_ember_and_back(tmp_path):
    """A torch Adam checkpoint file loads into an ember Adam (same trajectory), and ember's loads in torch."""
    nn = pytest.importorskip("ember.nn")
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    grads = [rng.standard_normal((3, 2)) for _ in range(6)]
    tw = torch.nn.Parameter(torch.tensor(w0))
    topt = torch.optim.Adam([tw], lr=0.1)
    for g in grads[:3]:
        tw.grad = torch.tensor(g)
        topt.step()
    p = tmp_path / "ck.pt"
    torch.save({"w": tw.detach(), "opt": topt.state_dict()}, p)
    ck = ember.load(p)
    ew = nn.Parameter(ck["w"].clone())
    eopt = ember.optim.Adam([ew], lr=0.5)
    eopt.load_state_dict(ck["opt"])
    assert eopt.param_groups[0]["lr"] == 0.1
    for g in grads[3:]:
        tw.grad = torch.tensor(g)
        topt.step()
        ew.grad = ember.tensor(g)
        eopt.step()
    np.testing.assert_allclose(ew.detach().numpy(), tw.detach().numpy(), rtol=1e-12)
    p2 = tmp_path / "ember_ck.pt"
    ember.save({"opt": eopt.state_dict()}, p2)
    back = torch.load(p2)["opt"]
    topt2 = torch.optim.Adam([torch.nn.Parameter(tw.detach().clone())], lr=1.0)
    topt2.load_state_dict(back)
    assert torch.allclose(topt2.state_dict()["state"][0]["exp_avg"], topt.state_dict()["state"][0]["exp_avg"], rtol=1e-12)
    assert topt2.state_dict()["state"][0]["step"].item() == 6


def test_loaded_and_unpickled_tensors_work_with_fresh_ones(tmp_path):
    """Arrays that come back from a file or from pickle carry dtype objects equal to, but not the
    same as, NumPy's own: ops that compare dtypes must still accept them (matmul used to refuse)."""
    import pickle
    p = tmp_path / "t.pt"
    ember.save({"w": ember.randn(3, 3), "m": ember.nn.Linear(3, 2).state_dict()}, p)
    loaded = ember.load(p)
    fresh = ember.randn(3, 3)
    for t in (loaded["w"], pickle.loads(pickle.dumps(fresh)),
              ember.from_numpy(pickle.loads(pickle.dumps(fresh.numpy())))):
        assert t.dtype is ember.float32 and t._data.dtype is ember.float32.np
        assert _close((t @ fresh).numpy(), t.numpy() @ fresh.numpy())
        assert _close(ember.dot(t[0], fresh[0]).numpy(), t.numpy()[0] @ fresh.numpy()[0])
    model = pickle.loads(pickle.dumps(ember.nn.Linear(3, 2)))
    assert model(ember.randn(4, 5, 3)).shape == (4, 5, 2)


def _close(a, b):
    return np.allclose(a, b, rtol=1e-5, atol=1e-5)
