"""Samplers over the clips of a VideoClips: a fixed number per video, a random subset per video, and a
distributed split that keeps groups of consecutive indices (one video's clips) on the same rank.

Indices are flat clip indices, as VideoClips.get_clip (and a video dataset's __getitem__) takes them."""
import math

from .... import cat, int64, linspace, randperm
from ....utils.data import Sampler
from ....utils.data.distributed import torch_randperm
from ..video_utils import VideoClips

__all__ = ["DistributedSampler", "UniformClipSampler", "RandomClipSampler"]


def _check_video_clips(video_clips):
    if not isinstance(video_clips, VideoClips):
        raise TypeError(f"Expected video_clips to be an instance of VideoClips, got {type(video_clips)}")


class DistributedSampler(Sampler):
    """This rank's share of `dataset`'s indices, handed out in groups of `group_size` consecutive indices.

    The index list (shuffled with the epoch as seed when `shuffle`, as torch's permutation) is padded by
    wrapping around to a whole number of groups per rank, cut into groups, and rank r takes groups r,
    r + num_replicas, ... With `group_size` = clips per video (after a UniformClipSampler), a rank gets whole
    videos. `dataset` may itself be a Sampler: the positions then pick from the indices it yields."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=False, group_size=1):
        if num_replicas is None or rank is None:
            from .... import distributed as dist
            if not dist.is_available():
                raise RuntimeError("Requires distributed package to be available")
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if len(dataset) % group_size != 0:
            raise ValueError(f"dataset length must be a multiplier of group size dataset length: {len(dataset)}, "
                             f"group size: {group_size}")
        self.dataset = dataset
        self.group_size = group_size
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.num_group_samples = int(math.ceil(len(dataset) // group_size / num_replicas))
        self.num_samples = self.num_group_samples * group_size
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.epoch) if self.shuffle else list(range(n))
        indices += indices[:self.total_size - n]   # wrap around once to fill the last groups
        assert len(indices) == self.total_size
        groups = [indices[i:i + self.group_size] for i in range(0, self.total_size, self.group_size)]
        indices = [i for group in groups[self.rank::self.num_replicas] for i in group]
        assert len(indices) == self.num_samples
        if isinstance(self.dataset, Sampler):
            inner = list(iter(self.dataset))
            indices = [inner[i] for i in indices]
        return iter(indices)

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Shuffle differently next time: the permutation is seeded with the epoch."""
        self.epoch = epoch


class UniformClipSampler(Sampler):
    """`num_clips_per_video` evenly spaced clips of every video (repeating clips when a video has fewer);
    videos without clips (they failed to decode) are skipped."""

    def __init__(self, video_clips, num_clips_per_video):
        _check_video_clips(video_clips)
        self.video_clips = video_clips
        self.num_clips_per_video = num_clips_per_video

    def __iter__(self):
        picks, first = [], 0
        for clips in self.video_clips.clips:
            count = len(clips)
            if count == 0:
                continue
            spaced = linspace(first, first + count - 1, steps=self.num_clips_per_video)
            picks.append(spaced.floor().to(int64))
            first += count
        return iter(cat(picks).tolist())

    def __len__(self):
        return sum(self.num_clips_per_video for clips in self.video_clips.clips if len(clips) > 0)


class RandomClipSampler(Sampler):
    """Up to `max_clips_per_video` clips drawn at random from every video, all of them in random order.

    Draws from ember's default generator, one randperm per video and one for the final order, in the same
    sequence as torchvision draws from torch's."""

    def __init__(self, video_clips, max_clips_per_video):
        _check_video_clips(video_clips)
        self.video_clips = video_clips
        self.max_clips_per_video = max_clips_per_video

    def __iter__(self):
        picks, first = [], 0
        for clips in self.video_clips.clips:
            count = len(clips)
            picks.append(randperm(count)[:min(count, self.max_clips_per_video)] + first)
            first += count
        picks = cat(picks)
        return iter(picks[randperm(len(picks))].tolist())

    def __len__(self):
        return sum(min(len(clips), self.max_clips_per_video) for clips in self.video_clips.clips)
