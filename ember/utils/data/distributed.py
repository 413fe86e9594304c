"""DistributedSampler: each rank's share of a dataset's indices, as torch.utils.data.distributed."""
import math

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]


def torch_randperm(n, seed):
    """torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist(), bit for bit.

    PyTorch's CPU generator is an MT19937 seeded with the low 32 bits of the seed (NumPy's MT19937 with
    legacy seeding produces the same stream); its randperm swaps r[i] with r[i + x % (n - i)] for each
    draw x. ember.randperm uses NumPy's PCG64 stream, so the sampler computes torch's permutation here to
    hand every rank exactly the indices PyTorch would."""
    mt = np.random.MT19937()
    mt._legacy_seeding(seed & 0xFFFFFFFF)
    if n < 2:
        return list(range(n))
    span = np.arange(n, 1, -1, dtype=np.uint64)                   # n - i for i = 0 .. n-2
    if n < 0xFFFFFFFF // 20:
        draws = mt.random_raw(n - 1).astype(np.uint64)
    else:                                                          # 64-bit draws: high word first
        raw = mt.random_raw(2 * (n - 1)).astype(np.uint64)
        draws = (raw[0::2] << np.uint64(32)) | raw[1::2]
    targets = (draws % span + np.arange(n - 1, dtype=np.uint64)).tolist()
    r = list(range(n))
    for i, j in enumerate(targets):
        r[i], r[j] = r[j], r[i]
    return r


class DistributedSampler(Sampler):
    """Indices rank, rank + num_replicas, ... of the (shuffled with seed + epoch, then padded by wrapping
    around or, with drop_last, truncated) index list, so every rank gets the same number of samples."""

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0, drop_last=False):
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if num_replicas is None:
                num_replicas = dist.get_world_size()
            if rank is None:
                rank = dist.get_rank()
        if rank >= num_replicas or rank < 0:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas = num_replicas
        self.rank = rank
        self.epoch = 0
        self.drop_last = drop_last
        if drop_last and len(dataset) % num_replicas != 0:
            self.num_samples = math.ceil((len(dataset) - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(len(dataset) / num_replicas)
        self.total_size = self.num_samples * num_replicas
        self.shuffle = shuffle
        self.seed = seed

    def __iter__(self):
        n = len(self.dataset)
        indices = torch_randperm(n, self.seed + self.epoch) if self.shuffle else list(range(n))
        if not self.drop_last:
            pad = self.total_size - len(indices)
            if pad <= len(indices):
                indices += indices[:pad]
            else:
                indices += (indices * math.ceil(pad / len(indices)))[:pad]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """Reshuffle differently next time: the permutation is seeded with seed + epoch."""
        self.epoch = epoch
