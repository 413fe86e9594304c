from base import BaseDataLoader
from ember.train.data import DigitsDataset


class DigitsDataLoader(BaseDataLoader):
    """The 8x8 handwritten digits shipped with ember, split into train / validation / test."""

    def __init__(self, data_dir=None, batch_size=64, shuffle=True, validation_split=0.15, test_split=0.15,
                 num_workers=0, split_seed=42):
        spec = {"shape": [1, 8, 8], "mean": [0.0], "std": [1.0], "invert_light_background": True,
                "classes": [str(i) for i in range(10)]}
        super().__init__(DigitsDataset(data_dir), batch_size, shuffle, validation_split, num_workers,
                         test_split=test_split, split_seed=split_seed, input_spec=spec)
