"""DistributedSampler: the same index lists as torch's."""
import pytest
import torch
from torch.utils.data.distributed import DistributedSampler as TorchSampler

from ember.utils.data import DistributedSampler
from ember.utils.data.distributed import torch_randperm


@pytest.mark.parametrize("n", [0, 1, 5, 10, 11, 37])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("shuffle,drop_last,seed", [(True, False, 0), (True, True, 7), (False, False, 0),
                                                    (False, True, 3), (True, False, -5)])
def test_indices_match_torch(n, replicas, shuffle, drop_last, seed):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=shuffle, seed=seed, drop_last=drop_last)
        for epoch in (0, 1, 4):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs), (rank, epoch)
            assert len(ours) == len(theirs)


def test_ranks_cover_the_dataset_disjointly():
    data = list(range(20))
    shares = [list(DistributedSampler(data, 4, r, seed=1)) for r in range(4)]
    assert sorted(sum(shares, [])) == data
    first = shares[0]
    s = DistributedSampler(data, 4, 0, seed=1)
    s.set_epoch(1)
    assert list(s) != first


def test_torch_randperm_matches_torch():
    for n, seed in [(2, 0), (100, 12345), (1000, 2 ** 40 + 3)]:
        g = torch.Generator().manual_seed(seed)
        assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


def test_invalid_rank():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)


def test_needs_a_process_group_without_explicit_ranks():
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DistributedSampler(list(range(4)))
