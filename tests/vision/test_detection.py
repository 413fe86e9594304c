"""ember.vision.models.detection (the R-CNN family) and the ops it brings (MultiScaleRoIAlign,
FeaturePyramidNetwork) against torchvision 0.29.

Parity data come from fixtures/make_detection_fixtures.py (run once with torchvision): models are
filled with the same name-seeded weights on both sides; state_dict keys/shapes, reprs, every stage
of an eval forward (transform, anchors, proposals, detections, masks, keypoints) and the training
losses (sampling made deterministic, see the generator's docstring) must agree. Pretrained weights
are pre-seeded in a temporary hub cache; nothing touches the network."""
import functools
import hashlib
import os
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from ember.vision import models
from ember.vision.models import detection
from ember.vision.models.detection import _utils as det_utils
from ember.vision.models.detection.backbone_utils import resnet_fpn_backbone
from ember.vision.models.detection.faster_rcnn import FastRCNNPredictor
from ember.vision.models.detection.mask_rcnn import MaskRCNNPredictor
from ember.vision.models.detection.roi_heads import paste_masks_in_image
from ember.vision.models.detection.transform import GeneralizedRCNNTransform
from ember.vision.ops.feature_pyramid_network import FeaturePyramidNetwork, LastLevelMaxPool, LastLevelP6P7
from ember.vision.ops.misc import FrozenBatchNorm2d
from ember.vision.ops.poolers import MultiScaleRoIAlign
from tests.vision._fixtures import T, assert_close, generator, load_fixture_weights, stored

gen = generator("make_detection_fixtures")
META, ARRAYS = stored("detection")


def match_rows(actual, expected, tol=1e-2):
    """Pair every expected row with its own actual row (nearest unused one, within ``tol``) and
    return the actual row index of each expected row. Rows may come in a different order where
    their scores tie to float rounding (random weights give many near-ties): those pairs may swap,
    anything else must stay in place."""
    actual = actual.detach().numpy() if isinstance(actual, ember.Tensor) else actual
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    dist = np.abs(expected[:, None, :] - actual[None, :, :]).max(-1) if len(expected) else np.zeros((0, 0))
    used, order = set(), []
    for i in range(len(expected)):
        j = next(j for j in np.argsort(dist[i], kind="stable") if j not in used)
        assert dist[i, j] < tol, f"row {i}: {expected[i]} has no counterpart (nearest {actual[j]})"
        used.add(j)
        order.append(j)
    order = np.array(order, dtype=np.int64)
    assert len(order) == 0 or (order == np.arange(len(order))).mean() >= 0.75, order
    return order


@functools.lru_cache(maxsize=None)
def _built(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(detection, name)(weights=None, weights_backbone=None, **META["builders"][name]["kwargs"])


def _tiny(weights=True):
    model = gen.tiny_maskrcnn(models, FrozenBatchNorm2d)
    return load_fixture_weights(model) if weights else model


def _images():
    return [T(im) for im in gen.images()]


def _targets():
    return [{k: T(v) for k, v in t.items()} for t in gen.train_targets()]


# ---------------------------------------------------------------------------------------------
# architecture: keys, shapes, parameter counts, reprs

_FAST_BUILDERS = ("maskrcnn_resnet50_fpn", "fasterrcnn_mobilenet_v3_large_320_fpn")


@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n in _FAST_BUILDERS else pytest.mark.slow)
                                  for n in gen.BUILDERS])
def test_builder_matches_torchvision(name):
    model = _built(name)
    assert gen.keys_text(model.state_dict()) == str(ARRAYS[f"{name}.keys"])
    assert sum(p.numel() for p in model.parameters()) == META["builders"][name]["num_params"]
    assert hashlib.sha256(repr(model).encode()).hexdigest() == META["builders"][name]["repr_sha256"], \
        "repr differs from torchvision's"


def test_tiny_maskrcnn_layout_matches_torchvision():
    model = _tiny(weights=False)
    assert gen.keys_text(model.state_dict()) == str(ARRAYS["tiny.keys"])
    assert repr(model) == str(ARRAYS["tiny.repr"])


def test_repr_text():
    assert repr(_built("maskrcnn_resnet50_fpn")) == str(ARRAYS["maskrcnn_resnet50_fpn.repr"])


def test_frozen_batchnorm_variant_matches_pretrained_layout():
    """What the pretrained builders make: FrozenBatchNorm2d (no num_batches_tracked) in the backbone."""
    model = detection.MaskRCNN(resnet_fpn_backbone(backbone_name="resnet50", weights=None), num_classes=91)
    assert gen.keys_text(model.state_dict()) == str(ARRAYS["maskrcnn_frozen.keys"])
    assert repr(model) == str(ARRAYS["maskrcnn_frozen.repr"])


# ---------------------------------------------------------------------------------------------
# eval forward, stage by stage

def _eval_model(case):
    name, kwargs = META["eval_cases"][case]["builder"], META["eval_cases"][case]["kwargs"]
    return load_fixture_weights(getattr(detection, name)(weights=None, weights_backbone=None, **kwargs)).eval()


def _check_eval(case):
    prefix = f"eval.{case}"
    model = _tiny().eval() if case == "tiny" else _eval_model(case)
    imgs = _images()
    with ember.no_grad():
        image_list, _ = model.transform(imgs)
        assert image_list.image_sizes == [tuple(s) for s in ARRAYS[f"{prefix}.image_sizes"].tolist()]
        if f"{prefix}.batch_sample" in ARRAYS:
            s = gen.BATCH_STRIDE
            assert_close(image_list.tensors[:, :, ::s, ::s], ARRAYS[f"{prefix}.batch_sample"], rtol=1e-5)
        features = model.backbone(image_list.tensors)
        sums = [float(f.double().sum()) for f in features.values()]
        np.testing.assert_allclose(sums, ARRAYS[f"{prefix}.feature_sums"], rtol=1e-3,
                                   atol=1e-4 * np.abs(ARRAYS[f"{prefix}.feature_sums"]).max())
        anchors = model.rpn.anchor_generator(image_list, list(features.values()))
        assert [a.shape[0] for a in anchors] == ARRAYS[f"{prefix}.anchors_count"].tolist()
        np.testing.assert_array_equal(anchors[0][::gen.ANCHOR_STRIDE].numpy(), ARRAYS[f"{prefix}.anchors_sample"])
        proposals, _ = model.rpn(image_list, features)
        for i, p in enumerate(proposals):
            match_rows(p, ARRAYS[f"{prefix}.proposals{i}"])
        out, _ = model.roi_heads(features, proposals, image_list.image_sizes)
        out = model.transform.postprocess(out, image_list.image_sizes, [tuple(im.shape[-2:]) for im in imgs])
        if case != "tiny":   # the one-call path (the generator checked torchvision's gives the same)
            for det, det2 in zip(out, model(imgs)):
                for k in det:
                    np.testing.assert_array_equal(det[k].numpy(), det2[k].numpy())
    for i, det in enumerate(out):
        # (box, score, label) rows; detections whose scores tie to rounding may come out swapped
        rows = lambda b, s, lab: np.concatenate([b, s[:, None], lab[:, None].astype(np.float32) * 100], 1)
        order = match_rows(rows(det["boxes"].numpy(), det["scores"].numpy(), det["labels"].numpy()),
                           rows(ARRAYS[f"{prefix}.boxes{i}"], ARRAYS[f"{prefix}.scores{i}"],
                                ARRAYS[f"{prefix}.labels{i}"]), tol=2e-3)
        order = T(order)
        assert_close(det["boxes"][order], ARRAYS[f"{prefix}.boxes{i}"], rtol=1e-4)
        assert_close(det["scores"][order], ARRAYS[f"{prefix}.scores{i}"], rtol=1e-4)
        np.testing.assert_array_equal(det["labels"][order].numpy(), ARRAYS[f"{prefix}.labels{i}"])
        assert det["labels"].dtype == ember.int64 and det["scores"].dtype == ember.float32
        if f"{prefix}.masks{i}" in ARRAYS:
            assert list(det["masks"].shape) == ARRAYS[f"{prefix}.masks_shape{i}"].tolist()
            assert_close(det["masks"][order[:gen.NUM_PASTED_MASKS]], ARRAYS[f"{prefix}.masks{i}"], rtol=1e-3)
        for key in ("keypoints", "keypoints_scores"):
            if f"{prefix}.{key}{i}" in ARRAYS:
                assert_close(det[key][order], ARRAYS[f"{prefix}.{key}{i}"], rtol=1e-3)
    return out


def test_tiny_maskrcnn_eval_matches_torchvision():
    out = _check_eval("tiny")
    assert list(out[0]) == ["boxes", "labels", "scores", "masks"]
    assert out[0]["masks"].dtype == ember.float32 and tuple(out[0]["masks"].shape[1:]) == (1, 90, 120)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["maskrcnn", "maskrcnn_v2", "mobilenet320", "keypoint"])
def test_other_models_eval_match_torchvision(case):
    _check_eval(case)


# ---------------------------------------------------------------------------------------------
# training: losses and gradients

def _check_train(model, prefix):
    """Staged like GeneralizedRCNN.forward, with torchvision's RPN proposals fed to the RoI heads
    (see the fixture's _train_record); sampling is deterministic (batches larger than the pools)."""
    model.train()
    image_list, targets = model.transform(_images(), _targets())
    features = model.backbone(image_list.tensors)
    proposals, rpn_losses = model.rpn(image_list, features, targets)
    for i, p in enumerate(proposals):
        match_rows(p, ARRAYS[f"{prefix}.proposals{i}"])
    tv_proposals = [T(ARRAYS[f"{prefix}.proposals{i}"]) for i in range(len(proposals))]
    _, roi_losses = model.roi_heads(features, tv_proposals, image_list.image_sizes, targets)
    losses = {**roi_losses, **rpn_losses}
    assert list(losses) == str(ARRAYS[f"{prefix}.loss_names"]).split("\n")
    for k, v in losses.items():
        assert v.shape == () and v.requires_grad
        assert_close(v, ARRAYS[f"{prefix}.{k}"], rtol=1e-4)
    sum(losses.values()).backward()
    params = dict(model.named_parameters())
    names = gen.stored_grads(model, prefix)
    assert len(names) > 5
    for name in names:
        assert_close(gen.grad_corner(params[name].grad), ARRAYS[f"{prefix}.grad.{name}"], rtol=2e-3)


def test_tiny_maskrcnn_train_matches_torchvision():
    _check_train(_tiny(), "train.tiny")


@pytest.mark.slow
def test_maskrcnn_train_matches_torchvision():
    _check_train(load_fixture_weights(gen.train_model(detection, resnet_fpn_backbone)), "train")


def test_train_forward_returns_losses():
    """The one-call path: the RPN losses do not depend on which proposals survive, so they match
    exactly; the RoI heads' losses only up to the proposals that near-ties swap."""
    targets = _targets()
    boxes = targets[0]["boxes"].clone()
    losses = _tiny().train()(_images(), targets)
    # the caller's targets are left as they were (the transform resizes copies)
    np.testing.assert_array_equal(targets[0]["boxes"].numpy(), boxes.numpy())
    assert tuple(targets[0]["masks"].shape) == (2, 90, 120)
    assert list(losses) == str(ARRAYS["train.tiny.loss_names"]).split("\n")
    for k in ("loss_objectness", "loss_rpn_box_reg"):
        assert_close(losses[k], ARRAYS[f"train.tiny.{k}"], rtol=1e-4)
    for k in ("loss_classifier", "loss_box_reg", "loss_mask"):
        assert_close(losses[k], ARRAYS[f"train.tiny.{k}"], rtol=2e-2)


# ---------------------------------------------------------------------------------------------
# the fine-tuning recipe of torchvision's PennFudan tutorial

@pytest.mark.slow
def test_pennfudan_head_replacement_recipe():
    import ember as torch   # the tutorial's code, as written for torch
    model = torch.vision.models.detection.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, min_size=64,
                                                                 max_size=96, rpn_post_nms_top_n_train=60,
                                                                 box_batch_size_per_image=32)
    num_classes = 2
    in_features = model.roi_heads.box_predictor.cls_score.in_features
    model.roi_heads.box_predictor = FastRCNNPredictor(in_features, num_classes)
    in_features_mask = model.roi_heads.mask_predictor.conv5_mask.in_channels
    hidden_layer = 256
    model.roi_heads.mask_predictor = MaskRCNNPredictor(in_features_mask, hidden_layer, num_classes)
    assert model.roi_heads.box_predictor.bbox_pred.out_features == 8
    assert model.roi_heads.mask_predictor.mask_fcn_logits.out_channels == 2

    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=0.005, momentum=0.9, weight_decay=0.0005)
    targets = _targets()
    for t in targets:
        t["labels"] = torch.ones_like(t["labels"])
    model.train()
    loss_dict = model(_images(), targets)
    assert set(loss_dict) == {"loss_classifier", "loss_box_reg", "loss_mask", "loss_objectness", "loss_rpn_box_reg"}
    losses = sum(loss for loss in loss_dict.values())
    optimizer.zero_grad()
    losses.backward()
    before = model.roi_heads.mask_predictor.mask_fcn_logits.weight.detach().clone()
    optimizer.step()
    assert not torch.equal(before, model.roi_heads.mask_predictor.mask_fcn_logits.weight)

    model.eval()
    with torch.no_grad():
        prediction = model([_images()[0]])
    assert len(prediction) == 1 and set(prediction[0]) == {"boxes", "labels", "scores", "masks"}
    n = prediction[0]["boxes"].shape[0]
    assert tuple(prediction[0]["masks"].shape) == (n, 1, 90, 120)
    assert bool(((prediction[0]["labels"] >= 1) & (prediction[0]["labels"] < 2)).all())


# ---------------------------------------------------------------------------------------------
# units against torchvision

def test_transform_size_rule():
    for (h, w, lo, hi, fixed), expected in zip(gen.RESIZE_CASES, ARRAYS["unit.resize_sizes"].tolist()):
        t = GeneralizedRCNNTransform(lo, hi, [0.0] * 3, [1.0] * 3, fixed_size=fixed).eval()
        batch, _ = t([ember.zeros(3, h, w)])
        assert list(batch.image_sizes[0]) + list(batch.tensors.shape[-2:]) == expected, (h, w, lo, hi, fixed)


def test_box_coder_and_matcher():
    u = gen.unit_inputs()
    coder = det_utils.BoxCoder((10.0, 10.0, 5.0, 5.0))
    props = T(u["props"])
    assert_close(coder.encode_single(T(u["ref"]), props), ARRAYS["unit.encode"], rtol=1e-5)
    assert_close(coder.decode(T(u["rel_codes"]), [props[:15], props[15:]]), ARRAYS["unit.decode"], rtol=1e-5)
    q = T(u["quality"])
    np.testing.assert_array_equal(det_utils.Matcher(0.7, 0.3, allow_low_quality_matches=True)(q).numpy(),
                                  ARRAYS["unit.match_low_quality"])
    np.testing.assert_array_equal(det_utils.Matcher(0.5, 0.5)(q).numpy(), ARRAYS["unit.match_plain"])
    with pytest.raises(ValueError, match="No ground-truth boxes available for one of the images during training"):
        det_utils.Matcher(0.5, 0.5)(ember.zeros(0, 4))
    with pytest.raises(AssertionError, match="low_threshold should be <= high_threshold"):
        det_utils.Matcher(0.3, 0.5)


def test_keypoint_loss():
    from ember.vision.models.detection.roi_heads import keypointrcnn_loss
    u = gen.unit_inputs()
    logits = T(u["kp_logits"]).requires_grad_()
    loss = keypointrcnn_loss(logits, [T(u["kp_props"][:3]), T(u["kp_props"][3:])], [T(u["kp_gt"])] * 2,
                             [T(u["kp_matched"][:3]), T(u["kp_matched"][3:])])
    assert_close(loss, ARRAYS["unit.keypoint_loss"], rtol=1e-5)
    loss.backward()
    assert logits.grad.shape == logits.shape


def test_paste_masks_in_image():
    u = gen.unit_inputs()
    out = paste_masks_in_image(T(u["masks"]), T(u["paste_boxes"]), (60, 80))
    assert_close(out, ARRAYS["unit.paste"], rtol=1e-5)
    assert tuple(paste_masks_in_image(ember.zeros(0, 1, 28, 28), ember.zeros(0, 4), (5, 7)).shape) == (0, 1, 5, 7)


def test_multiscale_roi_align():
    u = gen.unit_inputs()
    feats = OrderedDict((k, T(v)) for k, v in u["feats"].items())
    boxes = [T(b) for b in u["pool_boxes"]]
    pooler = MultiScaleRoIAlign(["0", "1", "2", "3"], 7, 2)
    assert repr(pooler) == ("MultiScaleRoIAlign(featmap_names=['0', '1', '2', '3'], output_size=(7, 7), "
                            "sampling_ratio=2)")
    assert_close(pooler(feats, boxes, [(128, 160), (120, 150)]), ARRAYS["unit.pooled"], rtol=1e-5)
    assert pooler.scales == ARRAYS["unit.pooled_scales"].tolist()
    single = MultiScaleRoIAlign(["2"], (3, 4), 0)
    assert_close(single(feats, boxes, [(128, 160), (120, 150)]), ARRAYS["unit.pooled_single"], rtol=1e-5)


def test_multiscale_roi_align_gradient_reaches_the_pooled_levels():
    feats = OrderedDict((k, ember.randn(1, 2, 512 // s, 512 // s, requires_grad=True))
                        for k, s in (("0", 4), ("1", 8), ("2", 16), ("3", 32)))
    # sides 32, 112 and 224 map to levels 2, 3 and 4 (k0=4 at 224): feature maps "0", "1", "2"
    boxes = [ember.tensor([[0.0, 0.0, 32.0, 32.0], [10.0, 10.0, 122.0, 122.0], [100.0, 50.0, 324.0, 274.0]])]
    MultiScaleRoIAlign(["0", "1", "2", "3"], 2, 2)(feats, boxes, [(512, 512)]).sum().backward()
    assert [float(f.grad.abs().sum()) > 0 for f in feats.values()] == [True, True, True, False]


@pytest.mark.parametrize("tag", ["maxpool", "p6p7", "none"])
def test_feature_pyramid_network(tag):
    extra = {"maxpool": LastLevelMaxPool(), "p6p7": LastLevelP6P7(16, 6), "none": None}[tag]
    fpn = load_fixture_weights(FeaturePyramidNetwork([4, 8, 16], 6, extra_blocks=extra))
    with ember.no_grad():
        out = fpn(OrderedDict((k, T(v)) for k, v in gen.unit_inputs()["fpn_feats"].items()))
    assert " ".join(out) == str(ARRAYS[f"unit.fpn_{tag}.names"])
    for i, v in enumerate(out.values()):
        assert_close(v, ARRAYS[f"unit.fpn_{tag}.{i}"], rtol=1e-5)


def test_feature_pyramid_network_errors_and_old_checkpoints():
    with pytest.raises(ValueError, match="in_channels=0 is currently not supported"):
        FeaturePyramidNetwork([0, 4], 6)
    with pytest.raises(TypeError, match="extra_blocks should be of type ExtraFPNBlock not"):
        FeaturePyramidNetwork([4], 6, extra_blocks=nn.ReLU())
    fpn = FeaturePyramidNetwork([4, 8], 6)
    sd = fpn.state_dict()
    # version-1 files hold plain convs: inner_blocks.0.weight instead of inner_blocks.0.0.weight
    old = OrderedDict((k.replace(".0.weight", ".weight").replace(".0.bias", ".bias"), v * 2) for k, v in sd.items())
    old._metadata = OrderedDict([("", {"version": 1})])
    FeaturePyramidNetwork([4, 8], 6).load_state_dict(old)
    fresh = FeaturePyramidNetwork([4, 8], 6)
    fresh.load_state_dict(old)
    np.testing.assert_array_equal(fresh.inner_blocks[0][0].weight.detach().numpy(),
                                  2 * sd["inner_blocks.0.0.weight"].numpy())


def test_old_checkpoint_keys_of_the_heads():
    """Version-1 files: RPNHead had a plain conv, MaskRCNNHeads named its convs mask_fcn1 ..."""
    from ember.vision.models.detection.mask_rcnn import MaskRCNNHeads
    from ember.vision.models.detection.rpn import RPNHead
    for make, renames in ((lambda: RPNHead(4, 3), {"conv.0.0.": "conv."}),
                          (lambda: MaskRCNNHeads(4, (5, 6), 1), {"0.0.": "mask_fcn1.", "1.0.": "mask_fcn2."})):
        sd = make().state_dict()
        old = OrderedDict()
        for k, v in sd.items():
            for new_prefix, old_prefix in renames.items():
                if k.startswith(new_prefix):
                    k = old_prefix + k[len(new_prefix):]
            old[k] = v + 1
        old._metadata = OrderedDict([("", {"version": 1})])
        fresh = make()
        fresh.load_state_dict(old)
        for k, v in fresh.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), sd[k].numpy() + 1)


# ---------------------------------------------------------------------------------------------
# building blocks, builders and their arguments

def test_mobilenet_backbone():
    from ember.vision.models.detection.backbone_utils import mobilenet_backbone
    plain = mobilenet_backbone(backbone_name="mobilenet_v3_small", weights=None, fpn=False, trainable_layers=6)
    assert plain.out_channels == 256 and tuple(plain(ember.rand(1, 3, 64, 64)).shape) == (1, 256, 2, 2)
    fpn = mobilenet_backbone(backbone_name="mobilenet_v3_small", weights=None, fpn=True, trainable_layers=2)
    out = fpn(ember.rand(1, 3, 64, 64))
    # as torchvision 0.29 gives: the last two stages (both stride 32 here) and the pooled level
    assert [(k, tuple(v.shape)) for k, v in out.items()] == [("0", (1, 256, 2, 2)), ("1", (1, 256, 2, 2)),
                                                             ("pool", (1, 256, 1, 1))]
    assert list(fpn.body.keys()) == [str(i) for i in range(13)]
    frozen = {int(n.split(".")[0]) for n, p in fpn.body.named_parameters() if not p.requires_grad}
    assert frozen == set(range(9))
    assert isinstance(fpn.body["0"][1], FrozenBatchNorm2d)
    with pytest.raises(ValueError, match=r"Trainable layers should be in the range \[0,6\], got 7"):
        mobilenet_backbone(backbone_name="mobilenet_v3_small", weights=None, fpn=True, trainable_layers=7)


def test_balanced_sampler():
    labels = [ember.tensor([1] * 10 + [0] * 30 + [-1] * 5), ember.tensor([0, 0, 1, -1])]
    pos, neg = det_utils.BalancedPositiveNegativeSampler(16, 0.25)(labels)
    assert pos[0].dtype == ember.uint8
    assert int(pos[0].sum()) == 4 and int(neg[0].sum()) == 12
    assert bool((labels[0][pos[0].bool()] == 1).all()) and bool((labels[0][neg[0].bool()] == 0).all())
    assert pos[1].tolist() == [0, 0, 1, 0] and neg[1].tolist() == [1, 1, 0, 0]


def test_anchor_generator():
    gen_ = detection.anchor_utils.AnchorGenerator(((32,), (64,)), ((0.5, 1.0, 2.0),) * 2)
    assert gen_.num_anchors_per_location() == [3, 3]
    assert gen_.cell_anchors[0].tolist() == [[-23.0, -11.0, 23.0, 11.0], [-16.0, -16.0, 16.0, 16.0],
                                             [-11.0, -23.0, 11.0, 23.0]]
    images = detection.image_list.ImageList(ember.zeros(2, 3, 32, 64), [(32, 60), (30, 64)])
    anchors = gen_(images, [ember.zeros(2, 4, 4, 8), ember.zeros(2, 4, 2, 4)])
    assert len(anchors) == 2 and tuple(anchors[0].shape) == ((32 + 8) * 3, 4)
    # second cell of the first level: shifted by the stride (8) in x
    assert anchors[0][3].tolist() == [-15.0, -11.0, 31.0, 11.0]


def test_backbone_freezing():
    bb = resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=2)
    assert isinstance(bb.body.bn1, FrozenBatchNorm2d) and bb.out_channels == 256
    trainable = {n.split(".")[1] for n, p in bb.named_parameters() if p.requires_grad and n.startswith("body.")}
    assert trainable == {"layer3", "layer4"}
    assert all(p.requires_grad for p in bb.fpn.parameters())
    out = bb(ember.rand(1, 3, 64, 64))
    assert [(k, tuple(v.shape)) for k, v in out.items()] == [
        ("0", (1, 256, 16, 16)), ("1", (1, 256, 8, 8)), ("2", (1, 256, 4, 4)), ("3", (1, 256, 2, 2)),
        ("pool", (1, 256, 1, 1))]
    with pytest.raises(ValueError, match=r"Trainable layers should be in the range \[0,5\], got 6"):
        resnet_fpn_backbone(backbone_name="resnet18", weights=None, trainable_layers=6)
    with pytest.raises(ValueError, match=r"Each returned layer should be in the range \[1,4\]. Got \[0, 2\]"):
        resnet_fpn_backbone(backbone_name="resnet18", weights=None, returned_layers=[0, 2])


def test_builder_arguments_and_errors():
    with pytest.warns(UserWarning, match="Changing trainable_backbone_layers has no effect"):
        m = detection.fasterrcnn_resnet50_fpn(weights=None, weights_backbone=None, trainable_backbone_layers=2,
                                              num_classes=5)
    assert all(p.requires_grad for p in m.parameters())   # nothing pretrained: everything trains
    assert isinstance(m.backbone.body.bn1, nn.BatchNorm2d)
    assert m.roi_heads.box_predictor.cls_score.out_features == 5
    assert m.transform.min_size == (800,) and m.transform.max_size == 1333
    with pytest.raises(ValueError, match="num_classes should be None when box_predictor is specified"):
        detection.FasterRCNN(m.backbone, num_classes=3, box_predictor=FastRCNNPredictor(1024, 3))
    with pytest.raises(ValueError, match="num_classes should not be None when box_predictor is not specified"):
        detection.FasterRCNN(m.backbone)
    with pytest.raises(ValueError, match="backbone should contain an attribute out_channels"):
        detection.FasterRCNN(nn.ReLU(), num_classes=2)
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 91 but got 3 instead."):
        detection.maskrcnn_resnet50_fpn(weights=detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1, num_classes=3)
    with pytest.raises(TypeError, match="expected MaskRCNN_ResNet50_FPN_Weights but received"):
        detection.maskrcnn_resnet50_fpn(weights=detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1)


@pytest.mark.slow
def test_keypoint_builder_arguments():
    kp = detection.keypointrcnn_resnet50_fpn(weights=None, weights_backbone=None, num_keypoints=7)
    assert kp.roi_heads.keypoint_predictor.out_channels == 7 and kp.transform.min_size == (640, 672, 704, 736, 768, 800)
    assert kp.roi_heads.box_predictor.cls_score.out_features == 2
    with pytest.raises(ValueError, match="num_keypoints should be None when keypoint_predictor is specified"):
        detection.KeypointRCNN(kp.backbone, num_classes=2, num_keypoints=3,
                               keypoint_predictor=kp.roi_heads.keypoint_predictor)


def test_forward_errors():
    model = _tiny(weights=False)
    model.transform.min_size, model.transform.max_size = (64,), 64
    model.train()
    with pytest.raises(AssertionError, match="targets should not be none when in training mode"):
        model(_images())
    bad = [{"boxes": ember.tensor([[10.0, 10.0, 5.0, 20.0]]), "labels": ember.tensor([1])}]
    # checked after resizing (90x120 -> 48x64), as torchvision does
    with pytest.raises(AssertionError, match=r"All bounding boxes should have positive height and width. Found "
                                             r"invalid box \[5.333333492279053, 5.333333492279053, 2.6666667461395264, "
                                             r"10.666666984558105\] for target at index 0."):
        model(_images()[:1], bad)
    with pytest.raises(AssertionError, match=r"Expected target boxes to be a tensor of shape \[N, 4\]"):
        model(_images()[:1], [{"boxes": ember.zeros(4), "labels": ember.tensor([1])}])
    with pytest.raises(TypeError, match="target labels must of int64 type, instead got"):
        model(_images()[:1], [{"boxes": ember.tensor([[1.0, 1.0, 5.0, 5.0]]), "labels": ember.tensor([1.0])}])
    with pytest.raises(TypeError, match=r"Expected input images to be of floating type \(in range \[0, 1\]\)"):
        model.eval()([ember.zeros(3, 8, 8, dtype=ember.uint8)])
    with pytest.raises(ValueError, match="images is expected to be a list of 3d tensors of shape"):
        model.eval()([ember.zeros(1, 3, 8, 8)])


def test_empty_targets_and_no_detections():
    model = _tiny(weights=False)
    empty = [{"boxes": ember.zeros(0, 4), "labels": ember.zeros(0, dtype=ember.int64),
              "masks": ember.zeros(0, 90, 120, dtype=ember.uint8)}]
    losses = model.train()(_images()[:1], empty)
    assert float(losses["loss_mask"]) == 0.0 and float(losses["loss_box_reg"]) == 0.0
    sum(losses.values()).backward()     # all-background: the mask branch still runs (on no RoIs), zero grads as torch
    for p in model.roi_heads.mask_predictor.parameters():
        assert p.grad is not None and float(p.grad.abs().sum()) == 0.0
    model.roi_heads.score_thresh = 1.0   # nothing passes
    with ember.no_grad():
        out = model.eval()(_images()[:1])
    assert tuple(out[0]["boxes"].shape) == (0, 4) and tuple(out[0]["masks"].shape) == (0, 1, 90, 120)


def test_weights_enums_and_registry():
    w = detection.MaskRCNN_ResNet50_FPN_Weights.DEFAULT
    assert w is detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1
    assert w.url == "https://download.pytorch.org/models/maskrcnn_resnet50_fpn_coco-bf2d0c1e.pth"
    assert len(w.meta["categories"]) == 91 and w.meta["categories"][:3] == ["__background__", "person", "bicycle"]
    assert w.meta["num_params"] == 44401393 and w.meta["_metrics"]["COCO-val2017"]["mask_map"] == 34.6
    t = w.transforms()
    assert repr(t) == "ObjectDetection()"
    img = t(ember.full((3, 4, 5), 255, dtype=ember.uint8))
    assert img.dtype == ember.float32 and float(img.max()) == 1.0
    kp = detection.KeypointRCNN_ResNet50_FPN_Weights
    assert kp.COCO_LEGACY.url.endswith("keypointrcnn_resnet50_fpn_coco-9f466800.pth")
    assert len(kp.DEFAULT.meta["keypoint_names"]) == 17 and kp.DEFAULT.meta["categories"] == ["no person", "person"]
    assert detection.FasterRCNN_ResNet50_FPN_V2_Weights.COCO_V1.meta["num_params"] == 43712278

    names = set(models.list_models(module=detection))
    assert set(gen.BUILDERS) <= names      # the R-CNN family (the single-stage detectors: test_single_stage.py)
    assert models.get_model_weights("maskrcnn_resnet50_fpn") is detection.MaskRCNN_ResNet50_FPN_Weights
    m = models.get_model("fasterrcnn_resnet50_fpn", weights=None, weights_backbone=None, num_classes=4)
    assert isinstance(m, detection.FasterRCNN) and m.roi_heads.box_predictor.cls_score.out_features == 4


# ---------------------------------------------------------------------------------------------
# pretrained weights through the hub cache

def _seed_checkpoint(hub_home, url, model):
    (hub_home / "checkpoints").mkdir(parents=True, exist_ok=True)
    sd = {k: T(gen.fixture_value(k, tuple(v.shape))) for k, v in model.state_dict().items()}
    ember.save(sd, str(hub_home / "checkpoints" / os.path.basename(url)))
    return sd


@pytest.mark.slow
def test_pretrained_maskrcnn_from_cache(hub_home):
    weights = detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1
    reference = detection.MaskRCNN(resnet_fpn_backbone(backbone_name="resnet50", weights=None), num_classes=91)
    sd = _seed_checkpoint(hub_home, weights.url, reference)
    with pytest.warns(UserWarning) as rec:
        model = detection.maskrcnn_resnet50_fpn(pretrained=True)   # the tutorial's spelling
    assert any("MaskRCNN_ResNet50_FPN_Weights.DEFAULT" in str(r.message) for r in rec)
    np.testing.assert_array_equal(model.roi_heads.mask_predictor.mask_fcn_logits.weight.detach().numpy(),
                                  sd["roi_heads.mask_predictor.mask_fcn_logits.weight"].numpy())
    assert isinstance(model.backbone.body.bn1, FrozenBatchNorm2d) and model.backbone.body.bn1.eps == 0.0
    # three trainable layers by default: conv1 and layer1 are frozen
    body = model.backbone.body
    assert not body.conv1.weight.requires_grad and not body.layer1[0].conv1.weight.requires_grad
    assert body.layer2[0].conv1.weight.requires_grad
    model2 = detection.maskrcnn_resnet50_fpn(weights="DEFAULT", trainable_backbone_layers=5)
    assert model2.backbone.body.conv1.weight.requires_grad


@pytest.mark.slow
def test_pretrained_backbone_from_cache(hub_home):
    url = models.ResNet50_Weights.IMAGENET1K_V1.url
    sd = _seed_checkpoint(hub_home, url, models.resnet50())
    with pytest.warns(UserWarning) as rec:
        model = detection.fasterrcnn_resnet50_fpn(pretrained_backbone=True, num_classes=2)
    messages = [str(r.message) for r in rec]
    assert any("The parameter 'pretrained_backbone' is deprecated" in m for m in messages)
    assert any("equivalent to passing `weights_backbone=ResNet50_Weights.IMAGENET1K_V1`" in m for m in messages)
    np.testing.assert_array_equal(model.backbone.body.layer1[0].conv1.weight.detach().numpy(),
                                  sd["layer1.0.conv1.weight"].numpy())
    assert isinstance(model.backbone.body.bn1, FrozenBatchNorm2d) and model.backbone.body.bn1.eps == 1e-5
    model = detection.fasterrcnn_resnet50_fpn(num_classes=2)   # ImageNet backbone by default, as torchvision
    np.testing.assert_array_equal(model.backbone.body.conv1.weight.detach().numpy(), sd["conv1.weight"].numpy())
