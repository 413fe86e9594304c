"""ember's SummaryWriter against torch.utils.tensorboard: the same calls give the same summaries.

Both event files are decoded with TensorBoard's protos and compared summary by summary (tags,
steps, values, encoded images, histogram buckets, plugin metadata), not byte for byte.
"""
import os

import numpy as np
import pytest

from ._events import read_events, run_dirs, summary_values

torch = pytest.importorskip("torch")
pytest.importorskip("matplotlib")
from torch.utils.tensorboard import SummaryWriter as TorchWriter  # noqa: E402

import ember  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402


def _figure(k):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(2, 1.5), dpi=40)
    plt.plot([0, 1, 2], [k, 2 * k, 0])
    return fig


def log_everything(writer_cls, lib, logdir):
    """One call of every add_* method; `lib` (torch or ember) makes the tensors."""
    rng = np.random.default_rng(0)

    def T(a):
        return lib.from_numpy(np.array(a, copy=True))

    vals = rng.standard_normal(500).astype(np.float32)
    img = rng.uniform(-0.2, 1.2, (3, 6, 7)).astype(np.float32)       # out of [0, 1]: clipped
    with writer_cls(logdir) as w:
        w.add_scalar("s/float", 0.5, 1)
        w.add_scalar("s/tensor", T(np.float32(2.5)), 2)
        w.add_scalar("weird tag (x)", 1.25, 3)
        w.add_scalar("s/big", 1e300, 3)
        w.add_scalar("s/neg_step", -3, -5)
        w.add_scalar("s/new", 0.75, 4, new_style=True)
        w.add_scalar("s/double", 0.1, 4, new_style=True, double_precision=True)
        w.add_scalar("s/walltime", 1.0, 5, walltime=123.5)
        w.add_scalars("run/main", {"a": 1.0, "b": T(np.float64(2.0))}, 6)
        for dt in ("float32", "float64", "float16", "int64", "int32", "int8", "uint8", "bool", "complex64"):
            w.add_tensor(f"tensor/{dt}", T(rng.uniform(0, 3, (2, 3)).astype(dt)), 1)
        w.add_histogram("h/tensorflow", T(vals), 1)
        w.add_histogram("h/auto", T(vals), 2, bins="auto")
        w.add_histogram("h/int", T(vals), 3, bins=10)
        w.add_histogram("h/max_bins", T(vals), 4, max_bins=30)
        w.add_histogram("h/numpy", vals.astype(np.float64) * 3, 5)
        w.add_histogram_raw("h/raw", -1.0, 2.0, 6, 3.0, 9.0, [0.0, 1.0, 2.0], [1, 2, 3], 6)
        w.add_image("img/chw", T(img), 1)
        w.add_image("img/hwc_uint8", T((img.transpose(1, 2, 0) * 200).clip(0, 255).astype(np.uint8)), 2,
                    dataformats="HWC")
        w.add_image("img/hw", T(img[0]), 3, dataformats="HW")
        w.add_image("img/numpy_hwc1", img[:1].transpose(1, 2, 0), 4, dataformats="HWC")
        w.add_images("imgs/nchw", T(rng.uniform(0, 1, (10, 3, 4, 5)).astype(np.float32)), 1)
        w.add_images("imgs/nhwc", T(rng.uniform(0, 1, (3, 4, 5, 1)).astype(np.float32)), 2, dataformats="NHWC")
        w.add_image_with_boxes("boxes", T(img), T(np.array([[1, 1, 5, 4], [0, 2, 3, 5]], np.float32)), 1,
                               labels=["cat", "dog"])
        w.add_image_with_boxes("boxes/nolabel", T(img), T(np.array([[1, 1, 5, 4]], np.float32)), 2, rescale=2)
        w.add_figure("fig", _figure(1), 1)
        w.add_figure("figs", [_figure(1), _figure(2)], 2)
        w.add_audio("audio", T(np.sin(np.arange(800) / 10).astype(np.float32) * 0.5), 1, sample_rate=8000)
        w.add_text("text", "hello **world**", 1)
        labels = rng.integers(0, 2, 100)
        preds = rng.uniform(0, 1, 100).astype(np.float32)
        w.add_pr_curve("pr", T(labels), T(preds), 1)
        w.add_pr_curve("pr/small", T(labels), T(preds), 2, num_thresholds=10)
        w.add_pr_curve_raw("pr/raw", [10, 5, 1], [8, 3, 0], [0, 5, 8], [0, 5, 9], [0.55, 0.6, 1.0],
                           [1.0, 0.5, 0.1], 3, num_thresholds=3)
        w.add_custom_scalars({"cat": {"loss": ["Multiline", ["s/float", "s/tensor"]],
                                      "band": ["Margin", ["s/float", "s/neg_step", "s/big"]]}})
        w.add_custom_scalars_multilinechart(["s/float"], category="c2", title="t2")
        w.add_custom_scalars_marginchart(["a", "b", "c"])
        verts = T(rng.uniform(-1, 1, (1, 4, 3)).astype(np.float32))
        colors = T(rng.integers(0, 255, (1, 4, 3)).astype(np.int32))
        faces = T(np.array([[[0, 1, 2], [1, 2, 3]]], np.int32))
        w.add_mesh("mesh", verts, colors=colors, faces=faces, config_dict={"camera": {"fov": 75}}, global_step=1)
        w.add_mesh("mesh/points", verts, global_step=2)
        w.add_hparams({"lr": 0.1, "bs": 32, "opt": "adam", "flag": True, "skip": None},
                      {"hp/acc": 0.9, "hp/loss": T(np.float32(0.25))},
                      hparam_domain_discrete={"opt": ["adam", "sgd"], "bs": [16, 32]}, run_name="hp")
        mat = T(rng.standard_normal((6, 4)).astype(np.float32))
        w.add_embedding(mat, metadata=[f"p{i}" for i in range(6)], label_img=T(rng.uniform(0, 1, (6, 3, 5, 5))
                                                                                   .astype(np.float32)),
                        global_step=3, tag="emb/one")
        w.add_embedding(mat, metadata=[[i, f"n{i}"] for i in range(6)], metadata_header=["id", "name"])


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    base = tmp_path_factory.mktemp("parity")
    log_everything(TorchWriter, torch, str(base / "torch"))
    log_everything(SummaryWriter, ember, str(base / "ember"))
    return str(base / "torch"), str(base / "ember")


def test_same_runs(logs):
    assert run_dirs(logs[0]) == run_dirs(logs[1]) == [".", "hp", "run_main_a", "run_main_b"]


@pytest.mark.parametrize("run", [".", "hp", "run_main_a", "run_main_b"])
def test_same_summaries(logs, run):
    ours = summary_values(os.path.join(logs[1], run))
    ref = summary_values(os.path.join(logs[0], run))
    assert [v.tag for _, v in ours] == [v.tag for _, v in ref]
    for (step_o, o), (step_r, r) in zip(ours, ref):
        assert step_o == step_r, o.tag
        assert o == r, o.tag            # the whole Summary.Value: value, image bytes, buckets, metadata


def test_same_event_kinds(logs):
    kinds = [[ev.WhichOneof("what") for ev in read_events(d)] for d in logs]
    assert kinds[0] == kinds[1]
    walls = [ev.wall_time for ev in read_events(logs[1]) if ev.HasField("summary")
             and ev.summary.value[0].tag == "s/walltime"]
    assert walls == [123.5]


def test_same_embedding_files(logs):
    for rel in ("projector_config.pbtxt", "00003/emb%2fone/tensors.tsv", "00003/emb%2fone/metadata.tsv",
                "00000/default/tensors.tsv", "00000/default/metadata.tsv"):
        with open(os.path.join(logs[0], rel), "rb") as a, open(os.path.join(logs[1], rel), "rb") as b:
            assert a.read() == b.read(), rel
    from PIL import Image
    sprites = [np.asarray(Image.open(os.path.join(d, "00003/emb%2fone/sprite.png"))) for d in logs]
    np.testing.assert_array_equal(sprites[0], sprites[1])


@pytest.mark.parametrize("shape,dtype", [((3, 4, 3, 5, 6), np.float32), ((1, 2, 1, 3, 3), np.uint8),
                                         ((6, 2, 3, 2, 2), np.float64)])
def test_video_frames_layout(shape, dtype):
    """Clips tiled like torch's video summary (torch then needs moviepy; ember encodes GIFs with Pillow)."""
    from torch.utils.tensorboard._utils import _prepare_video
    from ember.utils.tensorboard._convert import video_frames
    vid = (np.random.default_rng(1).uniform(0, 1, shape) * (255 if dtype == np.uint8 else 1)).astype(dtype)
    np.testing.assert_array_equal(video_frames(vid), _prepare_video(vid))
