"""VideoClips: every window of `clip_length_in_frames` frames in a list of videos (torchvision 0.29).

As in torchvision 0.29, a video's "pts" here are its frame indices 0..N-1 in presentation order and its fps
is the measured average (frames over the span of the stream); decoding goes through PyAV (ember.vision's
video I/O) where torchvision uses TorchCodec.
"""
import bisect
import itertools
import math
import warnings

import numpy as np

from ... import arange, as_strided, as_tensor, float32, int64
from ..._tensor import Tensor
from ...utils.data import DataLoader
from .. import _video_io
from .folder import find_classes, make_dataset
from .vision import VisionDataset


def unfold(tensor, size, step, dilation=1):
    """All windows of `size` elements of a 1-D tensor, `step` apart, elements `dilation` apart (a strided view)."""
    if tensor.dim() != 1:
        raise ValueError(f"tensor should have 1 dimension instead of {tensor.dim()}")
    stride = tensor.stride(0)
    count = (tensor.numel() - (dilation * (size - 1) + 1)) // step + 1
    return as_strided(tensor, (max(count, 0), size), (step * stride, dilation * stride))


class _VideoTimestampsDataset:
    """Frame indices and fps of each video path: the items that VideoClips' DataLoader spreads over workers."""

    def __init__(self, video_paths):
        self.video_paths = video_paths

    def __len__(self):
        return len(self.video_paths)

    def __getitem__(self, idx):
        timestamps, fps = _video_io._scan_frames(self.video_paths[idx])
        return list(range(len(timestamps))), fps


def _collate_fn(x):
    """Keep a batch as the list of items."""
    return x


def _progress(total):
    try:
        from tqdm import tqdm
    except ImportError:   # tqdm is optional: no bar without it
        return None
    return tqdm(total=total)


class VideoClips:
    """Clips of `clip_length_in_frames` frames, `frames_between_clips` apart, from every video in `video_paths`,
    optionally resampled to `frame_rate` first. Frames that do not fill a whole clip are dropped.

    Scanning the videos is the slow part: keep `metadata` and pass it back as `_precomputed_metadata`
    (`compute_clips` recomputes the clips for other lengths without rescanning)."""

    def __init__(self, video_paths, clip_length_in_frames=16, frames_between_clips=1, frame_rate=None,
                 _precomputed_metadata=None, num_workers=0, _video_width=0, _video_height=0,
                 _video_min_dimension=0, _video_max_dimension=0, _audio_samples=0, _audio_channels=0,
                 output_format="THWC"):
        self.video_paths = video_paths
        self.num_workers = num_workers
        # accepted for compatibility; decoding ignores them (as torchvision 0.29's does)
        self._video_width = _video_width
        self._video_height = _video_height
        self._video_min_dimension = _video_min_dimension
        self._video_max_dimension = _video_max_dimension
        self._audio_samples = _audio_samples
        self._audio_channels = _audio_channels
        self.output_format = output_format.upper()
        if self.output_format not in ("THWC", "TCHW"):
            raise ValueError(f"output_format should be either 'THWC' or 'TCHW', got {output_format}.")
        if _precomputed_metadata is None:
            self._compute_frame_pts()
        else:
            self._init_from_metadata(_precomputed_metadata)
        self.compute_clips(clip_length_in_frames, frames_between_clips, frame_rate)

    def _compute_frame_pts(self):
        self.video_pts, self.video_fps = [], []
        loader = DataLoader(_VideoTimestampsDataset(self.video_paths), batch_size=16, num_workers=self.num_workers,
                            collate_fn=_collate_fn)
        bar = _progress(len(loader))
        for batch in loader:
            if bar is not None:
                bar.update(1)
            for pts, fps in batch:
                self.video_pts.append(as_tensor(pts, dtype=int64))
                self.video_fps.append(fps)
        if bar is not None:
            bar.close()

    def _init_from_metadata(self, metadata):
        self.video_paths = metadata["video_paths"]
        if len(self.video_paths) != len(metadata["video_pts"]) or len(self.video_paths) != len(metadata["video_fps"]):
            raise ValueError("_precomputed_metadata needs one 'video_pts' and one 'video_fps' entry per video path")
        self.video_pts = metadata["video_pts"]
        self.video_fps = metadata["video_fps"]

    @property
    def metadata(self):
        return {"video_paths": self.video_paths, "video_pts": self.video_pts, "video_fps": self.video_fps}

    def subset(self, indices):
        """A VideoClips over the videos at `indices`, with the same clip settings and no rescan."""
        metadata = {key: [values[i] for i in indices] for key, values in self.metadata.items()}
        return type(self)(metadata["video_paths"], clip_length_in_frames=self.num_frames,
                          frames_between_clips=self.step, frame_rate=self.frame_rate,
                          _precomputed_metadata=metadata, num_workers=self.num_workers,
                          _video_width=self._video_width, _video_height=self._video_height,
                          _video_min_dimension=self._video_min_dimension,
                          _video_max_dimension=self._video_max_dimension, _audio_samples=self._audio_samples,
                          _audio_channels=self._audio_channels, output_format=self.output_format)

    @staticmethod
    def compute_clips_for_video(video_pts, num_frames, step, fps, frame_rate=None):
        """(clips [n, num_frames] of frame pts, and per clip the frame positions to keep after resampling)."""
        if fps is None:   # no video stream: video_pts is empty, any rate will do
            fps = 1
        if frame_rate is None:
            frame_rate = fps
        total_frames = len(video_pts) * frame_rate / fps
        idxs = VideoClips._resample_video_idx(int(math.floor(total_frames)), fps, frame_rate)
        clips = unfold(video_pts[idxs], num_frames, step)
        if not clips.numel():
            warnings.warn("There aren't enough frames in the current video to get a clip for the given clip length "
                          "and frames between clips. The video (and potentially others) will be skipped.")
        if isinstance(idxs, slice):
            return clips, [idxs] * len(clips)
        return clips, unfold(idxs, num_frames, step)

    def compute_clips(self, num_frames, step, frame_rate=None):
        """Recompute the clips of every video for a new clip length, step and frame rate."""
        self.num_frames = num_frames
        self.step = step
        self.frame_rate = frame_rate
        self.clips, self.resampling_idxs = [], []
        for video_pts, fps in zip(self.video_pts, self.video_fps):
            clips, idxs = self.compute_clips_for_video(video_pts, num_frames, step, fps, frame_rate)
            self.clips.append(clips)
            self.resampling_idxs.append(idxs)
        self.cumulative_sizes = list(itertools.accumulate(len(c) for c in self.clips))

    def __len__(self):
        return self.num_clips()

    def num_videos(self):
        return len(self.video_paths)

    def num_clips(self):
        """Number of clips over all videos."""
        return self.cumulative_sizes[-1]

    def get_clip_location(self, idx):
        """(video index, clip index within that video) of the flat clip index `idx`."""
        video_idx = bisect.bisect_right(self.cumulative_sizes, idx)
        clip_idx = idx if video_idx == 0 else idx - self.cumulative_sizes[video_idx - 1]
        return video_idx, clip_idx

    @staticmethod
    def _resample_video_idx(num_frames, original_fps, new_fps):
        """Positions of the frames kept when `original_fps` becomes `new_fps`: a slice for a whole ratio."""
        step = original_fps / new_fps
        if step.is_integer():
            return slice(None, None, int(step))
        return (arange(num_frames, dtype=float32) * step).floor().to(int64)

    def get_clip(self, idx):
        """(video [T, H, W, C] or [T, C, H, W] uint8, audio [K, L] float32, info, video index) of clip `idx`."""
        if idx >= self.num_clips():
            raise IndexError(f"Index {idx} out of range ({self.num_clips()} number of clips)")
        video_idx, clip_idx = self.get_clip_location(idx)
        video_path = self.video_paths[video_idx]
        clip_pts = self.clips[video_idx][clip_idx]
        start, end = int(clip_pts[0].item()), int(clip_pts[-1].item())
        frames, fps = _video_io._read_frames_by_index(video_path, start, end)
        audio = _video_io._read_audio_seconds(video_path, start / fps, (end + 1) / fps)
        video = Tensor._wrap(frames)
        if self.output_format == "TCHW":
            video = video.permute(0, 3, 1, 2)
        info = {"video_fps": fps}
        if self.frame_rate is not None:
            keep = self.resampling_idxs[video_idx][clip_idx]
            if not isinstance(keep, slice):
                keep = keep - keep[0]
            video = video[keep]
            info["video_fps"] = self.frame_rate
        assert len(video) == self.num_frames, f"{video.shape} x {self.num_frames}"
        return video, Tensor._wrap(audio), info, video_idx

    def __getstate__(self):
        """Pickle the frame pts as one array and drop what compute_clips rebuilds."""
        state = self.__dict__.copy()
        state["video_pts_sizes"] = [len(v) for v in self.video_pts]
        state["video_pts"] = np.concatenate([v.to(int64).numpy() for v in self.video_pts]) if self.video_pts else []
        for derived in ("clips", "resampling_idxs", "cumulative_sizes"):
            del state[derived]
        state["_version"] = 2
        return state

    def __setstate__(self, state):
        if "_version" not in state:
            self.__dict__ = state
            return
        flat = np.asarray(state.pop("video_pts"), dtype=np.int64)
        bounds = np.cumsum([0] + state.pop("video_pts_sizes"))
        state["video_pts"] = [as_tensor(flat[a:b], dtype=int64) for a, b in zip(bounds[:-1], bounds[1:])]
        self.__dict__ = state
        self.compute_clips(self.num_frames, self.step, self.frame_rate)


class _FoldedVideoDataset(VisionDataset):
    """Shared body of HMDB51 and UCF101: clips of root/<class>/<video>.avi, restricted to the videos that the
    split files in `annotation_path` put in `fold`'s train (or test) set. Samples are (video, audio, label)."""

    def __init__(self, root, annotation_path, frames_per_clip, step_between_clips=1, frame_rate=None, fold=1,
                 train=True, transform=None, _precomputed_metadata=None, num_workers=1, _video_width=0,
                 _video_height=0, _video_min_dimension=0, _audio_samples=0, output_format="THWC"):
        super().__init__(root)
        if fold not in (1, 2, 3):
            raise ValueError(f"fold should be between 1 and 3, got {fold}")
        self.fold = fold
        self.train = train
        self.classes, class_to_idx = find_classes(self.root)
        self.samples = make_dataset(self.root, class_to_idx, ("avi",), is_valid_file=None)
        video_paths = [path for path, _ in self.samples]
        # the full set is kept so that `metadata` covers every video, whatever the fold
        self.full_video_clips = VideoClips(video_paths, frames_per_clip, step_between_clips, frame_rate,
                                           _precomputed_metadata, num_workers=num_workers,
                                           _video_width=_video_width, _video_height=_video_height,
                                           _video_min_dimension=_video_min_dimension, _audio_samples=_audio_samples,
                                           output_format=output_format)
        self.indices = self._select_fold(video_paths, annotation_path, fold, train)
        self.video_clips = self.full_video_clips.subset(self.indices)
        self.transform = transform

    def _select_fold(self, video_list, annotation_path, fold, train):
        raise NotImplementedError

    @property
    def metadata(self):
        return self.full_video_clips.metadata

    def __len__(self):
        return self.video_clips.num_clips()

    def __getitem__(self, idx):
        video, audio, _, video_idx = self.video_clips.get_clip(idx)
        label = self.samples[self.indices[video_idx]][1]
        if self.transform is not None:
            video = self.transform(video)
        return video, audio, label
