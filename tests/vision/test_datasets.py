"""ember.vision.datasets on tiny files written in each dataset's real on-disk format."""
import bz2
import gzip
import hashlib
import io
import json
import lzma
import os
import pickle
import struct
import tarfile
import zipfile
import zlib
from xml.etree import ElementTree

import numpy as np

import pytest

pytest.importorskip("PIL")
from PIL import Image  # noqa: E402

import ember  # noqa: E402
from ember.vision import datasets  # noqa: E402
from ember.vision.datasets import utils as dutils  # noqa: E402

_IDX_CODES = {np.dtype(np.uint8): 8, np.dtype(np.int8): 9, np.dtype(np.int16): 11, np.dtype(np.int32): 12,
              np.dtype(np.float32): 13, np.dtype(np.float64): 14}


def write_idx(path, arr):
    """IDX file: 0x00 0x00 <type> <ndim>, big-endian int32 dims, big-endian data."""
    arr = np.asarray(arr)
    head = bytes([0, 0, _IDX_CODES[arr.dtype], arr.ndim]) + b"".join(struct.pack(">i", d) for d in arr.shape)
    with open(path, "wb") as f:
        f.write(head + arr.astype(arr.dtype.newbyteorder(">")).tobytes())


# ---- MATLAB level 5 --------------------------------------------------------------------------------
class StructArray(list):
    """A column (N x 1) MATLAB struct array given as a list of dicts with the same keys."""


class Sparse:
    """A logical sparse matrix given as a dense bool array."""

    def __init__(self, dense):
        self.dense = np.asarray(dense, dtype=bool)


_MAT_NUMERIC = {np.dtype(np.uint8): (2, 9), np.dtype(np.float64): (9, 6), np.dtype(np.int32): (5, 12),
                np.dtype(np.int16): (3, 10)}


def _element(code, payload):
    return struct.pack("<II", code, len(payload)) + payload + b"\0" * ((-len(payload)) % 8)


def _matrix(value, name=""):
    nzmax, logical = 0, False
    if isinstance(value, str):
        cls, dims = 4, (1, len(value))
        body = _element(4, np.array([ord(c) for c in value], "<u2").tobytes())
    elif isinstance(value, (dict, StructArray)):
        records = [value] if isinstance(value, dict) else list(value)
        cls, dims, names = 2, (len(records), 1) if isinstance(value, StructArray) else (1, 1), list(records[0])
        body = _element(5, struct.pack("<i", 32)) + _element(1, b"".join(n.encode().ljust(32, b"\0") for n in names))
        body += b"".join(_matrix(rec[n]) for rec in records for n in names)
    elif isinstance(value, list):  # cell column
        cls, dims = 1, (len(value), 1)
        body = b"".join(_matrix(v) for v in value)
    elif isinstance(value, Sparse):
        cls, dims, logical = 5, value.dense.shape, True
        cols, rows = np.nonzero(value.dense.T)  # column-major order of the stored entries
        colptr = np.concatenate([[0], np.cumsum(value.dense.sum(axis=0))]).astype("<i4")
        nzmax = max(len(rows), 1)
        body = (_element(5, rows.astype("<i4").tobytes()) + _element(5, colptr.tobytes())
                + _element(2, np.ones(len(rows), np.uint8).tobytes()))
    else:
        arr = np.asarray(value)
        arr = arr.reshape(arr.shape + (1,) * (2 - arr.ndim)) if arr.ndim < 2 else arr
        mi, cls = _MAT_NUMERIC[arr.dtype]
        dims = arr.shape
        body = _element(mi, arr.astype(arr.dtype.newbyteorder("<")).tobytes(order="F"))
    flags = _element(6, struct.pack("<II", cls | (0x200 if logical else 0), nzmax))
    head = flags + _element(5, np.array(dims, "<i4").tobytes()) + _element(1, name.encode())
    return _element(14, head + body)


def write_mat(path, variables, compress=False):
    header = b"MATLAB 5.0 MAT-file, written by the ember tests".ljust(116) + b"\0" * 8 + struct.pack("<H", 0x100) + b"IM"
    out = [header]
    for name, value in variables.items():
        element = _matrix(value, name)
        if compress:
            packed = zlib.compress(element)
            element = struct.pack("<II", 15, len(packed)) + packed
        out.append(element)
    with open(path, "wb") as f:
        f.write(b"".join(out))


# ---- archives --------------------------------------------------------------------------------------
def add_bytes(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


def png_bytes(arr):
    from PIL import Image
    buf = io.BytesIO()
    Image.fromarray(np.asarray(arr, dtype=np.uint8)).save(buf, format="PNG")
    return buf.getvalue()


def save_image(path, arr, fmt=None):
    from PIL import Image
    Image.fromarray(np.asarray(arr, dtype=np.uint8)).save(path, format=fmt)


def md5(path):
    with open(path, "rb") as f:
        return hashlib.md5(f.read()).hexdigest()


RNG = np.random.default_rng(0)


def assert_pil(img, mode, size):
    assert isinstance(img, Image.Image) and img.mode == mode and img.size == size


# ---- VisionDataset -------------------------------------------------------------------------------
class _Tiny(datasets.VisionDataset):
    def __len__(self):
        return 3

    def extra_repr(self):
        return "Split: x\nMore: y"


class _Named:
    def __init__(self, text):
        self.text = text

    def __call__(self, x):
        return x

    def __repr__(self):
        return self.text


def test_vision_dataset_repr_and_transforms():
    assert repr(_Tiny("data")) == "Dataset _Tiny\n    Number of datapoints: 3\n    Root location: data\n    Split: x\n    More: y"
    ds = _Tiny("~/x", transform=_Named("Compose(\n    A()\n)"), target_transform=_Named("T()"))
    assert ds.root == os.path.expanduser("~/x")
    # as in torchvision, only the first line of the transforms' repr is indented
    assert repr(ds).endswith("    More: y\n    StandardTransform\nTransform: Compose(\n               A()\n"
                             "           )\nTarget transform: T()")
    assert ds.transforms(1, 2) == (1, 2)
    with pytest.raises(ValueError, match="Only transforms or transform/target_transform"):
        _Tiny("r", transforms=lambda a, b: (a, b), transform=lambda a: a)
    assert "Root location" not in repr(_Tiny())


# ---- MNIST family ------------------------------------------------------------------------------
def _mnist_raw(root, cls="MNIST", n_train=5, n_test=3, prefix=""):
    raw = os.path.join(root, cls, "raw")
    os.makedirs(raw, exist_ok=True)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        imgs = RNG.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = RNG.integers(0, 10, n).astype(np.uint8)
        write_idx(os.path.join(raw, f"{prefix}{split}-images-idx3-ubyte"), imgs)
        write_idx(os.path.join(raw, f"{prefix}{split}-labels-idx1-ubyte"), labels)
        out[split] = (imgs, labels)
    return out


def test_mnist(tmp_path):
    files = _mnist_raw(tmp_path)
    ds = datasets.MNIST(str(tmp_path))
    imgs, labels = files["train"]
    assert len(ds) == 5
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (5, 28, 28)
    assert ds.targets.dtype == ember.int64
    np.testing.assert_array_equal(ds.data.numpy(), imgs)
    img, target = ds[2]
    assert_pil(img, "L", (28, 28))
    assert type(target) is int and target == labels[2]
    np.testing.assert_array_equal(np.asarray(img), imgs[2])
    assert repr(ds) == f"Dataset MNIST\n    Number of datapoints: 5\n    Root location: {tmp_path}\n    Split: Train"
    assert ds.class_to_idx["3 - three"] == 3 and len(ds.classes) == 10
    with pytest.warns(UserWarning, match="train_data has been renamed data"):
        assert ds.train_data is ds.data
    test = datasets.MNIST(tmp_path, train=False, transform=lambda im: np.asarray(im).sum(),
                          target_transform=lambda t: -t)
    assert len(test) == 3 and test[1] == (files["t10k"][0][1].sum(), -int(files["t10k"][1][1]))
    assert repr(test).splitlines()[3] == "    Split: Test"


def test_mnist_missing_and_variants(tmp_path):
    with pytest.raises(RuntimeError, match="^Dataset not found. You can use download=True to download it$"):
        datasets.MNIST(tmp_path)
    _mnist_raw(tmp_path, "FashionMNIST")
    _mnist_raw(tmp_path, "KMNIST")
    assert len(datasets.FashionMNIST(tmp_path)) == 5 and datasets.FashionMNIST.classes[0] == "T-shirt/top"
    assert datasets.KMNIST(tmp_path, train=False).classes[-1] == "wo"
    with pytest.raises(RuntimeError):
        datasets.MNIST(tmp_path)  # the FashionMNIST files live in their own folder


def test_mnist_rejects_bad_idx(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    _mnist_raw(tmp_path)
    write_idx(raw / "train-labels-idx1-ubyte", np.zeros((5, 2), np.uint8))
    with pytest.raises(ValueError, match="x should have 1 dimension instead of 2"):
        datasets.MNIST(tmp_path)


def test_emnist(tmp_path):
    _mnist_raw(tmp_path, "EMNIST", prefix="emnist-letters-")
    os.rename(tmp_path / "EMNIST/raw/emnist-letters-t10k-images-idx3-ubyte",
              tmp_path / "EMNIST/raw/emnist-letters-test-images-idx3-ubyte")
    os.rename(tmp_path / "EMNIST/raw/emnist-letters-t10k-labels-idx1-ubyte",
              tmp_path / "EMNIST/raw/emnist-letters-test-labels-idx1-ubyte")
    ds = datasets.EMNIST(tmp_path, split="letters")
    assert len(ds) == 5 and ds.classes[:3] == ["N/A", "a", "b"]
    assert len(datasets.EMNIST(tmp_path, "letters", train=False)) == 3
    assert len(datasets.EMNIST.classes_split_dict["byclass"]) == 62
    assert len(datasets.EMNIST.classes_split_dict["balanced"]) == 47
    with pytest.raises(ValueError, match="Unknown value 'foo' for argument split. Valid values are "
                                         "{'byclass', 'bymerge', 'balanced', 'letters', 'digits', 'mnist'}."):
        datasets.EMNIST(tmp_path, split="foo")
    with pytest.raises(RuntimeError, match="Dataset not found"):
        datasets.EMNIST(tmp_path, split="digits")


def test_qmnist(tmp_path):
    raw = tmp_path / "QMNIST" / "raw"
    raw.mkdir(parents=True)
    imgs = RNG.integers(0, 256, (4, 28, 28), dtype=np.uint8)
    labels = RNG.integers(0, 60000, (4, 8)).astype(np.int32)
    labels[:, 0] = [3, 1, 4, 1]
    write_idx(raw / "qmnist-test-images-idx3-ubyte", imgs)
    write_idx(raw / "qmnist-test-labels-idx2-int", labels)
    ds = datasets.QMNIST(tmp_path, train=False)
    assert ds.what == "test" and len(ds) == 4
    img, target = ds[2]
    assert_pil(img, "L", (28, 28)) and target == 4 and type(target) is int
    full = datasets.QMNIST(tmp_path, what="test10k", compat=False)[0][1]
    assert full.dtype == ember.int64 and full.tolist() == labels[0].tolist()
    assert len(datasets.QMNIST(tmp_path, what="test50k")) == 0
    assert repr(ds).endswith("Split: test")
    with pytest.raises(ValueError, match="Unknown value 'x' for argument what"):
        datasets.QMNIST(tmp_path, what="x")


# ---- CIFAR --------------------------------------------------------------------------------------
def _cifar(root, monkeypatch, cls=datasets.CIFAR10):
    folder = root / cls.base_folder
    folder.mkdir()
    fine = cls is datasets.CIFAR100
    names = [n for n, _ in cls.train_list + cls.test_list]
    batches = {}
    for name in names:
        data = RNG.integers(0, 256, (10, 3072), dtype=np.uint8)
        labels = [int(x) for x in RNG.integers(0, 10, 10)]
        entry = {"batch_label": name, "data": data, ("fine_labels" if fine else "labels"): labels}
        with open(folder / name, "wb") as f:
            pickle.dump(entry, f, protocol=2)
        batches[name] = (data, labels)
    meta_key = cls.meta["key"]
    with open(folder / cls.meta["filename"], "wb") as f:
        pickle.dump({meta_key: [f"class{i}" for i in range(10)]}, f)
    monkeypatch.setattr(cls, "train_list", [[n, md5(folder / n)] for n, _ in cls.train_list])
    monkeypatch.setattr(cls, "test_list", [[n, md5(folder / n)] for n, _ in cls.test_list])
    monkeypatch.setattr(cls, "meta", dict(cls.meta, md5=md5(folder / cls.meta["filename"])))
    return batches


def test_cifar10(tmp_path, monkeypatch):
    batches = _cifar(tmp_path, monkeypatch)
    ds = datasets.CIFAR10(tmp_path)
    assert len(ds) == 50 and ds.data.shape == (50, 32, 32, 3) and ds.data.dtype == np.uint8
    data, labels = batches["data_batch_2"]
    img, target = ds[13]
    assert_pil(img, "RGB", (32, 32))
    assert target == labels[3] and type(target) is int
    px = np.asarray(img)
    assert tuple(px[0, 1]) == (data[3, 1], data[3, 1024 + 1], data[3, 2048 + 1])
    assert tuple(px[2, 0]) == (data[3, 64], data[3, 1024 + 64], data[3, 2048 + 64])
    assert ds.classes[2] == "class2" and ds.class_to_idx["class9"] == 9
    test = datasets.CIFAR10(tmp_path, train=False, target_transform=str)
    assert len(test) == 10 and test[0][1] == str(batches["test_batch"][1][0])
    assert repr(test).splitlines()[:4] == ["Dataset CIFAR10", "    Number of datapoints: 10",
                                           f"    Root location: {tmp_path}", "    Split: Test"]
    with open(tmp_path / "cifar-10-batches-py" / "data_batch_1", "ab") as f:
        f.write(b"x")
    with pytest.raises(RuntimeError, match="^Dataset not found or corrupted. You can use download=True"):
        datasets.CIFAR10(tmp_path)


def test_cifar100_and_bad_meta(tmp_path, monkeypatch):
    batches = _cifar(tmp_path, monkeypatch, datasets.CIFAR100)
    ds = datasets.CIFAR100(tmp_path, train=False)
    assert len(ds) == 10 and ds[4][1] == batches["test"][1][4]
    monkeypatch.setattr(datasets.CIFAR100, "meta", dict(datasets.CIFAR100.meta, md5="0" * 32))
    with pytest.raises(RuntimeError, match="Dataset metadata file not found or corrupted"):
        datasets.CIFAR100(tmp_path)


# ---- SVHN / STL10 / USPS -------------------------------------------------------------------------
def test_svhn(tmp_path, monkeypatch):
    X = RNG.integers(0, 256, (32, 32, 3, 4), dtype=np.uint8)
    y = np.array([[10.0], [1.0], [5.0], [10.0]])
    write_mat(tmp_path / "test_32x32.mat", {"X": X, "y": y}, compress=True)
    monkeypatch.setitem(datasets.SVHN.split_list, "test",
                        ["http://127.0.0.1:9/none", "test_32x32.mat", md5(tmp_path / "test_32x32.mat")])
    ds = datasets.SVHN(tmp_path, split="test")
    assert len(ds) == 4 and ds.labels.tolist() == [0, 1, 5, 0] and ds.data.shape == (4, 3, 32, 32)
    img, target = ds[2]
    assert_pil(img, "RGB", (32, 32)) and target == 5
    np.testing.assert_array_equal(np.asarray(img), X[:, :, :, 2])
    assert repr(ds).endswith("Split: test")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.SVHN(tmp_path, split="train")
    with pytest.raises(ValueError, match="Unknown value 'dev' for argument split"):
        datasets.SVHN(tmp_path, split="dev")


def test_stl10(tmp_path, monkeypatch):
    folder = tmp_path / "stl10_binary"
    folder.mkdir()
    train = RNG.integers(0, 256, (3, 3, 96, 96), dtype=np.uint8)  # (N, C, H, W)
    unlabeled = RNG.integers(0, 256, (2, 3, 96, 96), dtype=np.uint8)
    test = RNG.integers(0, 256, (1, 3, 96, 96), dtype=np.uint8)
    # the binary stores every channel column-major
    for name, arr in (("train_X.bin", train), ("unlabeled_X.bin", unlabeled), ("test_X.bin", test)):
        arr.transpose(0, 1, 3, 2).tofile(folder / name)
    np.array([1, 10, 3], np.uint8).tofile(folder / "train_y.bin")
    np.array([7], np.uint8).tofile(folder / "test_y.bin")
    (folder / "class_names.txt").write_text("\n".join(f"c{i}" for i in range(10)) + "\n")
    (folder / "fold_indices.txt").write_text("2 0\n1\n")
    monkeypatch.setattr(datasets.STL10, "train_list", [[n, md5(folder / n)] for n, _ in datasets.STL10.train_list])
    monkeypatch.setattr(datasets.STL10, "test_list", [[n, md5(folder / n)] for n, _ in datasets.STL10.test_list])
    ds = datasets.STL10(tmp_path)
    assert len(ds) == 3 and ds.labels.tolist() == [0, 9, 2] and ds.classes[9] == "c9"
    img, target = ds[1]
    assert_pil(img, "RGB", (96, 96)) and target == 9
    np.testing.assert_array_equal(np.asarray(img), train[1].transpose(1, 2, 0))
    fold = datasets.STL10(tmp_path, folds=0)
    assert fold.labels.tolist() == [2, 0]
    both = datasets.STL10(tmp_path, split="train+unlabeled")
    assert len(both) == 5 and both[4][1] == -1
    assert datasets.STL10(tmp_path, split="test")[0][1] == 6
    assert repr(datasets.STL10(tmp_path, split="unlabeled")).endswith("Split: unlabeled")
    with pytest.raises(ValueError, match=r"folds should be in the range \[0, 10\), but got 10"):
        datasets.STL10(tmp_path, folds=10)
    os.remove(folder / "test_y.bin")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.STL10(tmp_path)


def test_usps(tmp_path):
    vals = RNG.uniform(-1, 1, (3, 256)).astype(np.float32)
    lines = [f"{lab} " + " ".join(f"{i + 1}:{v:.6f}" for i, v in enumerate(row)) for lab, row in zip([1, 10, 4], vals)]
    with bz2.open(tmp_path / "usps.t.bz2", "wt") as f:
        f.write("\n".join(lines) + "\n")
    ds = datasets.USPS(tmp_path, train=False)
    assert len(ds) == 3 and ds.targets == [0, 9, 3]
    img, target = ds[1]
    assert_pil(img, "L", (16, 16)) and target == 9
    expected = ((np.float32(np.round(vals[1], 6)).reshape(16, 16) + 1) / 2 * 255).astype(np.uint8)
    np.testing.assert_array_equal(np.asarray(img), expected)
    with pytest.raises(FileNotFoundError):
        datasets.USPS(tmp_path)


# ---- folders ---------------------------------------------------------------------------------------
def _tree(root):
    arrays = {}
    for cls, names in {"dog": ["b.png", "a.jpg"], "cat": ["x.png", "sub/y.bmp"], "empty": []}.items():
        (root / cls).mkdir(parents=True)
        for name in names:
            path = root / cls / name
            path.parent.mkdir(exist_ok=True)
            arr = RNG.integers(0, 256, (4, 6, 3), dtype=np.uint8)
            save_image(path, arr, "PNG" if name.endswith(".png") else None)
            arrays[str(path)] = arr
    (root / "dog" / "notes.txt").write_text("not an image")
    return arrays


def test_image_folder(tmp_path):
    arrays = _tree(tmp_path)
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty. Supported extensions "
                                                "are: .jpg, .jpeg, .png"):
        datasets.ImageFolder(tmp_path)
    ds = datasets.ImageFolder(tmp_path, allow_empty=True)
    assert ds.classes == ["cat", "dog", "empty"] and ds.class_to_idx == {"cat": 0, "dog": 1, "empty": 2}
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == ["cat/x.png", "cat/sub/y.bmp", "dog/a.jpg",
                                                                     "dog/b.png"]
    assert ds.targets == [0, 0, 1, 1] and ds.imgs is ds.samples and len(ds) == 4
    img, target = ds[0]
    assert_pil(img, "RGB", (6, 4)) and target == 0
    np.testing.assert_array_equal(np.asarray(img), arrays[str(tmp_path / "cat" / "x.png")])
    only_png = datasets.ImageFolder(tmp_path, is_valid_file=lambda p: p.endswith(".png"), allow_empty=True)
    assert len(only_png) == 2
    assert repr(ds) == f"Dataset ImageFolder\n    Number of datapoints: 4\n    Root location: {tmp_path}"


def test_dataset_folder_and_helpers(tmp_path):
    _tree(tmp_path)
    ds = datasets.DatasetFolder(str(tmp_path), loader=lambda p: os.path.basename(p), extensions=(".txt",),
                                allow_empty=True, target_transform=lambda t: t * 10)
    assert len(ds) == 1 and ds[0] == ("notes.txt", 10) and ds.extensions == (".txt",)
    from ember.vision.datasets.folder import find_classes, make_dataset, IMG_EXTENSIONS, has_file_allowed_extension
    assert find_classes(tmp_path)[0] == ["cat", "dog", "empty"]
    with pytest.raises(ValueError, match="Both extensions and is_valid_file cannot be None or not None"):
        make_dataset(tmp_path, {"cat": 0})
    with pytest.raises(ValueError, match="'class_to_index' must have at least one entry"):
        make_dataset(tmp_path, {}, extensions=IMG_EXTENSIONS)
    assert len(make_dataset(tmp_path, {"cat": 0}, extensions=".png")) == 1
    assert has_file_allowed_extension("A.JPG", IMG_EXTENSIONS)
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        find_classes(tmp_path / "empty")
    with pytest.raises(ValueError, match="The class_to_idx parameter cannot be None."):
        datasets.DatasetFolder.make_dataset(tmp_path, None, extensions=".png")


def test_fakedata():
    ds = datasets.FakeData(size=4, image_size=(3, 5, 7), num_classes=3)
    state = ember.get_rng_state()
    img, target = ds[1]
    assert ember.equal(ember.get_rng_state(), state)
    assert_pil(img, "RGB", (7, 5)) and 0 <= target < 3 and type(target) is int
    again, target2 = ds[1]
    assert np.array_equal(np.asarray(img), np.asarray(again)) and target == target2
    assert_pil(datasets.FakeData(2, (1, 4, 4))[0][0], "L", (4, 4))
    assert len(ds) == 4 and repr(ds) == "Dataset FakeData\n    Number of datapoints: 4"
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[4]
    # the pixels are x * 255 converted to uint8 from the seeded normal sample
    ember.manual_seed(1 + 5)
    expected = ember.randn(3, 5, 7).mul(255).byte().numpy().transpose(1, 2, 0)
    ds5 = datasets.FakeData(size=4, image_size=(3, 5, 7), random_offset=5)
    np.testing.assert_array_equal(np.asarray(ds5[1][0]), expected)


# ---- ImageNet --------------------------------------------------------------------------------------
def test_imagenet(tmp_path, monkeypatch):
    from ember.vision.datasets import imagenet
    wnids = ["n001", "n002", "n003"]
    synsets = StructArray([
        {"ILSVRC2012_ID": np.array([[1.0]]), "WNID": "n001", "words": "tench, Tinca tinca", "num_children": np.array([[0.0]])},
        {"ILSVRC2012_ID": np.array([[2.0]]), "WNID": "n002", "words": "goldfish", "num_children": np.array([[0.0]])},
        {"ILSVRC2012_ID": np.array([[3.0]]), "WNID": "n003", "words": "shark", "num_children": np.array([[0.0]])},
        {"ILSVRC2012_ID": np.array([[4.0]]), "WNID": "n100", "words": "fish", "num_children": np.array([[3.0]])},
    ])
    write_mat(tmp_path / "meta.mat", {"synsets": synsets})
    with tarfile.open(tmp_path / "ILSVRC2012_devkit_t12.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "meta.mat", "ILSVRC2012_devkit_t12/data/meta.mat")
        add_bytes(tar, "ILSVRC2012_devkit_t12/data/ILSVRC2012_validation_ground_truth.txt", b"2\n1\n2\n")
    os.remove(tmp_path / "meta.mat")
    with tarfile.open(tmp_path / "ILSVRC2012_img_train.tar", "w") as outer:
        for i, wnid in enumerate(wnids):
            inner = tmp_path / f"{wnid}.tar"
            with tarfile.open(inner, "w") as tar:
                for k in range(i + 1):
                    add_bytes(tar, f"{wnid}_{k}.JPEG", png_bytes(np.full((3, 3, 3), 10 * i)))
            outer.add(inner, f"{wnid}.tar")
            os.remove(inner)
    with tarfile.open(tmp_path / "ILSVRC2012_img_val.tar", "w") as tar:
        for k in range(3):
            add_bytes(tar, f"ILSVRC2012_val_0000000{k + 1}.JPEG", png_bytes(np.full((2, 2, 3), k)))
    meta = {k: (name, md5(tmp_path / name)) for k, (name, _) in imagenet.ARCHIVE_META.items()}
    monkeypatch.setattr(imagenet, "ARCHIVE_META", meta)

    train = datasets.ImageNet(tmp_path)
    assert len(train) == 6 and train.wnids == wnids and train.classes[0] == ("tench", "Tinca tinca")
    assert train.class_to_idx["Tinca tinca"] == 0 and train.wnid_to_idx["n003"] == 2
    assert train[5][1] == 2 and train[5][0].mode == "RGB"
    assert os.path.isdir(tmp_path / "train" / "n002") and not os.path.exists(tmp_path / "train" / "n002.tar")
    assert repr(train) == f"Dataset ImageNet\n    Number of datapoints: 6\n    Root location: {tmp_path}\n    Split: train"
    wnid_to_classes, val_wnids = ember.load(tmp_path / "meta.bin")
    assert val_wnids == ["n002", "n001", "n002"] and wnid_to_classes["n002"] == ("goldfish",)
    val = datasets.ImageNet(str(tmp_path), split="val")
    assert len(val) == 3 and sorted(os.listdir(tmp_path / "val" / "n002")) == ["ILSVRC2012_val_00000001.JPEG",
                                                                               "ILSVRC2012_val_00000003.JPEG"]
    assert [t for _, t in val.samples] == [0, 1, 1]


def test_imagenet_missing_archive(tmp_path):
    with pytest.raises(RuntimeError, match="The archive ILSVRC2012_devkit_t12.tar.gz is not present in the root "
                                           "directory or is corrupted. You need to download it externally"):
        datasets.ImageNet(tmp_path)


# ---- VOC -------------------------------------------------------------------------------------------
_VOC_XML = """<annotation>
  <folder>VOC2012</folder><filename>{name}.jpg</filename>
  <size><width>6</width><height>4</height><depth>3</depth></size>
  <object><name>dog</name><difficult>0</difficult><bndbox><xmin>1</xmin><ymin>2</ymin><xmax>3</xmax><ymax>4</ymax></bndbox></object>
  {extra}
</annotation>"""


def _voc(root):
    base = root / "VOCdevkit" / "VOC2012"
    for d in ("JPEGImages", "SegmentationClass", "Annotations", "ImageSets/Segmentation", "ImageSets/Main"):
        (base / d).mkdir(parents=True)
    names = ["2008_000001", "2008_000002"]
    for i, name in enumerate(names):
        save_image(base / "JPEGImages" / f"{name}.jpg", np.full((4, 6, 3), 40 * i), "JPEG")
        mask = Image.fromarray(np.array([[0, 1, 255, 2, 0, 0]] * 4, dtype=np.uint8), mode="P")
        mask.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
        mask.save(base / "SegmentationClass" / f"{name}.png")
        extra = "<object><name>cat</name></object>" if i else ""
        (base / "Annotations" / f"{name}.xml").write_text(_VOC_XML.format(name=name, extra=extra))
    (base / "ImageSets/Segmentation/train.txt").write_text("\n".join(names) + "\n")
    (base / "ImageSets/Main/val.txt").write_text(names[1] + "\n")


def test_voc_segmentation(tmp_path):
    _voc(tmp_path)
    ds = datasets.VOCSegmentation(tmp_path)
    assert len(ds) == 2
    img, mask = ds[1]
    assert_pil(img, "RGB", (6, 4)) and mask.mode == "P"
    assert np.asarray(mask)[0].tolist() == [0, 1, 255, 2, 0, 0]
    both = datasets.VOCSegmentation(tmp_path, transforms=lambda a, b: (a.size, np.asarray(b).max()))
    assert both[0] == ((6, 4), 255)
    assert repr(ds) == f"Dataset VOCSegmentation\n    Number of datapoints: 2\n    Root location: {tmp_path}"
    with pytest.raises(ValueError, match="Unknown value 'test' for argument image_set"):
        datasets.VOCSegmentation(tmp_path, image_set="test")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.VOCSegmentation(tmp_path, year="2011")


def test_voc_detection(tmp_path):
    _voc(tmp_path)
    ds = datasets.VOCDetection(tmp_path, image_set="val", target_transform=lambda t: t["annotation"])
    img, ann = ds[0]
    assert_pil(img, "RGB", (6, 4))
    assert ann["filename"] == "2008_000002.jpg" and ann["size"] == {"width": "6", "height": "4", "depth": "3"}
    assert ann["object"] == [
        {"name": "dog", "difficult": "0", "bndbox": {"xmin": "1", "ymin": "2", "xmax": "3", "ymax": "4"}},
        {"name": "cat"}]
    root = ElementTree.fromstring(_VOC_XML.format(name="a", extra=""))
    assert isinstance(datasets.VOCDetection.parse_voc_xml(root)["annotation"]["object"], list)


# ---- COCO ------------------------------------------------------------------------------------------
def test_coco(tmp_path):
    for name in ("a.jpg", "b.jpg"):
        save_image(tmp_path / name, np.zeros((3, 5, 3)), "JPEG")
    ann = {"images": [{"id": 9, "file_name": "b.jpg"}, {"id": 4, "file_name": "a.jpg"}],
           "annotations": [{"id": 1, "image_id": 9, "category_id": 1, "bbox": [0, 0, 1, 1], "caption": "one"},
                           {"id": 2, "image_id": 4, "category_id": 2, "bbox": [1, 1, 2, 2], "caption": "two"},
                           {"id": 3, "image_id": 9, "category_id": 2, "bbox": [2, 2, 1, 1], "caption": "three"}],
           "categories": [{"id": 1, "name": "x", "supercategory": "s"}, {"id": 2, "name": "y", "supercategory": "s"}]}
    (tmp_path / "ann.json").write_text(json.dumps(ann))
    ds = datasets.CocoDetection(tmp_path, str(tmp_path / "ann.json"))
    assert ds.ids == [4, 9] and len(ds) == 2
    img, target = ds[1]
    assert_pil(img, "RGB", (5, 3))
    assert [a["id"] for a in target] == [1, 3] and target[1]["bbox"] == [2, 2, 1, 1]
    assert ds.coco.getCatIds(catNms=["y"]) == [2] and sorted(ds.coco.getImgIds(catIds=[2])) == [4, 9]
    with pytest.raises(ValueError, match="Index must be of type integer"):
        ds[0.5]
    caps = datasets.CocoCaptions(tmp_path, tmp_path / "ann.json", transform=lambda im: im.size)
    assert caps[1] == ((5, 3), ["one", "three"]) and caps[0][1] == ["two"]


# ---- Cityscapes ------------------------------------------------------------------------------------
def test_cityscapes(tmp_path):
    for city, stems in {"aachen": ["aachen_000000_000019"], "bonn": ["bonn_000001_000019"]}.items():
        img_dir, tgt_dir = tmp_path / "leftImg8bit/train" / city, tmp_path / "gtFine/train" / city
        img_dir.mkdir(parents=True)
        tgt_dir.mkdir(parents=True)
        for stem in stems:
            save_image(img_dir / f"{stem}_leftImg8bit.png", np.zeros((4, 8, 3)))
            save_image(tgt_dir / f"{stem}_gtFine_labelIds.png", np.full((4, 8), 7))
            Image.fromarray(np.full((4, 8), 26001, dtype=np.uint16)).save(tgt_dir / f"{stem}_gtFine_instanceIds.png")
            save_image(tgt_dir / f"{stem}_gtFine_color.png", np.zeros((4, 8, 4)))
            (tgt_dir / f"{stem}_gtFine_polygons.json").write_text(json.dumps({"imgHeight": 4, "objects": []}))
    ds = datasets.Cityscapes(tmp_path)
    assert len(ds) == 2
    img, inst = ds[0]
    assert_pil(img, "RGB", (8, 4)) and np.asarray(inst).max() == 26001
    multi = datasets.Cityscapes(tmp_path, target_type=["semantic", "polygon", "color"])
    img, (sem, poly, color) = multi[1]
    assert np.asarray(sem).max() == 7 and poly == {"imgHeight": 4, "objects": []} and color.mode == "RGBA"
    assert repr(multi).splitlines()[-3:] == ["    Split: train", "    Mode: gtFine",
                                              "    Type: ['semantic', 'polygon', 'color']"]
    assert datasets.Cityscapes.classes[26].name == "car" and datasets.Cityscapes.classes[26].train_id == 13
    with pytest.raises(ValueError, match="Unknown value 'train_extra' for argument split if mode is 'fine'. Valid "
                                         "values are {'train', 'test', 'val'}."):
        datasets.Cityscapes(tmp_path, split="train_extra")
    with pytest.raises(RuntimeError, match="Dataset not found or incomplete"):
        datasets.Cityscapes(tmp_path, split="val")


# ---- SBD -------------------------------------------------------------------------------------------
def test_sbd(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "cls").mkdir()
    seg = np.array([[0, 1, 1], [0, 15, 0]], dtype=np.uint8)
    bounds = [np.zeros((2, 3), bool) for _ in range(20)]
    bounds[0][0, 1] = bounds[14][1, 1] = bounds[14][0, 2] = True
    for i, name in enumerate(["2008_000002", "2008_000003"]):
        save_image(tmp_path / "img" / f"{name}.jpg", np.zeros((2, 3, 3)), "JPEG")
        write_mat(tmp_path / "cls" / f"{name}.mat", {"GTcls": {
            "Boundaries": [Sparse(b) for b in bounds], "Segmentation": seg + i,
            "CategoriesPresent": np.array([[1], [15]], np.uint8)}}, compress=bool(i))
    (tmp_path / "train.txt").write_text("2008_000002\n2008_000003\n")
    ds = datasets.SBDataset(tmp_path)
    assert len(ds) == 2
    img, target = ds[1]
    assert_pil(img, "RGB", (3, 2))
    assert target.shape == (20, 2, 3) and np.array_equal(target.astype(bool), np.stack(bounds))
    seg_ds = datasets.SBDataset(tmp_path, mode="segmentation")
    assert np.asarray(seg_ds[1][1]).tolist() == (seg + 1).tolist() and seg_ds[0][1].mode == "L"
    assert repr(seg_ds).splitlines()[-2:] == ["    Image set: train", "    Mode: segmentation"]
    with pytest.raises(ValueError, match="Unknown value 'x' for argument mode"):
        datasets.SBDataset(tmp_path, mode="x")


def test_matlab_reader_structures(tmp_path):
    from ember.vision.datasets._matlab import loadmat
    write_mat(tmp_path / "t.mat", {"s": "hello", "c": [np.array([[1.0, 2.0]]), "ab"],
                                   "a": np.arange(6, dtype=np.int16).reshape(2, 3)}, compress=True)
    m = loadmat(tmp_path / "t.mat")
    assert m["s"].tolist() == ["hello"] and m["a"].tolist() == [[0, 1, 2], [3, 4, 5]] and m["a"].dtype == np.int16
    assert m["c"].shape == (2, 1) and m["c"][0, 0].tolist() == [[1.0, 2.0]] and m["c"][1, 0].tolist() == ["ab"]


# ---- Flickr / SBU -----------------------------------------------------------------------------------
def test_flickr8k(tmp_path):
    for stem in ("1000_abc", "2000_def"):
        save_image(tmp_path / f"{stem}.jpg", np.zeros((2, 2, 3)), "JPEG")
    html = """<html><body><table>
<tr><td><a href="http://www.flickr.com/photos/x/1000/">http://www.flickr.com/photos/x/1000/</a></td>
<td><ul><li>A dog runs .</li><li>  Dog running .</li></ul></td></tr>
<tr><td>Image Not Found</td><td><ul><li>ignored</li></ul></td></tr>
<tr><td><a href="http://www.flickr.com/photos/x/2000/">http://www.flickr.com/photos/x/2000/</a></td>
<td><ul><li>A cat .</li></ul></td></tr>
</table></body></html>"""
    (tmp_path / "ann.html").write_text(html)
    ds = datasets.Flickr8k(tmp_path, tmp_path / "ann.html")
    assert len(ds) == 2
    img, caps = ds[0]
    assert_pil(img, "RGB", (2, 2)) and caps == ["A dog runs .", "Dog running ."] and ds[1][1] == ["A cat ."]
    custom = datasets.Flickr8k(tmp_path, str(tmp_path / "ann.html"), loader=os.path.basename)
    assert custom[1][0] == "2000_def.jpg"


def test_flickr30k(tmp_path):
    save_image(tmp_path / "10.jpg", np.zeros((2, 2, 3)), "JPEG")
    save_image(tmp_path / "11.jpg", np.zeros((2, 2, 3)), "JPEG")
    (tmp_path / "tokens.txt").write_text("11.jpg#0\tsecond\n10.jpg#0\tfirst a\n10.jpg#1\tfirst b\n")
    ds = datasets.Flickr30k(str(tmp_path), str(tmp_path / "tokens.txt"), target_transform=len)
    assert ds.ids == ["10.jpg", "11.jpg"] and ds[0][1] == 2
    assert ds.annotations["10.jpg"] == ["first a", "first b"]


def test_sbu(tmp_path, monkeypatch):
    folder = tmp_path / "dataset"
    folder.mkdir()
    (folder / "SBU_captioned_photo_dataset_urls.txt").write_text(
        "http://static.flickr.com/1/a_1.jpg\nhttp://static.flickr.com/1/gone.jpg\nhttp://static.flickr.com/1/b_2.jpg\n")
    (folder / "SBU_captioned_photo_dataset_captions.txt").write_text("cap a\ncap gone\ncap b\n")
    save_image(folder / "a_1.jpg", np.zeros((2, 3, 3)), "JPEG")
    save_image(folder / "b_2.jpg", np.zeros((2, 3, 3)), "JPEG")
    with pytest.raises(RuntimeError, match="Dataset not found or corrupted"):
        datasets.SBU(tmp_path, download=False)
    (tmp_path / "SBUCaptionedPhotoDataset.tar.gz").write_bytes(b"tarball")
    monkeypatch.setattr(datasets.SBU, "md5_checksum", hashlib.md5(b"tarball").hexdigest())
    monkeypatch.setattr(datasets.SBU, "url", "http://127.0.0.1:9/unused.tar.gz")
    ds = datasets.SBU(tmp_path)  # download=True finds the verified tarball and touches no network
    assert ds.photos == ["a_1.jpg", "b_2.jpg"] and ds.captions == ["cap a", "cap b"]
    img, cap = ds[1]
    assert_pil(img, "RGB", (3, 2)) and cap == "cap b"


# ---- PhotoTour / LSUN -------------------------------------------------------------------------------
def test_phototour(tmp_path, monkeypatch):
    data_dir = tmp_path / "liberty"
    data_dir.mkdir()
    sheets = [RNG.integers(0, 256, (128, 128), dtype=np.uint8), RNG.integers(0, 256, (64, 128), dtype=np.uint8)]
    for i, sheet in enumerate(sheets):
        Image.fromarray(sheet).save(data_dir / f"patches{i:04d}.bmp")
    (data_dir / "info.txt").write_text("0 0\n0 1\n1 0\n2 0\n2 1\n")
    (data_dir / "m50_100000_100000_0.txt").write_text("0 0 0 1 0 0 0\n1 0 0 2 1 0 0\n")
    monkeypatch.setitem(datasets.PhotoTour.lens, "liberty", 5)
    ds = datasets.PhotoTour(tmp_path, "liberty")
    assert os.path.exists(tmp_path / "liberty.pt") and len(ds) == 5
    assert ds.data.dtype == ember.uint8 and tuple(ds.data.shape) == (5, 64, 64)
    np.testing.assert_array_equal(ds[3].numpy(), sheets[0][64:, 64:])
    np.testing.assert_array_equal(ds[4].numpy(), sheets[1][:, :64])
    assert ds.labels.tolist() == [0, 0, 1, 2, 2] and ds.mean == 0.4437
    test = datasets.PhotoTour(tmp_path, "liberty", train=False, transform=lambda t: t.float().mean())
    assert len(test) == 2
    d1, d2, match = test[0]
    assert int(match) == 1 and d1.item() == pytest.approx(sheets[0][:64, :64].mean(), rel=1e-5)
    assert int(test[1][2]) == 0
    assert repr(test).splitlines()[3:5] == ["    Split: Test", "    StandardTransform"]


def test_lsun_argument_checks():
    with pytest.raises(ValueError, match="Unknown value 'kitchen' for postfix"):
        datasets.LSUN("/nonexistent", classes=["bedroom_kitchen"])
    with pytest.raises(ValueError, match="Unknown value 'garage' for LSUN class"):
        datasets.LSUN("/nonexistent", classes=["garage_train"])


def test_lsun(tmp_path, monkeypatch):
    lmdb = pytest.importorskip("lmdb")
    monkeypatch.chdir(tmp_path)
    env = lmdb.open(str(tmp_path / "bedroom_val_lmdb"), map_size=1 << 24)
    with env.begin(write=True) as txn:
        for i in range(3):
            txn.put(f"k{i}".encode(), png_bytes(np.full((2, 2, 3), i)))
    env.close()
    ds = datasets.LSUN(str(tmp_path), classes=["bedroom_val"])
    assert len(ds) == 3 and ds[2][1] == 0 and np.asarray(ds[2][0])[0, 0, 0] == 2


# ---- archive helpers ------------------------------------------------------------------------------
def test_extract_archive_formats(tmp_path):
    payload = b"hello archive"
    src = tmp_path / "src"
    src.mkdir()
    (src / "f.txt").write_bytes(payload)
    for suffix, mode in ((".tar", "w"), (".tar.gz", "w:gz"), (".tgz", "w:gz"), (".tar.xz", "w:xz"),
                         (".tar.bz2", "w:bz2")):
        arch = tmp_path / f"a{suffix}"
        with tarfile.open(arch, mode) as tar:
            tar.add(src / "f.txt", "inner/f.txt")
        out = dutils.extract_archive(str(arch), str(tmp_path / f"out{suffix}"))
        assert out == str(tmp_path / f"out{suffix}") and (tmp_path / f"out{suffix}/inner/f.txt").read_bytes() == payload
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as z:
        z.writestr("z/f.txt", payload)
    dutils.extract_archive(tmp_path / "a.zip", tmp_path / "outzip", remove_finished=True)
    assert (tmp_path / "outzip/z/f.txt").read_bytes() == payload and not (tmp_path / "a.zip").exists()
    for suffix, opener in ((".gz", gzip.open), (".xz", lzma.open), (".bz2", bz2.open)):
        with opener(tmp_path / f"single.bin{suffix}", "wb") as f:
            f.write(payload)
        out = dutils.extract_archive(tmp_path / f"single.bin{suffix}")
        assert out == tmp_path / "single.bin" and out.read_bytes() == payload
    with pytest.raises(RuntimeError, match="Unknown compression or archive type: '.rar'"):
        dutils.extract_archive(tmp_path / "x.rar")


def test_integrity_and_str_args(tmp_path):
    (tmp_path / "f").write_bytes(b"abc")
    assert dutils.check_integrity(tmp_path / "f") and not dutils.check_integrity(tmp_path / "missing")
    assert dutils.calculate_md5(tmp_path / "f") == "900150983cd24fb0d6963f7d28e17f72"
    assert dutils.check_integrity(tmp_path / "f", "900150983cd24fb0d6963f7d28e17f72")
    assert not dutils.check_integrity(tmp_path / "f", "0" * 32)
    with pytest.raises(ValueError, match="Expected type str for argument split, but got type <class 'int'>."):
        dutils.verify_str_arg(3, "split", ("a",))
    with pytest.raises(ValueError, match="custom"):
        dutils.verify_str_arg("b", "split", ("a",), custom_msg="custom")
