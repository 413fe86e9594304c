"""ember.vision.ops against torchvision 0.29.

Parity data come from fixtures/make_ops_fixtures.py (run once with torchvision): the inputs and
torchvision's outputs and gradients are stored, so these tests need neither torch nor torchvision.
Gradients of the RoI ops are also checked numerically in float64 (gradcheck, gradgradcheck)."""
import builtins
import importlib.util
import json
import os
import warnings

import numpy as np
import pytest

import ember
from ember import nn
from ember.autograd import gradcheck, gradgradcheck
from ember.vision import ops

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")
_spec = importlib.util.spec_from_file_location("_ops_fixtures", os.path.join(FIXTURES, "make_ops_fixtures.py"))
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)

D = np.load(os.path.join(FIXTURES, "ops.npz"))
META = json.load(open(os.path.join(FIXTURES, "ops.json")))


def T(name, dtype=None, requires_grad=False):
    a = D[name]
    t = ember.from_numpy(a.copy() if dtype is None else a.astype(dtype))
    return t.requires_grad_() if requires_grad else t


def close(actual, expected, rtol=1e-5, atol=1e-6):
    actual = actual.detach().numpy() if isinstance(actual, ember.Tensor) else np.asarray(actual)
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


def raises_like(case, fn):
    kind, message = META["errors"][case]
    with pytest.raises(getattr(builtins, kind)) as info:
        fn()
    assert str(info.value).split("\n")[0] == message


# ---- boxes ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xyxy", "xywh", "cxcywh"])
def test_box_area_and_iou(fmt):
    b1, b2 = T("in_boxes1"), T("in_boxes2")
    close(ops.box_area(b1, fmt=fmt), D[f"out_box_area_{fmt}"])
    close(ops.box_iou(b1, b2, fmt=fmt), D[f"out_box_iou_{fmt}"])


def test_box_iou_batched_and_integer():
    close(ops.box_iou(T("in_boxes_batched"), T("in_boxes_batched")), D["out_box_iou_batched"])
    ints = T("in_boxes_int")
    area = ops.box_area(ints)
    assert area.dtype is ember.int64
    np.testing.assert_array_equal(area.numpy(), D["out_box_area_int"])
    close(ops.box_iou(ints, ints), D["out_box_iou_int"])


def test_generalized_distance_complete_iou():
    b1, b2 = T("in_boxes1"), T("in_boxes2")
    close(ops.generalized_box_iou(b1, b2), D["out_giou"])
    close(ops.distance_box_iou(b1, b2), D["out_diou"])
    close(ops.complete_box_iou(b1, b2), D["out_ciou"], rtol=1e-4, atol=1e-5)
    close(ops.distance_box_iou(b1.double(), b2.double(), eps=0.5), D["out_diou_eps"], rtol=1e-12)


@pytest.mark.parametrize("name", ["giou", "diou", "ciou"])
def test_iou_function_gradients(name):
    fn = {"giou": ops.generalized_box_iou, "diou": ops.distance_box_iou, "ciou": ops.complete_box_iou}[name]
    p, q = T("in_loss_p", requires_grad=True), T("in_loss_q", requires_grad=True)
    fn(p, q).sum().backward()
    close(p.grad, D[f"grad_{name}_p"], rtol=1e-9, atol=1e-12)
    close(q.grad, D[f"grad_{name}_q"], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("a", ["xyxy", "xywh", "cxcywh"])
@pytest.mark.parametrize("b", ["xyxy", "xywh", "cxcywh"])
def test_box_convert_axis_aligned(a, b):
    close(ops.box_convert(T("in_boxes1"), a, b), D[f"out_convert_{a}_{b}"])
    out = ops.box_convert(T("in_boxes_int"), a, b)
    expected = D[f"out_convert_int_{a}_{b}"]
    assert out.numpy().dtype == expected.dtype
    np.testing.assert_array_equal(out.numpy(), expected)


@pytest.mark.parametrize("a,b", [("cxcywhr", "xywhr"), ("xywhr", "cxcywhr"), ("cxcywhr", "xyxyxyxy"),
                                 ("xywhr", "xyxyxyxy")])
def test_box_convert_rotated(a, b):
    close(ops.box_convert(T("in_rotated"), a, b), D[f"out_convert_{a}_{b}"], rtol=1e-5, atol=1e-4)
    out = ops.box_convert(T("in_rotated_int"), a, b)
    assert out.dtype is ember.int64
    np.testing.assert_array_equal(out.numpy(), D[f"out_convert_int_{a}_{b}"])


def test_box_convert_from_corners_and_errors():
    for b in ("xywhr", "cxcywhr"):
        close(ops.box_convert(T("in_corners"), "xyxyxyxy", b), D[f"out_convert_xyxyxyxy_{b}"], rtol=1e-4, atol=1e-3)
    raises_like("convert", lambda: ops.box_convert(T("in_boxes1"), "xyxy", "abc"))
    raises_like("fmt", lambda: ops.box_area(T("in_boxes1"), fmt="abc"))
    raises_like("iou_fmt", lambda: ops.box_iou(T("in_boxes1"), T("in_boxes2"), fmt="abc"))
    with pytest.raises(NotImplementedError):
        ops.box_convert(T("in_boxes1"), "xyxy", "xywhr")


def test_box_iou_rotated():
    close(ops.box_iou(T("in_rotated"), T("in_rotated2"), fmt="cxcywhr"), D["out_iou_rotated"], rtol=1e-4, atol=1e-5)
    close(ops.box_iou(T("in_rotated"), T("in_rotated"), fmt="cxcywhr"), D["out_iou_rotated_self"],
          rtol=1e-4, atol=1e-5)
    corners = ops.box_convert(T("in_rotated"), "cxcywhr", "xyxyxyxy")
    close(ops.box_iou(corners, ops.box_convert(T("in_rotated2"), "cxcywhr", "xyxyxyxy"), fmt="xyxyxyxy"),
          D["out_iou_rotated"], rtol=1e-3, atol=1e-4)


def test_clip_remove_small_masks_to_boxes():
    close(ops.clip_boxes_to_image(T("in_wild"), (12, 17)), D["out_clip"])
    keep = ops.remove_small_boxes(T("in_wild"), 6.0)
    assert keep.dtype is ember.int64
    np.testing.assert_array_equal(keep.numpy(), D["out_remove_small"])
    boxes = ops.masks_to_boxes(T("in_masks"))
    assert boxes.dtype is ember.float32
    np.testing.assert_array_equal(boxes.numpy(), D["out_masks_to_boxes"])
    assert ops.masks_to_boxes(ember.zeros(0, 3, 4)).shape == (0, 4)


# ---- nms --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("thr", gen.NMS_THRESHOLDS)
def test_nms_matches_torchvision(thr):
    boxes, scores, idxs = T("in_nms_boxes"), T("in_nms_scores"), T("in_nms_idxs")
    keep = ops.nms(boxes, scores, thr)
    assert keep.dtype is ember.int64
    np.testing.assert_array_equal(keep.numpy(), D[f"out_nms_{thr}"])
    np.testing.assert_array_equal(ops.nms(boxes.double(), scores.double(), thr).numpy(), D[f"out_nms64_{thr}"])
    np.testing.assert_array_equal(ops.batched_nms(boxes, scores, idxs, thr).numpy(), D[f"out_batched_nms_{thr}"])


def test_nms_threshold_compared_in_double_and_empty():
    keep = ops.nms(T("in_nms_edge"), ember.tensor([1.0, 0.5]), 0.3)
    np.testing.assert_array_equal(keep.numpy(), D["out_nms_edge"])
    assert ops.nms(ember.zeros(0, 4), ember.zeros(0), 0.5).shape == (0,)
    assert ops.batched_nms(ember.zeros(0, 4), ember.zeros(0), ember.zeros(0, dtype=ember.int64), 0.5).shape == (0,)


def test_batched_nms_both_paths():
    boxes, scores, idxs = T("in_big_boxes"), T("in_big_scores"), T("in_big_idxs")
    assert boxes.numel() > 4000          # torchvision's per-class path
    np.testing.assert_array_equal(ops.nms(boxes, scores, 0.5).numpy(), D["out_big_nms"])
    np.testing.assert_array_equal(ops.batched_nms(boxes, scores, idxs, 0.5).numpy(), D["out_big_batched_nms"])
    from ember.vision.ops.boxes import _batched_nms_coordinate_trick, _batched_nms_vanilla
    small = slice(0, 300)
    a = _batched_nms_coordinate_trick(boxes[small], scores[small], idxs[small], 0.5)
    b = _batched_nms_vanilla(boxes[small], scores[small], idxs[small], 0.5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("case", ["nms_1d", "nms_cols", "nms_scores_2d", "nms_count", "nms_dtype", "nms_long"])
def test_nms_errors(case):
    calls = {
        "nms_1d": lambda: ops.nms(ember.rand(4), ember.rand(4), 0.5),
        "nms_cols": lambda: ops.nms(ember.rand(4, 3), ember.rand(4), 0.5),
        "nms_scores_2d": lambda: ops.nms(ember.rand(4, 4), ember.rand(4, 1), 0.5),
        "nms_count": lambda: ops.nms(ember.rand(4, 4), ember.rand(3), 0.5),
        "nms_dtype": lambda: ops.nms(ember.rand(4, 4), ember.rand(4).double(), 0.5),
        "nms_long": lambda: ops.nms(ember.ones(4, 4, dtype=ember.int64), ember.ones(4, dtype=ember.int64), 0.5),
    }
    raises_like(case, calls[case])


# ---- RoI ops ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name,size,scale,ratio,aligned", gen.ROI_ALIGN_CASES, ids=[c[0] for c in gen.ROI_ALIGN_CASES])
def test_roi_align_matches_torchvision(name, size, scale, ratio, aligned):
    x, rois = T("in_roi_x"), T("in_rois")
    out = ops.roi_align(x.float(), rois.float(), size, scale, ratio, aligned)
    assert out.dtype is ember.float32
    close(out, D[f"out_roi_align_{name}"], rtol=1e-5, atol=2e-6)
    close(ops.roi_align(x, rois, size, scale, ratio, aligned), D[f"out_roi_align64_{name}"], rtol=1e-12, atol=1e-13)
    module = ops.RoIAlign(size, scale, ratio, aligned)
    close(module(x, rois), D[f"out_roi_align64_{name}"], rtol=1e-12, atol=1e-13)


def test_roi_align_list_of_boxes_and_half():
    x, rois = T("in_roi_x"), T("in_rois")
    per_image = [rois[rois[:, 0] == i][:, 1:] for i in range(2)]
    close(ops.roi_align(x, per_image, 3, 1.0, 2), D["out_roi_align_list"], rtol=1e-12, atol=1e-13)
    half = ops.roi_align(x.half(), rois.half(), 2, 1.0, 2)
    assert half.dtype is ember.float16
    close(half.float(), D["out_roi_align_half"], rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("ratio,aligned,scale,key", [(2, True, 0.5, "grad_roi_align"),
                                                     (-1, False, 1.0, "grad_roi_align_adaptive")])
def test_roi_align_gradient_matches_torchvision(ratio, aligned, scale, key):
    x, rois = T("in_roi_x", requires_grad=True), T("in_rois")
    ops.roi_align(x, rois, (4, 3), scale, ratio, aligned).backward(T("in_roi_grad"))
    close(x.grad, D[key], rtol=1e-10, atol=1e-12)


def test_roi_align_gradcheck():
    rng = np.random.default_rng(0)
    x = ember.from_numpy(rng.normal(size=(2, 2, 6, 7))).requires_grad_()
    rois = ember.tensor([[0, 0.5, 1.0, 5.5, 4.0], [1, -1.0, 2.0, 3.0, 7.5], [1, 2.2, 2.2, 2.3, 2.4],
                         [0, 4.0, 0.0, 8.0, 3.0]], dtype=ember.float64)
    assert gradcheck(lambda t: ops.roi_align(t, rois, (3, 2), 1.0, 2, True), (x,))
    assert gradcheck(lambda t: ops.roi_align(t, rois, 2, 0.5, -1, False), (x,))
    assert gradgradcheck(lambda t: ops.roi_align(t, rois, 2, 1.0, 2, False) ** 2, (x,))


def test_roi_align_grad_fn_and_empty():
    x = ember.rand(1, 3, 5, 5, requires_grad=True)
    out = ops.roi_align(x, ember.zeros(0, 5), 2)
    assert out.shape == (0, 3, 2, 2)
    out.sum().backward()
    assert x.grad.abs().sum().item() == 0
    y = ops.roi_align(x, [ember.tensor([[0.0, 0.0, 3.0, 3.0]])], 2)
    assert y.grad_fn is not None and y.shape == (1, 3, 2, 2)


@pytest.mark.parametrize("name,size,scale", gen.ROI_POOL_CASES, ids=[c[0] for c in gen.ROI_POOL_CASES])
def test_roi_pool_matches_torchvision(name, size, scale):
    x, rois = T("in_roi_x"), T("in_rois")
    close(ops.roi_pool(x.float(), rois.float(), size, scale), D[f"out_roi_pool_{name}"], rtol=0, atol=0)
    close(ops.RoIPool(size, scale)(x, rois), D[f"out_roi_pool64_{name}"], rtol=0, atol=0)


def test_roi_pool_gradient_ties_and_nan():
    x, rois = T("in_roi_x", requires_grad=True), T("in_rois")
    ops.roi_pool(x, rois, (4, 3), 0.5).backward(T("in_roi_grad"))
    close(x.grad, D["grad_roi_pool"], rtol=1e-12, atol=1e-12)
    xt = T("in_roi_pool_ties", requires_grad=True)
    rois = ember.tensor([[0, 0.0, 0.0, 5.0, 5.0], [0, 1.0, 1.0, 4.0, 4.0]], dtype=ember.float64)
    y = ops.roi_pool(xt, rois, 2, 1.0)
    close(y, D["out_roi_pool_ties"], rtol=0, atol=0)
    y.backward(ember.ones_like(y))
    close(xt.grad, D["grad_roi_pool_ties"], rtol=0, atol=0)


def test_roi_pool_gradcheck():
    rng = np.random.default_rng(1)
    x = ember.from_numpy(rng.permutation(2 * 2 * 6 * 7).reshape(2, 2, 6, 7) / 10.0).requires_grad_()   # no ties
    rois = ember.tensor([[0, 0.5, 1.0, 5.5, 4.0], [1, -1.0, 2.0, 3.0, 7.5], [1, 6.0, 5.0, 9.0, 9.0]],
                        dtype=ember.float64)
    assert gradcheck(lambda t: ops.roi_pool(t, rois, (3, 2), 1.0), (x,))
    assert gradgradcheck(lambda t: ops.roi_pool(t, rois, 2, 1.0) ** 2, (x,))


@pytest.mark.parametrize("name,size,scale,ratio", gen.PS_CASES, ids=[c[0] for c in gen.PS_CASES])
def test_ps_roi_ops_match_torchvision(name, size, scale, ratio):
    x, rois = T("in_ps_x"), T("in_ps_rois")
    close(ops.ps_roi_align(x, rois, size, scale, ratio), D[f"out_ps_roi_align_{name}"], rtol=1e-12, atol=1e-13)
    close(ops.PSRoIAlign(size, scale, ratio)(x.float(), rois.float()), D[f"out_ps_roi_align32_{name}"],
          rtol=1e-5, atol=2e-6)
    close(ops.PSRoIPool(size, scale)(x, rois), D[f"out_ps_roi_pool_{name}"], rtol=1e-12, atol=1e-13)


def test_ps_roi_align_gradient():
    x, rois = T("in_ps_x", requires_grad=True), T("in_ps_rois")
    ops.ps_roi_align(x, rois, 2, 1.0, 2).backward(T("in_ps_grad"))
    close(x.grad, D["grad_ps_roi_align"], rtol=1e-10, atol=1e-12)
    rng = np.random.default_rng(2)
    small = ember.from_numpy(rng.normal(size=(1, 8, 5, 6))).requires_grad_()
    rois = ember.tensor([[0, 0.5, 1.0, 4.5, 4.0], [0, 1.0, 0.0, 6.0, 3.5]], dtype=ember.float64)
    assert gradcheck(lambda t: ops.ps_roi_align(t, rois, 2, 1.0, 2), (small,))
    assert gradcheck(lambda t: ops.ps_roi_pool(t, rois, 2, 1.0), (small,))


@pytest.mark.parametrize("case", ["roi_shape", "roi_list_shape", "roi_type", "roi_dtype", "roi_long", "pool_dtype",
                                  "ps_channels"])
def test_roi_errors(case):
    x, rois = T("in_roi_x"), T("in_rois")
    calls = {
        "roi_shape": lambda: ops.roi_align(x, rois[:, 1:], 2),
        "roi_list_shape": lambda: ops.roi_align(x, [rois], 2),
        "roi_type": lambda: ops.roi_align(x, 3, 2),
        "roi_dtype": lambda: ops.roi_align(x, rois.float(), 2),
        "roi_long": lambda: ops.roi_align(x.long(), rois.long(), 2),
        "pool_dtype": lambda: ops.roi_pool(x, rois.float(), 2),
        "ps_channels": lambda: ops.ps_roi_align(x, rois, 2),
    }
    raises_like(case, calls[case])


def test_roi_batch_index_out_of_range():
    with pytest.raises(IndexError, match="batch index"):
        ops.roi_align(ember.rand(1, 2, 5, 5), ember.tensor([[3.0, 0, 0, 2, 2]]), 2)


# ---- losses -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 0), (0.6, 1.5)])
@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_sigmoid_focal_loss(alpha, gamma, reduction):
    out = ops.sigmoid_focal_loss(T("in_logits"), T("in_targets"), alpha, gamma, reduction)
    close(out, D[f"out_focal_{alpha}_{gamma}_{reduction}"], rtol=1e-10, atol=1e-12)


def test_sigmoid_focal_loss_gradient_and_errors():
    logits = T("in_logits", requires_grad=True)
    ops.sigmoid_focal_loss(logits, T("in_targets"), reduction="sum").backward()
    close(logits.grad, D["grad_focal"], rtol=1e-10, atol=1e-12)
    raises_like("focal_alpha", lambda: ops.sigmoid_focal_loss(T("in_logits"), T("in_targets"), alpha=2.0))
    raises_like("focal_reduction", lambda: ops.sigmoid_focal_loss(T("in_logits"), T("in_targets"), reduction="max"))


@pytest.mark.parametrize("name", ["giou", "diou", "ciou"])
def test_box_losses(name):
    fn = {"giou": ops.generalized_box_iou_loss, "diou": ops.distance_box_iou_loss,
          "ciou": ops.complete_box_iou_loss}[name]
    for reduction in ("none", "mean", "sum"):
        close(fn(T("in_loss_p"), T("in_loss_q"), reduction), D[f"out_{name}_loss_{reduction}"], rtol=1e-10, atol=1e-12)
    p, q = T("in_loss_p", requires_grad=True), T("in_loss_q", requires_grad=True)
    fn(p, q, "sum").backward()
    close(p.grad, D[f"grad_{name}_loss_p"], rtol=1e-9, atol=1e-12)
    close(q.grad, D[f"grad_{name}_loss_q"], rtol=1e-9, atol=1e-12)
    empty = fn(T("in_loss_p")[:0], T("in_loss_q")[:0], "mean")
    close(empty, D[f"out_{name}_loss_empty_mean"])
    if name == "giou":
        raises_like("giou_reduction", lambda: fn(T("in_loss_p"), T("in_loss_q"), reduction="max"))


# ---- deformable convolution ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", gen.DEFORM_CASES, ids=[c[0] for c in gen.DEFORM_CASES])
def test_deform_conv2d(case):
    name, stride, padding, dilation, _, _, with_mask, with_bias = case
    t = {k: T(f"in_deform_{name}_{k}", requires_grad=k != "grad")
         for k in ("x", "offset", "weight", "mask", "bias", "grad")}
    y = ops.deform_conv2d(t["x"], t["offset"], t["weight"], t["bias"] if with_bias else None, stride, padding,
                          dilation, t["mask"] if with_mask else None)
    close(y, D[f"out_deform_{name}"], rtol=1e-9, atol=1e-10)
    y.backward(t["grad"])
    for k in ("x", "mask", "weight", "bias", "offset"):
        key = f"grad_deform_{name}_{k}"
        if key in D.files:
            close(t[k].grad, D[key], rtol=1e-8, atol=1e-9)
        else:
            assert t[k].grad is None


def test_deform_conv2d_module_and_gradcheck():
    rng = np.random.default_rng(3)
    layer = ops.DeformConv2d(2, 3, 2, padding=1).double()
    x = ember.from_numpy(rng.normal(size=(1, 2, 4, 4))).requires_grad_()
    offset = ember.from_numpy(rng.normal(size=(1, 8, 5, 5)) * 0.7).requires_grad_()
    mask = ember.from_numpy(rng.random((1, 4, 5, 5))).requires_grad_()
    assert layer(x, offset, mask).shape == (1, 3, 5, 5)
    assert gradcheck(lambda a, b, c: layer(a, b, c), (x, offset, mask))
    with pytest.raises(RuntimeError, match="offset tensor at dimension 1"):
        ops.deform_conv2d(x, offset[:, :1], layer.weight)


# ---- layers -----------------------------------------------------------------------------------------------
def _build(name):
    return {
        "FrozenBatchNorm2d": lambda: ops.FrozenBatchNorm2d(3, eps=1e-3),
        "RoIAlign": lambda: ops.RoIAlign((7, 7), 0.25, 2, aligned=True),
        "RoIPool": lambda: ops.RoIPool(7, 0.0625),
        "PSRoIAlign": lambda: ops.PSRoIAlign(3, 0.5, -1),
        "PSRoIPool": lambda: ops.PSRoIPool((2, 3), 1.0),
        "DropBlock2d": lambda: ops.DropBlock2d(0.1, 3),
        "DropBlock3d": lambda: ops.DropBlock3d(0.2, 5, inplace=True),
        "StochasticDepth": lambda: ops.StochasticDepth(0.3, "row"),
        "DeformConv2d": lambda: ops.DeformConv2d(4, 6, 3),
        "DeformConv2d_full": lambda: ops.DeformConv2d(4, 6, (3, 2), stride=2, padding=1, dilation=2, groups=2,
                                                      bias=False),
        "Conv2dNormActivation": lambda: ops.Conv2dNormActivation(3, 8, 3, stride=2),
        "Conv2dNormActivation_plain": lambda: ops.Conv2dNormActivation(3, 8, (3, 5), norm_layer=None,
                                                                       activation_layer=nn.Hardswish,
                                                                       dilation=(1, 2)),
        "Conv3dNormActivation": lambda: ops.Conv3dNormActivation(2, 4, 3, inplace=None),
        "SqueezeExcitation": lambda: ops.SqueezeExcitation(16, 4),
        "MLP": lambda: ops.MLP(5, [8, 8, 3], norm_layer=nn.LayerNorm, dropout=0.1, inplace=False),
        "Permute": lambda: ops.Permute([0, 2, 3, 1]),
    }[name]()


@pytest.mark.parametrize("name", sorted(META["reprs"]))
def test_module_repr_and_state_dict(name):
    module = _build(name)
    assert repr(module) == META["reprs"][name]
    assert {k: list(v.shape) for k, v in module.state_dict().items()} == META["state_dict_keys"][name]


def test_frozen_batch_norm():
    bn = ops.FrozenBatchNorm2d(3, eps=1e-3)
    state = {k: T(f"in_frozen_{k}") for k in ("weight", "bias", "running_mean", "running_var")}
    bn.load_state_dict({**state, "num_batches_tracked": ember.tensor(5)})     # dropped, not unexpected
    close(bn(T("in_frozen_x")), D["out_frozen"], rtol=1e-5, atol=1e-6)
    assert list(bn.parameters()) == []
    assert set(dict(bn.named_buffers())) == {"weight", "bias", "running_mean", "running_var"}


def test_conv_norm_activation_direct_use_warns():
    from ember.vision.ops.misc import ConvNormActivation
    with pytest.warns(UserWarning, match="Don't use ConvNormActivation directly"):
        ConvNormActivation(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops.Conv2dNormActivation(3, 4)


def test_permute_mlp_squeeze_excitation_forward():
    x = ember.rand(2, 3, 4, 5)
    assert ops.Permute([0, 2, 3, 1])(x).shape == (2, 4, 5, 3)
    assert ops.MLP(5, [7, 2])(ember.rand(4, 5)).shape == (4, 2)
    se = ops.SqueezeExcitation(3, 2)
    scale = se._scale(x)
    close(se(x), (scale * x).detach().numpy())


def test_stochastic_depth_and_drop_block():
    ember.manual_seed(0)
    x = ember.ones(400, 3, 2, 2)
    assert ops.stochastic_depth(x, 0.5, "row", training=False) is x
    y = ops.stochastic_depth(x, 0.5, "row")
    per_row = y.reshape(400, -1)
    assert set(np.unique(per_row.numpy())) <= {0.0, 2.0}
    assert bool((per_row.min(1).values == per_row.max(1).values).all())     # whole rows dropped
    assert 120 < int((per_row[:, 0] == 0).sum()) < 280
    z = ops.stochastic_depth(x, 0.5, "batch")
    assert len(np.unique(z.numpy())) == 1
    with pytest.raises(ValueError, match="drop probability has to be between 0 and 1, but got 1.5"):
        ops.stochastic_depth(x, 1.5, "row")
    with pytest.raises(ValueError, match="mode has to be either 'batch' or 'row', but got col"):
        ops.stochastic_depth(x, 0.5, "col")
    img = ember.ones(8, 4, 16, 16)
    out = ops.drop_block2d(img, 0.2, 3)
    dropped = out.numpy() == 0
    assert 0.05 < dropped.mean() < 0.4
    kept = out.numpy()[~dropped]
    np.testing.assert_allclose(kept, out.numpy().size / (~dropped).sum(), rtol=1e-4)
    assert ops.drop_block2d(img, 0.2, 3, training=False) is img
    assert ops.DropBlock3d(0.3, 3)(ember.ones(2, 2, 5, 6, 7)).shape == (2, 2, 5, 6, 7)
    with pytest.raises(ValueError, match="block size should be odd. Got 4 which is even."):
        ops.drop_block2d(img, 0.2, 4)
    with pytest.raises(ValueError, match="input should be 4 dimensional. Got 3 dimensions."):
        ops.drop_block2d(img[0], 0.2, 3)


def test_public_names_and_models_layers_reexport():
    expected = {"masks_to_boxes", "deform_conv2d", "DeformConv2d", "nms", "batched_nms", "remove_small_boxes",
                "clip_boxes_to_image", "box_convert", "box_area", "box_iou", "generalized_box_iou",
                "distance_box_iou", "complete_box_iou", "roi_align", "RoIAlign", "roi_pool", "RoIPool",
                "ps_roi_align", "PSRoIAlign", "ps_roi_pool", "PSRoIPool", "MultiScaleRoIAlign",
                "FeaturePyramidNetwork", "sigmoid_focal_loss", "stochastic_depth", "StochasticDepth",
                "FrozenBatchNorm2d", "Conv2dNormActivation", "Conv3dNormActivation", "SqueezeExcitation", "MLP",
                "Permute", "generalized_box_iou_loss", "distance_box_iou_loss", "complete_box_iou_loss",
                "drop_block2d", "DropBlock2d", "drop_block3d", "DropBlock3d"}
    assert set(ops.__all__) == expected
    from ember.vision.models import _layers
    assert _layers.Conv2dNormActivation is ops.Conv2dNormActivation
    assert _layers.SqueezeExcitation is ops.SqueezeExcitation
    assert _layers.StochasticDepth is ops.StochasticDepth
    assert ember.vision.ops is ops
