"""`SummaryWriter`: TensorBoard event files from ember, with `torch.utils.tensorboard` semantics.

What encodes what (nothing here writes CRCs or protobuf wire bytes by hand):

* Event records: `tensorboardX.record_writer.RecordWriter` frames each serialized event as a
  TFRecord (length, masked CRC32C, data, masked CRC32C). tensorboardX computes the CRC with the
  native `crc32c` package (installed by the `ember[tensorboard]` extra), else in pure Python.
* Events: `tensorboardX.proto.event_pb2.Event` (wall_time, step and one of file_version, summary,
  graph_def, tagged_run_metadata, session_log), serialized by protobuf (`SerializeToString`).
* Summaries: tensorboardX's `summary` helpers (histograms, PNG images, text, PR curves, custom
  scalars) and its protos (scalars, tensors, audio, video, hparams, mesh); PNG and GIF images are
  encoded by Pillow, WAV audio by the standard library. The few fields PyTorch writes that
  tensorboardX's protos lack are encoded by protobuf's own field encoders (see `_proto.py`).

Writing is asynchronous: `add_scalar` only appends (tag, value, step, wall time) to a deque, other
calls append an `Event`; a background thread builds, serializes and frames the pending events and
writes them out when `max_queue` are pending, every `flush_secs`, on `flush()` and on `close()`.
Like PyTorch's writer, flushing hands the bytes to the OS and never fsyncs.
"""
import atexit
import collections
import io
import itertools
import json
import os
import socket
import threading
import time
import weakref

import numpy as np

try:
    from tensorboardX import summary as _tbx
    from tensorboardX.proto.event_pb2 import Event, SessionLog, TaggedRunMetadata
    from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
    from tensorboardX.proto.tensor_pb2 import TensorProto
    from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
    from tensorboardX.record_writer import RecordWriter
except ImportError as e:   # pragma: no cover - depends on the environment
    raise ImportError("ember.utils.tensorboard needs the tensorboardX package to encode summaries; "
                      "install it with: pip install 'ember[tensorboard]'") from e

from ..._tensor import Tensor as _Tensor
from ._convert import figure_to_chw, make_np, to_hwc, to_uint8, video_frames
from ._proto import add_uint32

__all__ = ["FileWriter", "SummaryWriter"]

_I64 = 1 << 63


def _to_float(value):
    if type(value) is float or type(value) is int:
        return float(value)
    if type(value) is _Tensor and value.numel() == 1:
        return float(value.item())
    arr = make_np(value).squeeze()
    if arr.ndim != 0:
        raise AssertionError(f"Tensor should contain one element (0 dimensions). Was given size: {arr.size} "
                             f"and {arr.ndim} dimensions.")
    return float(arr)


def _item(x):
    return make_np(x).reshape(-1)[0].item() if not isinstance(x, (int, float)) else x


def _step(step):
    if step is None:
        return None
    step = int(step)
    if not -_I64 <= step < _I64:
        raise ValueError(f"step {step} does not fit in an int64")
    return step


# Tags already known to be valid protobuf strings: add_scalar checks a new tag on the calling
# thread (a bad one raises there, as in PyTorch), so the background thread cannot fail on it.
_valid_tags = set()


def _check_tag(tag):
    Summary.Value(tag=tag)
    if len(_valid_tags) >= 100000:
        _valid_tags.clear()
    _valid_tags.add(tag)


def _event(step, walltime, **what):
    return Event(wall_time=time.time() if walltime is None else walltime, step=_step(step), **what)


def _scalar_event(tag, value, step, walltime):
    """The serialized Event of one `add_scalar` (a Summary.Value with simple_value)."""
    event = Event(wall_time=walltime, step=step)
    event.summary.value.add(tag=tag, simple_value=value)
    return event.SerializeToString()


# ---- event file -----------------------------------------------------------------------------
class _RecordFile(RecordWriter):
    """tensorboardX's TFRecord writer, whose flush() also fsyncs: here flush() only hands the bytes to
    the OS, as PyTorch's event writer does (an fsync per batch of events costs milliseconds)."""

    def flush(self):
        self._writer.flush()

    @property
    def closed(self):
        return self._writer.closed


_uids = itertools.count()
_open_writers = weakref.WeakSet()


@atexit.register
def _flush_at_exit():
    """Pending events of writers never closed still reach their files (PyTorch would drop them)."""
    for w in list(_open_writers):
        w.flush()


class FileWriter:
    """Writes events into one new event file in `log_dir` (asynchronously, see module doc)."""

    def __init__(self, log_dir, max_queue=10, flush_secs=120, filename_suffix=""):
        self._logdir = str(log_dir)
        self._max_queue = max(1, int(max_queue))
        self._flush_secs = max(float(flush_secs), 0.01)
        self._suffix = filename_suffix
        self._open()

    def _open(self):
        os.makedirs(self._logdir, exist_ok=True)
        # unique per writer, as PyTorch names them: time, host, pid, a per-process counter
        name = "events.out.tfevents.%010d.%s.%s.%s%s" % (time.time(), socket.gethostname(), os.getpid(),
                                                         next(_uids), self._suffix)
        self._path = os.path.join(self._logdir, name)
        self._records = _RecordFile(self._path)
        self._pending = collections.deque()
        self._written_cond = threading.Condition()     # guards the file and _written
        self._written = 0
        self._wake = threading.Event()
        self._closed = False
        self._put(_event(None, None, file_version="brain.Event:2"))
        self.flush()
        self._thread = threading.Thread(target=self._run, name="ember-tensorboard-writer", daemon=True)
        self._thread.start()
        _open_writers.add(self)

    def get_logdir(self):
        return self._logdir

    # -- queueing ---------------------------------------------------------------------------
    def _put(self, item):
        """Queue an Event, its serialized bytes or a scalar's (tag, value, step, walltime)."""
        if self._closed:
            return
        q = self._pending
        q.append(item)
        if len(q) >= self._max_queue and not self._wake.is_set():
            self._wake.set()

    def _add_scalar(self, tag, value, step, walltime):
        """The hot path: checks on this thread, the Event is built by the background thread."""
        if tag not in _valid_tags:
            _check_tag(tag)
        if step is not None:
            step = _step(step)
        self._put((tag, value, step, time.time() if walltime is None else float(walltime)))

    def _drain(self):
        with self._written_cond:
            q = self._pending
            records = self._records
            if not q or records.closed:
                return
            n = 0
            while q:
                item = q.popleft()
                kind = type(item)
                records.write(_scalar_event(*item) if kind is tuple else
                              item if kind is bytes else item.SerializeToString())
                n += 1
            records.flush()
            self._written += n
            self._written_cond.notify_all()

    def _run(self):
        while not self._closed:
            self._wake.wait(self._flush_secs)
            self._wake.clear()
            self._drain()

    def wait_written(self, count, timeout=None):
        """Block until `count` events (the file_version event included) are in this event file, written
        by the background thread, flush() or close(); returns False if `timeout` seconds pass first."""
        with self._written_cond:
            return self._written_cond.wait_for(lambda: self._written >= count, timeout)

    # -- the FileWriter API -----------------------------------------------------------------
    def add_event(self, event, step=None, walltime=None):
        event.wall_time = time.time() if walltime is None else walltime
        if step is not None:
            event.step = int(step)
        self._put(event.SerializeToString())        # now: the caller may reuse its Event

    def add_summary(self, summary, global_step=None, walltime=None):
        self._put(_event(global_step, walltime, summary=summary))

    def add_graph(self, graph_profile, walltime=None):
        """graph_profile: (GraphDef, serialized RunMetadata), as `_graph.graph` returns them."""
        graph_def, run_metadata = graph_profile
        self._put(_event(None, walltime, graph_def=graph_def.SerializeToString()))
        tagged = TaggedRunMetadata(tag="step1", run_metadata=run_metadata)
        self._put(_event(None, walltime, tagged_run_metadata=tagged))

    def flush(self):
        if not self._closed:
            self._drain()

    def close(self):
        if self._closed:
            return
        self._closed = True                 # from now on _put drops events
        _open_writers.discard(self)
        self._wake.set()
        self._thread.join()
        self._drain()
        with self._written_cond:
            self._records.close()

    def reopen(self):
        """After close(): continue in a new event file in the same directory."""
        if self._closed:
            self._open()


# ---- summaries (protobufs equal to what torch.utils.tensorboard produces) ---------------------
def _plugin_metadata(name, content=b""):
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=name, content=content))


def _shape(dims):
    return TensorShapeProto(dim=[TensorShapeProto.Dim(size=int(d)) for d in dims])


def _scalar_tensor_summary(tag, value, double_precision):
    if double_precision:
        proto = TensorProto(double_val=[value], dtype="DT_DOUBLE")
    else:
        proto = TensorProto(float_val=[value], dtype="DT_FLOAT")
    return Summary(value=[Summary.Value(tag=tag, tensor=proto, metadata=_plugin_metadata("scalars"))])


def _float_bits(arr):   # PyTorch stores half/bfloat16 values as the bits of their float32 value
    return arr.astype(np.float32).reshape(-1).view(np.int32).tolist()


def _real_pairs(arr):
    return np.stack([arr.real, arr.imag], axis=-1).reshape(-1).tolist()


def _flat(arr):
    return arr.reshape(-1).tolist()


_TENSOR_TYPES = {
    "float16": ("DT_HALF", "half_val", _float_bits), "bfloat16": ("DT_BFLOAT16", "half_val", _float_bits),
    "float32": ("DT_FLOAT", "float_val", _flat), "float64": ("DT_DOUBLE", "double_val", _flat),
    "int8": ("DT_INT8", "int_val", _flat), "int16": ("DT_INT16", "int_val", _flat),
    "int32": ("DT_INT32", "int_val", _flat), "int64": ("DT_INT64", "int64_val", _flat),
    "uint8": ("DT_UINT8", None, _flat), "bool": ("DT_BOOL", "bool_val", _flat),
    "complex64": ("DT_COMPLEX64", "scomplex_val", _real_pairs),
    "complex128": ("DT_COMPLEX128", "dcomplex_val", _real_pairs),
}


def _tensor_summary(tag, tensor):
    arr = tensor.numpy(force=True) if isinstance(tensor, _Tensor) else np.asarray(tensor)
    if arr.size * arr.itemsize >= 1 << 31:
        raise ValueError("tensor is bigger than protocol buffer's hard limit of 2GB in size")
    kind = _TENSOR_TYPES.get(arr.dtype.name)
    if kind is None:
        dt = tensor.dtype if isinstance(tensor, _Tensor) else arr.dtype
        raise ValueError(f"{tag} has unsupported tensor dtype {dt}")
    dtype, field, convert = kind
    proto = TensorProto(dtype=dtype, tensor_shape=_shape(arr.shape))
    if field is None:       # uint8 goes to uint32_val (field 16), absent from tensorboardX's proto
        add_uint32(proto, 16, convert(arr))
    else:
        getattr(proto, field).extend(convert(arr))
    return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("tensor"), tensor=proto)])


def _image_summary(tag, hwc_uint8, rescale=1, rois=None, labels=None):
    image = _tbx.make_image(hwc_uint8, rescale=rescale, rois=rois, labels=labels)
    return Summary(value=[Summary.Value(tag=tag, image=image)])


def _video_summary(tag, vid, fps):
    from PIL import Image
    frames = to_uint8(video_frames(make_np(vid)))
    t, h, w, c = frames.shape
    images = [Image.fromarray(f[:, :, 0] if c == 1 else f) for f in frames]
    buf = io.BytesIO()
    images[0].save(buf, format="GIF", save_all=True, append_images=images[1:],
                   duration=max(1, round(1000 / fps)), loop=0)
    image = Summary.Image(height=h, width=w, colorspace=c, encoded_image_string=buf.getvalue())
    return Summary(value=[Summary.Value(tag=tag, image=image)])


def _audio_summary(tag, snd, sample_rate):
    import wave
    arr = make_np(snd).squeeze()
    if abs(arr).max() > 1:
        print("warning: audio amplitude out of range, auto clipped.")
        arr = arr.clip(-1, 1)
    if arr.ndim != 1:
        raise AssertionError("input tensor should be 1 dimensional.")
    pcm = (arr * np.iinfo(np.int16).max).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    audio = Summary.Audio(sample_rate=sample_rate, num_channels=1, length_frames=pcm.shape[-1],
                          encoded_audio_string=buf.getvalue(), content_type="audio/wav")
    return Summary(value=[Summary.Value(tag=tag, audio=audio)])


def _hparams_summaries(hparam_dict, metric_dict, hparam_domain_discrete):
    from google.protobuf import struct_pb2
    from tensorboardX.proto.api_pb2 import DataType, Experiment, HParamInfo, MetricInfo, MetricName, Status
    from tensorboardX.proto.plugin_hparams_pb2 import HParamsPluginData, SessionEndInfo, SessionStartInfo
    if not isinstance(hparam_dict, dict):
        raise TypeError("parameter: hparam_dict should be a dictionary, nothing logged.")
    if not isinstance(metric_dict, dict):
        raise TypeError("parameter: metric_dict should be a dictionary, nothing logged.")
    domains = hparam_domain_discrete or {}
    if not isinstance(domains, dict):
        raise TypeError("parameter: hparam_domain_discrete should be a dictionary, nothing logged.")
    for k, v in domains.items():
        if k not in hparam_dict or not isinstance(v, list) or not all(isinstance(d, type(hparam_dict[k])) for d in v):
            raise TypeError(f"parameter: hparam_domain_discrete[{k}] should be a list of same type as hparam_dict[{k}].")

    start = SessionStartInfo()
    infos = []
    for k, v in hparam_dict.items():
        if v is None:
            continue
        # the order matters: bools are ints, so (as in PyTorch) they are logged as numbers
        if isinstance(v, (int, float)):
            kind, field = "DATA_TYPE_FLOAT64", "number_value"
        elif isinstance(v, str):
            kind, field = "DATA_TYPE_STRING", "string_value"
        elif isinstance(v, _Tensor):
            start.hparams[k].number_value = make_np(v).reshape(-1)[0]
            infos.append(HParamInfo(name=k, type=DataType.Value("DATA_TYPE_FLOAT64")))
            continue
        else:
            raise ValueError("value should be one of int, float, str, bool, or torch.Tensor")
        setattr(start.hparams[k], field, v)
        domain = None
        if k in domains:
            domain = struct_pb2.ListValue(values=[struct_pb2.Value(**{field: d}) for d in domains[k]])
        infos.append(HParamInfo(name=k, type=DataType.Value(kind), domain_discrete=domain))

    def wrap(tag, **content):
        data = HParamsPluginData(version=0, **content).SerializeToString()
        return Summary(value=[Summary.Value(tag=tag, metadata=_plugin_metadata("hparams", data))])

    experiment = Experiment(hparam_infos=infos, metric_infos=[MetricInfo(name=MetricName(tag=k)) for k in metric_dict])
    return (wrap("_hparams_/experiment", experiment=experiment),
            wrap("_hparams_/session_start_info", session_start_info=start),
            wrap("_hparams_/session_end_info", session_end_info=SessionEndInfo(status=Status.Value("STATUS_SUCCESS"))))


_MESH_KINDS = (("VERTEX", 1), ("FACE", 2), ("COLOR", 3))


def _mesh_summary(tag, vertices, colors, faces, config_dict):
    from tensorboardX.proto.plugin_mesh_pb2 import MeshPluginData
    json_config = "{}" if config_dict is None else json.dumps(config_dict, sort_keys=True)
    parts = [(name, kind, t) for (name, kind), t in zip(_MESH_KINDS, (vertices, faces, colors)) if t is not None]
    components = 0
    for _, kind, _t in parts:
        components |= 1 << kind
    values = []
    for name, kind, t in parts:
        arr = make_np(t)
        if arr.ndim != 3:
            raise ValueError(f"Tensor shape should be of shape BxNx3, but got {list(arr.shape)}.")
        data = MeshPluginData(version=0, name=tag, content_type=kind, json_config=json_config, shape=arr.shape)
        content = add_uint32(data, 7, components, repeated=False).SerializeToString()   # 7: components
        proto = TensorProto(dtype="DT_FLOAT", float_val=arr.reshape(-1).tolist(), tensor_shape=_shape(arr.shape))
        values.append(Summary.Value(tag=f"{tag}_{name}", tensor=proto, metadata=_plugin_metadata("mesh", content)))
    return Summary(value=values)


def _default_bins():
    v, pos = 1e-12, []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return [-x for x in reversed(pos)] + [0] + pos


_DEFAULT_BINS = _default_bins()


def _pbtxt_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# ---- the public writer ----------------------------------------------------------------------
class SummaryWriter:
    """Writes TensorBoard event files to `log_dir` (default `runs/<Mon>DD_HH-MM-SS_<host><comment>`).

    Accepts ember tensors, NumPy arrays and Python numbers wherever PyTorch accepts tensors.
    """

    def __init__(self, log_dir=None, comment="", purge_step=None, max_queue=10, flush_secs=120,
                 filename_suffix=""):
        if not log_dir:
            from datetime import datetime
            stamp = datetime.now().strftime("%b%d_%H-%M-%S")
            log_dir = os.path.join("runs", stamp + "_" + socket.gethostname() + comment)
        self.log_dir = log_dir
        self.purge_step = purge_step
        self.max_queue = max_queue
        self.flush_secs = flush_secs
        self.filename_suffix = filename_suffix
        self.file_writer = self.all_writers = None
        self._get_file_writer()
        self.default_bins = list(_DEFAULT_BINS)

    def _get_file_writer(self):
        """The writer of the main run; (re)created on first use and after close()."""
        if self.all_writers is None or self.file_writer is None:
            fw = FileWriter(self.log_dir, self.max_queue, self.flush_secs, self.filename_suffix)
            self.file_writer = fw
            self.all_writers = {fw.get_logdir(): fw}
            if self.purge_step is not None:
                # a restart marker: TensorBoard drops events at or after this step from earlier files
                fw.add_event(Event(step=self.purge_step, file_version="brain.Event:2"))
                fw.add_event(Event(step=self.purge_step, session_log=SessionLog(status=SessionLog.START)))
                self.purge_step = None
        return self.file_writer

    def get_logdir(self):
        return self.log_dir

    def _add(self, summary, global_step=None, walltime=None):
        self._get_file_writer().add_summary(summary, global_step, walltime)

    # -- scalars ----------------------------------------------------------------------------
    def add_scalar(self, tag, scalar_value, global_step=None, walltime=None, new_style=False,
                   double_precision=False):
        value = _to_float(scalar_value)
        if new_style:
            self._add(_scalar_tensor_summary(tag, value, double_precision), global_step, walltime)
            return
        fw = self.file_writer if self.all_writers is not None else self._get_file_writer()
        fw._add_scalar(tag, value, global_step, walltime)

    def add_scalars(self, main_tag, tag_scalar_dict, global_step=None, walltime=None):
        """Each entry goes to its own run `<log_dir>/<main_tag>_<key>`, under the tag main_tag."""
        walltime = time.time() if walltime is None else walltime
        logdir = self._get_file_writer().get_logdir()
        for tag, value in tag_scalar_dict.items():
            path = logdir + "/" + main_tag.replace("/", "_") + "_" + tag
            fw = self.all_writers.get(path)
            if fw is None:
                fw = self.all_writers[path] = FileWriter(path, self.max_queue, self.flush_secs, self.filename_suffix)
            fw._add_scalar(main_tag, _to_float(value), global_step, walltime)

    def add_tensor(self, tag, tensor, global_step=None, walltime=None):
        self._add(_tensor_summary(tag, tensor), global_step, walltime)

    # -- histograms -------------------------------------------------------------------------
    def add_histogram(self, tag, values, global_step=None, bins="tensorflow", walltime=None, max_bins=None):
        if isinstance(bins, str) and bins == "tensorflow":
            bins = self.default_bins
        hist = _tbx.make_histogram(make_np(values).astype(float), bins, max_bins)
        self._add(Summary(value=[Summary.Value(tag=tag, histo=hist)]), global_step, walltime)

    def add_histogram_raw(self, tag, min, max, num, sum, sum_squares, bucket_limits, bucket_counts,
                          global_step=None, walltime=None):
        if len(bucket_limits) != len(bucket_counts):
            raise ValueError("len(bucket_limits) != len(bucket_counts), see the document.")
        summary = _tbx.histogram_raw(tag, _item(min), _item(max), _item(num), _item(sum), _item(sum_squares),
                                     make_np(bucket_limits).tolist(), make_np(bucket_counts).tolist())
        self._add(summary, global_step, walltime)

    # -- images, figures, video, audio, text ------------------------------------------------
    def add_image(self, tag, img_tensor, global_step=None, walltime=None, dataformats="CHW"):
        self._add(_image_summary(tag, to_uint8(to_hwc(make_np(img_tensor), dataformats))), global_step, walltime)

    def add_images(self, tag, img_tensor, global_step=None, walltime=None, dataformats="NCHW"):
        self._add(_image_summary(tag, to_uint8(to_hwc(make_np(img_tensor), dataformats))), global_step, walltime)

    def add_image_with_boxes(self, tag, img_tensor, box_tensor, global_step=None, walltime=None, rescale=1,
                             dataformats="CHW", labels=None):
        boxes = make_np(box_tensor)
        if labels is not None:
            if isinstance(labels, str):
                labels = [labels]
            if len(labels) != boxes.shape[0]:
                labels = None
        img = to_uint8(to_hwc(make_np(img_tensor), dataformats))
        self._add(_image_summary(tag, img, rescale, boxes, labels), global_step, walltime)

    def add_figure(self, tag, figure, global_step=None, close=True, walltime=None):
        fmt = "NCHW" if isinstance(figure, list) else "CHW"
        self.add_image(tag, figure_to_chw(figure, close), global_step, walltime, dataformats=fmt)

    def add_video(self, tag, vid_tensor, global_step=None, fps=4, walltime=None):
        """vid_tensor: (N, T, C, H, W); written as an animated GIF (encoded with Pillow)."""
        self._add(_video_summary(tag, vid_tensor, fps), global_step, walltime)

    def add_audio(self, tag, snd_tensor, global_step=None, sample_rate=44100, walltime=None):
        self._add(_audio_summary(tag, snd_tensor, sample_rate), global_step, walltime)

    def add_text(self, tag, text_string, global_step=None, walltime=None):
        self._add(_tbx.text(tag, text_string), global_step, walltime)

    # -- graph ------------------------------------------------------------------------------
    def add_graph(self, model, input_to_model=None, verbose=False, use_strict_trace=True):
        """Run `model` once and log its module/autograd graph (see `_graph.py`)."""
        from ._graph import graph
        self._get_file_writer().add_graph(graph(model, input_to_model, verbose))

    # -- embeddings -------------------------------------------------------------------------
    @staticmethod
    def _encode(rawstr):
        return rawstr.replace("%", "%25").replace("/", "%2f").replace("\\", "%5c")

    def add_embedding(self, mat, metadata=None, label_img=None, global_step=None, tag="default",
                      metadata_header=None):
        """Files for the projector plugin in `<log_dir>/<step:05>/<tag>/` + projector_config.pbtxt."""
        mat = make_np(mat)
        if global_step is None:
            global_step = 0
        subdir = f"{str(global_step).zfill(5)}/{self._encode(tag)}"
        logdir = self._get_file_writer().get_logdir()
        save_path = os.path.join(logdir, subdir)
        if os.path.exists(save_path):
            if not os.path.isdir(save_path):
                raise NotADirectoryError(f"Path: `{save_path}` exists, but is a file. Cannot proceed.")
            print("warning: Embedding dir exists, did you set global_step for add_embedding()?")
        else:
            os.makedirs(save_path)
        # projector_config.pbtxt entry, fields in the order of their numbers (as text_format writes them)
        entry = [f"  tensor_name: {_pbtxt_str(f'{tag}:{str(global_step).zfill(5)}')}"]
        if metadata is not None:
            if mat.shape[0] != len(metadata):
                raise AssertionError("#labels should equal with #data points")
            if metadata_header:
                if len(metadata_header) != len(metadata[0]):
                    raise AssertionError("len of header must be equal to the number of columns in metadata")
                lines = ["\t".join(str(e) for e in row) for row in [metadata_header] + list(metadata)]
            else:
                lines = [str(x) for x in metadata]
            with open(os.path.join(save_path, "metadata.tsv"), "wb") as f:
                f.write(("\n".join(lines) + "\n").encode("utf-8"))
            entry.append(f"  metadata_path: {_pbtxt_str(subdir + '/metadata.tsv')}")
        if label_img is not None:
            imgs = make_np(label_img)
            if mat.shape[0] != imgs.shape[0]:
                raise AssertionError("#images should equal with #data points")
            self._write_sprite(imgs, save_path)
            entry += ["  sprite {", f"    image_path: {_pbtxt_str(subdir + '/sprite.png')}",
                      f"    single_image_dim: {imgs.shape[3]}", f"    single_image_dim: {imgs.shape[2]}", "  }"]
        if mat.ndim != 2:
            raise AssertionError("mat should be 2D, where mat.size(0) is the number of data points")
        with open(os.path.join(save_path, "tensors.tsv"), "wb") as f:
            f.write("".join("\t".join(str(v) for v in row) + "\n" for row in mat.tolist()).encode("utf-8"))
        entry.append(f"  tensor_path: {_pbtxt_str(subdir + '/tensors.tsv')}")
        if not hasattr(self, "_projector_entries"):
            self._projector_entries = []
        self._projector_entries.append("embeddings {\n" + "\n".join(entry) + "\n}\n")
        with open(os.path.join(logdir, "projector_config.pbtxt"), "wb") as f:
            f.write("".join(self._projector_entries).encode("utf-8"))

    @staticmethod
    def _write_sprite(imgs, save_path):
        """All label images tiled in a square grid (sqrt(N) per row), as one PNG."""
        from PIL import Image
        from ._convert import make_grid
        grid = make_grid(imgs, ncols=int(np.ceil(imgs.shape[0] ** 0.5))).transpose(1, 2, 0)
        square = np.zeros((grid.shape[1], grid.shape[1], 3))
        square[:grid.shape[0]] = grid
        Image.fromarray(np.uint8((square * 255).clip(0, 255))).save(os.path.join(save_path, "sprite.png"), format="PNG")

    # -- PR curves, custom scalars, mesh, hparams -------------------------------------------
    def add_pr_curve(self, tag, labels, predictions, global_step=None, num_thresholds=127, weights=None,
                     walltime=None):
        labels, predictions = make_np(labels), make_np(predictions)
        weights = None if weights is None else make_np(weights)
        self._add(_tbx.pr_curve(tag, labels, predictions, num_thresholds, weights), global_step, walltime)

    def add_pr_curve_raw(self, tag, true_positive_counts, false_positive_counts, true_negative_counts,
                         false_negative_counts, precision, recall, global_step=None, num_thresholds=127,
                         weights=None, walltime=None):
        counts = [make_np(x) for x in (true_positive_counts, false_positive_counts, true_negative_counts,
                                       false_negative_counts, precision, recall)]
        self._add(_tbx.pr_curve_raw(tag, *counts, num_thresholds, weights), global_step, walltime)

    def add_custom_scalars_multilinechart(self, tags, category="default", title="untitled"):
        self.add_custom_scalars({category: {title: ["Multiline", tags]}})

    def add_custom_scalars_marginchart(self, tags, category="default", title="untitled"):
        if len(tags) != 3:
            raise AssertionError(f"Expected 3 tags, got {len(tags)}.")
        self.add_custom_scalars({category: {title: ["Margin", tags]}})

    def add_custom_scalars(self, layout):
        """layout: {category: {chart title: ['Multiline', [tags]] or ['Margin', [value, lower, upper]]}}."""
        self._add(_tbx.custom_scalars(layout))

    def add_mesh(self, tag, vertices, colors=None, faces=None, config_dict=None, global_step=None, walltime=None):
        self._add(_mesh_summary(tag, vertices, colors, faces, config_dict), global_step, walltime)

    def add_hparams(self, hparam_dict, metric_dict, hparam_domain_discrete=None, run_name=None, global_step=None):
        """One hparams session in the sub-run `run_name` (default: the current time), with the metrics."""
        if type(hparam_dict) is not dict or type(metric_dict) is not dict:
            raise TypeError("hparam_dict and metric_dict should be dictionary.")
        exp, start, end = _hparams_summaries(hparam_dict, metric_dict, hparam_domain_discrete)
        logdir = os.path.join(self._get_file_writer().get_logdir(), run_name or str(time.time()))
        with SummaryWriter(log_dir=logdir) as w:
            for s in (exp, start, end):
                w.file_writer.add_summary(s, global_step)
            for k, v in metric_dict.items():
                w.add_scalar(k, v, global_step)

    # -- lifetime ---------------------------------------------------------------------------
    def flush(self):
        if self.all_writers is None:
            return
        for w in self.all_writers.values():
            w.flush()

    def close(self):
        if self.all_writers is None:
            return
        for w in self.all_writers.values():
            w.flush()
            w.close()
        self.file_writer = self.all_writers = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc_val, exc_tb):
        self.close()
