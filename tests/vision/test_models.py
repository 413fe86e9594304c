"""ember.vision.models and ember.hub against torchvision 0.29.

Parity data come from fixtures/make_model_fixtures.py (run once with torchvision): each model is
filled with the same name-seeded weights on both sides and must give the same logits, the same
state_dict keys/shapes and the same repr. Pretrained weights are served from a local HTTP
server (127.0.0.1) or pre-seeded in the hub cache; nothing touches the network."""
import functools
import hashlib
import http.server
import os
import threading
import warnings

import numpy as np
import pytest

import ember
import ember.hub as hub
from ember import nn
from ember.vision import models
from ember.vision.models import ResNet18_Weights, SqueezeNet1_1_Weights
from tests.vision._fixtures import assert_close, fixture_state_dict, generator, stored

gen = generator("make_model_fixtures")
_meta, ARRAYS = stored("models")
META = _meta["models"]


# ---------------------------------------------------------------------------------------------
# parity with torchvision: keys, shapes, repr and logits

_CASES = [pytest.param(name, id=name, marks=() if fast else pytest.mark.slow)
          for name, _kw, _side, fast in gen.MODELS]


_built = {}


def _build(name):
    """The model as the fixture built it (kept for the repr test: VGG's 100M-parameter init is slow)."""
    if name not in _built:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _built[name] = models.get_model(name, weights=None, **META[name]["kwargs"])
    return _built[name]


@pytest.mark.parametrize("name", _CASES)
def test_model_matches_torchvision(name):
    entry = META[name]
    model = _build(name).eval()
    assert gen.keys_text(model.state_dict()) == str(ARRAYS[f"{name}.keys"])
    assert hashlib.sha256(repr(model).encode()).hexdigest() == entry["repr_sha256"], \
        "repr differs from torchvision's"
    model.load_state_dict(fixture_state_dict(model))
    with ember.no_grad():
        out = model(ember.from_numpy(gen.fixture_input(entry["side"])))
    assert tuple(out.shape) == ARRAYS[f"{name}.logits"].shape
    assert_close(out, ARRAYS[f"{name}.logits"])


@pytest.mark.parametrize("name", ["resnet18", "vgg11", "mobilenet_v3_small", "efficientnet_b0"])
def test_print_model_text(name):
    assert str(_build(name)) == str(ARRAYS[f"{name}.repr"])


def test_resnet18_train_step_matches_torchvision():
    model = models.resnet18()
    model.load_state_dict(fixture_state_dict(model))
    model.train()
    out = model(ember.from_numpy(gen.fixture_input(64, batch=2)))
    (out * ember.linspace(-1, 1, out.shape[1])).sum().backward()
    assert_close(out, ARRAYS["resnet18.train.logits"])
    assert_close(model.fc.weight.grad[:4], ARRAYS["resnet18.train.fc_weight_grad_rows"])
    assert_close(model.fc.bias.grad, ARRAYS["resnet18.train.fc_bias_grad"])
    assert_close(model.conv1.weight.grad[:2], ARRAYS["resnet18.train.conv1_weight_grad"], rtol=1e-3)
    assert_close(model.layer4[1].bn2.weight.grad, ARRAYS["resnet18.train.layer4_bn2_weight_grad"], rtol=1e-3)
    assert_close(model.bn1.running_mean, ARRAYS["resnet18.train.bn1_running_mean"])
    assert_close(model.bn1.running_var, ARRAYS["resnet18.train.bn1_running_var"])
    assert model.bn1.num_batches_tracked.item() == 1


def test_inception_family_outputs():
    x = ember.randn(2, 3, 75, 75)
    model = models.inception_v3(init_weights=False)
    assert isinstance(model.eval()(x), ember.Tensor)
    # the auxiliary head needs 17x17 features (299x299 inputs); check its wiring on such features
    model.train()
    aux = model.AuxLogits(ember.randn(2, 768, 17, 17))
    assert tuple(aux.shape) == (2, 1000)
    out = models.inception_v3(init_weights=False, aux_logits=False).train()(x)
    assert isinstance(out, ember.Tensor) and tuple(out.shape) == (2, 1000)

    net = models.googlenet(init_weights=False, num_classes=7)
    out = net(ember.randn(2, 3, 64, 64))
    assert type(out).__name__ == "GoogLeNetOutputs" and out._fields == ("logits", "aux_logits2", "aux_logits1")
    assert all(tuple(o.shape) == (2, 7) for o in out)
    assert isinstance(net.eval()(ember.randn(1, 3, 64, 64)), ember.Tensor)


def test_builder_arguments():
    assert models.resnet18(num_classes=2).fc.out_features == 2
    assert models.resnet50(replace_stride_with_dilation=[False, True, True]).layer4[1].conv2.dilation == (4, 4)
    m = models.resnet18(zero_init_residual=True)
    assert float(m.layer1[0].bn2.weight.abs().sum()) == 0.0
    assert models.mobilenet_v2(width_mult=0.5).features[0][0].out_channels == 16
    assert models.squeezenet1_1(num_classes=10).classifier[1].out_channels == 10
    with pytest.raises(ValueError, match="Unsupported SqueezeNet version 2_0: 1_0 or 1_1 expected"):
        models.SqueezeNet("2_0")
    with pytest.raises(ValueError, match="BasicBlock only supports groups=1 and base_width=64"):
        models.resnet18(groups=2)
    # weights fix num_classes: a conflicting value is refused before anything is downloaded
    with pytest.raises(ValueError, match="The parameter 'num_classes' expected value 1000 but got 2 instead."):
        models.resnet18(weights=ResNet18_Weights.DEFAULT, num_classes=2)
    with pytest.raises(TypeError, match="expected ResNet18_Weights but received SqueezeNet1_1_Weights"):
        models.resnet18(weights=SqueezeNet1_1_Weights.DEFAULT)


# ---------------------------------------------------------------------------------------------
# weights enums and the registry

def test_weights_enums():
    w = ResNet18_Weights.DEFAULT
    assert w is ResNet18_Weights.IMAGENET1K_V1 and repr(w) == "ResNet18_Weights.IMAGENET1K_V1"
    assert w.url == "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    assert w.meta["num_params"] == 11689512 and w.meta["min_size"] == (1, 1)
    assert len(w.meta["categories"]) == 1000 and w.meta["categories"][:2] == ["tench", "goldfish"]
    assert w.meta["_metrics"]["ImageNet-1K"]["acc@1"] == 69.758
    assert models.ResNet50_Weights.DEFAULT is models.ResNet50_Weights.IMAGENET1K_V2
    assert ResNet18_Weights.verify("IMAGENET1K_V1") is w
    assert ResNet18_Weights.verify("ResNet18_Weights.IMAGENET1K_V1") is w
    assert models.VGG16_Weights.IMAGENET1K_FEATURES.meta["categories"] is None
    t = w.transforms()
    assert repr(t) == ("ImageClassification(\n    crop_size=[224]\n    resize_size=[256]\n"
                       "    mean=[0.485, 0.456, 0.406]\n    std=[0.229, 0.224, 0.225]\n"
                       "    interpolation=InterpolationMode.BILINEAR\n)")
    assert models.Inception_V3_Weights.DEFAULT.transforms().crop_size == [299]
    assert models.EfficientNet_B0_Weights.DEFAULT.transforms().interpolation.name == "BICUBIC"


def test_weights_transforms_preprocess_image_tensor():
    img = ember.full((3, 300, 400), 128, dtype=ember.uint8)
    out = ResNet18_Weights.DEFAULT.transforms()(img)
    assert tuple(out.shape) == (3, 224, 224) and out.dtype == ember.float32
    expected = (128 / 255 - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
    np.testing.assert_allclose(out.numpy()[:, 100, 100], expected, rtol=1e-5)


def test_registry():
    names = models.list_models()
    assert len(names) == 59 and names == sorted(names)
    detection = models.list_models(module=models.detection)
    assert detection == ["fasterrcnn_mobilenet_v3_large_320_fpn", "fasterrcnn_mobilenet_v3_large_fpn",
                         "fasterrcnn_resnet50_fpn", "fasterrcnn_resnet50_fpn_v2", "fcos_resnet50_fpn",
                         "keypointrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn", "maskrcnn_resnet50_fpn_v2",
                         "retinanet_resnet50_fpn", "retinanet_resnet50_fpn_v2", "ssd300_vgg16",
                         "ssdlite320_mobilenet_v3_large"]     # torchvision 0.29's 12
    segmentation = models.list_models(module=models.segmentation)
    assert segmentation == ["deeplabv3_mobilenet_v3_large", "deeplabv3_resnet101", "deeplabv3_resnet50",
                            "fcn_resnet101", "fcn_resnet50", "lraspp_mobilenet_v3_large"]
    assert {"resnet18", "vgg16", "inception_v3", "efficientnet_b0", "mobilenet_v3_large"} <= set(names)
    assert models.list_models(include="resnet*") == ["resnet101", "resnet152", "resnet18", "resnet34", "resnet50"]
    assert models.list_models(include=["vgg1?"], exclude="vgg13*") == ["vgg11", "vgg16", "vgg19"]
    assert models.list_models(module=models) == [n for n in names if n not in detection + segmentation]
    assert models.get_weight("MaskRCNN_ResNet50_FPN_Weights.COCO_V1") is \
        models.detection.MaskRCNN_ResNet50_FPN_Weights.COCO_V1
    for name in ("SSD300_VGG16_Weights.COCO_V1", "FCOS_ResNet50_FPN_Weights.COCO_V1",
                 "DeepLabV3_ResNet50_Weights.COCO_WITH_VOC_LABELS_V1"):
        assert models.get_weight(name).url.startswith("https://download.pytorch.org/models/")
    assert models.get_model_weights("resnet18") is ResNet18_Weights
    assert models.get_model_weights(models.squeezenet1_1) is SqueezeNet1_1_Weights
    assert models.get_weight("ResNet50_Weights.IMAGENET1K_V2") is models.ResNet50_Weights.IMAGENET1K_V2
    assert isinstance(models.get_model("ReSNet18", num_classes=3), models.ResNet)
    with pytest.raises(ValueError, match="Unknown model foo"):
        models.get_model("foo")


def test_legacy_pretrained_argument():
    with pytest.warns(UserWarning) as rec:
        m = models.resnet18(pretrained=False)
    messages = [str(r.message) for r in rec]
    assert "The parameter 'pretrained' is deprecated since 0.13 and may be removed in the future, please use " \
           "'weights' instead." in messages
    assert any("The current behavior is equivalent to passing `weights=None`." in s for s in messages)
    assert isinstance(m, models.ResNet)
    with pytest.warns(UserWarning) as rec:
        models.squeezenet1_1(False)
    assert any(str(r.message).startswith("Using 'weights' as positional parameter(s) is deprecated since 0.13")
               for r in rec)


# ---------------------------------------------------------------------------------------------
# ember.hub: cache directory, local HTTP downloads, hash check

@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving <tmp>/srv; ``.hits`` counts GET requests."""
    root = tmp_path / "srv"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            srv.hits += 1
            super().do_GET()

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    srv.hits = 0
    srv.root = root
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _checkpoint(path, model_fn):
    model = model_fn()
    sd = fixture_state_dict(model)
    ember.save(sd, str(path))
    return sd


def _sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_hub_dirs(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("EMBER_HOME", raising=False)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "t"))
    assert hub.get_dir() == str(tmp_path / "t" / "hub")
    monkeypatch.setenv("EMBER_HOME", str(tmp_path / "e"))
    assert hub.get_dir() == str(tmp_path / "e" / "hub")
    hub.set_dir(tmp_path / "explicit")
    assert hub.get_dir() == str(tmp_path / "explicit")
    monkeypatch.delenv("EMBER_HOME")
    monkeypatch.delenv("TORCH_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")


def test_pretrained_download_checks_hash_and_caches(hub_home, server, monkeypatch):
    src = server.root / "tmp.pth"
    sd = _checkpoint(src, models.squeezenet1_1)
    name = f"squeezenet1_1-{_sha256(src)[:8]}.pth"
    os.rename(src, server.root / name)
    monkeypatch.setattr(SqueezeNet1_1_Weights.IMAGENET1K_V1.value, "url", f"{server.base}/{name}")

    model = models.squeezenet1_1(weights=SqueezeNet1_1_Weights.DEFAULT, progress=False)
    assert server.hits == 1
    assert os.listdir(hub_home / "checkpoints") == [name]
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.detach().numpy(), sd[k].numpy())
    # the second time the cached file is used: no request
    models.squeezenet1_1(weights="IMAGENET1K_V1", progress=False)
    assert server.hits == 1


def test_wrong_hash_raises_and_leaves_nothing(hub_home, server, monkeypatch):
    _checkpoint(server.root / "squeezenet1_1-deadbeef.pth", models.squeezenet1_1)
    monkeypatch.setattr(SqueezeNet1_1_Weights.IMAGENET1K_V1.value, "url", f"{server.base}/squeezenet1_1-deadbeef.pth")
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "deadbeef", got "'):
        models.squeezenet1_1(weights=SqueezeNet1_1_Weights.IMAGENET1K_V1, progress=False)
    assert os.listdir(hub_home / "checkpoints") == []
    # without check_hash the same file loads
    sd = hub.load_state_dict_from_url(f"{server.base}/squeezenet1_1-deadbeef.pth", progress=False)
    assert "features.0.weight" in sd


def test_load_state_dict_from_url_options(tmp_path, server, capsys):
    ember.save({"w": ember.arange(3)}, str(server.root / "blob.pth"))
    out = hub.load_state_dict_from_url(f"{server.base}/blob.pth", model_dir=str(tmp_path / "md"),
                                       file_name="renamed.pth", progress=False)
    assert out["w"].tolist() == [0, 1, 2]
    assert os.listdir(tmp_path / "md") == ["renamed.pth"]
    assert f'Downloading: "{server.base}/blob.pth" to {tmp_path / "md" / "renamed.pth"}' in capsys.readouterr().err
    dst = tmp_path / "copy.bin"
    hub.download_url_to_file(f"{server.base}/blob.pth", str(dst), hash_prefix=_sha256(server.root / "blob.pth")[:6],
                             progress=False)
    assert dst.read_bytes() == (server.root / "blob.pth").read_bytes()


def test_model_zoo_load_url(tmp_path, server):
    """Seed 002's VGG code loads weights with the old `model_zoo.load_url`: the hub's loader under that name."""
    import ember.utils.model_zoo as model_zoo
    ember.save({"w": ember.arange(4)}, str(server.root / "zoo.pth"))
    out = model_zoo.load_url(f"{server.base}/zoo.pth", model_dir=str(tmp_path / "zoo"), progress=False)
    assert out["w"].tolist() == [0, 1, 2, 3]
    assert os.listdir(tmp_path / "zoo") == ["zoo.pth"]
    assert ember.utils.model_zoo is model_zoo


def test_pretrained_true_from_cache(hub_home):
    (hub_home / "checkpoints").mkdir(parents=True)
    sd = _checkpoint(hub_home / "checkpoints" / "squeezenet1_1-b8a52dc0.pth", models.squeezenet1_1)
    with pytest.warns(UserWarning) as rec:
        model = models.squeezenet1_1(pretrained=True)
    assert any("You can also use `weights=SqueezeNet1_1_Weights.DEFAULT`" in str(r.message) for r in rec)
    np.testing.assert_array_equal(model.features[0].weight.detach().numpy(), sd["features.0.weight"].numpy())


def test_densenet_loads_old_checkpoint_keys(monkeypatch):
    from ember.vision.models import densenet
    model = models.densenet121()
    sd = fixture_state_dict(model)
    # as in the published files: "norm.1.weight" style names and no num_batches_tracked in the layers
    old = {k.replace("norm1.", "norm.1.").replace("conv2.", "conv.2."): v for k, v in sd.items()
           if not ("denselayer" in k and k.endswith("num_batches_tracked"))}
    assert "features.denseblock1.denselayer1.norm.1.weight" in old

    class FakeWeights:
        def get_state_dict(self, progress, check_hash):
            return dict(old)
    densenet._load_state_dict(model, FakeWeights(), progress=False)
    np.testing.assert_array_equal(model.features.denseblock1.denselayer1.norm1.weight.detach().numpy(),
                                  sd["features.denseblock1.denselayer1.norm1.weight"].numpy())


# ---------------------------------------------------------------------------------------------
# the seeds' transfer-learning moves

def test_transfer_learning_only_trains_new_head(hub_home):
    (hub_home / "checkpoints").mkdir(parents=True)
    _checkpoint(hub_home / "checkpoints" / "resnet18-f37072fd.pth", models.resnet18)
    model = models.resnet18(weights=ResNet18_Weights.IMAGENET1K_V1)
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, 2)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    optimizer = ember.optim.SGD(model.fc.parameters(), lr=0.1, momentum=0.9)

    model.train()
    x, y = ember.randn(4, 3, 64, 64), ember.tensor([0, 1, 1, 0])
    optimizer.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    optimizer.step()

    after = model.state_dict()
    changed = {k for k in before if not np.array_equal(before[k].numpy(), after[k].numpy())}
    bn_stats = {k for k in changed if k.endswith(("running_mean", "running_var", "num_batches_tracked"))}
    assert changed - bn_stats == {"fc.weight", "fc.bias"}
    assert all(p.grad is None for n, p in model.named_parameters() if not n.startswith("fc."))


@pytest.mark.slow
def test_vgg16_state_dict_round_trip(tmp_path):
    model = models.vgg16(num_classes=10).eval()
    path = tmp_path / "vgg16.pth"
    ember.save(model.state_dict(), str(path))
    other = models.vgg16(num_classes=10, init_weights=False).eval()
    other.load_state_dict(ember.load(str(path)))
    x = ember.randn(1, 3, 32, 32)
    with ember.no_grad():
        np.testing.assert_array_equal(model(x).numpy(), other(x).numpy())
