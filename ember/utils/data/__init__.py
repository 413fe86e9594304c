"""ember.utils.data: datasets, samplers and the DataLoader (torch.utils.data)."""
from .dataset import (Dataset, IterableDataset, TensorDataset, ConcatDataset, ChainDataset, Subset, StackDataset,
                      random_split)
from .sampler import (Sampler, SequentialSampler, RandomSampler, SubsetRandomSampler, WeightedRandomSampler,
                      BatchSampler)
from .dataloader import DataLoader, default_collate, default_convert
from ._utils.worker import get_worker_info, WorkerInfo

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "ConcatDataset", "ChainDataset", "Subset", "StackDataset",
           "random_split", "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DataLoader", "default_collate", "default_convert",
           "get_worker_info", "WorkerInfo"]
from .distributed import DistributedSampler  # noqa: E402
__all__.append("DistributedSampler")
