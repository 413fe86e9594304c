"""USPS handwritten digits from the LIBSVM bz2 files (root/usps.bz2, root/usps.t.bz2)."""
import bz2
import os

import numpy as np

from .utils import download_url
from .vision import VisionDataset


class USPS(VisionDataset):
    """16x16 grayscale digits; values in [-1, 1] are rescaled to uint8 [0, 255], labels 1..10 to 0..9."""

    split_list = {
        "train": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2", "usps.bz2",
                  "ec16c51db3855ca6c91edd34d0e9b197"],
        "test": ["https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2", "usps.t.bz2",
                 "8ea070ee2aca1ac39742fdd1ef5ed118"],
    }

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        url, filename, checksum = self.split_list["train" if train else "test"]
        full_path = os.path.join(self.root, filename)
        if download and not os.path.exists(full_path):
            download_url(url, self.root, filename, md5=checksum)
        with bz2.open(full_path) as fp:
            rows = [line.decode().split() for line in fp]
        # LIBSVM rows: "<label> 1:<v> 2:<v> ... 256:<v>"
        values = np.asarray([[item.split(":")[-1] for item in row[1:]] for row in rows], dtype=np.float32)
        self.data = ((values.reshape((-1, 16, 16)) + 1) / 2 * 255).astype(np.uint8)
        self.targets = [int(row[0]) - 1 for row in rows]

    def __getitem__(self, index):
        from PIL import Image
        img, target = Image.fromarray(self.data[index]), int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)
