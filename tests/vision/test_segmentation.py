"""ember.vision.models.segmentation (FCN, DeepLabV3, LR-ASPP) against torchvision 0.29.

Parity data come from fixtures/make_segmentation_fixtures.py (run once with torchvision): each
model is filled with the same name-seeded weights on both sides and must give the same score maps
("out" and "aux"), input gradients, state_dict keys/shapes and repr. Weights meta data, the
SemanticSegmentation preset, the pre-0.13 arguments' warnings and the argument errors are
compared with torchvision's too. Nothing touches the network."""
import hashlib
import json
import os
import re
import warnings

import numpy as np
import pytest

import ember
from ember.vision import models
from ember.vision.models import segmentation
from ember.vision.models.segmentation.deeplabv3 import DeepLabHead
from ember.vision.models.segmentation.fcn import FCNHead
from ember.vision.models.segmentation.lraspp import LRASPPHead
from tests.vision._fixtures import T, assert_close, generator, load_fixture_weights, stored

gen = generator("make_segmentation_fixtures")
META, ARRAYS = stored("segmentation")


def _cases(names):
    return [pytest.param(n, id=n, marks=() if gen.BUILDERS[n] else pytest.mark.slow) for n in names]


_layouts = {}


def _layout_model(name):
    """The model as the layout record built it (kept: the ResNet models take seconds to build)."""
    if name not in _layouts:
        _layouts[name] = getattr(segmentation, name)(**gen.layout_kwargs(name))
    return _layouts[name]


# ---------------------------------------------------------------------------------------------
# parity with torchvision: keys, shapes, repr, outputs and gradients

@pytest.mark.parametrize("name", _cases(gen.BUILDERS))
def test_builder_layout_matches_torchvision(name):
    model = _layout_model(name)
    assert gen.keys_text(model.state_dict()) == str(ARRAYS[f"{name}.keys"])
    assert hashlib.sha256(repr(model).encode()).hexdigest() == META["builders"][name]["repr_sha256"], \
        "repr differs from torchvision's"
    assert sum(p.numel() for p in model.parameters()) == META["builders"][name]["num_params"]


@pytest.mark.parametrize("name", _cases(gen.FULL_REPR))
def test_print_model_text(name):
    assert str(_layout_model(name)) == str(ARRAYS[f"{name}.repr"])


@pytest.mark.parametrize("name", _cases(gen.BUILDERS))
def test_eval_outputs_match_torchvision(name):
    model = load_fixture_weights(getattr(segmentation, name)(**gen.eval_kwargs(name))).eval()
    x = T(gen.eval_input())
    if name in gen.WITH_GRADS:
        x.requires_grad_(True)
        result = model(x)
    else:
        with ember.no_grad():
            result = model(x)
    assert list(result) == META["builders"][name]["outputs"]
    for key, value in result.items():
        assert_close(value, ARRAYS[f"{name}.{key}"])
    if name in gen.WITH_GRADS:
        w = T(gen.class_weights(gen.EVAL_NUM_CLASSES))
        sum(((v * w).sum() for v in result.values()), ember.zeros(())).backward()
        assert_close(x.grad, ARRAYS[f"{name}.input_grad"], rtol=1e-3)
        params = dict(model.named_parameters())
        for pname in gen.WITH_GRADS[name]:
            assert_close(params[pname].grad[:4], ARRAYS[f"{name}.grad.{pname}"], rtol=1e-3)


def test_heads_match_torchvision():
    with ember.no_grad():
        out = load_fixture_weights(FCNHead(64, 3)).eval()(T(gen.head_input("fcn")))
        assert_close(out, ARRAYS["head.fcn"])
        out = load_fixture_weights(DeepLabHead(64, 3, atrous_rates=(2, 3, 5))).eval()(T(gen.head_input("deeplab")))
        assert_close(out, ARRAYS["head.deeplab"])
        features = {"low": T(gen.head_input("lraspp_low")), "high": T(gen.head_input("lraspp_high"))}
        out = load_fixture_weights(LRASPPHead(24, 40, 3, 16)).eval()(features)
        assert_close(out, ARRAYS["head.lraspp"])


def test_default_build_has_no_aux_head():
    name = "deeplabv3_mobilenet_v3_large"
    model = segmentation.deeplabv3_mobilenet_v3_large(weights_backbone=None)
    assert model.aux_classifier is None
    # torchvision's entries with the auxiliary head, minus that head's
    expected = [line for line in str(ARRAYS[f"{name}.keys"]).split("\n") if not line.startswith("aux_classifier.")]
    assert gen.keys_text(model.state_dict()).split("\n") == expected
    with ember.no_grad():
        result = model.eval()(ember.randn(1, 3, 17, 15))
    assert list(result) == ["out"] and tuple(result["out"].shape) == (1, 21, 17, 15)


def test_lraspp_backbone_taps_and_dilation():
    # "low" after C2 (block 4, stride 8), "high" after the last layer; the last stage is dilated
    model = _layout_model("lraspp_mobilenet_v3_large")
    assert list(model.backbone.keys())[-1] == "16" and model.backbone.return_layers == {"4": "low", "16": "high"}
    assert model.backbone["13"].block[1][0].dilation == (2, 2) and model.backbone["13"].block[1][0].stride == (1, 1)


@pytest.mark.slow
def test_resnet_backbones_are_dilated():
    # layer3/layer4 keep their resolution (stride replaced by dilation) and avgpool/fc are dropped
    model = _layout_model("fcn_resnet50")
    assert list(model.backbone.keys()) == ["conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4"]
    assert model.backbone.return_layers == {"layer4": "out", "layer3": "aux"}
    assert model.backbone.layer3[0].conv2.stride == (1, 1) and model.backbone.layer4[1].conv2.dilation == (4, 4)


def test_train_mode_backward_reaches_backbone():
    model = segmentation.lraspp_mobilenet_v3_large(weights_backbone=None, num_classes=4).train()
    result = model(ember.randn(2, 3, 24, 20))
    target = ember.randint(0, 4, (2, 24, 20))
    loss = ember.nn.functional.cross_entropy(result["out"], target)
    loss.backward()
    assert float(model.backbone["0"][0].weight.grad.abs().sum()) > 0
    assert float(model.classifier.low_classifier.bias.grad.abs().sum()) > 0


# ---------------------------------------------------------------------------------------------
# weights enums, preset, registry, legacy arguments, errors

def test_weights_enums_match_torchvision():
    for enum_name, record in META["weights"].items():
        enum = getattr(getattr(segmentation, record["module"]), enum_name)
        assert getattr(segmentation, enum_name) is enum
        assert list(enum.__members__) == list(record["members"])
        for member_name, expected in record["members"].items():
            member = enum[member_name]
            assert member.url == expected["url"]
            assert json.loads(json.dumps(member.meta)) == expected["meta"]
            assert repr(member) == expected["repr"]
            t = member.transforms()
            assert repr(t) == expected["transforms_repr"] and t.describe() == expected["describe"]
    assert segmentation.FCN_ResNet50_Weights.DEFAULT is segmentation.FCN_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1
    assert segmentation.FCN_ResNet50_Weights.DEFAULT.meta["categories"][15] == "person"


def test_semantic_segmentation_preset_matches_torchvision():
    from PIL import Image
    from ember.vision.models.segmentation._presets import SemanticSegmentation
    preset = SemanticSegmentation(resize_size=16)
    out = preset(T(gen.preset_image()))
    assert out.dtype == ember.float32 and tuple(out.shape) == ARRAYS["preset.uint8"].shape
    # a resized uint8 pixel may round one level off torchvision's fixed-point kernel (as in
    # test_transforms.py): allow one level, i.e. 1 / 255 / std after normalisation
    one_level = 1 / 255 / np.array(preset.std, dtype=np.float32).reshape(3, 1, 1)
    assert (np.abs(out.numpy() - ARRAYS["preset.uint8"]) <= one_level + 1e-6).all()
    out = SemanticSegmentation(resize_size=None, mean=(0.5, 0.4, 0.3), std=(0.2, 0.3, 0.4))(T(gen.preset_batch()))
    assert_close(out, ARRAYS["preset.batch_no_resize"], rtol=1e-5)
    out = preset(Image.fromarray(gen.preset_image().transpose(1, 2, 0)))
    assert_close(out, ARRAYS["preset.pil"], rtol=1e-5)
    assert repr(SemanticSegmentation(resize_size=None)) == META["preset_repr_none"]


def test_registry():
    names = sorted(gen.BUILDERS)
    assert models.list_models(module=models.segmentation) == names
    assert set(names) <= set(models.list_models())
    assert models.list_models(include="deeplabv3_*") == [n for n in names if n.startswith("deeplabv3_")]
    for name in names:
        assert models.get_model_builder(name) is getattr(segmentation, name)
    assert models.get_model_weights("fcn_resnet101") is segmentation.FCN_ResNet101_Weights
    assert models.get_model_weights(segmentation.lraspp_mobilenet_v3_large) is \
        segmentation.LRASPP_MobileNet_V3_Large_Weights
    assert isinstance(models.get_model("lraspp_mobilenet_v3_large", weights_backbone=None, num_classes=2),
                      segmentation.LRASPP)


@pytest.mark.parametrize("label", [c[0] for c in gen.LEGACY_CALLS])
def test_legacy_arguments_warn_like_torchvision(label):
    _, name, args, kwargs = next(c for c in gen.LEGACY_CALLS if c[0] == label)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        model = getattr(segmentation, name)(*args, **kwargs)
    assert [str(r.message) for r in rec] == META["legacy"][label]
    assert isinstance(model, segmentation.LRASPP)


@pytest.mark.parametrize("label", [c[0] for c in gen.ERROR_CALLS])
def test_argument_errors_match_torchvision(label):
    _, name, kwargs = next(c for c in gen.ERROR_CALLS if c[0] == label)
    error_type, message = META["errors"][label]
    with pytest.raises(Exception) as info:
        getattr(segmentation, name)(**gen.resolve_enums(models, segmentation, kwargs))
    assert type(info.value).__name__ == error_type
    assert str(info.value) == message


def test_pretrained_true_loads_the_cached_checkpoint(hub_home):
    # the published checkpoint's name, pre-seeded in the cache: nothing is downloaded, and the
    # backbone's ImageNet weights are not fetched when the whole model's weights are given
    weights = segmentation.LRASPP_MobileNet_V3_Large_Weights.COCO_WITH_VOC_LABELS_V1
    (hub_home / "checkpoints").mkdir(parents=True)
    source = load_fixture_weights(segmentation.lraspp_mobilenet_v3_large(weights_backbone=None))
    ember.save(source.state_dict(), str(hub_home / "checkpoints" / os.path.basename(weights.url)))
    with pytest.warns(UserWarning) as rec:
        model = segmentation.lraspp_mobilenet_v3_large(pretrained=True)
    assert any("You can also use `weights=LRASPP_MobileNet_V3_Large_Weights.DEFAULT`" in str(r.message)
               for r in rec)
    np.testing.assert_array_equal(model.classifier.low_classifier.weight.detach().numpy(),
                                  source.classifier.low_classifier.weight.detach().numpy())
    assert os.listdir(hub_home / "checkpoints") == [os.path.basename(weights.url)]


def test_intermediate_layer_getter_import_paths():
    from ember.vision.models._utils import IntermediateLayerGetter
    from ember.vision.models.detection.backbone_utils import IntermediateLayerGetter as from_detection
    assert from_detection is IntermediateLayerGetter
    net = ember.nn.Sequential(ember.nn.Conv2d(3, 4, 3), ember.nn.ReLU(), ember.nn.Conv2d(4, 2, 1), ember.nn.ReLU())
    getter = IntermediateLayerGetter(net, {"0": "first", "2": "last"})
    assert list(getter.keys()) == ["0", "1", "2"]
    x = ember.randn(1, 3, 6, 6)
    out = getter(x)
    assert list(out) == ["first", "last"]
    np.testing.assert_array_equal(out["last"].detach().numpy(), net[2](net[1](net[0](x))).detach().numpy())
    with pytest.raises(ValueError, match=re.escape("return_layers are not present in model")):
        IntermediateLayerGetter(net, {"7": "x"})
