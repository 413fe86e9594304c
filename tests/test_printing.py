"""repr/str of tensors, character for character as PyTorch prints them (dtypes spelled ember.*)."""
import numpy as np
import pytest

import ember
from tests.helpers import needs_torch, torch

pytestmark = needs_torch

rs = np.random.RandomState(0)
ARRAYS = {
    "sci big ratio": np.array([102.4, 1024., 0.1024], np.float32),
    "thirds": np.full((2, 3), 4 / 3, np.float32),
    "integer floats": np.array([1., 2., 3.], np.float32),
    "1e8": np.array([1e8, 1.], np.float32),
    "1e9": np.array([1e9, 1.], np.float32),
    "tiny": np.array([1e-5, 1.], np.float32),
    "nonfinite": np.array([np.nan, np.inf, -np.inf, 1.5], np.float32),
    "nan int-valued": np.array([np.nan, 1.], np.float32),
    "all nan": np.array([np.nan] * 3, np.float32),
    "zeros signed": np.array([-0., 0.], np.float32),
    "0-d negative zero": np.array(-0., np.float32),
    "0-d float64": np.array(3.5, np.float64),
    "0-d int": np.array(7, np.int64),
    "0-d bool": np.array(True),
    "bools": np.array([True, False]),
    "int32": np.array([1, -200, 3], np.int32),
    "uint8": np.array([1, 2], np.uint8),
    "int8": np.arange(10, dtype=np.int8) - 5,
    "int16 3-d": np.array([[[1]]], np.int16),
    "summarized 2-d": np.arange(2000, dtype=np.float32).reshape(40, 50) / 7,
    "summarized 3-d int": np.arange(5000).reshape(10, 20, 25),
    "summarized 1-d": np.arange(1100, dtype=np.float32),
    "randn 3-d": rs.randn(4, 5, 6).astype(np.float32),
    "wide float64": rs.randn(30) * 1e5,
    "empty 2-d": np.zeros((0, 3), np.float32),
    "empty int": np.zeros(0, np.int64),
    "empty float64 3-d": np.zeros((2, 0, 1), np.float64),
    "empty 1-d": np.zeros(0, np.float32),
    "complex": np.array([1 + 2j, -0.5 - 1e-5j], np.complex64),
    "0-d complex128": np.array(1 + 2j, np.complex128),
    "complex 2-d": (rs.randn(3, 5) + 1j * rs.randn(3, 5)).astype(np.complex64),
    "complex int-valued": np.array([1 + 1j, -2 + 0j, 0 - 0j], np.complex64),
    "float16": rs.randn(3, 4).astype(np.float16),
    "float16 big": np.array([60000., 1.], np.float16),
    "1e-10": np.array([[1e-10, 2.]], np.float32),
    "mixed magnitude": np.array([123456.789, 0.001], np.float32),
    "fractions": np.array([0.1, 0.25, 100.], np.float64),
    "2-d mixed": np.array([[-1.5, 2.25], [3., 1e3]], np.float32),
    "1e-4 edge": np.array([1e-4, 1e-3], np.float32),
    "long row wraps": rs.rand(40).astype(np.float32),
    "long int row": np.arange(100) * 1001,
    "4-d": rs.randn(2, 2, 2, 3).astype(np.float32),
    "uint16": np.array([1, 2], np.uint16),
}


def expected(t):
    return repr(t).replace("torch.", "ember.")


@pytest.mark.parametrize("name", list(ARRAYS))
def test_repr_matches_torch(name):
    a = ARRAYS[name]
    e = ember.from_numpy(a.copy())
    assert repr(e) == expected(torch.from_numpy(a.copy()))
    assert str(e) == repr(e)


@pytest.mark.parametrize("values", [[1.5, 3.14159, 1e-3], [1., 2.], [256., 1e10], [0.1, 0.2]])
def test_bfloat16(values):
    assert repr(ember.tensor(values, dtype=ember.bfloat16)) == expected(torch.tensor(values, dtype=torch.bfloat16))


@pytest.fixture
def restore_printoptions():
    yield
    ember.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


OPTIONS = [dict(precision=2), dict(threshold=5), dict(threshold=5, edgeitems=1), dict(threshold=5, edgeitems=0),
           dict(linewidth=40), dict(sci_mode=True), dict(sci_mode=False), dict(profile="short"),
           dict(profile="full"), dict(precision=8, linewidth=120), dict(profile="unknown")]
OPTION_ARRAYS = [rs.randn(7, 9).astype(np.float32), np.arange(30), rs.randn(3, 4, 5) + 1j * rs.randn(3, 4, 5),
                 rs.rand(12).astype(np.float32) * 1000, np.arange(1500, dtype=np.float32)]


@pytest.mark.parametrize("opts", OPTIONS, ids=str)
def test_printoptions(opts, restore_printoptions):
    ember.set_printoptions(**opts)
    torch.set_printoptions(**opts)
    for a in OPTION_ARRAYS:
        for rg in (False, True) if a.dtype.kind in "fc" else (False,):
            assert repr(ember.tensor(a, requires_grad=rg)) == expected(torch.tensor(a, requires_grad=rg))
    assert ember.get_printoptions() == torch._tensor_str.get_printoptions()


def test_suffixes():
    x = rs.randn(8)
    e = ember.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    assert repr(e) == expected(t)
    assert repr(e * 2) == expected(t * 2)           # grad_fn=<MulBackward0>, wrapped onto its own line
    assert repr(ember.tensor([[1., 2.]], dtype=ember.float64, requires_grad=True)) == \
        expected(torch.tensor([[1., 2.]], dtype=torch.float64, requires_grad=True))
    assert repr(ember.tensor([1., 2.], requires_grad=True) + 1) == expected(torch.tensor([1., 2.], requires_grad=True) + 1)
    for d in ("int32", "float16", "complex128", "uint8", "bool", "int64"):
        assert repr(ember.zeros(2, dtype=getattr(ember, d))) == expected(torch.zeros(2, dtype=getattr(torch, d)))
        assert repr(ember.zeros(0, 2, dtype=getattr(ember, d))) == expected(torch.zeros(0, 2, dtype=getattr(torch, d)))


def test_parameter_repr():
    e = ember.tensor([1., 2.], requires_grad=True)
    e._is_param = True
    assert repr(e) == expected(torch.nn.Parameter(torch.tensor([1., 2.])))
    f = ember.tensor([1., 2.])
    f._is_param = True
    assert repr(f) == expected(torch.nn.Parameter(torch.tensor([1., 2.]), requires_grad=False))


@pytest.mark.parametrize("default", ["float64", "float16"])
def test_default_dtype_changes_suffix(default):
    old = (ember.get_default_dtype(), torch.get_default_dtype())
    try:
        ember.set_default_dtype(getattr(ember, default))
        torch.set_default_dtype(getattr(torch, default))
        for vals, d in (([1.5], "float32"), ([1.5], "float64"), ([1j], "complex64"), ([1j], "complex128"),
                        ([], "float32"), ([], "float64")):
            assert repr(ember.tensor(vals, dtype=getattr(ember, d))) == expected(torch.tensor(vals, dtype=getattr(torch, d)))
    finally:
        ember.set_default_dtype(old[0])
        torch.set_default_dtype(old[1])


def test_format_of_0d():
    assert f"{ember.tensor(2.5):.2f}" == f"{torch.tensor(2.5):.2f}"
    assert f"{ember.tensor(3)}" == f"{torch.tensor(3)}"


def test_class_reprs_like_torch():
    """Seed 002 prints `str(type(batch[0]))`: torch shows <class 'torch.Tensor'>, ember <class 'ember.Tensor'>."""
    import pickle
    for e, t in [(ember.ones(1), torch.ones(1)), (ember.Size([2]), torch.Size([2]))]:
        assert str(type(e)) == str(type(t)).replace("torch.", "ember.")
        assert type(pickle.loads(pickle.dumps(e))) is type(e)
