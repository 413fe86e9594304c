"""ember.vision video I/O, VideoClips, Kinetics, HMDB51 and UCF101 on tiny videos.

Parity: fixtures/video_make_fixtures.py stored four tiny videos (fixtures/video_*.mp4|avi) and what torchvision
0.29 (through TorchCodec) makes of them: frame timestamps, clip tables, decoded clips, dataset samples and labels.
Other tests write videos with PyAV (through ember's write_video) into tmp_path.
"""
import csv
import hashlib
import http.server
import io
import json
import os
import pickle
import shutil
import sys
import tarfile
import threading
import warnings
from fractions import Fraction

import numpy as np
import pytest

av = pytest.importorskip("av")

import ember  # noqa: E402
from ember.vision import datasets  # noqa: E402
from ember.vision import io as vio  # noqa: E402
from ember.vision.datasets import video_utils  # noqa: E402
from ember.vision.datasets.video_utils import VideoClips  # noqa: E402

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "video_fixtures.json")) as _f:
    FIX = json.load(_f)
ARRAYS = np.load(os.path.join(FIXTURES, "video_fixtures.npz"))
FILES = list(FIX["files"])   # the stored videos, in the order the fixture script scanned them
PATHS = [os.path.join(FIXTURES, name) for name in FILES]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # pts_unit and too-short-video warnings; tested explicitly below
        yield


def frames(n, h=16, w=20, seed=0):
    """n distinct RGB frames, smooth enough to survive lossy codecs."""
    yy, xx = np.mgrid[0:h, 0:w]
    out = [np.stack([xx * 9 + i * 17 + seed * 50, yy * 11 + i * 7, (xx + yy) * 5 + i * 29], -1) % 256
           for i in range(n)]
    return np.stack(out).astype(np.uint8)


def lossless_video(path, n, fps, seed=0, audio=None, audio_fps=8000):
    """Write n frames losslessly (RGB H.264, crf 0, PCM audio); returns the frames."""
    video = frames(n, seed=seed)
    vio.write_video(str(path), ember.from_numpy(video), fps, video_codec="libx264rgb", options={"crf": "0"},
                    audio_array=audio, audio_fps=audio_fps if audio is not None else None,
                    audio_codec="pcm_s16le" if audio is not None else None)
    return video


# ---- read_video / read_video_timestamps / write_video -------------------------------------------------
def test_missing_pyav_raises_install_hint(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "av", None)   # `import av` now raises ImportError
    calls = [lambda: vio.read_video(PATHS[0]), lambda: vio.read_video_timestamps(PATHS[0]),
             lambda: vio.write_video(str(tmp_path / "x.mp4"), np.zeros((1, 8, 8, 3), np.uint8), 5),
             lambda: VideoClips(PATHS[:1], 4, num_workers=0),
             lambda: VideoClips(PATHS[:1], 4, num_workers=1)]   # re-raised from the DataLoader worker
    for call in calls:
        with pytest.raises(ImportError, match="(?s)PyAV is not installed.*pip install av"):
            call()


def test_write_read_round_trip_lossless(tmp_path):
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal((2, 3000)) * 3000).astype(np.int16)
    path = tmp_path / "clip.mkv"
    video = lossless_video(path, 7, 8, audio=audio)
    vframes, aframes, info = vio.read_video(str(path), pts_unit="sec")
    assert vframes.dtype == ember.uint8 and tuple(vframes.shape) == (7, 16, 20, 3)
    np.testing.assert_array_equal(vframes.numpy(), video)
    assert aframes.dtype == ember.int16 and tuple(aframes.shape) == (2, 3000)
    np.testing.assert_array_equal(aframes.numpy(), audio)
    assert info == {"video_fps": 8.0, "audio_fps": 8000}
    tchw, _, _ = vio.read_video(path, pts_unit="sec", output_format="tchw")   # a pathlib.Path works too
    np.testing.assert_array_equal(tchw.numpy(), video.transpose(0, 3, 1, 2))


def test_write_video_lossy_codec_and_float_fps(tmp_path):
    video = frames(5)
    path = str(tmp_path / "clip.mp4")
    vio.write_video(path, video, 12.4)   # libx264 / yuv420p; a float rate is rounded
    vframes, aframes, info = vio.read_video(path, pts_unit="sec")
    assert tuple(vframes.shape) == (5, 16, 20, 3) and info == {"video_fps": 12.0}
    assert np.abs(vframes.numpy().astype(int) - video).mean() < 8
    assert tuple(aframes.shape) == (1, 0) and aframes.dtype == ember.float32
    t = np.arange(4000) / 8000
    tone = (0.3 * np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 660 * t)])).astype(np.float32)
    vio.write_video(path, video, 10, audio_array=ember.from_numpy(tone), audio_fps=8000, audio_codec="aac")
    _, aframes, info = vio.read_video(path, pts_unit="sec")
    assert info["audio_fps"] == 8000 and aframes.dtype == ember.float32 and aframes.shape[0] == 2
    assert aframes.shape[1] >= 4000


def test_read_video_ranges_in_pts_and_seconds(tmp_path):
    path = str(tmp_path / "clip.mkv")
    video = lossless_video(path, 10, 10)
    pts, fps = vio.read_video_timestamps(path)
    assert fps == 10.0 and len(pts) == 10 and pts == sorted(pts)
    with pytest.warns(UserWarning, match="pts_unit 'pts' gives wrong results"):
        part, _, _ = vio.read_video(path, pts[2], pts[5])
    np.testing.assert_array_equal(part.numpy(), video[2:6])
    part, _, _ = vio.read_video(path, 0.2, 0.5, pts_unit="sec")
    np.testing.assert_array_equal(part.numpy(), video[2:6])
    # a start between two frames also returns the frame playing at that time
    part, _, _ = vio.read_video(path, Fraction(25, 100), 0.5, pts_unit="sec")
    np.testing.assert_array_equal(part.numpy(), video[2:6])
    part, _, _ = vio.read_video(path, 0.7, pts_unit="sec")
    np.testing.assert_array_equal(part.numpy(), video[7:])
    # past the end, the last frame is still the one playing at `start` (torchvision's rule)
    last, _, _ = vio.read_video(path, 5.0, 6.0, pts_unit="sec")
    np.testing.assert_array_equal(last.numpy(), video[9:])
    secs, fps = vio.read_video_timestamps(path, pts_unit="sec")
    assert secs == [Fraction(i, 10) for i in range(10)] and fps == 10.0


def test_read_video_audio_range(tmp_path):
    rate, n = 8000, 10
    audio = (np.arange(rate * n // 10)[None] % 1000).astype(np.int16)   # 1 s of mono PCM
    path = str(tmp_path / "clip.mkv")
    lossless_video(path, n, 10, audio=audio, audio_fps=rate)
    _, aframes, info = vio.read_video(path, 0.2, 0.5, pts_unit="sec")
    assert info == {"video_fps": 10.0, "audio_fps": rate}
    got = aframes.numpy()
    assert got.shape[0] == 1
    # samples start at 0.2 s and are a contiguous run of the written audio
    first = int(0.2 * rate)
    np.testing.assert_array_equal(got[0], audio[0, first:first + got.shape[1]])
    # and run at least to 0.5 s: to the end of the last audio frame starting by then (here one frame holds all)
    assert got.shape[1] >= int(0.5 * rate) - first


def test_read_video_errors(tmp_path):
    with pytest.raises(RuntimeError, match="File not found"):
        vio.read_video(str(tmp_path / "missing.mp4"))
    with pytest.raises(ValueError, match="end_pts should be larger than start_pts"):
        vio.read_video(PATHS[0], 10, 5)
    with pytest.raises(ValueError, match="output_format should be either 'THWC' or 'TCHW', got NCHW"):
        vio.read_video(PATHS[0], output_format="nchw")
    with pytest.warns(RuntimeWarning, match="Failed to open container"):
        assert vio.read_video_timestamps(str(tmp_path / "missing.mp4")) == ([], None)
    (tmp_path / "junk.mp4").write_bytes(b"not a video at all")
    with pytest.warns(RuntimeWarning):
        vframes, aframes, info = vio.read_video(str(tmp_path / "junk.mp4"), pts_unit="sec")
    assert tuple(vframes.shape) == (0, 1, 1, 3) and tuple(aframes.shape) == (1, 0) and info == {}


@pytest.mark.parametrize("name", FILES)
def test_timestamps_match_torchcodec(name):
    ref = FIX["files"][name]
    secs, fps = vio.read_video_timestamps(os.path.join(FIXTURES, name), pts_unit="sec")
    assert len(secs) == ref["num_frames"]
    np.testing.assert_allclose([float(s) for s in secs], ref["pts_seconds"], rtol=0, atol=1e-12)
    assert fps == pytest.approx(ref["average_fps"])


def test_read_video_frames_match_torchvision_clip():
    """Frames 0-4 of the H.264 file as torchvision's VideoClips decoded them (bit exact)."""
    path = os.path.join(FIXTURES, "video_h264_aac.mp4")
    pts, _ = vio.read_video_timestamps(path)
    vframes, _, _ = vio.read_video(path, pts[0], pts[4])
    np.testing.assert_array_equal(vframes.numpy(), ARRAYS["clip_5_3_None_0_video"])


# ---- VideoClips -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stored_clips():
    return VideoClips(PATHS, 5, 3, num_workers=0)


def table(vc):
    return {"len": len(vc), "video_fps": list(vc.video_fps), "video_pts": [p.tolist() for p in vc.video_pts],
            "cumulative_sizes": vc.cumulative_sizes, "clips": [c.tolist() for c in vc.clips],
            "resampling": [[r.step if isinstance(r, slice) else r.tolist() for r in rs] for rs in vc.resampling_idxs]}


@pytest.mark.parametrize("setting", FIX["clip_settings"], ids=lambda s: "_".join(map(str, s)))
def test_video_clips_tables_match_torchvision(stored_clips, setting):
    frames_per_clip, step, rate = setting
    stored_clips.compute_clips(frames_per_clip, step, rate)
    ref = FIX["video_clips"][f"{frames_per_clip}_{step}_{rate}"]
    got = table(stored_clips)
    assert got == ref
    assert [type(f) for f in got["video_fps"]] == [type(f) for f in ref["video_fps"]]   # 25 (int) vs 29.99..


def check_decoded(key, video, audio, full=None):
    ref = FIX["digests"][key]
    video, audio = video.numpy(), audio.numpy()
    assert list(video.shape) == ref["video_shape"] and video.dtype == np.uint8
    if full is not None:
        np.testing.assert_array_equal(video, full[key + "_video"])
    assert hashlib.sha1(np.ascontiguousarray(video).tobytes()).hexdigest() == ref["video_sha1"]
    assert list(audio.shape) == ref["audio_shape"] and str(audio.dtype) == ref["audio_dtype"]
    assert np.abs(audio.astype(np.float64)).sum() == pytest.approx(ref["audio_abs_sum"], rel=1e-4, abs=1e-6)
    if full is not None:
        np.testing.assert_allclose(audio, full[key + "_audio"], rtol=0, atol=1e-6)


@pytest.mark.parametrize("key", sorted(FIX["video_clips"]["get_clip"]))
def test_get_clip_matches_torchvision(stored_clips, key):
    _, frames_per_clip, step, rate, idx = key.split("_")
    rate = None if rate == "None" else int(rate)
    stored_clips.compute_clips(int(frames_per_clip), int(step), rate)
    video, audio, info, video_idx = stored_clips.get_clip(int(idx))
    ref = FIX["video_clips"]["get_clip"][key]
    assert info == ref["info"] and video_idx == ref["video_idx"]
    full = ARRAYS if key + "_video" in ARRAYS.files else None
    check_decoded(key, video, audio, full)


def test_clip_frames_equal_read_video_range(tmp_path):
    paths = [str(tmp_path / f"v{i}.mkv") for i in range(2)]
    videos = [lossless_video(p, n, 10, seed=i) for i, (p, n) in enumerate(zip(paths, (9, 13)))]
    vc = VideoClips(paths, 4, 3, num_workers=0)
    assert len(vc) == 2 + 4 and vc.num_videos() == 2 and vc.video_fps == [10, 10]
    for idx in range(len(vc)):
        video, audio, info, video_idx = vc.get_clip(idx)
        first = vc.clips[video_idx][vc.get_clip_location(idx)[1]][0].item()
        pts, _ = vio.read_video_timestamps(paths[video_idx])
        expected, _, _ = vio.read_video(paths[video_idx], pts[first], pts[first + 3])
        np.testing.assert_array_equal(video.numpy(), expected.numpy())
        np.testing.assert_array_equal(video.numpy(), videos[video_idx][first:first + 4])
        assert tuple(audio.shape) == (1, 0) and info == {"video_fps": 10}
    with pytest.raises(IndexError, match=r"Index 6 out of range \(6 number of clips\)"):
        vc.get_clip(6)


def test_clip_resampling_and_output_format(tmp_path):
    path = str(tmp_path / "v.mkv")
    video = lossless_video(path, 12, 10)
    vc = VideoClips([path], 3, 2, frame_rate=4, num_workers=0, output_format="tchw")   # 10 -> 4 fps: step 2.5
    positions = [int(np.floor(i * 2.5)) for i in range(int(12 * 4 / 10))]
    assert vc.clips[0].tolist() == [positions[0:3]]
    clip, _, info, _ = vc.get_clip(0)
    assert info == {"video_fps": 4} and tuple(clip.shape) == (3, 3, 16, 20)
    np.testing.assert_array_equal(clip.numpy(), video[positions[0:3]].transpose(0, 3, 1, 2))
    vc = VideoClips([path], 3, 1, frame_rate=5, num_workers=0)   # whole ratio: a slice
    assert vc.resampling_idxs[0][0] == slice(None, None, 2) and len(vc) == 4
    np.testing.assert_array_equal(vc.get_clip(3)[0].numpy(), video[6:11:2])
    with pytest.raises(ValueError, match="output_format should be either 'THWC' or 'TCHW', got nhwc."):
        VideoClips([path], 3, output_format="nhwc")


def test_clip_audio_seconds(tmp_path):
    rate = 8000
    audio = (np.arange(rate)[None] % 2000 - 1000).astype(np.int16)
    path = str(tmp_path / "v.mkv")
    lossless_video(path, 10, 10, audio=audio, audio_fps=rate)
    vc = VideoClips([path], 3, 3, num_workers=0)
    _, clip_audio, _, _ = vc.get_clip(1)   # frames 3..5: [0.3 s, 0.6 s)
    expected = audio[:, int(0.3 * rate):int(0.6 * rate)].astype(np.float32) / 32768
    assert clip_audio.dtype == ember.float32
    np.testing.assert_array_equal(clip_audio.numpy(), expected)


def test_video_clips_metadata_subset_and_pickle(stored_clips, monkeypatch):
    stored_clips.compute_clips(5, 3)
    meta = stored_clips.metadata
    assert meta["video_paths"] == PATHS and len(meta["video_pts"]) == 4

    def no_scan(path):
        raise AssertionError("precomputed metadata must not rescan the videos")

    monkeypatch.setattr(video_utils._video_io, "_scan_frames", no_scan)
    again = VideoClips(["ignored"], 6, 2, _precomputed_metadata=meta)
    assert again.video_paths == PATHS and len(again) == sum((n - 6) // 2 + 1 for n in (26, 17, 23, 31))
    sub = stored_clips.subset([3, 1])
    assert sub.video_paths == [PATHS[3], PATHS[1]] and sub.video_fps == [stored_clips.video_fps[i] for i in (3, 1)]
    assert [c.tolist() for c in sub.clips] == [stored_clips.clips[i].tolist() for i in (3, 1)]
    assert (sub.num_frames, sub.step, sub.frame_rate, sub.output_format) == (5, 3, None, "THWC")
    restored = pickle.loads(pickle.dumps(sub))
    assert restored.video_paths == sub.video_paths and restored.cumulative_sizes == sub.cumulative_sizes
    assert [p.tolist() for p in restored.video_pts] == [p.tolist() for p in sub.video_pts]
    assert [c.tolist() for c in restored.clips] == [c.tolist() for c in sub.clips]
    with pytest.raises(ValueError, match="one 'video_pts' and one 'video_fps' entry per video path"):
        VideoClips(PATHS, 5, _precomputed_metadata={**meta, "video_fps": meta["video_fps"][:1]})


def test_video_clips_short_video_warns_and_workers(tmp_path):
    path = str(tmp_path / "short.mkv")
    lossless_video(path, 3, 10)
    with pytest.warns(UserWarning, match="There aren't enough frames"):
        vc = VideoClips([path, PATHS[1]], 4, 4, num_workers=1)   # scanned in a DataLoader worker
    assert [len(c) for c in vc.clips] == [0, 4] and vc.get_clip_location(0) == (1, 0)
    assert [p.tolist() for p in vc.video_pts] == [[0, 1, 2], list(range(17))]


def test_unfold_windows():
    base = ember.arange(20)[1::2]   # a strided view: the windows must follow its strides
    ref = np.arange(20)[1::2]
    for size, step in ((3, 1), (4, 2), (10, 1), (2, 5)):
        got = video_utils.unfold(base, size, step)
        assert got.tolist() == np.lib.stride_tricks.sliding_window_view(ref, size)[::step].tolist()
    assert tuple(video_utils.unfold(base, 11, 1).shape) == (0, 11)   # too short: no window
    assert video_utils.unfold(ember.arange(10), 3, 2, dilation=2).tolist() == [[0, 2, 4], [2, 4, 6], [4, 6, 8]]
    with pytest.raises(ValueError, match="tensor should have 1 dimension instead of 2"):
        video_utils.unfold(ember.zeros(2, 2), 1, 1)


# ---- datasets ---------------------------------------------------------------------------------------
def build(root, files, splits=None, split_dir=None):
    for rel, src in files.items():
        dst = os.path.join(root, *rel.split("/"))
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy(os.path.join(FIXTURES, src), dst)
    for name, text in (splits or {}).items():
        os.makedirs(split_dir, exist_ok=True)
        with open(os.path.join(split_dir, name), "w") as f:
            f.write(text)


def check_dataset(ds, root, key, decode=()):
    ref = FIX["datasets"][key]
    assert len(ds) == ref["len"] and ds.classes == ref["classes"]
    assert [[os.path.relpath(p, root).replace(os.sep, "/"), t] for p, t in ds.samples] == ref["samples"]
    assert list(ds.metadata["video_fps"]) == ref["video_fps"]
    assert [os.path.relpath(p, root).replace(os.sep, "/") for p in ds.metadata["video_paths"]] == \
        ref["metadata_paths"]
    if "indices" in ref:
        assert ds.indices == ref["indices"]
    labels = []
    for idx in range(len(ds)):
        video, audio, label = ds[idx]
        assert type(label) is int
        labels.append(label)
        if idx in decode:
            check_decoded(f"{key}_{idx}", video, audio)
    assert labels == ref["labels"]


def test_kinetics_matches_torchvision(tmp_path):
    build(tmp_path, FIX["layouts"]["kinetics"])
    ds = datasets.Kinetics(str(tmp_path), 8, step_between_clips=4, num_workers=0)
    assert ds.split == "train" and ds.split_folder == os.path.join(str(tmp_path), "train")
    check_dataset(ds, str(tmp_path), "kinetics_train", decode=(0, 5))
    assert tuple(ds[0][0].shape)[1] == 3   # TCHW by default
    ds = datasets.Kinetics(str(tmp_path), 5, num_classes="600", split="val", frame_rate=15, step_between_clips=3,
                           num_workers=0, output_format="THWC", transform=lambda v: v[:, :2])
    check_dataset(ds, str(tmp_path), "kinetics_val_15fps_thwc", decode=(1,))
    assert repr(ds).splitlines()[:3] == ["Dataset Kinetics", f"    Number of datapoints: {len(ds)}",
                                         f"    Root location: {tmp_path}"]


def test_kinetics_arguments_and_legacy(tmp_path):
    build(tmp_path, {"abseiling/a.avi": "video_mpeg4_pcm.avi", "zumba/b.mp4": "video_h264_30fps.mp4"})
    with pytest.raises(ValueError, match="Unknown value '500' for argument num_classes"):
        datasets.Kinetics(str(tmp_path), 4, num_classes="500")
    with pytest.raises(ValueError, match="Unknown value 'dev' for argument split"):
        datasets.Kinetics(str(tmp_path), 4, split="dev")
    with pytest.raises(ValueError, match="Cannot download the videos using legacy_structure."):
        datasets.Kinetics(str(tmp_path), 4, _legacy=True, download=True)
    ds = datasets.Kinetics(str(tmp_path), 16, _legacy=True, num_workers=0, output_format="TCHW")
    assert ds.split == "unknown" and ds.classes == ["abseiling", "zumba"]
    assert len(ds) == 2 + 16 and tuple(ds[0][0].shape) == (16, 24, 32, 3)   # legacy forces THWC
    assert ds[1][2] == 0 and ds[2][2] == 1 and len(ds.metadata["video_paths"]) == 2


class _Files(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        body = self.server.files.get(self.path)
        self.server.log.append(self.path)
        if body is None:
            return self.send_error(404)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    srv.files, srv.log = {}, []
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def tarball(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, src in members.items():
            tar.add(os.path.join(FIXTURES, src), arcname=name)
    return buf.getvalue()


@pytest.mark.parametrize("workers", [1, 2])
def test_kinetics_download(tmp_path, server, monkeypatch, workers):
    """The official flow against a local server: path list -> tarballs -> annotation csv -> class folders."""
    server.files["/400/train/part%200.tar.gz"] = tarball({"abc_000010_000020.mp4": "video_h264_aac.mp4",
                                                        "def_000000_000010.mp4": "video_h264_30fps.mp4"})
    server.files["/400/train/part_1.tar.gz"] = tarball({"ghi_000005_000015.mp4": "video_h264_30fps.mp4",
                                                        "unlisted_000001_000002.mp4": "video_h264_30fps.mp4"})
    server.files["/400/train/k400_train_path.txt"] = (f"{server.base}/400/train/part 0.tar.gz\n"
                                                      f"{server.base}/400/train/part_1.tar.gz\n").encode()
    rows = [["label", "youtube_id", "time_start", "time_end", "split"],
            ["abseiling", "abc", "10", "20", "train"], ["playing cards (magic)", "def", "0", "10", "train"],
            ["rock'n roll", "ghi", "5", "15", "train"], ["abseiling", "missing", "1", "2", "train"]]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    server.files["/400/annotations/train.csv"] = text.getvalue().encode()
    monkeypatch.setattr(datasets.Kinetics, "_TAR_URLS", {"400": server.base + "/400/{split}/k400_{split}_path.txt"})
    monkeypatch.setattr(datasets.Kinetics, "_ANNOTATION_URLS", {"400": server.base + "/400/annotations/{split}.csv"})
    root = str(tmp_path)
    ds = datasets.Kinetics(root, 10, step_between_clips=10, download=True, num_download_workers=workers,
                           num_workers=0)
    assert "/400/train/part%200.tar.gz" in server.log   # list lines are URL-quoted
    assert sorted(os.listdir(os.path.join(root, "train"))) == ["abseiling", "playing_cards_magic", "rockn_roll",
                                                               "unlisted_000001_000002.mp4"]
    assert ds.classes == ["abseiling", "playing_cards_magic", "rockn_roll"]
    assert [os.path.relpath(p, root) for p, _ in ds.samples] == [
        os.path.join("train", "abseiling", "abc_000010_000020.mp4"),
        os.path.join("train", "playing_cards_magic", "def_000000_000010.mp4"),
        os.path.join("train", "rockn_roll", "ghi_000005_000015.mp4")]
    assert len(ds) == 2 + 3 + 3 and [ds[i][2] for i in (0, 2, 7)] == [0, 1, 2]
    assert os.path.isfile(os.path.join(root, "tars", "part_1.tar.gz"))
    assert os.path.isfile(os.path.join(root, "files", "k400_train_path.txt"))
    server.log.clear()
    datasets.Kinetics(root, 10, download=True, num_workers=0)   # split folder present: nothing fetched
    assert server.log == []


def test_hmdb51_matches_torchvision(tmp_path):
    root, ann = str(tmp_path / "hmdb"), str(tmp_path / "splits")
    build(root, FIX["layouts"]["hmdb51"], FIX["layouts"]["hmdb51_splits"], ann)
    for fold in (1, 2, 3):
        for train in (True, False):
            ds = datasets.HMDB51(root, ann, 6, step_between_clips=5, fold=fold, train=train, num_workers=0)
            assert (ds.fold, ds.train) == (fold, train)
            check_dataset(ds, root, f"hmdb51_{fold}_{train}", decode=(0,) if fold == 1 else ())
    ds = datasets.HMDB51(root, ann, 4, step_between_clips=3, frame_rate=5, output_format="TCHW", num_workers=0)
    check_dataset(ds, root, "hmdb51_5fps_tchw", decode=(2,))
    with pytest.raises(ValueError, match="fold should be between 1 and 3, got 4"):
        datasets.HMDB51(root, ann, 4, fold=4, num_workers=0)
    assert datasets.HMDB51.splits["md5"] == "15e67781e70dcfbdce2d7dbb9b3344b5"


def test_ucf101_matches_torchvision(tmp_path):
    root, ann = str(tmp_path / "ucf"), str(tmp_path / "splits")
    build(root, FIX["layouts"]["ucf101"], FIX["layouts"]["ucf101_splits"], ann)
    for fold in (1, 2):
        for train in (True, False):
            ds = datasets.UCF101(root, ann, 7, step_between_clips=3, fold=fold, train=train, num_workers=0)
            check_dataset(ds, root, f"ucf101_{fold}_{train}", decode=(1,) if fold == 1 else ())
    with pytest.raises(ValueError, match="fold should be between 1 and 3, got 0"):
        datasets.UCF101(root, ann, 4, fold=0, num_workers=0)
    with pytest.raises(FileNotFoundError):   # fold 3 has no list files here
        datasets.UCF101(root, ann, 4, fold=3, num_workers=0)


def test_ucf101_transform_and_shared_metadata(tmp_path):
    root, ann = str(tmp_path / "ucf"), str(tmp_path / "splits")
    build(root, FIX["layouts"]["ucf101"], FIX["layouts"]["ucf101_splits"], ann)
    train = datasets.UCF101(root, ann, 5, num_workers=0, transform=lambda v: v.float().mean())
    test = datasets.UCF101(root, ann, 5, train=False, _precomputed_metadata=train.metadata, num_workers=0)
    assert train.metadata["video_paths"] == test.metadata["video_paths"] and len(train.metadata["video_paths"]) == 4
    video, audio, label = train[0]
    assert video.ndim == 0 and video.dtype == ember.float32 and audio.dtype == ember.float32
    raw = datasets.UCF101(root, ann, 5, num_workers=0, _precomputed_metadata=train.metadata)[0][0]
    assert video.item() == pytest.approx(raw.float().mean().item())
