"""ember.vision.datasets.samplers: DistributedSampler (group_size), UniformClipSampler, RandomClipSampler.

Parity: fixtures/video_samplers_make_fixtures.py stored the index lists (or errors) that torchvision 0.29's
samplers give over VideoClips whose clip counts per video are set through precomputed metadata (no decoding),
over the stored tiny videos, and DistributedSampler over plain lists. RandomClipSampler draws from the
global generator, and ember's default stream is not torch's: its parity tests swap the sampler's randperm for
torch.randperm (seeded as the fixture was), which checks that ember draws the same permutations in the same
order and turns them into the same clip indices.
"""
import collections
import json
import os
import shutil
import warnings

import pytest

import ember
from ember.utils.data import DataLoader, default_collate
from ember.vision import datasets
from ember.vision.datasets import samplers
from ember.vision.datasets.samplers import DistributedSampler, RandomClipSampler, UniformClipSampler, clip_sampler
from ember.vision.datasets.video_utils import VideoClips

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")
with open(os.path.join(FIXTURES, "video_samplers.json")) as _f:
    FIX = json.load(_f)
COUNTS = FIX["clip_counts"]


def clips_from_counts(counts):
    """A VideoClips whose video i has counts[i] clips (frames 0..n-1, clips of one frame), decoding nothing."""
    meta = {"video_paths": [f"v{i}.mp4" for i in range(len(counts))],
            "video_pts": [ember.arange(n) for n in counts], "video_fps": [1.0] * len(counts)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # the too-short-video warning for videos without clips
        return VideoClips(meta["video_paths"], 1, 1, _precomputed_metadata=meta)


def outcome(make):
    """What the fixture script records: the indices and len of the sampler `make` builds, or its error."""
    try:
        sampler = make()
        return {"indices": list(sampler), "len": len(sampler)}
    except Exception as e:   # noqa: BLE001 - the error is the result being compared
        return {"error": [type(e).__name__, str(e)]}


def random_passes(torch, make, seed):
    torch.manual_seed(seed)
    try:
        sampler = make()
        return {"passes": [list(sampler), list(sampler)], "len": len(sampler)}
    except Exception as e:   # noqa: BLE001
        return {"error": [type(e).__name__, str(e)]}


@pytest.fixture
def torch_draws(monkeypatch):
    """torch, with the clip samplers' randperm drawing from torch's global generator."""
    torch = pytest.importorskip("torch")

    def randperm(n):
        return ember.tensor(torch.randperm(n).tolist(), dtype=ember.int64)

    monkeypatch.setattr(clip_sampler, "randperm", randperm)
    return torch


def uniform_outcomes(video_clips):
    return {key: outcome(lambda: UniformClipSampler(video_clips, int(key))) for key in FIX["samplers"]["mixed"]
            ["uniform"]}


def random_outcomes(torch, video_clips):
    got = {}
    for key in FIX["samplers"]["mixed"]["random"]:
        most, seed = map(int, key.split("_"))
        got[key] = random_passes(torch, lambda: RandomClipSampler(video_clips, most), seed)
    return got


def test_public_names():
    assert samplers.__all__ == ("DistributedSampler", "UniformClipSampler", "RandomClipSampler")
    assert issubclass(RandomClipSampler, ember.utils.data.Sampler)


# ---- UniformClipSampler -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_uniform_matches_torchvision(name):
    vc = clips_from_counts(COUNTS[name])
    assert [len(c) for c in vc.clips] == COUNTS[name]
    assert uniform_outcomes(vc) == FIX["samplers"][name]["uniform"]


@pytest.mark.parametrize("key", sorted(FIX["uniform_rounding"]))
def test_uniform_float32_rounding_matches_torchvision(key):
    name, k = key.split("_")
    counts = [3] if name == "short" else COUNTS["mixed"]
    assert outcome(lambda: UniformClipSampler(clips_from_counts(counts), int(k))) == FIX["uniform_rounding"][key]


# ---- RandomClipSampler ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_random_matches_torchvision_given_torch_draws(torch_draws, name):
    assert random_outcomes(torch_draws, clips_from_counts(COUNTS[name])) == FIX["samplers"][name]["random"]


def test_random_draws_from_embers_generator():
    counts = COUNTS["mixed"]
    vc = clips_from_counts(counts)
    sampler = RandomClipSampler(vc, 4)
    assert len(sampler) == sum(min(n, 4) for n in counts) == FIX["samplers"]["mixed"]["random"]["4_0"]["len"]
    ember.manual_seed(3)
    first, second = list(sampler), list(sampler)
    ember.manual_seed(3)
    assert list(sampler) == first and first != second   # reproducible with the seed; each pass draws anew
    for order in (first, second):
        assert len(order) == len(sampler) and len(set(order)) == len(order)
        per_video = collections.Counter(vc.get_clip_location(i)[0] for i in order)
        assert [per_video[v] for v in range(len(counts))] == [min(n, 4) for n in counts]
    assert sorted(RandomClipSampler(vc, 100)) == list(range(sum(counts)))   # every clip once


# ---- on the stored tiny videos ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def stored_clips():
    pytest.importorskip("av")
    ref = FIX["stored_videos"]
    vc = VideoClips([os.path.join(FIXTURES, name) for name in ref["files"]], 5, 3, num_workers=0)
    assert [len(c) for c in vc.clips] == ref["clip_counts"]
    return vc


def test_samplers_on_stored_videos_match_torchvision(stored_clips, torch_draws):
    ref = FIX["stored_videos"]
    assert uniform_outcomes(stored_clips) == ref["uniform"]
    assert random_outcomes(torch_draws, stored_clips) == ref["random"]


# ---- DistributedSampler -----------------------------------------------------------------------------
def distributed_outcome(key):
    n, replicas, rank, group, shuffle, epoch = map(int, key.split("_"))

    def make():
        sampler = DistributedSampler(list(range(n)), num_replicas=replicas, rank=rank, shuffle=bool(shuffle),
                                     group_size=group)
        sampler.set_epoch(epoch)
        return sampler

    return outcome(make)


@pytest.mark.parametrize("n", sorted({key.split("_")[0] for key in FIX["distributed"]}, key=int))
def test_distributed_matches_torchvision(n):
    keys = [key for key in FIX["distributed"] if key.split("_")[0] == n]
    mismatched = [key for key in keys if distributed_outcome(key) != FIX["distributed"][key]]
    assert not mismatched


def test_distributed_over_clip_samplers_matches_torchvision():
    vc = clips_from_counts(COUNTS["mixed"])
    uniform_keys = [key for key in FIX["wrapped"] if key.startswith("uniform")]
    for key in uniform_keys:
        replicas, rank, shuffle, epoch = map(int, key.split("_")[1:])

        def make():
            sampler = DistributedSampler(UniformClipSampler(vc, 3), num_replicas=replicas, rank=rank,
                                         shuffle=bool(shuffle), group_size=3)
            sampler.set_epoch(epoch)
            return sampler

        assert outcome(make) == FIX["wrapped"][key], key


def test_distributed_over_random_clips_matches_torchvision(torch_draws):
    vc = clips_from_counts(COUNTS["mixed"])
    for key, ref in FIX["wrapped"].items():
        if not key.startswith("random"):
            continue
        replicas, rank, shuffle, epoch, seed = map(int, key.split("_")[1:])

        def make():
            sampler = DistributedSampler(RandomClipSampler(vc, 4), num_replicas=replicas, rank=rank,
                                         shuffle=bool(shuffle))
            sampler.set_epoch(epoch)
            return sampler

        assert random_passes(torch_draws, make, seed) == ref, key


def test_distributed_docstring_example():
    """The shards of torchvision's docstring: 14 indices, 4 replicas, no shuffle."""
    shards = [list(DistributedSampler(list(range(14)), 4, rank)) for rank in range(4)]
    assert shards == [[0, 4, 8, 12], [1, 5, 9, 13], [2, 6, 10, 0], [3, 7, 11, 1]]
    shards = [list(DistributedSampler(list(range(14)), 4, rank, group_size=2)) for rank in range(4)]
    assert shards == [[0, 1, 8, 9], [2, 3, 10, 11], [4, 5, 12, 13], [6, 7, 0, 1]]


# ---- errors -----------------------------------------------------------------------------------------
def test_errors_match_torchvision(monkeypatch):
    ref = FIX["errors"]
    assert outcome(lambda: UniformClipSampler([[0]], 1)) == ref["uniform_type"]
    assert outcome(lambda: RandomClipSampler(object(), 1)) == ref["random_type"]
    assert outcome(lambda: DistributedSampler(list(range(10)), 2, 0, group_size=3)) == ref["group_size"]
    assert outcome(lambda: UniformClipSampler(clips_from_counts([3]), -1)) == ref["uniform_negative"]
    assert not ember.distributed.is_initialized()
    assert outcome(lambda: DistributedSampler(list(range(4)))) == ref["no_process_group"]
    monkeypatch.setattr(ember.distributed, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available"):
        DistributedSampler(list(range(4)), num_replicas=2)


# ---- a DataLoader over a video dataset ----------------------------------------------------------------
def video_and_label(batch):
    """torchvision's video classification collate: drop the audio, whose length varies from clip to clip."""
    return default_collate([(video, label) for video, _, label in batch])


@pytest.fixture
def ucf101(tmp_path):
    pytest.importorskip("av")
    root, splits = tmp_path / "videos", tmp_path / "splits"
    for rel, src in (("Archery/v_Archery_g01_c01.avi", "video_mpeg4_pcm.avi"),
                     ("Bowling/v_Bowling_g01_c01.avi", "video_mpeg4_12fps.avi")):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(FIXTURES, src), root / rel)
    splits.mkdir()
    (splits / "trainlist01.txt").write_text("Archery/v_Archery_g01_c01.avi 1\nBowling/v_Bowling_g01_c01.avi 2\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return datasets.UCF101(str(root), str(splits), 4, step_between_clips=2, num_workers=0)


def test_dataloader_with_random_clip_sampler(ucf101):
    counts = [len(c) for c in ucf101.video_clips.clips]
    assert counts == [(17 - 4) // 2 + 1, (23 - 4) // 2 + 1]
    sampler = RandomClipSampler(ucf101.video_clips, 3)
    ember.manual_seed(0)
    ember.empty((), dtype=ember.int64).random_()   # a DataLoader iterator draws its base seed first (torch's order)
    order = list(sampler)
    ember.manual_seed(0)
    loader = DataLoader(ucf101, batch_size=4, sampler=sampler, collate_fn=video_and_label)
    assert len(loader) == 2
    batches = list(loader)
    assert [tuple(videos.shape) for videos, _ in batches] == [(4, 4, 24, 32, 3), (2, 4, 24, 32, 3)]
    labels = [label for _, batch_labels in batches for label in batch_labels.tolist()]
    assert labels == [ucf101.video_clips.get_clip_location(i)[0] for i in order]   # video 0 is class 0
    videos = ember.cat([videos for videos, _ in batches])
    for row, idx in enumerate(order):
        assert ember.equal(videos[row], ucf101[idx][0])
    assert sorted(collections.Counter(labels).values()) == [3, 3]


def test_dataloader_with_uniform_clips_on_two_ranks(ucf101):
    uniform = UniformClipSampler(ucf101.video_clips, 2)
    assert list(uniform) == [0, 6, 7, 16]   # clips 0 and 6 of video 0 (7 clips), 0 and 9 of video 1 (10 clips)
    ranks = [DistributedSampler(uniform, num_replicas=2, rank=r, group_size=2) for r in range(2)]
    loaders = [DataLoader(ucf101, batch_size=2, sampler=s, collate_fn=video_and_label) for s in ranks]
    assert [[labels.tolist() for _, labels in loader] for loader in loaders] == [[[0, 0]], [[1, 1]]]
