"""Video file I/O (torchvision.io's video part) through PyAV, an optional dependency (`pip install av`).

`read_video`, `read_video_timestamps` and `write_video` follow torchvision's PyAV backend. The private
helpers at the bottom (`_scan_frames`, `_read_frames_by_index`, `_read_audio_seconds`) give
ember.vision.datasets.VideoClips the frame-index view of a file that torchvision 0.29 gets from TorchCodec.
"""
import math
import os
import warnings

import numpy as np

from .._tensor import Tensor

__all__ = ["read_video", "read_video_timestamps", "write_video"]

_AV_MISSING = ("PyAV is not installed, and is necessary for the video operations in ember.vision.\n"
               "Install it with `pip install av` (or ember's `video` extra); see\n"
               "https://github.com/PyAV-Org/PyAV#installation for instructions on how to\n"
               "install PyAV on your system.\n")
_PTS_UNIT_WARNING = "The pts_unit 'pts' gives wrong results. Please use pts_unit 'sec'."
_BUFFER_FRAMES = 5   # frames decoded past the end of a range: B-frames can leave the decoder out of pts order


def _av():
    """The PyAV module, imported on first use; an ImportError saying how to install it when it is missing."""
    try:
        import av
    except ImportError as e:
        raise ImportError(_AV_MISSING) from e
    return av


def _source(filename):
    return os.fspath(filename) if isinstance(filename, os.PathLike) else filename


def _timestamp(item):
    """The pts of a packet or frame, its dts when the pts is unknown (as FFmpeg's best guess does)."""
    return item.dts if item.pts is None else item.pts


def _read_from_stream(av, container, start, end, pts_unit, stream):
    """Frames of `stream` with start <= pts <= end, sorted by pts; when no frame starts exactly at `start`,
    the last frame before it is put first so that the audio playing at `start` is kept."""
    if pts_unit == "sec":
        start = int(math.floor(start * (1 / stream.time_base)))
        if end != math.inf:
            end = int(math.ceil(end * (1 / stream.time_base)))
    frames = {}
    try:
        container.seek(max(int(math.floor(start)) - 1 - _BUFFER_FRAMES, 0), backward=True, any_frame=False,
                       stream=stream)
    except av.FFmpegError:
        return []
    extra = 0
    try:
        for frame in container.decode(stream):
            pts = _timestamp(frame)
            if pts is None:
                continue
            frames[pts] = frame
            if pts >= end:
                if extra < _BUFFER_FRAMES:
                    extra += 1
                    continue
                break
    except av.FFmpegError:
        pass   # a damaged tail: keep what was decoded
    result = [frames[pts] for pts in sorted(frames) if start <= pts <= end]
    before = [pts for pts in frames if pts < start]
    if start > 0 and start not in frames and before:
        result.insert(0, frames[max(before)])
    return result


def _audio_array(frames):
    """Concatenate decoded audio frames into a [channels, samples] array of their sample type."""
    chunks = []
    for frame in frames:
        a = frame.to_ndarray()
        if not frame.format.is_planar:   # packed samples come interleaved in one row
            a = a.reshape(-1, len(frame.layout.channels)).T
        chunks.append(a)
    return np.concatenate(chunks, 1)


def _align_audio_frames(aframes, audio_frames, ref_start, ref_end):
    """Cut the samples of the decoded audio frames down to [ref_start, ref_end] (in the audio time base).

    Ticks per sample are estimated from the span of the frames' pts, as torchvision does; a single frame has no
    span, so there its sample rate gives them."""
    start, end = audio_frames[0].pts, audio_frames[-1].pts
    total = aframes.shape[1]
    if len(audio_frames) > 1:
        step = (end - start + 1) / total
    else:
        step = float(1 / (audio_frames[0].sample_rate * audio_frames[0].time_base))
    first, last = 0, total
    if start < ref_start:
        first = int((ref_start - start) / step)
    if end > ref_end:
        last = int((ref_end - end) / step)
    return aframes[:, first:last]


def _check_output_format(output_format):
    output_format = output_format.upper()
    if output_format not in ("THWC", "TCHW"):
        raise ValueError(f"output_format should be either 'THWC' or 'TCHW', got {output_format}.")
    return output_format


def read_video(filename, start_pts=0, end_pts=None, pts_unit="pts", output_format="THWC"):
    """Read the video frames (uint8 [T, H, W, C] or [T, C, H, W]) and audio ([K, L]) of a file, with an info dict
    holding `video_fps` and `audio_fps` where the file has those streams.

    `start_pts`/`end_pts` bound the frames read (inclusive), in stream ticks (`pts_unit="pts"`) or seconds
    (`pts_unit="sec"`, recommended)."""
    output_format = _check_output_format(output_format)
    av = _av()
    if isinstance(filename, (str, os.PathLike)) and not os.path.exists(filename):
        raise RuntimeError(f"File not found: {filename}")
    if end_pts is None:
        end_pts = math.inf
    if end_pts < start_pts:
        raise ValueError(f"end_pts should be larger than start_pts, got start_pts={start_pts} and end_pts={end_pts}")
    if pts_unit == "pts":
        warnings.warn(_PTS_UNIT_WARNING)
    info, video_frames, audio_frames, audio_time_base = {}, [], [], None
    try:
        with av.open(_source(filename), metadata_errors="ignore") as container:
            if container.streams.video:
                stream = container.streams.video[0]
                video_frames = _read_from_stream(av, container, start_pts, end_pts, pts_unit, stream)
                if stream.average_rate is not None:
                    info["video_fps"] = float(stream.average_rate)
            if container.streams.audio:
                stream = container.streams.audio[0]
                audio_time_base = stream.time_base
                audio_frames = _read_from_stream(av, container, start_pts, end_pts, pts_unit, stream)
                info["audio_fps"] = stream.rate
    except av.FFmpegError as e:
        warnings.warn(f"Failed to read {filename}: {e}", RuntimeWarning)
    if video_frames:
        video = np.stack([frame.to_ndarray(format="rgb24") for frame in video_frames])
    else:
        video = np.empty((0, 1, 1, 3), dtype=np.uint8)
    if audio_frames:
        if pts_unit == "sec":
            start_pts = int(math.floor(start_pts * (1 / audio_time_base)))
            if end_pts != math.inf:
                end_pts = int(math.ceil(end_pts * (1 / audio_time_base)))
        audio = _align_audio_frames(_audio_array(audio_frames), audio_frames, start_pts, end_pts)
    else:
        audio = np.empty((1, 0), dtype=np.float32)
    vframes = Tensor._wrap(video)
    if output_format == "TCHW":
        vframes = vframes.permute(0, 3, 1, 2)
    return vframes, Tensor._wrap(np.ascontiguousarray(audio)), info


def _video_packet_timestamps(container, stream):
    """(timestamp, duration) of every kept packet of `stream`, in file order."""
    return [(t, packet.duration or 0) for packet in container.demux(stream)
            if not packet.is_discard and (t := _timestamp(packet)) is not None]


def read_video_timestamps(filename, pts_unit="pts"):
    """The sorted presentation timestamps of the video frames (ints, or Fractions of a second with
    `pts_unit="sec"`) and the video's average frame rate (None without a video stream)."""
    av = _av()
    pts, fps, time_base = [], None, None
    try:
        with av.open(_source(filename), metadata_errors="ignore") as container:
            if container.streams.video:
                stream = container.streams.video[0]
                time_base = stream.time_base
                pts = [t for t, _ in _video_packet_timestamps(container, stream)]
                if stream.average_rate is not None:
                    fps = float(stream.average_rate)
    except av.FFmpegError as e:
        warnings.warn(f"Failed to open container for {filename}; Caught error: {e}", RuntimeWarning)
    pts.sort()
    if pts_unit == "sec":
        pts = [t * time_base for t in pts]
    return pts, fps


def _to_numpy(data, dtype):
    if isinstance(data, Tensor):
        data = data._device.backend.asnumpy(data.detach()._data)
    return np.asarray(data).astype(dtype, copy=False)


_AUDIO_SAMPLE_DTYPES = {"dbl": "<f8", "flt": "<f4", "s16": "<i2", "s32": "<i4", "s64": "<i8", "u8": "u1"}


def _encode_audio(av, container, audio_array, audio_fps, audio_codec, audio_options):
    stream = container.add_stream(audio_codec, rate=audio_fps)
    stream.options = audio_options or {}
    layout = "stereo" if audio_array.shape[0] > 1 else "mono"
    stream.layout = layout
    sample_format = stream.format
    samples = _to_numpy(audio_array, np.dtype(_AUDIO_SAMPLE_DTYPES[sample_format.name.rstrip("p")]))
    if not sample_format.is_planar:   # packed formats take the channels interleaved in one row
        samples = samples.T.reshape(1, -1)
    frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format=sample_format.name, layout=layout)
    frame.sample_rate = audio_fps
    container.mux(stream.encode(frame))
    container.mux(stream.encode())


def write_video(filename, video_array, fps, video_codec="libx264", options=None, audio_array=None, audio_fps=None,
                audio_codec=None, audio_options=None):
    """Write uint8 frames [T, H, W, C] (RGB) to a video file, with optional audio [channels, samples].

    A float `fps` is rounded to an integer, as PyAV needs a whole or rational rate."""
    av = _av()
    video = _to_numpy(video_array, np.uint8)
    if isinstance(fps, float):
        fps = round(fps)
    with av.open(_source(filename), mode="w") as container:
        stream = container.add_stream(video_codec, rate=fps)
        stream.width = video.shape[2]
        stream.height = video.shape[1]
        stream.pix_fmt = "rgb24" if video_codec == "libx264rgb" else "yuv420p"
        stream.options = options or {}
        if audio_array is not None:
            _encode_audio(av, container, audio_array, audio_fps, audio_codec, audio_options)
        for image in video:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pict_type = av.video.frame.PictureType.NONE
            container.mux(stream.encode(frame))
        container.mux(stream.encode())


# ---- frame-index access for VideoClips (TorchCodec's view of a file in torchvision 0.29) ------------------
def _json_number(x):
    """TorchCodec hands fps over through JSON, so a whole rate arrives as an int: keep that type."""
    return int(x) if x is not None and float(x).is_integer() else x


def _seconds(pts, time_base):
    return float(pts) * time_base.numerator / time_base.denominator


def _scan_frames(path):
    """(frame timestamps sorted, average fps) of the best video stream; fps is frames / (last end - first start),
    or the header rate where that span is empty."""
    av = _av()
    with av.open(_source(path), metadata_errors="ignore") as container:
        stream = container.streams.best("video")
        if stream is None:
            raise RuntimeError(f"No video stream found in {path}")
        packets = _video_packet_timestamps(container, stream)
        time_base = stream.time_base
        header_fps = float(stream.base_rate) if stream.base_rate else None
    fps = header_fps
    if packets:
        span = (_seconds(max(t + d for t, d in packets), time_base) - _seconds(min(t for t, _ in packets), time_base))
        if span != 0.0:
            fps = len(packets) / span
    return sorted(t for t, _ in packets), _json_number(fps)


def _read_frames_by_index(path, first, last):
    """(RGB frames number `first` to `last` (inclusive, in pts order) of the best video stream as uint8
    [T, H, W, 3], the video's average fps)."""
    av = _av()
    timestamps, fps = _scan_frames(path)
    with av.open(_source(path), metadata_errors="ignore") as container:
        stream = container.streams.best("video")
        frames = _read_from_stream(av, container, timestamps[first], timestamps[last], "pts", stream)
    return np.stack([frame.to_ndarray(format="rgb24") for frame in frames]), fps


def _round_half_away(x):
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def _float_samples(frame):
    """An audio frame as float32 [channels, samples], scaled as FFmpeg converts integer samples."""
    a = frame.to_ndarray()
    if not frame.format.is_planar:
        a = a.reshape(-1, len(frame.layout.channels)).T
    kind = frame.format.name.rstrip("p")
    if kind == "u8":
        return (a.astype(np.float32) - 128) * np.float32(1 / 128)
    if kind in ("s16", "s32", "s64"):
        return a.astype(np.float32) * np.float32(2.0 ** (1 - 8 * a.dtype.itemsize))
    return a.astype(np.float32)


def _read_audio_seconds(path, start, stop):
    """float32 [channels, samples] of the audio played in [start, stop) seconds, [1, 0] when the file has no
    audio there (TorchCodec's AudioDecoder.get_samples_played_in_range, decoding from the stream's start)."""
    av = _av()
    with av.open(_source(path), metadata_errors="ignore") as container:
        stream = container.streams.best("audio")
        if stream is None:
            return np.empty((1, 0), dtype=np.float32)
        time_base, rate = stream.time_base, stream.rate
        start_pts = _round_half_away(start * time_base.denominator / time_base.numerator)
        stop_pts = _round_half_away(stop * time_base.denominator / time_base.numerator)
        chunks, first_pts = [], None
        try:
            for frame in container.decode(stream):
                pts = _timestamp(frame)
                if pts is None:
                    continue
                duration = getattr(frame, "duration", None) or _round_half_away(frame.samples / (rate * time_base))
                if start_pts < pts + duration and stop_pts > pts:
                    first_pts = pts if first_pts is None else first_pts
                    chunks.append(_float_samples(frame))
                if pts <= stop_pts <= pts + duration:
                    break
        except av.FFmpegError:
            pass
    if not chunks:
        return np.empty((1, 0), dtype=np.float32)
    samples = np.concatenate(chunks, 1)
    first_seconds = _seconds(first_pts, time_base)

    def offset(seconds):
        return math.floor((seconds - first_seconds) * rate + 0.5)

    begin = offset(start) if first_seconds < start else 0
    return samples[:, begin:min(samples.shape[1], offset(stop))]
