"""Download, checksum and archive helpers for ember.vision.datasets (torchvision.datasets.utils).

Downloads are resumable and atomic: bytes go to `<file>.part` (continued with an HTTP Range request
when a previous transfer was cut off), the MD5 is checked on the finished `.part`, and only a
verified file is renamed into place. A file that fails its checksum is deleted, never kept.
"""
import bz2
import gzip
import hashlib
import http.client
import lzma
import os
import pathlib
import tarfile
import urllib.error
import urllib.request
import zipfile

USER_AGENT = "pytorch/vision"
_MAX_RESUMES = 5


def calculate_md5(fpath, chunk_size=1024 * 1024):
    md5 = hashlib.md5(usedforsecurity=False)
    with open(fpath, "rb") as f:
        while chunk := f.read(chunk_size):
            md5.update(chunk)
    return md5.hexdigest()


def check_md5(fpath, md5, **kwargs):
    return md5 == calculate_md5(fpath, **kwargs)


def check_integrity(fpath, md5=None):
    """True when `fpath` is a file and (if `md5` is given) its MD5 matches."""
    if not os.path.isfile(fpath):
        return False
    return md5 is None or check_md5(fpath, md5)


class _NoBar:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def update(self, n):
        pass


def _progress_bar(total, initial):
    try:
        from tqdm import tqdm
    except ImportError:  # tqdm is an optional extra: no bar without it
        return _NoBar()
    return tqdm(total=total, initial=initial, unit="B", unit_scale=True)


def _urlretrieve(url, filename, chunk_size=1024 * 32):
    """Fetch `url` into `filename + '.part'`, resuming a partial file; returns the .part path.

    Raises urllib.error.URLError when the transfer keeps stopping short of the announced length."""
    part = os.fspath(filename) + ".part"
    done = os.path.getsize(part) if os.path.isfile(part) else 0
    for _ in range(_MAX_RESUMES + 1):
        headers = {"User-Agent": USER_AGENT}
        if done:
            headers["Range"] = f"bytes={done}-"
        try:
            response = urllib.request.urlopen(urllib.request.Request(url, headers=headers))
        except urllib.error.HTTPError as e:
            if e.code == 416 and done:  # the partial file does not fit the remote one: start over
                os.remove(part)
                done = 0
                continue
            raise
        with response:
            if done and response.status != 206:  # the server ignored the Range header
                done = 0
            total = None if response.length is None else done + response.length
            with open(part, "ab" if done else "wb") as fh, _progress_bar(total, done) as bar:
                try:
                    while chunk := response.read(chunk_size):
                        fh.write(chunk)
                        bar.update(len(chunk))
                        done += len(chunk)
                except (http.client.IncompleteRead, ConnectionError, TimeoutError):
                    pass  # keep what arrived; the loop resumes from there
        if total is None or done >= total:
            return part
    raise urllib.error.URLError(f"transfer of {url} was interrupted after {done} bytes "
                                f"(the partial file {part} is kept so a new call resumes it)")


def download_url(url, root, filename=None, md5=None, max_redirect_hops=3):
    """Download `url` into `root/filename` unless a file with the right MD5 is already there.

    Redirects are followed by urllib (`max_redirect_hops` is accepted for compatibility)."""
    root = os.path.expanduser(root)
    if not filename:
        filename = os.path.basename(url)
    fpath = os.fspath(os.path.join(root, filename))
    os.makedirs(root, exist_ok=True)
    if check_integrity(fpath, md5):
        return
    try:
        part = _urlretrieve(url, fpath)
    except (urllib.error.URLError, OSError):
        if url[:5] != "https":
            raise
        part = _urlretrieve(url.replace("https:", "http:", 1), fpath)
    if not check_integrity(part, md5):
        os.remove(part)
        raise RuntimeError("File not found or corrupted.")
    os.replace(part, fpath)


def list_dir(root, prefix=False):
    """Names of the directories directly inside `root` (joined to root if `prefix`)."""
    root = os.path.expanduser(root)
    names = [p for p in os.listdir(root) if os.path.isdir(os.path.join(root, p))]
    return [os.path.join(root, p) for p in names] if prefix else names


def list_files(root, suffix, prefix=False):
    """Names of the files directly inside `root` ending with `suffix` (a str or a tuple of str)."""
    root = os.path.expanduser(root)
    names = [p for p in os.listdir(root) if os.path.isfile(os.path.join(root, p)) and p.endswith(suffix)]
    return [os.path.join(root, p) for p in names] if prefix else names


def _extract_tar(from_path, to_path, compression):
    mode = f"r:{compression[1:]}" if compression else "r"
    with tarfile.open(from_path, mode) as tar:
        if hasattr(tarfile, "data_filter"):
            # members' folders first, tolerating ones that exist: several processes may extract into one
            # folder at once (Kinetics' download workers), and tarfile's own mkdir would race between them
            for member in tar.getmembers():
                member = tarfile.data_filter(member, to_path)     # refuses unsafe names before any mkdir
                folder = os.path.join(to_path, member.name if member.isdir() else os.path.dirname(member.name))
                os.makedirs(folder, exist_ok=True)
            tar.extractall(to_path, filter="data")
        else:  # pragma: no cover (Python without extraction filters)
            tar.extractall(to_path)


_ZIP_COMPRESSION = {".bz2": zipfile.ZIP_BZIP2, ".xz": zipfile.ZIP_LZMA}


def _extract_zip(from_path, to_path, compression):
    with zipfile.ZipFile(from_path, "r", compression=_ZIP_COMPRESSION.get(compression, zipfile.ZIP_STORED)) as z:
        z.extractall(to_path)


_ARCHIVE_EXTRACTORS = {".tar": _extract_tar, ".zip": _extract_zip}
_COMPRESSED_FILE_OPENERS = {".bz2": bz2.open, ".gz": gzip.open, ".xz": lzma.open}
_FILE_TYPE_ALIASES = {".tbz": (".tar", ".bz2"), ".tbz2": (".tar", ".bz2"), ".tgz": (".tar", ".gz")}


def _detect_file_type(file):
    """(suffix, archive type or None, compression or None) from the file name."""
    suffixes = pathlib.Path(file).suffixes
    if not suffixes:
        raise RuntimeError(f"File '{file}' has no suffixes that could be used to detect the archive type and "
                           "compression.")
    last = suffixes[-1]
    if last in _FILE_TYPE_ALIASES:
        return (last, *_FILE_TYPE_ALIASES[last])
    if last in _ARCHIVE_EXTRACTORS:
        return last, last, None
    if last in _COMPRESSED_FILE_OPENERS:
        if len(suffixes) > 1 and suffixes[-2] in _ARCHIVE_EXTRACTORS:
            return suffixes[-2] + last, suffixes[-2], last
        return last, None, last
    known = sorted(set(_FILE_TYPE_ALIASES) | set(_ARCHIVE_EXTRACTORS) | set(_COMPRESSED_FILE_OPENERS))
    raise RuntimeError(f"Unknown compression or archive type: '{last}'.\nKnown suffixes are: '{known}'.")


def _decompress(from_path, to_path=None, remove_finished=False):
    """Decompress a single .gz/.bz2/.xz file; returns the output path."""
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not compression:
        raise RuntimeError(f"Couldn't detect a compression from suffix {suffix}.")
    if to_path is None:
        to_path = os.fspath(from_path).replace(suffix, archive_type or "")
    with _COMPRESSED_FILE_OPENERS[compression](from_path, "rb") as src, open(to_path, "wb") as dst:
        while block := src.read(1 << 20):
            dst.write(block)
    if remove_finished:
        os.remove(from_path)
    return pathlib.Path(to_path)


def extract_archive(from_path, to_path=None, remove_finished=False):
    """Extract a .tar/.zip archive (optionally .gz/.bz2/.xz compressed) or decompress a single file.

    Returns the directory extracted to (or the decompressed file), as str when `from_path` is a str."""
    def same_kind(path):
        return os.fspath(path) if isinstance(from_path, str) else pathlib.Path(path)

    if to_path is None:
        to_path = os.path.dirname(from_path)
    suffix, archive_type, compression = _detect_file_type(from_path)
    if not archive_type:
        target = os.path.join(to_path, os.path.basename(from_path).replace(suffix, ""))
        return same_kind(_decompress(from_path, target, remove_finished=remove_finished))
    _ARCHIVE_EXTRACTORS[archive_type](from_path, to_path, compression)
    if remove_finished:
        os.remove(from_path)
    return same_kind(to_path)


def download_and_extract_archive(url, download_root, extract_root=None, filename=None, md5=None,
                                 remove_finished=False):
    download_root = os.path.expanduser(download_root)
    if extract_root is None:
        extract_root = download_root
    if not filename:
        filename = os.path.basename(url)
    download_url(url, download_root, filename, md5)
    extract_archive(os.path.join(download_root, filename), extract_root, remove_finished)


def iterable_to_str(iterable):
    return "'" + "', '".join(str(item) for item in iterable) + "'"


def verify_str_arg(value, arg=None, valid_values=None, custom_msg=None):
    """Check that `value` is a str (and one of `valid_values`); raises torchvision's ValueError otherwise."""
    if not isinstance(value, str):
        where = "" if arg is None else f" for argument {arg}"
        raise ValueError(f"Expected type str{where}, but got type {type(value)}.")
    if valid_values is None or value in valid_values:
        return value
    if custom_msg is not None:
        raise ValueError(custom_msg)
    raise ValueError(f"Unknown value '{value}' for argument {arg}. Valid values are {{{iterable_to_str(valid_values)}}}.")
