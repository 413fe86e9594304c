"""Parity with torch for conv1d/2d/3d, conv_transpose1d/2d/3d, unfold and fold."""
import numpy as np
import pytest

import ember
from ember._ops import conv as EF
from tests.helpers import needs_torch, to_torch, to_ember, assert_same, torch

pytestmark = needs_torch
if torch is not None:
    import torch.nn.functional as TF


@pytest.fixture(autouse=True, params=["default", "channels_first", "channels_last", "shifted"])
def cols_layout(request, monkeypatch):
    """Run every test with conv's per-shape choice, and with each GEMM layout forced for all grids
    (1x1 stride-1 unpadded convs always skip im2col; 'shifted' covers stride-1 groups-1 convs, the
    others go channels-first; channels-first cols not kept for a weight gradient go per sample)."""
    if request.param != "default":
        monkeypatch.setattr(EF, "_CF_MIN_GRID", 10 ** 9 if request.param == "channels_last" else 0)
        monkeypatch.setattr(EF, "_SHIFT_MIN_CHANNELS", 0 if request.param == "shifted" else 10 ** 9)
        monkeypatch.setattr(EF, "_SHIFT_MAX_OUT", 10 ** 9)
        monkeypatch.setattr(EF, "_CF_BATCH_COLS", 0)
    return request.param


def _rand(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def parity(fe, ft, *arrays, rtol=1e-4, atol=1e-4, grad=True):
    """Forward values/dtype/shape and every input gradient of fe (ember) against ft (torch)."""
    es = [None if a is None else ember.from_numpy(a.copy()).requires_grad_(grad) for a in arrays]
    ts = [None if a is None else torch.from_numpy(a.copy()).requires_grad_(grad) for a in arrays]
    ye, yt = fe(*es), ft(*ts)
    assert_same(ye, yt, rtol=rtol, atol=atol)
    if grad:
        g = torch.from_numpy(_rand(tuple(yt.shape), seed=7, dtype=arrays[0].dtype))
        yt.backward(g)
        ye.backward(to_ember(g))
        for e, t in zip(es, ts):
            if e is not None:
                assert_same(e.grad, t.grad, rtol=rtol, atol=atol)
    return ye


def grad_checks(fn, *arrays):
    """float64 gradcheck and gradgradcheck (the wrapper keeps the graph on during finite differences)."""
    inputs = tuple(ember.from_numpy(a.astype(np.float64)).requires_grad_() for a in arrays)

    def with_grad(*a):
        with ember.enable_grad():
            return fn(*a)
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(with_grad, inputs)


CONV2D = [
    dict(),
    dict(stride=2, padding=1),
    dict(stride=(2, 1), padding=(0, 2)),
    dict(padding="same"),
    dict(padding="same", dilation=2),
    dict(padding="valid", dilation=(2, 1)),
    dict(padding=1, groups=2),
    dict(stride=2, groups=4),
]


@pytest.mark.parametrize("kw", CONV2D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv2d(kw, bias):
    g = kw.get("groups", 1)
    parity(lambda x, w, b: EF.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
           _rand((2, 4, 9, 8)), _rand((6 if g != 4 else 8, 4 // g, 3, 2), 1), _rand((6 if g != 4 else 8,), 2) if bias else None)


def test_conv2d_depthwise_and_1x1():
    parity(lambda x, w, b: EF.conv2d(x, w, b, padding=1, groups=4), lambda x, w, b: TF.conv2d(x, w, b, padding=1, groups=4),
           _rand((2, 4, 6, 6)), _rand((8, 1, 3, 3), 1), _rand((8,), 2))
    parity(EF.conv2d, TF.conv2d, _rand((2, 5, 4, 3)), _rand((3, 5, 1, 1), 1))


def test_conv1d_conv3d():
    for kw in (dict(), dict(stride=2, padding=2, dilation=2), dict(padding="same", groups=2)):
        parity(lambda x, w, b: EF.conv1d(x, w, b, **kw), lambda x, w, b: TF.conv1d(x, w, b, **kw),
               _rand((2, 4, 11)), _rand((6, 4 // kw.get("groups", 1), 3), 1), _rand((6,), 2))
    for kw in (dict(), dict(stride=(1, 2, 2), padding=1), dict(padding="same", dilation=(1, 2, 1))):
        parity(lambda x, w, b: EF.conv3d(x, w, b, **kw), lambda x, w, b: TF.conv3d(x, w, b, **kw),
               _rand((2, 3, 5, 6, 4)), _rand((4, 3, 3, 2, 2), 1), _rand((4,), 2))


def test_conv_unbatched_noncontiguous_float64():
    parity(lambda x, w: EF.conv2d(x, w, padding=1), lambda x, w: TF.conv2d(x, w, padding=1),
           _rand((3, 7, 6)), _rand((2, 3, 3, 3), 1))
    x = _rand((2, 6, 5, 3), dtype=np.float64)
    w = _rand((4, 3, 2, 2), 1, dtype=np.float64)
    ye = parity(lambda a, b: EF.conv2d(a.transpose(1, 3), b, stride=2), lambda a, b: TF.conv2d(a.transpose(1, 3), b, stride=2),
                x, w, rtol=1e-10, atol=1e-10)
    assert ye.grad_fn.name() == "ConvolutionBackward0"
    assert ye.is_contiguous()


CONVT = [
    dict(),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2)),
    dict(groups=2, dilation=2),
    dict(stride=2, output_padding=1, dilation=2, groups=2),
]


@pytest.mark.parametrize("kw", CONVT)
def test_conv_transpose2d(kw):
    g = kw.get("groups", 1)
    parity(lambda x, w, b: EF.conv_transpose2d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
           _rand((2, 4, 5, 4)), _rand((4, 6 // g, 3, 2), 1), _rand((6,), 2))


def test_conv_transpose1d_3d_unbatched():
    parity(lambda x, w, b: EF.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
           lambda x, w, b: TF.conv_transpose1d(x, w, b, stride=3, padding=1, output_padding=2),
           _rand((2, 3, 7)), _rand((3, 2, 4), 1), _rand((2,), 2))
    parity(lambda x, w: EF.conv_transpose3d(x, w, stride=2, padding=(1, 0, 1)),
           lambda x, w: TF.conv_transpose3d(x, w, stride=2, padding=(1, 0, 1)),
           _rand((2, 3, 3, 4, 3)), _rand((3, 2, 3, 2, 3), 1))
    parity(lambda x, w: EF.conv_transpose2d(x, w, stride=2), lambda x, w: TF.conv_transpose2d(x, w, stride=2),
           _rand((3, 4, 5)), _rand((3, 2, 3, 3), 1))


def test_unfold_fold():
    for kw in (dict(kernel_size=2), dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))):
        parity(lambda x: EF.unfold(x, **kw), lambda x: TF.unfold(x, **kw), _rand((2, 3, 6, 7)))
    parity(lambda x: EF.unfold(x, 3, padding=1), lambda x: TF.unfold(x, 3, padding=1), _rand((3, 4, 4)))
    parity(lambda x: EF.fold(x, (5, 6), (2, 3), padding=1, stride=(2, 1)),
           lambda x: TF.fold(x, (5, 6), (2, 3), padding=1, stride=(2, 1)), _rand((2, 12, 18)))
    parity(lambda x: EF.fold(x, 4, 2), lambda x: TF.fold(x, 4, 2), _rand((8, 9)))


def test_integer_conv():
    x = np.arange(2 * 3 * 5 * 5).reshape(2, 3, 5, 5) % 7
    w = np.arange(4 * 3 * 2 * 2).reshape(4, 3, 2, 2) % 5
    assert_same(EF.conv2d(ember.from_numpy(x), ember.from_numpy(w), stride=2),
                TF.conv2d(torch.from_numpy(x), torch.from_numpy(w), stride=2))


def test_gradcheck_conv():
    grad_checks(lambda x, w, b: EF.conv2d(x, w, b, stride=(2, 1), padding=1, groups=2),
                _rand((1, 2, 4, 3)), _rand((2, 1, 2, 2), 1), _rand((2,), 2))
    grad_checks(lambda x, w: EF.conv2d(x, w, padding="same", dilation=2), _rand((1, 1, 4, 4)), _rand((1, 1, 2, 3), 1))
    grad_checks(lambda x, w, b: EF.conv_transpose2d(x, w, b, stride=2, output_padding=1),
                _rand((1, 2, 2, 2)), _rand((2, 1, 2, 2), 1), _rand((1,), 2))
    grad_checks(lambda x, w: EF.conv1d(x, w, stride=2, padding=1), _rand((1, 2, 5)), _rand((2, 2, 3), 1))
    grad_checks(lambda x, w: EF.conv3d(x, w, padding=(1, 0, 0)), _rand((1, 1, 2, 3, 2)), _rand((1, 1, 2, 2, 1), 1))


def test_conv_large_grid_and_1x1():
    """Grids large enough for channels-first cols at the default threshold, and 1x1 convs (no im2col
    at stride 1 without padding; strided, padded and grouped 1x1 go through im2col)."""
    parity(lambda x, w, b: EF.conv2d(x, w, b), lambda x, w, b: TF.conv2d(x, w, b),
           _rand((3, 1, 20, 21)), _rand((6, 1, 5, 5), 1), _rand((6,), 2))              # LeNet conv1-like
    parity(lambda x, w: EF.conv2d(x, w, padding=1, groups=2), lambda x, w: TF.conv2d(x, w, padding=1, groups=2),
           _rand((2, 4, 17, 16)), _rand((6, 2, 3, 3), 1))
    for kw in (dict(), dict(stride=2), dict(padding=1), dict(groups=2)):
        parity(lambda x, w, b: EF.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
               _rand((2, 4, 18, 17)), _rand((6, 4 // kw.get("groups", 1), 1, 1), 1), _rand((6,), 2))
    x = _rand((2, 8, 6, 5)).transpose(0, 1, 3, 2)                                   # non-contiguous input
    parity(EF.conv2d, TF.conv2d, x, _rand((3, 8, 1, 1), 1))
    parity(lambda x, w: EF.conv1d(x, w), lambda x, w: TF.conv1d(x, w), _rand((2, 3, 300)), _rand((4, 3, 1), 1))
    grad_checks(lambda x, w, b: EF.conv2d(x, w, b, groups=2), _rand((2, 4, 3, 2)), _rand((4, 2, 1, 1), 1),
                _rand((4,), 2))
    grad_checks(lambda x, w: EF.conv2d(x, w, stride=2), _rand((1, 2, 3, 4)), _rand((3, 2, 1, 1), 1))
    grad_checks(lambda x, w: EF.conv3d(x, w, padding=1), _rand((1, 2, 2, 3, 2)), _rand((2, 2, 1, 2, 1), 1))


def test_shifted_layout_at_default_thresholds(cols_layout):
    """Stride-1 convs with many input channels on a large grid take no im2col (a GEMM per kernel
    offset on the flattened padded input) unless the weight needs a gradient (then cols are kept for
    it); stride-1 input gradients go shifted too. In 1, 2 and 3 dims, with constant and trained weights."""
    x = _rand((2, 32, 16, 16))
    if cols_layout == "default":
        assert EF._layout(ember.device("cpu"), x, (3, 3), (1, 1), ((1, 1),) * 2, (16, 16), 8, 1) == "shift"
    cases = [(EF.conv2d, TF.conv2d, x, _rand((8, 32, 3, 2), 1), kw)
             for kw in (dict(padding=1), dict(padding=(2, 1), dilation=(2, 1)), dict(padding="same"))]
    cases += [(EF.conv1d, TF.conv1d, _rand((2, 32, 300)), _rand((4, 32, 5), 1), dict(padding=2)),
              (EF.conv3d, TF.conv3d, _rand((1, 32, 6, 7, 8)), _rand((4, 32, 3, 2, 3), 1), dict(padding=(1, 0, 1)))]
    for fe, ft, x, w, kw in cases:
        b = _rand((w.shape[0],), 2)
        parity(lambda x, w, b: fe(x, w, b, **kw), lambda x, w, b: ft(x, w, b, **kw), x, w, b)
        we, be, wt, bt = ember.from_numpy(w), ember.from_numpy(b), torch.from_numpy(w), torch.from_numpy(b)
        parity(lambda x: fe(x, we, be, **kw), lambda x: ft(x, wt, bt, **kw), x)
    wc = ember.from_numpy(_rand((2, 2, 3, 3), 1).astype(np.float64))
    grad_checks(lambda x: EF.conv2d(x, wc, padding=1), _rand((1, 2, 4, 5)))


def test_gradcheck_unfold_fold():
    grad_checks(lambda x: EF.unfold(x, (2, 2), padding=1, stride=2), _rand((1, 2, 3, 3)))
    grad_checks(lambda x: EF.fold(x, (3, 3), 2, padding=1, stride=2), _rand((1, 8, 4)))


def _same_error(fe, ft):
    with pytest.raises(Exception) as t_err:
        ft()
    with pytest.raises(type(t_err.value)) as e_err:
        fe()
    assert str(e_err.value) == str(t_err.value)


@pytest.mark.parametrize("case", [
    lambda F, T: F.conv2d(T(8, 8), T(6, 3, 3, 3)),
    lambda F, T: F.conv2d(T(1, 1, 32, 32), T(6, 3, 5, 5)),
    lambda F, T: F.conv2d(T(1, 3, 2, 2), T(6, 3, 3, 3)),
    lambda F, T: F.conv2d(T(1, 3, 2, 2), T(6, 3, 2, 2), dilation=2),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), T(5)),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(5, 3, 3, 3), groups=2),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), groups=0),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), padding=-1),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), stride=0),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), stride=2, padding="same"),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), padding="foo"),
    lambda F, T: F.conv2d(T(1, 3, 8, 8), T(6, 3, 3, 3), stride=(1, 2, 3)),
    lambda F, T: F.conv_transpose2d(T(1, 3, 8, 8), T(4, 3, 3, 3)),
    lambda F, T: F.conv_transpose2d(T(1, 3, 8, 8), T(3, 2, 3, 3), stride=2, output_padding=2),
    lambda F, T: F.conv_transpose2d(T(1, 3, 8, 8), T(3, 2, 3, 3), padding=5),
    lambda F, T: F.unfold(T(1, 1, 2, 2), 3),
    lambda F, T: F.fold(T(1, 5, 4), 3, 2),
    lambda F, T: F.fold(T(1, 8, 5), 3, 2),
    lambda F, T: F.fold(T(3, 3, 3, 3), 2, 2),
])
def test_errors(case):
    def tt(*s):
        return torch.zeros(*s)

    def et(*s):
        return ember.zeros(*s)
    _same_error(lambda: case(EF, et), lambda: case(TF, tt))


def test_dtype_errors():
    _same_error(lambda: EF.conv2d(ember.zeros(1, 3, 5, 5, dtype=ember.float64), ember.zeros(2, 3, 3, 3)),
                lambda: TF.conv2d(torch.zeros(1, 3, 5, 5, dtype=torch.float64), torch.zeros(2, 3, 3, 3)))
    _same_error(lambda: EF.conv2d(ember.zeros(1, 3, 5, 5), ember.zeros(2, 3, 3, 3), ember.zeros(2, dtype=ember.float64)),
                lambda: TF.conv2d(torch.zeros(1, 3, 5, 5), torch.zeros(2, 3, 3, 3), torch.zeros(2, dtype=torch.float64)))


@pytest.mark.parametrize("kw", [dict(padding=1), dict(padding="same", dilation=(2, 3)), dict(padding=(3, 0), groups=2),
                                dict(padding=(0, 2), dilation=2, groups=3), dict(padding=2)])
def test_stride1_input_gradient_as_convolution(kw):
    """Stride-1 input gradients (and conv_transpose with stride 1) run as a flipped-kernel convolution;
    padding larger than the kernel span falls back to col2im."""
    g = kw.get("groups", 1)
    parity(lambda x, w: EF.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw),
           _rand((2, 6, 7, 8)), _rand((6, 6 // g, 3, 2), 1))
    parity(lambda x, w: EF.conv1d(x, w, padding=3), lambda x, w: TF.conv1d(x, w, padding=3),
           _rand((2, 3, 5)), _rand((4, 3, 2), 1))                                   # pad > span: fallback
    for tkw in (dict(), dict(padding=1, groups=3), dict(dilation=2, output_padding=1), dict(padding=(1, 2))):
        tg = tkw.get("groups", 1)
        parity(lambda x, w, b: EF.conv_transpose2d(x, w, b, **tkw), lambda x, w, b: TF.conv_transpose2d(x, w, b, **tkw),
               _rand((2, 6, 5, 6)), _rand((6, 4 // tg if tg == 1 else 2, 3, 3), 1), _rand((4 if tg == 1 else 6,), 2))
    grad_checks(lambda x, w: EF.conv2d(x, w, padding=(1, 2), groups=2), _rand((1, 2, 3, 4)), _rand((2, 1, 2, 3), 1))
    grad_checks(lambda x, w: EF.conv_transpose2d(x, w, padding=1, dilation=2, output_padding=1),
                _rand((1, 2, 3, 3)), _rand((2, 1, 3, 2), 1))


@pytest.mark.parametrize("band", [True, False], ids=["band", "no-band"])
@pytest.mark.parametrize("kw", [dict(), dict(stride=2, padding=2), dict(dilation=2, padding=(1, 3))])
def test_small_grid_input_gradient_paths(monkeypatch, band, kw):
    """LeNet-like conv2 (few channels, 5x5 kernel, small grid): the input gradient through the band
    GEMM and through the flipped-kernel conv / col2im paths agrees with torch."""
    assert EF._band_fits(np.empty((8, 16, 8, 8)), np.empty((16, 6, 5, 5)), (12, 12), ((0, 0), (0, 0)),
                         (1, 1), (1, 1), 1)
    if not band:
        monkeypatch.setattr(EF, "_BAND_MAX_ELEMENTS", 0)
    x, w, b = _rand((8, 6, 12, 12)), _rand((16, 6, 5, 5), 1), _rand((16,), 2)
    parity(lambda x, w, b: ember.nn.functional.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
           x, w, b)
    parity(lambda x, w: ember.nn.functional.conv_transpose2d(x, w, **kw),
           lambda x, w: TF.conv_transpose2d(x, w, **kw), _rand((8, 6, 8, 8), 3), _rand((6, 4, 5, 5), 4))


@pytest.mark.parametrize("kw", [dict(padding=1), dict(stride=2, groups=2)])
def test_empty_batch(kw):
    """A batch of zero samples (Mask R-CNN's mask head when nothing is detected): empty outputs, zero weight and
    bias gradients, in every conv and transposed conv, as torch."""
    parity(lambda x, w, b: EF.conv2d(x, w, b, **kw), lambda x, w, b: TF.conv2d(x, w, b, **kw),
           _rand((0, 4, 9, 8)), _rand((6, 4 // kw.get("groups", 1), 3, 3), 1), _rand((6,), 2))
    parity(lambda x, w, b: EF.conv_transpose2d(x, w, b, **kw), lambda x, w, b: TF.conv_transpose2d(x, w, b, **kw),
           _rand((0, 4, 5, 5)), _rand((4, 3, 3, 3), 1), _rand((3 * kw.get("groups", 1),), 2))
    parity(lambda x, w: EF.conv1d(x, w), lambda x, w: TF.conv1d(x, w), _rand((0, 2, 7)), _rand((3, 2, 3), 1))
