"""ember.utils.tensorboard.SummaryWriter, read back with TensorBoard's own EventAccumulator."""
import io
import os
import re
import socket
import subprocess
import sys

import numpy as np
import pytest

from ._events import accumulator, event_files, read_events, run_dirs, scalars_in

import ember  # noqa: E402
import ember.nn as nn  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402


def png_size(encoded):
    from PIL import Image
    return Image.open(io.BytesIO(encoded)).size


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 2, 3)
        self.fc = nn.Sequential(nn.Linear(8, 4), nn.ReLU())
        self.act = nn.Tanh()

    def forward(self, x):
        x = ember.relu(self.conv1(x)).flatten(1)
        y = self.fc(x)
        return self.act(y) * 2, self.act(y).sum()      # a shared module, two outputs


def test_scalars_steps_walltime_and_value_kinds(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i in range(5):
            w.add_scalar("loss", 1.0 / (i + 1), i)
        w.add_scalar("kinds", ember.tensor(2.5), 10)
        w.add_scalar("kinds", ember.tensor([[3.5]], dtype=ember.float64), 11)
        w.add_scalar("kinds", np.float32(4.5), 12)
        w.add_scalar("kinds", np.array(5.5), 13)
        w.add_scalar("kinds", 6, 14)
        w.add_scalar("kinds", ember.tensor(7.5, dtype=ember.bfloat16), ember.tensor(15))
        w.add_scalar("kinds", 8.5, np.int64(16), walltime=1000.25)
        w.add_scalar("new", 0.5, 1, new_style=True)
        with pytest.raises(AssertionError):
            w.add_scalar("bad", ember.ones(2))
    acc = accumulator(tmp_path)
    assert [(e.step, e.value) for e in acc.Scalars("loss")] == [(i, pytest.approx(1 / (i + 1))) for i in range(5)]
    kinds = acc.Scalars("kinds")
    assert [e.step for e in kinds] == list(range(10, 17))
    assert [e.value for e in kinds] == [2.5, 3.5, 4.5, 5.5, 6.0, 7.5, 8.5]
    assert kinds[-1].wall_time == 1000.25
    assert "new" in acc.Tags()["tensors"]


def test_add_scalars_runs(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for step in range(3):
            w.add_scalars("run/loss", {"train": step * 1.0, "val": ember.tensor(step * 2.0)}, step)
    assert run_dirs(tmp_path) == [".", "run_loss_train", "run_loss_val"]
    assert [e.value for e in accumulator(tmp_path / "run_loss_val").Scalars("run/loss")] == [0.0, 2.0, 4.0]


def test_histograms(tmp_path):
    vals = ember.randn(1000)
    with SummaryWriter(tmp_path) as w:
        w.add_histogram("h", vals, 1)
        w.add_histogram("h/ints", np.arange(10), 2, bins=5)
        w.add_histogram("h/auto", vals, 3, bins="auto")
        w.add_histogram_raw("h/raw", 0.0, 3.0, 6, 9.0, 21.0, [1.0, 2.0, 3.0], [1, 2, 3], 4)
    acc = accumulator(tmp_path)
    h = acc.Histograms("h")[0].histogram_value
    assert h.num == 1000 and sum(h.bucket) == 1000
    assert h.min == pytest.approx(float(vals.min())) and h.max == pytest.approx(float(vals.max()))
    ints = acc.Histograms("h/ints")[0].histogram_value
    # 5 equal bins over [0, 9], led by an empty bucket ending at the minimum, as TensorFlow writes them
    assert list(ints.bucket_limit) == pytest.approx([0.0, 1.8, 3.6, 5.4, 7.2, 9.0])
    assert list(ints.bucket) == [0, 2, 2, 2, 2, 2]
    raw = acc.Histograms("h/raw")[0]
    assert raw.step == 4 and list(raw.histogram_value.bucket) == [1, 2, 3]


def test_images(tmp_path):
    with SummaryWriter(tmp_path) as w:
        w.add_image("chw", ember.rand(3, 8, 10), 1)
        w.add_image("hwc", (np.random.rand(8, 10, 3) * 255).astype(np.uint8), 2, dataformats="HWC")
        w.add_image("hw", ember.rand(8, 10), 3, dataformats="HW")
        w.add_images("nchw", ember.rand(10, 3, 4, 5), 4)           # 8 per row: 2 rows
        w.add_images("nhwc", ember.rand(2, 4, 5, 1), 5, dataformats="NHWC")
        w.add_image_with_boxes("boxes", ember.rand(3, 20, 30), ember.tensor([[1.0, 2, 10, 12]]), 6, labels=["x"])
    acc = accumulator(tmp_path)
    sizes = {t: (acc.Images(t)[0].width, acc.Images(t)[0].height) for t in acc.Tags()["images"]}
    assert sizes == {"chw": (10, 8), "hwc": (10, 8), "hw": (10, 8), "nchw": (40, 8), "nhwc": (10, 4),
                     "boxes": (30, 20)}
    for t in sizes:
        assert png_size(acc.Images(t)[0].encoded_image_string) == sizes[t]
    assert acc.Images("nchw")[0].step == 4


def test_figure_video_audio_text(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def fig():
        f = plt.figure(figsize=(2, 1), dpi=50)
        plt.plot([1, 2, 3])
        return f

    f1 = fig()
    with SummaryWriter(tmp_path) as w:
        w.add_figure("fig", f1, 1)
        w.add_figure("figs", [fig(), fig()], 2, close=False)
        w.add_video("video", ember.rand(3, 5, 3, 6, 7), 3, fps=10)      # 3 clips padded to 4, in 1 row
        w.add_video("video/gray", (np.random.rand(1, 4, 1, 6, 7) * 255).astype(np.uint8), 4)
        w.add_audio("audio", ember.sin(ember.arange(4000) / 10.0) * 0.5, 5, sample_rate=8000)
        w.add_text("note", "hello **ember**", 6)
    open_figs = [plt.figure(n) for n in plt.get_fignums()]
    assert f1 not in open_figs and len(open_figs) == 2                  # close=True closed only f1
    plt.close("all")
    acc = accumulator(tmp_path)
    assert (acc.Images("fig")[0].width, acc.Images("fig")[0].height) == (100, 50)
    assert (acc.Images("figs")[0].width, acc.Images("figs")[0].height) == (200, 50)
    from PIL import Image
    gif = Image.open(io.BytesIO(acc.Images("video")[0].encoded_image_string))
    assert gif.format == "GIF" and gif.size == (28, 6) and gif.n_frames == 5
    assert gif.info["duration"] == 100
    assert Image.open(io.BytesIO(acc.Images("video/gray")[0].encoded_image_string)).n_frames == 4
    audio = acc.Audio("audio")[0]
    assert (audio.sample_rate, audio.length_frames, audio.content_type) == (8000, 4000, "audio/wav")
    text = acc.Tensors("note/text_summary")[0]
    assert text.step == 6 and text.tensor_proto.string_val == [b"hello **ember**"]


def test_tensor_pr_curve_mesh_custom_scalars(tmp_path):
    labels = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    preds = ember.tensor([0.9, 0.1, 0.8, 0.4, 0.6, 0.2, 0.7, 0.3])
    with SummaryWriter(tmp_path) as w:
        w.add_tensor("tensor", ember.arange(6, dtype=ember.float32).reshape(2, 3), 1)
        w.add_pr_curve("pr", labels, preds, 2, num_thresholds=5)
        w.add_pr_curve_raw("pr/raw", [4, 2], [4, 0], [0, 4], [0, 2], [0.5, 1.0], [1.0, 0.5], 3, num_thresholds=2)
        w.add_mesh("mesh", ember.rand(1, 4, 3), faces=ember.tensor([[[0, 1, 2], [1, 2, 3]]]), global_step=4)
        w.add_custom_scalars({"cat": {"chart": ["Multiline", ["loss"]]}})
    acc = accumulator(tmp_path)
    t = acc.Tensors("tensor")[0].tensor_proto
    assert [d.size for d in t.tensor_shape.dim] == [2, 3] and list(t.float_val) == [0, 1, 2, 3, 4, 5]
    pr = acc.Tensors("pr")[0].tensor_proto
    assert [d.size for d in pr.tensor_shape.dim] == [6, 5]
    data = np.array(pr.float_val).reshape(6, 5)
    assert list(data[0]) == [4, 4, 3, 2, 0] and list(data[1]) == [4, 2, 1, 0, 0]   # TP, FP per threshold
    assert np.array(acc.Tensors("pr/raw")[0].tensor_proto.float_val).reshape(6, 2)[4].tolist() == [0.5, 1.0]
    assert {"mesh_VERTEX", "mesh_FACE", "custom_scalars__config__"} <= set(acc.Tags()["tensors"])


def test_hparams_subrun(tmp_path):
    from tensorboard.plugins.hparams import plugin_data_pb2
    with SummaryWriter(tmp_path) as w:
        w.add_hparams({"lr": 0.01, "opt": "adam", "bs": ember.tensor(32)}, {"hp/acc": 0.75}, run_name="trial")
    assert run_dirs(tmp_path) == [".", "trial"]
    acc = accumulator(tmp_path / "trial")
    assert acc.Scalars("hp/acc")[0].value == 0.75
    metas = {v.tag: v.metadata.plugin_data for _, v in
             [(ev.step, v) for ev in read_events(tmp_path / "trial") if ev.HasField("summary")
              for v in ev.summary.value] if v.tag.startswith("_hparams_")}
    assert set(metas) == {"_hparams_/experiment", "_hparams_/session_start_info", "_hparams_/session_end_info"}
    start = plugin_data_pb2.HParamsPluginData.FromString(metas["_hparams_/session_start_info"].content)
    assert start.session_start_info.hparams["lr"].number_value == 0.01
    assert start.session_start_info.hparams["opt"].string_value == "adam"
    assert start.session_start_info.hparams["bs"].number_value == 32
    exp = plugin_data_pb2.HParamsPluginData.FromString(metas["_hparams_/experiment"].content).experiment
    assert [m.name.tag for m in exp.metric_infos] == ["hp/acc"]
    with pytest.raises(TypeError):
        SummaryWriter(tmp_path / "x").add_hparams([("lr", 1)], {})


def test_embedding_projector_files(tmp_path):
    mat = ember.randn(5, 3)
    with SummaryWriter(tmp_path) as w:
        w.add_embedding(mat, metadata=list("abcde"), label_img=ember.rand(5, 3, 4, 4), global_step=2, tag="e/1")
        w.add_embedding(mat, metadata=[[1, "x"]] * 5, metadata_header=["id", "name"], tag="plain")
    base = tmp_path / "00002" / "e%2f1"
    rows = (base / "tensors.tsv").read_text().splitlines()
    assert len(rows) == 5 and [float(v) for v in rows[0].split("\t")] == pytest.approx(mat[0].tolist())
    assert (base / "metadata.tsv").read_text() == "a\nb\nc\nd\ne\n"
    assert (tmp_path / "00000" / "plain" / "metadata.tsv").read_text().splitlines()[:2] == ["id\tname", "1\tx"]
    from PIL import Image
    assert Image.open(base / "sprite.png").size == (12, 12)              # ceil(sqrt(5)) = 3 per row
    from google.protobuf import text_format
    from tensorboard.plugins.projector.projector_config_pb2 import ProjectorConfig
    cfg = text_format.Parse((tmp_path / "projector_config.pbtxt").read_text(), ProjectorConfig())
    assert [e.tensor_name for e in cfg.embeddings] == ["e/1:00002", "plain:00000"]
    assert cfg.embeddings[0].sprite.image_path == "00002/e%2f1/sprite.png"
    assert list(cfg.embeddings[0].sprite.single_image_dim) == [4, 4]


def test_graph(tmp_path):
    model = Net()
    model.train()
    with SummaryWriter(tmp_path) as w:
        w.add_graph(model, ember.randn(2, 1, 4, 4))
    assert model.training and all(not m._forward_hooks and not m._forward_pre_hooks for m in model.modules())
    acc = accumulator(tmp_path)
    g = acc.Graph()
    assert g.versions.producer == 22
    nodes = {n.name: n for n in g.node}
    assert {"input/x", "output/output.1", "output/output.2", "Net/Conv2d[conv1]/weight", "Net/Conv2d[conv1]/bias",
            "Net/Conv2d[conv1]/convolution", "Net/relu", "Net/Sequential[fc]/Linear[0]/weight",
            "Net/Sequential[fc]/ReLU[1]/relu", "Net/Tanh[act]/tanh", "Net/Tanh[act]/tanh.1", "Net/mul",
            "Net/sum"} <= set(nodes)
    conv = nodes["Net/Conv2d[conv1]/convolution"]
    assert conv.op == "aten::convolution"
    assert list(conv.input) == ["input/x", "Net/Conv2d[conv1]/weight", "Net/Conv2d[conv1]/bias"]
    assert [d.size for d in conv.attr["_output_shapes"].list.shape[0].dim] == [2, 2, 2, 2]
    assert nodes["input/x"].op == "IO Node" and list(nodes["output/output.1"].input) == ["Net/mul"]
    assert [d.size for d in nodes["output/output.1"].attr["_output_shapes"].list.shape[0].dim] == [2, 4]
    assert nodes["Net/Conv2d[conv1]/weight"].op == "prim::GetAttr"
    for n in g.node:                                    # every input names a node of the graph
        assert all(i.split(":")[0] in nodes for i in n.input), n.name
    assert acc.Tags()["run_metadata"] == ["step1"]
    assert [d.device for d in acc.RunMetadata("step1").step_stats.dev_stats] == ["/device:CPU:0"]


def test_graph_of_plain_function_and_int_inputs(tmp_path):
    emb = nn.Embedding(10, 3)

    def fn(idx):
        return emb(idx).sum(1)

    with SummaryWriter(tmp_path) as w:
        w.add_graph(fn, ember.tensor([[1, 2], [3, 4]]))
    names = [n.name for n in accumulator(tmp_path).Graph().node]
    assert "output/output.1" in names and any(n.startswith("fn/") for n in names)


def test_records_are_valid_tfrecords(tmp_path):
    """TensorBoard's own record reader checks every length and both masked CRC32Cs of each record."""
    from tensorboard.compat.tensorflow_stub import errors
    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import PyRecordReader_New
    with SummaryWriter(tmp_path) as w:
        for i in range(300):
            w.add_scalar(f"tag{i % 7}" * (i % 5 + 1), i * 0.1, i * 1000)
    (path,) = event_files(tmp_path)
    reader = PyRecordReader_New(path)
    sizes = []
    while True:
        try:
            reader.GetNext()                     # raises DataLossError on a bad CRC
        except errors.OutOfRangeError:
            break
        sizes.append(len(reader.record()))
    assert len(sizes) == 301                     # file_version + 300 scalars
    assert sum(16 + n for n in sizes) == os.path.getsize(path)   # length, 2 CRCs: nothing else in the file
    events = read_events(tmp_path)
    assert events[0].file_version == "brain.Event:2"
    assert [ev.step for ev in events[1:]] == [i * 1000 for i in range(300)]


def test_records_framed_by_tensorboardx_without_fsync(tmp_path, monkeypatch):
    """Framing is tensorboardX's RecordWriter (CRC32C from the native crc32c package); like PyTorch's
    writer, flushing never fsyncs."""
    from tensorboardX.crc32c import _crc32c_native
    from tensorboardX.record_writer import RecordWriter
    assert _crc32c_native is not None, "the crc32c package (ember[tensorboard]) is not installed"
    synced = []
    monkeypatch.setattr(os, "fsync", synced.append)
    w = SummaryWriter(tmp_path)
    assert isinstance(w.file_writer._records, RecordWriter)
    w.add_scalar("a", 1.0, 1)
    w.flush()
    w.close()
    assert synced == []
    assert [ev.step for ev in read_events(tmp_path)] == [0, 1]


def test_event_file_names_unique_per_writer(tmp_path):
    writers = [SummaryWriter(tmp_path, filename_suffix=".s") for _ in range(3)]
    writers.append(SummaryWriter(tmp_path))
    for w in writers:
        w.close()
    names = [os.path.basename(f) for f in event_files(tmp_path)]
    assert len(names) == 4
    pattern = r"events\.out\.tfevents\.\d{10}\." + re.escape(socket.gethostname()) + r"\.%d\.(\d+)(\.s)?" % os.getpid()
    uids = [int(re.fullmatch(pattern, n).group(1)) for n in names]
    assert len(set(uids)) == 4


def test_scalar_arguments_checked_on_the_calling_thread(tmp_path):
    with SummaryWriter(tmp_path) as w:
        with pytest.raises(UnicodeEncodeError):
            w.add_scalar("bad\ud800", 1.0, 1)
        with pytest.raises(TypeError):
            w.add_scalar(3, 1.0, 1)
        with pytest.raises(ValueError):
            w.add_scalar("a", 1.0, 1 << 63)
        w.add_scalar("a", 1e300, -(1 << 63))         # float32 overflow: inf, as protobuf stores it
        w.add_scalar("a", float("nan"), (1 << 63) - 1)
    values = [(e.step, e.value) for e in accumulator(tmp_path).Scalars("a")]
    assert values[0] == (-(1 << 63), float("inf")) and values[1][0] == (1 << 63) - 1 and values[1][1] != values[1][1]


def test_default_logdir_comment_suffix(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    w = SummaryWriter(comment="_exp", filename_suffix=".v2")
    logdir = w.get_logdir()
    w.close()
    assert re.fullmatch(r"runs/[A-Z][a-z]{2}\d{2}_\d{2}-\d{2}-\d{2}_" + re.escape(socket.gethostname()) + "_exp",
                        logdir.replace(os.sep, "/"))
    (f,) = event_files(logdir)
    assert re.fullmatch(r"events\.out\.tfevents\.\d{10}\..+\.\d+\.\d+\.v2", os.path.basename(f))


def test_flush_queue_and_close(tmp_path, monkeypatch):
    import itertools
    from ember.utils.tensorboard import writer as writer_module
    monkeypatch.setattr(writer_module, "_uids", itertools.count(9))   # the second file's counter is 10
    w = SummaryWriter(tmp_path, max_queue=1000, flush_secs=120)
    w.add_scalar("a", 1.0, 1)
    assert [ev.step for ev in read_events(tmp_path)] == [0]          # only file_version so far: buffered
    w.flush()
    assert [ev.step for ev in read_events(tmp_path) if ev.HasField("summary")] == [1]
    w.close()
    w.close()                                                         # closing twice is fine
    first = event_files(tmp_path)
    w.add_scalar("a", 2.0, 2)                                         # like torch: a new event file
    w.flush()
    files = event_files(tmp_path)
    assert len(files) == 2
    # each file on its own: two files of one second sort by their per-process counter as text (9 > 10)
    new, = set(files) - set(first)
    assert scalars_in(first[0]) == [1.0] and scalars_in(new) == [2.0]
    assert sorted(e.value for e in accumulator(tmp_path).Scalars("a")) == [1.0, 2.0]
    w.close()


def test_background_writer_max_queue_and_flush_secs(tmp_path):
    """No flush() here: the background thread writes when max_queue events are pending, or after
    flush_secs; wait_written() waits for it on a condition the writer signals after each write."""
    w = SummaryWriter(tmp_path / "q", max_queue=3)
    for i in range(3):
        w.add_scalar("a", i, i)
    assert w.file_writer.wait_written(4, timeout=30)
    assert len(read_events(tmp_path / "q")) == 4
    w2 = SummaryWriter(tmp_path / "t", flush_secs=0.05)
    w2.add_text("t", "x")
    assert w2.file_writer.wait_written(2, timeout=30)
    assert len(read_events(tmp_path / "t")) == 2
    w.close()
    w2.close()


def test_purge_step(tmp_path):
    with SummaryWriter(tmp_path) as w:
        for i in range(10):
            w.add_scalar("a", i, i)
    with SummaryWriter(tmp_path, purge_step=5) as w:
        for i in range(5, 8):
            w.add_scalar("a", 100 + i, i)
    assert [(e.step, e.value) for e in accumulator(tmp_path).Scalars("a")] == \
        [(i, i) for i in range(5)] + [(i, 100 + i) for i in range(5, 8)]


def test_missing_tensorboardx_hint():
    code = ("import sys; sys.modules['tensorboardX'] = None\n"
            "try:\n    from ember.utils.tensorboard import SummaryWriter\n"
            "except ImportError as e:\n    print('HINT', e)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert "HINT" in out.stdout and "pip install 'ember[tensorboard]'" in out.stdout, out.stderr


def test_lazy_import_through_utils():
    import ember.utils
    assert ember.utils.tensorboard.SummaryWriter is SummaryWriter


def test_pending_events_written_at_exit(tmp_path):
    code = ("from ember.utils.tensorboard import SummaryWriter\n"
            f"w = SummaryWriter({str(tmp_path)!r})\n"
            "w.add_scalar('a', 1.5, 3)\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, timeout=60)
    assert [(e.step, e.value) for e in accumulator(tmp_path).Scalars("a")] == [(3, 1.5)]
