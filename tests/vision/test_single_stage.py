"""ember.vision.models.detection's single-stage detectors -- RetinaNet (v1, v2), FCOS, SSD300 and
SSDlite320 -- and DefaultBoxGenerator against torchvision 0.29.

Parity data come from fixtures/make_single_stage_fixtures.py (run once with torchvision): models
are filled with the same name-seeded weights on both sides; state_dict keys/shapes, parameter
counts, reprs, weights enums, every stage of an eval forward (transformed sizes, features,
anchors, head outputs, detections) and the training losses (with the anchor-target matches they
were given, and gradients) must agree. The fast tests use small models assembled from the public
pieces (``TINY``); the full builders' forwards are marked slow. Nothing here is random."""
import copy
import functools
import hashlib
import json
import os
import warnings
from collections import OrderedDict

import numpy as np
import pytest

import ember
from ember import nn
from ember.vision import models
from ember.vision.models import detection
from ember.vision.models.detection.anchor_utils import AnchorGenerator, DefaultBoxGenerator
from ember.vision.models.detection.image_list import ImageList
from ember.vision.models.detection.retinanet import RetinaNetClassificationHead, RetinaNetRegressionHead
from ember.vision.ops.misc import FrozenBatchNorm2d
from tests.vision._fixtures import T, assert_close, generator, load_fixture_weights, stored

gen = generator("make_single_stage_fixtures")
META, ARRAYS = stored("single_stage")


def assert_detections(det, prefix, i):
    """One image's detections equal torchvision's: same count, labels and order, boxes and scores
    to float rounding. Detections whose scores tie to rounding may come out swapped: such pairs
    are matched by content (nearest unused row) before comparing."""
    boxes, scores, labels = (ARRAYS[f"{prefix}.{k}{i}"] for k in ("boxes", "scores", "labels"))
    assert det["boxes"].dtype == ember.float32 and det["scores"].dtype == ember.float32
    assert det["labels"].dtype == ember.int64
    assert len(det["boxes"]) == len(boxes)
    rows = lambda b, s, lab: np.concatenate([b, 100 * s[:, None], 100 * lab[:, None].astype(np.float32)], 1)
    actual = rows(det["boxes"].numpy(), det["scores"].numpy(), det["labels"].numpy())
    expected = rows(boxes, scores, labels)
    order, used = [], set()
    for row in expected:
        dist = np.abs(actual - row).max(1)
        j = next(j for j in np.argsort(dist, kind="stable") if j not in used)
        used.add(j)
        order.append(j)
    order = np.array(order, dtype=np.int64)
    assert (order == np.arange(len(order))).mean() >= 0.75, order
    assert_close(det["boxes"].numpy()[order], boxes)
    assert_close(det["scores"].numpy()[order], scores)
    np.testing.assert_array_equal(det["labels"].numpy()[order], labels)


def _images():
    return [T(im) for im in gen.images()]


def _targets(with_empty=False):
    return [{k: T(v) for k, v in t.items()} for t in gen.train_targets(with_empty)]


@functools.lru_cache(maxsize=None)
def _tiny_template(kind):
    return load_fixture_weights(gen.tiny_model(models, nn, kind)).eval()


def _tiny(kind):
    """A fresh copy of a tiny model with fixture weights (built once per process)."""
    return copy.deepcopy(_tiny_template(kind))


@functools.lru_cache(maxsize=None)
def _built(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return getattr(detection, name)(weights=None, weights_backbone=None)


# ---------------------------------------------------------------------------------------------
# architecture: keys, shapes, parameter counts, reprs, weights enums

@pytest.mark.parametrize("name", [pytest.param(n, marks=() if n == "ssdlite320_mobilenet_v3_large"
                                               else pytest.mark.slow) for n in gen.BUILDERS])
def test_builder_matches_torchvision(name):
    model = _built(name)
    assert gen.keys_text(model.state_dict()) == str(ARRAYS[f"{name}.keys"])
    assert sum(p.numel() for p in model.parameters()) == META["builders"][name]["num_params"]
    if f"{name}.repr" in ARRAYS:   # the readable diff first
        assert repr(model) == str(ARRAYS[f"{name}.repr"])
    assert hashlib.sha256(repr(model).encode()).hexdigest() == META["builders"][name]["repr_sha256"], \
        "repr differs from torchvision's"


def test_registry_and_weights_enums():
    names = models.list_models(module=models.detection)
    for builder in gen.BUILDERS:
        assert builder in names
        assert models.get_model_builder(builder) is getattr(detection, builder)
    assert models.get_model_weights("ssd300_vgg16") is detection.SSD300_VGG16_Weights
    assert models.get_model_weights(detection.fcos_resnet50_fpn) is detection.FCOS_ResNet50_FPN_Weights
    for full_name, expected in META["weights"].items():
        enum_name, member = full_name.split(".")
        weights = getattr(detection, enum_name)[member]
        assert weights.url == expected["url"]
        assert weights.transforms.__name__ == expected["transforms"]
        assert json.loads(json.dumps(weights.meta)) == expected["meta"]
        assert getattr(detection, enum_name).DEFAULT is getattr(detection, enum_name).COCO_V1
    # the single-stage detectors are reached through their modules, as in torchvision
    assert not hasattr(detection, "SSD") and detection.ssd.SSD.__name__ == "SSD"


@pytest.mark.parametrize("kind", gen.TINY)
def test_tiny_model_layout_matches_torchvision(kind):
    model = _tiny_template(kind)
    assert gen.keys_text(model.state_dict()) == str(ARRAYS[f"tiny.{kind}.keys"])
    assert repr(model) == str(ARRAYS[f"tiny.{kind}.repr"])


# ---------------------------------------------------------------------------------------------
# eval forward

def _check_eval(model, prefix, staged=True):
    imgs = _images()
    with ember.no_grad():
        out = model(imgs)
        if staged:
            image_list, _ = model.transform(imgs)
            assert image_list.image_sizes == [tuple(s) for s in ARRAYS[f"{prefix}.image_sizes"].tolist()]
            assert list(image_list.tensors.shape) == ARRAYS[f"{prefix}.batch_shape"].tolist()
            features = list(model.backbone(image_list.tensors).values())
            sums = [float(f.double().sum()) for f in features]
            np.testing.assert_allclose(sums, ARRAYS[f"{prefix}.feature_sums"], rtol=1e-4,
                                       atol=1e-5 * np.abs(ARRAYS[f"{prefix}.feature_sums"]).max())
            anchors = model.anchor_generator(image_list, features)
            assert [a.shape[0] for a in anchors] == ARRAYS[f"{prefix}.anchors_count"].tolist()
            assert_close(anchors[0][::gen.ANCHOR_STRIDE], ARRAYS[f"{prefix}.anchors_sample"], rtol=1e-6)
            head = model.head(features)
            assert sorted(head) == sorted(k.split(".")[-1] for k in ARRAYS.files if k.startswith(f"{prefix}.head."))
            for k, v in head.items():
                assert_close(v[:, ::gen.HEAD_STRIDE], ARRAYS[f"{prefix}.head.{k}"], rtol=1e-4)
    assert len(out) == 2 and all(list(det) == ["boxes", "scores", "labels"] for det in out)
    for i, det in enumerate(out):
        assert_detections(det, prefix, i)


@pytest.mark.parametrize("kind", gen.TINY)
def test_tiny_model_eval_matches_torchvision(kind):
    _check_eval(_tiny(kind), f"tiny.{kind}.eval")


@functools.lru_cache(maxsize=None)
def _eval_case_template(case):
    name, kwargs = META["eval_cases"][case]["builder"], META["eval_cases"][case]["kwargs"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_fixture_weights(getattr(detection, name)(weights=None, weights_backbone=None, **kwargs)).eval()


@pytest.mark.slow
@pytest.mark.parametrize("case", list(gen.EVAL_CASES))
def test_builder_eval_matches_torchvision(case):
    _check_eval(copy.deepcopy(_eval_case_template(case)), f"eval.{case}", staged=False)


@pytest.mark.parametrize("kind", ["retinanet", "fcos", "ssd"])
def test_no_detections(kind):
    model = _tiny(kind)
    model.score_thresh = 1.0
    with ember.no_grad():
        out = model(_images())
    for det in out:
        assert [tuple(det[k].shape) for k in ("boxes", "scores", "labels")] == [(0, 4), (0,), (0,)]
        assert det["labels"].dtype == ember.int64 and det["boxes"].dtype == ember.float32


# ---------------------------------------------------------------------------------------------
# training: matches, losses, gradients

def _check_train(model, prefix, with_empty=False, grads=True):
    model.train()
    matches = gen.capture_matches(model)
    targets = _targets(with_empty)
    boxes = [t["boxes"].clone() for t in targets]
    losses = model(_images(), targets)
    for t, b in zip(targets, boxes):   # the caller's targets stay as they were
        np.testing.assert_array_equal(t["boxes"].numpy(), b.numpy())
    assert len(matches) == 2
    for i, m in enumerate(matches):
        assert m.dtype == ember.int64
        np.testing.assert_array_equal(m.numpy(), ARRAYS[f"{prefix}.matches{i}"])
    assert list(losses) == str(ARRAYS[f"{prefix}.loss_names"]).split("\n")
    for k, v in losses.items():
        assert v.shape == () and v.requires_grad
        assert_close(v, ARRAYS[f"{prefix}.{k}"], rtol=1e-4)
    if grads:
        sum(losses.values()).backward()
        params = dict(model.named_parameters())
        names = str(ARRAYS[f"{prefix}.grad_names"]).split("\n")
        assert set(names) <= set(gen.stored_grads(model)) and len(names) > 5
        for name in names:
            assert_close(gen.grad_corner(params[name].grad), ARRAYS[f"{prefix}.grad.{name}"], rtol=2e-3)


@pytest.mark.parametrize("kind", gen.TINY)
def test_tiny_model_train_matches_torchvision(kind):
    _check_train(_tiny(kind), f"tiny.{kind}.train")


@pytest.mark.parametrize("kind", gen.EMPTY_TARGET_CASES)
def test_tiny_model_train_with_an_image_without_objects(kind):
    _check_train(_tiny(kind), f"tiny.{kind}.train_empty", with_empty=True, grads=False)


@pytest.mark.slow
def test_ssd300_train_matches_torchvision():
    _check_train(copy.deepcopy(_eval_case_template("ssd300")), "train.ssd300")


# ---------------------------------------------------------------------------------------------
# units

@pytest.mark.parametrize("case", [c[0] for c in gen.default_box_cases()])
def test_default_box_generator(case):
    name, kwargs, (h, w), sizes = next(c for c in gen.default_box_cases() if c[0] == case)
    boxes_gen = DefaultBoxGenerator(**kwargs)
    assert repr(boxes_gen) == str(ARRAYS[f"unit.dbox.{name}.repr"])
    assert boxes_gen.num_anchors_per_location() == ARRAYS[f"unit.dbox.{name}.num_anchors"].tolist()
    feats = [ember.zeros(1, 1, *(s if isinstance(s, tuple) else (s, s))) for s in sizes]
    boxes = boxes_gen(ImageList(ember.zeros(2, 3, h, w), [(h, w), (h - 3, w)]), feats)
    assert [b.shape[0] for b in boxes] == ARRAYS[f"unit.dbox.{name}.count"].tolist()
    assert boxes[1].dtype == ember.float32 and boxes[0] is not boxes[1]
    assert_close(boxes[1][::7], ARRAYS[f"unit.dbox.{name}.sample"], rtol=1e-6)


def test_default_box_generator_scales():
    assert DefaultBoxGenerator([[2]]).scales == [0.15, 0.9]
    scales = DefaultBoxGenerator([[2, 3]] * 6, min_ratio=0.2, max_ratio=0.95).scales
    np.testing.assert_allclose(scales, [0.2, 0.35, 0.5, 0.65, 0.8, 0.95, 1.0])
    with pytest.raises(ValueError, match="aspect_ratios and steps should have the same length"):
        DefaultBoxGenerator([[2], [3]], steps=[8])


def test_retinanet_heads_load_version1_checkpoints():
    """Version-1 files held plain conv/ReLU pairs: conv.0, conv.2 ... instead of conv.0.0, conv.1.0 ..."""
    for make in (lambda: RetinaNetClassificationHead(4, 2, 3), lambda: RetinaNetRegressionHead(4, 2)):
        sd = make().state_dict()
        old = OrderedDict()
        for k, v in sd.items():
            if k.startswith("conv."):
                i = int(k.split(".")[1])
                k = f"conv.{2 * i}.{k.split('.')[-1]}"
            old[k] = v + 1
        old._metadata = OrderedDict([("", {"version": 1})])
        fresh = make()
        fresh.load_state_dict(old)
        for k, v in fresh.state_dict().items():
            np.testing.assert_array_equal(v.numpy(), sd[k].numpy() + 1)


def test_head_initialisation():
    """The parts of the heads' initialisation that are not random."""
    head = RetinaNetClassificationHead(8, 3, 5, prior_probability=0.01)
    np.testing.assert_allclose(head.cls_logits.bias.detach().numpy(), np.full(15, -np.log(99.0)), rtol=1e-6)
    assert head.num_classes == 5 and head.num_anchors == 3 and head.BETWEEN_THRESHOLDS == -2
    reg = RetinaNetRegressionHead(8, 3)
    assert reg._loss_type == "l1" and reg.box_coder.weights == (1.0, 1.0, 1.0, 1.0)
    assert not reg.bbox_reg.bias.detach().numpy().any()
    fcos_head = detection.fcos.FCOSHead(32, 1, 4)
    assert isinstance(fcos_head.classification_head.conv[1], nn.GroupNorm)
    assert fcos_head.classification_head.conv[1].num_groups == 32
    lite = detection.ssdlite.SSDLiteHead([8, 16], [4, 6], 3, nn.BatchNorm2d)
    assert lite.classification_head.module_list[1][1].out_channels == 18
    assert lite.regression_head.num_columns == 4 and lite.classification_head.num_columns == 3


# ---------------------------------------------------------------------------------------------
# arguments and errors

def test_forward_errors():
    retina, fcos, ssd = _tiny("retinanet").train(), _tiny("fcos").train(), _tiny("ssd").train()
    for model in (retina, fcos, ssd):
        with pytest.raises(AssertionError, match="targets should not be none when in training mode"):
            model(_images())
    flat = [{"boxes": ember.zeros(4), "labels": ember.tensor([1])}]
    with pytest.raises(AssertionError, match=r"^Expected target boxes to be a tensor of shape \[N, 4\].$"):
        retina(_images()[:1], flat)
    with pytest.raises(AssertionError, match=r"^Expected target boxes to be a tensor of shape \[N, 4\], got"):
        fcos(_images()[:1], flat)
    with pytest.raises(AssertionError, match=r"^Expected target boxes to be of type Tensor.$"):
        fcos(_images()[:1], [{"boxes": [[0, 0, 1, 1]], "labels": ember.tensor([1])}])
    with pytest.raises(AssertionError, match=r"^Expected target boxes to be of type Tensor, got <class 'list'>.$"):
        ssd(_images()[:1], [{"boxes": [[0, 0, 1, 1]], "labels": ember.tensor([1])}])
    bad = [{"boxes": ember.tensor([[10.0, 10.0, 5.0, 20.0]]), "labels": ember.tensor([1])}]
    for model in (retina, fcos, ssd):
        with pytest.raises(AssertionError, match="All bounding boxes should have positive height and width. Found "
                                                 r"invalid box \[.*\] for target at index 0."):
            model(_images()[:1], bad)


def test_constructor_errors():
    backbone = _tiny_template("retinanet").backbone
    with pytest.raises(ValueError, match="backbone should contain an attribute out_channels"):
        detection.RetinaNet(nn.ReLU(), 3)
    with pytest.raises(ValueError, match="backbone should contain an attribute out_channels"):
        detection.FCOS(nn.ReLU(), 3)
    with pytest.raises(TypeError, match="anchor_generator should be of type AnchorGenerator or None instead of"):
        detection.RetinaNet(backbone, 3, anchor_generator=DefaultBoxGenerator([[2]]))
    with pytest.raises(TypeError, match="anchor_generator should be of type AnchorGenerator or None, instead  got"):
        detection.FCOS(backbone, 3, anchor_generator=DefaultBoxGenerator([[2]]))
    with pytest.raises(ValueError, match=r"anchor_generator.num_anchors_per_location\(\)\[0\] should be 1 instead "
                                         "of 3"):
        detection.FCOS(backbone, 3, anchor_generator=AnchorGenerator(((8,),) * 5, ((0.5, 1.0, 2.0),) * 5))
    with pytest.raises(ValueError, match=r"The length of the output channels from the backbone \(6\) do not match "
                                         r"the length of the anchor generator aspect ratios \(2\)"):
        detection.ssd.SSD(_tiny_template("ssd").backbone, DefaultBoxGenerator([[2], [2]]), (64, 64), 3)
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 91 but got 3 instead."):
        detection.retinanet_resnet50_fpn(weights=detection.RetinaNet_ResNet50_FPN_Weights.COCO_V1, num_classes=3)
    with pytest.raises(TypeError, match="expected FCOS_ResNet50_FPN_Weights but received"):
        detection.fcos_resnet50_fpn(weights=detection.RetinaNet_ResNet50_FPN_Weights.COCO_V1)


def test_model_defaults():
    backbone = _tiny_template("retinanet").backbone
    retina = detection.RetinaNet(backbone, 4)
    assert retina.anchor_generator.sizes[0] == (32, 40, 50) and retina.anchor_generator.sizes[-1] == (512, 645, 812)
    assert (retina.score_thresh, retina.nms_thresh, retina.detections_per_img, retina.topk_candidates) == \
        (0.05, 0.5, 300, 1000)
    assert retina.proposal_matcher.allow_low_quality_matches and retina.proposal_matcher.low_threshold == 0.4
    assert retina.transform.min_size == (800,) and retina.transform.max_size == 1333
    fcos = detection.FCOS(backbone, 4)
    assert fcos.anchor_generator.sizes == ((8,), (16,), (32,), (64,), (128,))
    assert (fcos.center_sampling_radius, fcos.score_thresh, fcos.nms_thresh, fcos.detections_per_img) == \
        (1.5, 0.2, 0.6, 100)
    ssd = _tiny_template("ssd")
    assert ssd.neg_to_pos_ratio == 3.0 and ssd.box_coder.weights == (10.0, 10.0, 5.0, 5.0)
    assert ssd.transform.fixed_size == gen.TINY_SSD_SIZE and ssd.transform.size_divisible == 1
    assert ssd.transform.min_size == (min(gen.TINY_SSD_SIZE),) and ssd.transform.max_size == max(gen.TINY_SSD_SIZE)


@pytest.mark.slow
def test_ssd_builders_settings():
    ssd = _built("ssd300_vgg16")
    assert ssd.transform.image_mean == [0.48235, 0.45882, 0.40784] and ssd.transform.image_std[0] == 1.0 / 255.0
    assert ssd.transform.fixed_size == (300, 300) and ssd.backbone.features[16].ceil_mode
    assert ssd.anchor_generator.steps == [8, 16, 32, 64, 100, 300]
    # four trainable VGG stages without pretrained weights? no: everything trains then
    assert all(p.requires_grad for p in ssd.parameters())
    lite = _built("ssdlite320_mobilenet_v3_large")
    assert (lite.score_thresh, lite.nms_thresh, lite.detections_per_img, lite.topk_candidates) == \
        (0.001, 0.55, 300, 300)
    assert lite.transform.image_mean == [0.5, 0.5, 0.5]
    bn = lite.backbone.features[0][0][1]
    assert isinstance(bn, nn.BatchNorm2d) and bn.eps == 0.001 and bn.momentum == 0.03


# ---------------------------------------------------------------------------------------------
# pretrained weights through the hub cache

def _seed_checkpoint(hub_home, url, model):
    (hub_home / "checkpoints").mkdir(parents=True, exist_ok=True)
    sd = {k: T(gen.fixture_value(k, tuple(v.shape))) for k, v in model.state_dict().items()}
    ember.save(sd, str(hub_home / "checkpoints" / os.path.basename(url)))
    return sd


@pytest.mark.slow
def test_pretrained_ssdlite_from_cache(hub_home):
    weights = detection.SSDLite320_MobileNet_V3_Large_Weights.COCO_V1
    sd = _seed_checkpoint(hub_home, weights.url, _built("ssdlite320_mobilenet_v3_large"))
    with pytest.warns(UserWarning, match="SSDLite320_MobileNet_V3_Large_Weights.COCO_V1"):
        model = detection.ssdlite320_mobilenet_v3_large(pretrained=True)
    name = "head.classification_head.module_list.5.1.weight"
    assert tuple(model.state_dict()[name].shape) == (546, 128, 1, 1)   # 91 classes
    np.testing.assert_array_equal(model.state_dict()[name].numpy(), sd[name].numpy())


@pytest.mark.slow
def test_pretrained_retinanet_from_cache(hub_home):
    weights = detection.RetinaNet_ResNet50_FPN_Weights.COCO_V1
    reference = detection.RetinaNet(
        detection.backbone_utils._resnet_fpn_extractor(models.resnet50(norm_layer=FrozenBatchNorm2d), 3,
                                                       returned_layers=[2, 3, 4],
                                                       extra_blocks=detection.retinanet.LastLevelP6P7(256, 256)), 91)
    sd = _seed_checkpoint(hub_home, weights.url, reference)
    model = detection.retinanet_resnet50_fpn(weights="DEFAULT")
    np.testing.assert_array_equal(model.head.regression_head.bbox_reg.weight.detach().numpy(),
                                  sd["head.regression_head.bbox_reg.weight"].numpy())
    # the v1 checkpoint was trained with eps 0 in its frozen batch norms
    assert isinstance(model.backbone.body.bn1, FrozenBatchNorm2d) and model.backbone.body.bn1.eps == 0.0
    assert not model.backbone.body.layer1[0].conv1.weight.requires_grad
    assert model.backbone.body.layer2[0].conv1.weight.requires_grad
