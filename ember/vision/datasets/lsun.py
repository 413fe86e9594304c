"""LSUN scene categories stored as LMDB databases (root/<category>_<split>_lmdb). Needs the optional `lmdb`."""
import io
import os
import pickle
import string
from collections.abc import Iterable

from .utils import iterable_to_str, verify_str_arg
from .vision import VisionDataset


class LSUNClass(VisionDataset):
    """One LMDB database of encoded images; samples are (RGB image, None)."""

    def __init__(self, root, transform=None, target_transform=None):
        try:
            import lmdb
        except ImportError:
            raise ImportError("LSUN needs the 'lmdb' package: pip install lmdb") from None
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.env = lmdb.open(root, max_readers=1, readonly=True, lock=False, readahead=False, meminit=False)
        with self.env.begin(write=False) as txn:
            self.length = txn.stat()["entries"]
        # the key list is cached in the working directory, as torchvision does
        cache_file = "_cache_" + "".join(c for c in root if c in string.ascii_letters)
        if os.path.isfile(cache_file):
            with open(cache_file, "rb") as f:
                self.keys = pickle.load(f)
        else:
            with self.env.begin(write=False) as txn:
                self.keys = [key for key in txn.cursor().iternext(keys=True, values=False)]
            with open(cache_file, "wb") as f:
                pickle.dump(self.keys, f)

    def __getitem__(self, index):
        from PIL import Image
        with self.env.begin(write=False) as txn:
            buf = txn.get(self.keys[index])
        img = Image.open(io.BytesIO(buf)).convert("RGB")
        target = None
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return self.length


class LSUN(VisionDataset):
    """`classes` is "train", "val", "test" or a list like ["bedroom_train", "church_outdoor_val"];
    the target is the index of the category database a sample comes from."""

    def __init__(self, root, classes="train", transform=None, target_transform=None):
        super().__init__(root, transform=transform, target_transform=target_transform)
        self.classes = self._verify_classes(classes)
        self.dbs = [LSUNClass(root=os.path.join(root, f"{c}_lmdb"), transform=transform) for c in self.classes]
        self.indices, count = [], 0
        for db in self.dbs:
            count += len(db)
            self.indices.append(count)
        self.length = count

    def _verify_classes(self, classes):
        categories = ["bedroom", "bridge", "church_outdoor", "classroom", "conference_room", "dining_room",
                      "kitchen", "living_room", "restaurant", "tower"]
        dset_opts = ["train", "val", "test"]
        if isinstance(classes, str) and classes in dset_opts:
            return [classes] if classes == "test" else [f"{c}_{classes}" for c in categories]
        if not isinstance(classes, Iterable):
            raise ValueError(f"Expected type str or Iterable for argument classes, but got type {type(classes)}.")
        classes = list(classes)
        for c in classes:
            verify_str_arg(c, custom_msg=f"Expected type str for elements in argument classes, but got type {type(c)}.")
            parts = c.split("_")
            category, dset_opt = "_".join(parts[:-1]), parts[-1]
            fmt = "Unknown value '{}' for {}. Valid values are {{{}}}."
            verify_str_arg(category, valid_values=categories,
                           custom_msg=fmt.format(category, "LSUN class", iterable_to_str(categories)))
            verify_str_arg(dset_opt, valid_values=dset_opts,
                           custom_msg=fmt.format(dset_opt, "postfix", iterable_to_str(dset_opts)))
        return classes

    def __getitem__(self, index):
        target, offset = 0, 0
        for end in self.indices:
            if index < end:
                break
            target += 1
            offset = end
        if self.target_transform is not None:
            target = self.target_transform(target)
        img, _ = self.dbs[target][index - offset]
        return img, target

    def __len__(self):
        return self.length

    def extra_repr(self):
        return f"Classes: {self.classes}"
