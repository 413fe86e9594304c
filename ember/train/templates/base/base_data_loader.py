# A DataLoader over a seeded train split, with split_validation() / split_test() for the held-out parts.
from ember.train.data import BaseDataLoader  # noqa: F401
