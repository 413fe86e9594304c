"""ImageNet 2012 (ILSVRC2012) from the official archives placed in root by the user.

On first use the devkit is parsed into root/meta.bin and the train/val tars are unpacked into
root/train/<wnid>/ and root/val/<wnid>/, exactly the layout torchvision produces."""
import os
import shutil
import tempfile

from ._matlab import loadmat
from .folder import ImageFolder
from .utils import check_integrity, extract_archive, verify_str_arg

ARCHIVE_META = {
    "train": ("ILSVRC2012_img_train.tar", "1d675b47d978889d74fa0da5fadfb00e"),
    "val": ("ILSVRC2012_img_val.tar", "29b22e2961454d5413ddabcf34fc5622"),
    "devkit": ("ILSVRC2012_devkit_t12.tar.gz", "fa75699e90414af021442c21a62c3abf"),
}
META_FILE = "meta.bin"


class ImageNet(ImageFolder):
    """ImageNet classification split ("train" or "val"); `classes` holds tuples of class names per wnid."""

    def __init__(self, root, split="train", **kwargs):
        root = self.root = os.path.expanduser(root)
        self.split = verify_str_arg(split, "split", ("train", "val"))
        self.parse_archives()
        wnid_to_classes = load_meta_file(self.root)[0]
        super().__init__(self.split_folder, **kwargs)
        self.root = root
        self.wnids = self.classes
        self.wnid_to_idx = self.class_to_idx
        self.classes = [wnid_to_classes[wnid] for wnid in self.wnids]
        self.class_to_idx = {name: idx for idx, names in enumerate(self.classes) for name in names}

    def parse_archives(self):
        if not check_integrity(os.path.join(self.root, META_FILE)):
            parse_devkit_archive(self.root)
        if not os.path.isdir(self.split_folder):
            if self.split == "train":
                parse_train_archive(self.root)
            else:
                parse_val_archive(self.root)

    @property
    def split_folder(self):
        return os.path.join(self.root, self.split)

    def extra_repr(self):
        return f"Split: {self.split}"


def load_meta_file(root, file=None):
    """(wnid -> tuple of class names, list of the val images' wnids) from root/meta.bin."""
    from ... import load
    path = os.path.join(root, META_FILE if file is None else file)
    if not check_integrity(path):
        raise RuntimeError(f"The meta file {path} is not present in the root directory or is corrupted. "
                           "This file is automatically created by the ImageNet dataset.")
    return load(path, weights_only=True)


def _verify_archive(root, file, md5):
    if not check_integrity(os.path.join(root, file), md5):
        raise RuntimeError(f"The archive {file} is not present in the root directory or is corrupted. "
                           f"You need to download it externally and place it in {root}.")


def _parse_meta_mat(devkit_root):
    synsets = loadmat(os.path.join(devkit_root, "data", "meta.mat"))["synsets"].reshape(-1)
    idx_to_wnid, wnid_to_classes = {}, {}
    for s in synsets:
        if int(s["num_children"].reshape(-1)[0]) != 0:  # keep the 1000 leaf synsets
            continue
        wnid = str(s["WNID"].reshape(-1)[0])
        idx_to_wnid[int(s["ILSVRC2012_ID"].reshape(-1)[0])] = wnid
        wnid_to_classes[wnid] = tuple(str(s["words"].reshape(-1)[0]).split(", "))
    return idx_to_wnid, wnid_to_classes


def parse_devkit_archive(root, file=None):
    """Write root/meta.bin from the devkit archive (synset names and the val ground truth)."""
    from ... import save
    name, md5 = ARCHIVE_META["devkit"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    tmp = tempfile.mkdtemp()
    try:
        extract_archive(os.path.join(root, file), tmp)
        devkit_root = os.path.join(tmp, "ILSVRC2012_devkit_t12")
        idx_to_wnid, wnid_to_classes = _parse_meta_mat(devkit_root)
        with open(os.path.join(devkit_root, "data", "ILSVRC2012_validation_ground_truth.txt")) as f:
            val_idcs = [int(line) for line in f]
        val_wnids = [idx_to_wnid[i] for i in val_idcs]
        save((wnid_to_classes, val_wnids), os.path.join(root, META_FILE))
    finally:
        shutil.rmtree(tmp)


def parse_train_archive(root, file=None, folder="train"):
    """Unpack the train tar (one tar per class inside) into root/<folder>/<wnid>/."""
    name, md5 = ARCHIVE_META["train"]
    file = name if file is None else file
    _verify_archive(root, file, md5)
    train_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), train_root)
    for archive in [os.path.join(train_root, a) for a in os.listdir(train_root)]:
        extract_archive(archive, os.path.splitext(archive)[0], remove_finished=True)


def parse_val_archive(root, file=None, wnids=None, folder="val"):
    """Unpack the val tar into root/<folder>/<wnid>/ using the ground truth stored in meta.bin."""
    name, md5 = ARCHIVE_META["val"]
    file = name if file is None else file
    if wnids is None:
        wnids = load_meta_file(root)[1]
    _verify_archive(root, file, md5)
    val_root = os.path.join(root, folder)
    extract_archive(os.path.join(root, file), val_root)
    images = sorted(os.path.join(val_root, image) for image in os.listdir(val_root))
    for wnid in set(wnids):
        os.mkdir(os.path.join(val_root, wnid))
    for wnid, img_file in zip(wnids, images):
        shutil.move(img_file, os.path.join(val_root, wnid, os.path.basename(img_file)))
