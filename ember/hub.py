"""ember.hub: download and cache checkpoints (torch.hub's checkpoint half).

The cache root is, in order: ``set_dir(...)``, ``$EMBER_HOME/hub``, ``$TORCH_HOME/hub``,
``$XDG_CACHE_HOME/torch/hub`` (default ``~/.cache/torch/hub``). The default is PyTorch's own
cache on purpose: checkpoints are byte-identical files, so weights that torchvision already
downloaded are reused and not fetched again. Checkpoints live in ``<hub dir>/checkpoints/``.

Loading models from GitHub repositories (``torch.hub.load``/``list``/``help``) is not provided.
"""
import errno
import hashlib
import os
import re
import shutil
import sys
import uuid
import warnings
import zipfile
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["download_url_to_file", "get_dir", "set_dir", "load_state_dict_from_url"]

# the hex digits between the last '-' and the extension of a checkpoint's name: resnet18-f37072fd.pth
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")

READ_DATA_CHUNK = 128 * 1024
_hub_dir = None

try:
    from tqdm import tqdm
except ImportError:  # tqdm is optional: a minimal bar that writes to stderr
    class tqdm:
        def __init__(self, total=None, disable=False, unit=None, unit_scale=None, unit_divisor=None):
            self.total, self.disable, self.n = total, disable, 0

        def update(self, n):
            if self.disable:
                return
            self.n += n
            if self.total:
                sys.stderr.write(f"\r{100 * self.n / self.total:.1f}%")
            else:
                sys.stderr.write(f"\r{self.n} bytes")
            sys.stderr.flush()

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            if not self.disable:
                sys.stderr.write("\n")


def _get_torch_home():
    home = os.getenv("EMBER_HOME") or os.getenv("TORCH_HOME")
    if not home:
        home = os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch")
    return os.path.expanduser(home)


def get_dir():
    """The directory that holds hub downloads (its ``checkpoints/`` subfolder holds weights)."""
    if os.getenv("TORCH_HUB"):
        warnings.warn("TORCH_HUB is deprecated, please use env TORCH_HOME instead")
    if _hub_dir is not None:
        return _hub_dir
    return os.path.join(_get_torch_home(), "hub")


def set_dir(d):
    """Use ``d`` as the hub directory from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Fetch ``url`` into ``dst``. The bytes go to a temporary file next to ``dst`` that is renamed
    into place only when complete (and, with ``hash_prefix``, when its sha256 starts with it)."""
    req = Request(url, headers={"User-Agent": "ember.hub"})
    u = urlopen(req)
    meta = u.info()
    length = meta.get_all("Content-Length") if hasattr(meta, "get_all") else meta.getheaders("Content-Length")
    file_size = int(length[0]) if length else None

    dst = os.path.expanduser(dst)
    tmp_dst = dst + "." + uuid.uuid4().hex + ".partial"
    try:
        f = open(tmp_dst, "w+b")
    except FileNotFoundError:
        raise FileNotFoundError(f"No such file or directory: '{tmp_dst}'") from None

    try:
        sha256 = hashlib.sha256() if hash_prefix is not None else None
        with tqdm(total=file_size, disable=not progress, unit="B", unit_scale=True, unit_divisor=1024) as pbar:
            while True:
                chunk = u.read(READ_DATA_CHUNK)
                if not chunk:
                    break
                f.write(chunk)
                if sha256 is not None:
                    sha256.update(chunk)
                pbar.update(len(chunk))
        f.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got "{digest}")')
        shutil.move(f.name, dst)
    finally:
        f.close()
        u.close()
        if os.path.exists(f.name):
            os.remove(f.name)


def _is_legacy_zip_format(filename):
    # old torchvision checkpoints were zip archives holding one legacy-format file
    if zipfile.is_zipfile(filename):
        with zipfile.ZipFile(filename) as z:
            infolist = z.infolist()
        return len(infolist) == 1 and not infolist[0].is_dir()
    return False


def _legacy_zip_load(filename, model_dir, map_location, weights_only):
    with zipfile.ZipFile(filename) as f:
        members = f.infolist()
        if len(members) != 1:
            raise RuntimeError("Only one file(not dir) is allowed in the zipfile")
        f.extractall(model_dir)
        extracted_file = os.path.join(model_dir, members[0].filename)
    from .serialization import load
    return load(extracted_file, map_location=map_location, weights_only=weights_only)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True, check_hash=False,
                             file_name=None, weights_only=False):
    """Load the object serialized at ``url``, downloading it into ``<hub dir>/checkpoints`` (or
    ``model_dir``) first unless it is already there. With ``check_hash`` the file name must carry
    a sha256 prefix (``name-<hex>.ext``) that the downloaded bytes are checked against."""
    if os.getenv("TORCH_MODEL_ZOO"):
        warnings.warn("TORCH_MODEL_ZOO is deprecated, please use env TORCH_HOME instead")
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    try:
        os.makedirs(model_dir)
    except OSError as e:
        if e.errno != errno.EEXIST:
            raise

    parts = urlparse(url)
    filename = os.path.basename(parts.path)
    if file_name is not None:
        filename = file_name
    cached_file = os.path.join(model_dir, filename)
    if not os.path.exists(cached_file):
        sys.stderr.write(f'Downloading: "{url}" to {cached_file}\n')
        hash_prefix = None
        if check_hash:
            r = HASH_REGEX.search(filename)
            hash_prefix = r.group(1) if r else None
        download_url_to_file(url, cached_file, hash_prefix, progress=progress)

    if _is_legacy_zip_format(cached_file):
        return _legacy_zip_load(cached_file, model_dir, map_location, weights_only)
    from .serialization import load
    return load(cached_file, map_location=map_location, weights_only=weights_only)

