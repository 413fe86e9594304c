"""Parity with torch for pad, interpolate, affine_grid, pixel_shuffle/unshuffle, channel_shuffle."""
import numpy as np
import pytest

import ember
from ember._ops import resample as EF
from tests.helpers import needs_torch, to_ember, assert_same, torch

pytestmark = needs_torch
if torch is not None:
    import torch.nn.functional as TF


def _rand(shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def parity(fe, ft, x, rtol=1e-5, atol=1e-5, grad=True):
    xe = ember.from_numpy(x.copy()).requires_grad_(grad)
    xt = torch.from_numpy(x.copy()).requires_grad_(grad)
    re, rt = fe(xe), ft(xt)
    assert_same(re, rt, rtol=rtol, atol=atol)
    if grad:
        g = torch.from_numpy(_rand(tuple(rt.shape), seed=7, dtype=x.dtype))
        rt.backward(g)
        re.backward(to_ember(g))
        assert_same(xe.grad, xt.grad, rtol=rtol, atol=atol)
    return re


def grad_checks(fn, *arrays):
    inputs = tuple(ember.from_numpy(a.astype(np.float64)).requires_grad_() for a in arrays)

    def with_grad(*a):
        with ember.enable_grad():
            return fn(*a)
    assert ember.autograd.gradcheck(fn, inputs)
    assert ember.autograd.gradgradcheck(with_grad, inputs)


PADS = [
    ((1, 2), "constant", None), ((1, -2, 2, 0), "constant", 1.5), ((0, 0, 1, 1, 2, 0), "constant", None),
    ((2, 1, 1, 2), "reflect", None), ((2, 1), "reflect", None), ((1, 2, 0, 1, 2, 1), "reflect", None),
    ((-1, 1), "reflect", None), ((2, 1, 1, 2), "replicate", None), ((4, 4, 3, 3), "replicate", None),
    ((2, 1, 1, 2), "circular", None), ((3, 0, 1, 2, 0, 1), "circular", None), ((-1, 2), "circular", None),
]


@pytest.mark.parametrize("pad,mode,value", PADS)
def test_pad(pad, mode, value):
    shape = {2: (2, 3, 5), 4: (2, 3, 5, 4), 6: (1, 2, 3, 5, 4)}[len(pad)]
    r = parity(lambda x: EF.pad(x, pad, mode=mode, value=value), lambda x: TF.pad(x, pad, mode=mode, value=value),
               _rand(shape))
    if mode == "reflect":
        assert r.grad_fn.name() == f"ReflectionPad{len(pad) // 2}DBackward0"


def test_pad_unbatched_integer_noncontiguous():
    parity(lambda x: EF.pad(x, (1, 1), mode="reflect"), lambda x: TF.pad(x, (1, 1), mode="reflect"), _rand((3, 4)))
    a = np.arange(12).reshape(1, 3, 4)
    assert_same(EF.pad(ember.from_numpy(a), (1, 2), value=7), TF.pad(torch.from_numpy(a), (1, 2), value=7))
    parity(lambda x: EF.pad(x.transpose(1, 2), (1, 1, 2, 0), mode="replicate"),
           lambda x: TF.pad(x.transpose(1, 2), (1, 1, 2, 0), mode="replicate"), _rand((2, 3, 4, 5)))


INTERP = [
    dict(scale_factor=2), dict(size=(7, 4)), dict(scale_factor=(0.6, 1.5)), dict(scale_factor=1.7, mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"), dict(size=(3, 11), mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear"), dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True),
    dict(scale_factor=2.3, mode="bicubic"), dict(size=(3, 4), mode="bicubic", align_corners=True),
    dict(size=(3, 4), mode="area"), dict(size=(3, 4), mode="bilinear", antialias=True),
    dict(size=(2, 3), mode="bicubic", antialias=True), dict(size=(8, 9), mode="bicubic", antialias=True),
]


@pytest.mark.parametrize("kw", INTERP)
def test_interpolate2d(kw):
    parity(lambda x: EF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), _rand((2, 3, 5, 6)))


def test_interpolate_1d_3d():
    for kw in (dict(scale_factor=2.5, mode="linear"), dict(size=3, mode="linear", align_corners=True),
               dict(scale_factor=3), dict(size=4, mode="area")):
        parity(lambda x: EF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), _rand((2, 3, 5)))
    for kw in (dict(size=(3, 7, 2), mode="trilinear"), dict(scale_factor=2, mode="trilinear", align_corners=True),
               dict(scale_factor=(1, 2, 0.5)), dict(size=(2, 2, 2), mode="area")):
        parity(lambda x: EF.interpolate(x, **kw), lambda x: TF.interpolate(x, **kw), _rand((2, 2, 5, 4, 3)))


def test_shuffles_and_affine_grid():
    parity(lambda x: EF.pixel_shuffle(x, 2), lambda x: TF.pixel_shuffle(x, 2), _rand((2, 8, 3, 4)))
    parity(lambda x: EF.pixel_shuffle(x, 3), lambda x: TF.pixel_shuffle(x, 3), _rand((9, 2, 2)))
    parity(lambda x: EF.pixel_unshuffle(x, 2), lambda x: TF.pixel_unshuffle(x, 2), _rand((2, 2, 4, 6)))
    parity(lambda x: EF.channel_shuffle(x, 3), lambda x: TF.channel_shuffle(x, 3), _rand((2, 6, 4)))
    for ac in (False, True):
        parity(lambda t: EF.affine_grid(t, (2, 3, 4, 5), align_corners=ac),
               lambda t: TF.affine_grid(t, (2, 3, 4, 5), align_corners=ac), _rand((2, 2, 3)))
        parity(lambda t: EF.affine_grid(t, (2, 1, 2, 3, 4), align_corners=ac),
               lambda t: TF.affine_grid(t, (2, 1, 2, 3, 4), align_corners=ac), _rand((2, 3, 4)))


def test_gradchecks():
    grad_checks(lambda x: EF.pad(x, (1, -1, 2, 1)), _rand((1, 1, 2, 3)))
    grad_checks(lambda x: EF.pad(x, (2, 1, 1, 1), mode="reflect"), _rand((1, 1, 3, 3)))
    grad_checks(lambda x: EF.pad(x, (2, 1), mode="replicate"), _rand((1, 2, 3)))
    grad_checks(lambda x: EF.pad(x, (2, 1), mode="circular"), _rand((1, 2, 3)))
    grad_checks(lambda x: EF.interpolate(x, scale_factor=1.5, mode="nearest"), _rand((1, 1, 2, 3)))
    grad_checks(lambda x: EF.interpolate(x, size=(3, 4), mode="bilinear"), _rand((1, 1, 2, 3)))
    grad_checks(lambda x: EF.interpolate(x, size=(3, 2), mode="bicubic", align_corners=True), _rand((1, 1, 2, 3)))
    grad_checks(lambda t: EF.affine_grid(t, (1, 1, 2, 3), align_corners=False), _rand((1, 2, 3)))
    grad_checks(lambda x: EF.pixel_shuffle(x, 2), _rand((1, 4, 2, 1)))


def _same_error(fe, ft):
    with pytest.raises(Exception) as t_err:
        ft()
    with pytest.raises(type(t_err.value)) as e_err:
        fe()
    assert str(e_err.value).replace("ember.", "torch.") == str(t_err.value)


@pytest.mark.parametrize("case", [
    lambda F, T: F.pad(T(1, 2, 3), (1,)),
    lambda F, T: F.pad(T(1, 2, 3), (1, 1, 1, 1, 1, 1, 1, 1)),
    lambda F, T: F.pad(T(1, 2, 3), (3, 3), mode="reflect"),
    lambda F, T: F.pad(T(1, 2, 3), (4, 4), mode="circular"),
    lambda F, T: F.pad(T(1, 2, 3), (1, 1, 1, 1, 1, 1), mode="reflect"),
    lambda F, T: F.pad(T(3), (1, 1), mode="replicate"),
    lambda F, T: F.pad(T(1, 2, 3), (1, 1), mode="foo"),
    lambda F, T: F.pad(T(1, 2, 3), (1, 1), mode="reflect", value=1),
    lambda F, T: F.pad(T(1, 2, 3), (-2, -2)),
    lambda F, T: F.interpolate(T(1, 2, 3, 3), size=2, scale_factor=2),
    lambda F, T: F.interpolate(T(1, 2, 3, 3)),
    lambda F, T: F.interpolate(T(1, 2, 3, 3), scale_factor=2, align_corners=True),
    lambda F, T: F.interpolate(T(1, 2, 3, 3), scale_factor=2, mode="linear"),
    lambda F, T: F.interpolate(T(1, 2, 3, 3), size=(2,)),
    lambda F, T: F.interpolate(T(1, 2, 3, 3), size=2, mode="nearest", antialias=True),
    lambda F, T: F.pixel_shuffle(T(1, 5, 2, 2), 2),
    lambda F, T: F.pixel_unshuffle(T(1, 5, 3, 2), 2),
    lambda F, T: F.channel_shuffle(T(1, 5, 2), 2),
    lambda F, T: F.affine_grid(T(2, 2, 3), (2, 3, 4)),
    lambda F, T: F.affine_grid(T(2, 3, 3), (2, 3, 4, 5)),
])
def test_errors(case):
    _same_error(lambda: case(EF, ember.zeros), lambda: case(TF, torch.zeros))


# ---- grid_sample ---------------------------------------------------------------------------------
GRID_CASES = [(nd, mode, pm, ac) for nd in (2, 3) for mode in ("bilinear", "nearest", "bicubic")
              for pm in ("zeros", "border", "reflection") for ac in (False, True) if not (nd == 3 and mode == "bicubic")]


def _grid_parity(x, grid, rtol=1e-5, atol=2e-5, **kw):
    """Output and the gradients w.r.t. input and grid against torch."""
    xe, ge = (ember.from_numpy(a.copy()).requires_grad_() for a in (x, grid))
    xt, gt = (torch.from_numpy(a.copy()).requires_grad_() for a in (x, grid))
    re, rt = EF.grid_sample(xe, ge, **kw), TF.grid_sample(xt, gt, **kw)
    assert_same(re, rt, rtol=rtol, atol=atol)
    up = torch.from_numpy(_rand(tuple(rt.shape), seed=7, dtype=x.dtype))
    rt.backward(up)
    re.backward(to_ember(up))
    assert_same(xe.grad, xt.grad, rtol=rtol, atol=atol)
    assert_same(ge.grad, gt.grad, rtol=rtol, atol=atol)


@pytest.mark.parametrize("nd,mode,pm,ac", GRID_CASES)
def test_grid_sample(nd, mode, pm, ac):
    x = _rand((2, 3, 5, 6) if nd == 2 else (2, 2, 4, 5, 3))
    grid = _rand((2, 4, 7, 2) if nd == 2 else (2, 3, 2, 4, 3), seed=1) * 0.9    # some positions fall outside
    _grid_parity(x, grid, mode=mode, padding_mode=pm, align_corners=ac)


@pytest.mark.parametrize("pm", ["zeros", "border", "reflection"])
def test_grid_sample_edges(pm):
    x = _rand((1, 2, 4, 5))
    # exact pixel centres and borders (affine identity), far outside positions, double reflections
    theta = torch.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    for ac in (False, True):
        ident = TF.affine_grid(theta, (1, 2, 4, 5), align_corners=ac).numpy()
        _grid_parity(x, ident, mode="bilinear", padding_mode=pm, align_corners=ac)
        _grid_parity(x, ident, mode="nearest", padding_mode=pm, align_corners=ac)
    far = np.array([[[[-3.7, 0.2], [2.9, -2.6], [5.3, 0.99], [-1.0, 1.0]]]], np.float32)
    for mode in ("bilinear", "nearest", "bicubic"):
        _grid_parity(x, far, mode=mode, padding_mode=pm, align_corners=False)
    # float64, unbatched-like single sample, one channel
    _grid_parity(_rand((1, 1, 3, 3), dtype=np.float64), _rand((1, 2, 2, 2), 3, np.float64) * 1.2,
                 mode="bilinear", padding_mode=pm, align_corners=True)


def test_grid_sample_default_and_gradchecks():
    x, grid = _rand((1, 2, 3, 4)), _rand((1, 2, 3, 2), 1) * 0.8
    with pytest.warns(UserWarning, match="align_corners=False"):
        out = EF.grid_sample(ember.from_numpy(x), ember.from_numpy(grid))
    assert_same(out, TF.grid_sample(torch.from_numpy(x), torch.from_numpy(grid), align_corners=False))
    grid = grid * 1.3                                 # some taps outside: every padding mode matters
    for pm in ("zeros", "border", "reflection"):
        grad_checks(lambda a, g: EF.grid_sample(a, g, "bilinear", pm, False), x, grid)
    grad_checks(lambda a, g: EF.grid_sample(a, g, "bicubic", "zeros", True), x, grid)
    grad_checks(lambda a, g: EF.grid_sample(a, g, "nearest", "border", False), x, grid)
    grad_checks(lambda a, g: EF.grid_sample(a, g, "bilinear", "reflection", True),
                _rand((1, 1, 2, 3, 2)), _rand((1, 2, 1, 2, 3), 2))


@pytest.mark.parametrize("case", [
    lambda F, T: F.grid_sample(T(1, 2, 3, 3), T(1, 2, 2, 2), mode="linear", align_corners=False),
    lambda F, T: F.grid_sample(T(1, 2, 3, 3), T(1, 2, 2, 2), padding_mode="wrap", align_corners=False),
    lambda F, T: F.grid_sample(T(1, 2, 3, 3), T(2, 2, 2, 2), align_corners=False),
    lambda F, T: F.grid_sample(T(1, 2, 3, 3), T(1, 2, 2, 3), align_corners=False),
    lambda F, T: F.grid_sample(T(1, 2, 3, 3, 3), T(1, 2, 2, 2, 3), mode="bicubic", align_corners=False),
])
def test_grid_sample_errors(case):
    _same_error(lambda: case(EF, ember.zeros), lambda: case(TF, torch.zeros))
