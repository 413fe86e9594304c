"""Download path of ember.vision.datasets against a local HTTP server (127.0.0.1, port 0); no real network."""
import gzip
import hashlib
import http.server
import io
import os
import pickle
import struct
import sys
import tarfile
import threading

import numpy as np
import pytest

pytest.importorskip("PIL")

from ember.vision import datasets  # noqa: E402
from ember.vision.datasets import utils as dutils  # noqa: E402


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves `server.files`; honours Range; `server.truncate` paths get half a body the first time;
    `server.fail_all` answers 500 to everything. Every request is logged in `server.log`."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        srv = self.server
        rng = self.headers.get("Range")
        srv.log.append((self.path, rng))
        if srv.fail_all:
            return self.send_error(500, "always failing")
        if self.path not in srv.files:
            return self.send_error(404)
        body = srv.files[self.path]
        start = int(rng.split("=")[1].split("-")[0]) if rng and srv.ranges else 0
        if start >= len(body) and start:
            return self.send_error(416)
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        part = body[start:]
        if self.path in srv.truncate:
            srv.truncate.discard(self.path)
            part = part[:len(part) // 2]
        self.wfile.write(part)


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.files, srv.log, srv.truncate, srv.fail_all, srv.ranges = {}, [], set(), False, True
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


def _md5(data):
    return hashlib.md5(data).hexdigest()


PAYLOAD = bytes(range(256)) * 400  # 100 KiB: several read chunks


def test_download_url_verified_and_atomic(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    dutils.download_url(server.base + "/f.bin", str(tmp_path), md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD and not (tmp_path / "f.bin.part").exists()
    # already present and valid: no request at all
    server.log.clear()
    dutils.download_url(server.base + "/f.bin", tmp_path, md5=_md5(PAYLOAD))
    assert server.log == []


def test_download_url_md5_mismatch_leaves_nothing(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    with pytest.raises(RuntimeError, match="^File not found or corrupted.$"):
        dutils.download_url(server.base + "/f.bin", tmp_path, "g.bin", md5="0" * 32)
    assert os.listdir(tmp_path) == []


def test_interrupted_transfer_resumes(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.truncate.add("/f.bin")
    dutils.download_url(server.base + "/f.bin", tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD
    assert server.log == [("/f.bin", None), ("/f.bin", f"bytes={len(PAYLOAD) // 2}-")]


def test_partial_file_from_an_earlier_run_is_resumed(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    (tmp_path / "f.bin.part").write_bytes(PAYLOAD[:1000])
    dutils.download_url(server.base + "/f.bin", tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD and server.log == [("/f.bin", "bytes=1000-")]


def test_server_without_range_support_restarts(server, tmp_path):
    server.files["/f.bin"] = PAYLOAD
    server.ranges = False
    (tmp_path / "f.bin.part").write_bytes(b"garbage")
    dutils.download_url(server.base + "/f.bin", tmp_path, md5=_md5(PAYLOAD))
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_works_without_tqdm(server, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError
    server.files["/f.bin"] = PAYLOAD
    dutils.download_url(server.base + "/f.bin", tmp_path)
    assert (tmp_path / "f.bin").read_bytes() == PAYLOAD


def test_http_errors_propagate(server, tmp_path):
    import urllib.error
    with pytest.raises(urllib.error.HTTPError):
        dutils.download_url(server.base + "/missing.bin", tmp_path)
    assert os.listdir(tmp_path) == []


# ---- datasets ----------------------------------------------------------------------------------------
def _idx_gz(arr):
    arr = np.asarray(arr, dtype=np.uint8)
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(struct.pack(">i", d) for d in arr.shape)
    return gzip.compress(head + arr.tobytes(), mtime=0)


def _serve_mnist(server, monkeypatch):
    rng = np.random.default_rng(1)
    arrays = {"train-images-idx3-ubyte": rng.integers(0, 256, (4, 28, 28)), "train-labels-idx1-ubyte": [3, 1, 4, 1],
              "t10k-images-idx3-ubyte": rng.integers(0, 256, (2, 28, 28)), "t10k-labels-idx1-ubyte": [5, 9]}
    resources = []
    for name, arr in arrays.items():
        blob = _idx_gz(arr)
        server.files[f"/good/{name}.gz"] = blob
        resources.append((f"{name}.gz", _md5(blob)))
    monkeypatch.setattr(datasets.MNIST, "resources", resources)
    monkeypatch.setattr(datasets.MNIST, "mirrors", [server.base + "/dead/", server.base + "/good/"])
    return arrays


def test_mnist_download_uses_next_mirror_then_stays_offline(server, tmp_path, monkeypatch):
    arrays = _serve_mnist(server, monkeypatch)
    ds = datasets.MNIST(tmp_path, download=True)
    assert len(ds) == 4 and ds[2][1] == 4
    np.testing.assert_array_equal(ds.data.numpy(), arrays["train-images-idx3-ubyte"])
    assert ("/dead/train-images-idx3-ubyte.gz", None) in server.log
    assert sorted(os.listdir(tmp_path / "MNIST" / "raw")) == sorted(
        [n for n in arrays] + [n + ".gz" for n in arrays])
    # everything present: a mirror that fails every request is never asked
    server.fail_all = True
    server.log.clear()
    assert len(datasets.MNIST(tmp_path, train=False, download=True)) == 2
    assert server.log == []


def test_mnist_all_mirrors_fail(server, tmp_path, monkeypatch):
    _serve_mnist(server, monkeypatch)
    server.fail_all = True
    with pytest.raises(RuntimeError, match="Error downloading train-images-idx3-ubyte.gz:\nTried http://127.0.0.1:"):
        datasets.MNIST(tmp_path, download=True)
    assert not any(name.endswith("ubyte") or name.endswith(".gz") for name in os.listdir(tmp_path / "MNIST" / "raw"))


def _cifar_archive(corrupt=False):
    names = [n for n, _ in datasets.CIFAR10.train_list + datasets.CIFAR10.test_list]
    buf, members = io.BytesIO(), {}
    rng = np.random.default_rng(2)
    for name in names:
        members[name] = pickle.dumps({"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8), "labels": [1, 2]})
    members["batches.meta"] = pickle.dumps({"label_names": [f"c{i}" for i in range(10)]})
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    blob = buf.getvalue()
    return (blob[:-10] + b"x" * 10 if corrupt else blob), _md5(blob), members


def test_cifar_download_good_and_corrupted(server, tmp_path, monkeypatch):
    blob, digest, members = _cifar_archive()
    monkeypatch.setattr(datasets.CIFAR10, "url", server.base + "/cifar-10-python.tar.gz")
    monkeypatch.setattr(datasets.CIFAR10, "tgz_md5", digest)
    monkeypatch.setattr(datasets.CIFAR10, "train_list", [[n, _md5(members[n])] for n, _ in datasets.CIFAR10.train_list])
    monkeypatch.setattr(datasets.CIFAR10, "test_list", [[n, _md5(members[n])] for n, _ in datasets.CIFAR10.test_list])
    monkeypatch.setattr(datasets.CIFAR10, "meta", dict(datasets.CIFAR10.meta, md5=_md5(members["batches.meta"])))

    bad, _, _ = _cifar_archive(corrupt=True)
    server.files["/cifar-10-python.tar.gz"] = bad
    with pytest.raises(RuntimeError, match="File not found or corrupted."):
        datasets.CIFAR10(tmp_path / "bad", download=True)
    assert os.listdir(tmp_path / "bad") == []  # neither the archive nor a .part survives

    server.files["/cifar-10-python.tar.gz"] = blob
    ds = datasets.CIFAR10(tmp_path / "good", download=True)
    assert len(ds) == 10 and ds.classes[3] == "c3"
    assert dutils.check_integrity(tmp_path / "good" / "cifar-10-python.tar.gz", digest)
    server.fail_all = True
    server.log.clear()
    assert len(datasets.CIFAR10(tmp_path / "good", train=False, download=True)) == 2 and server.log == []


def test_download_and_extract_archive_zip(server, tmp_path):
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("pkg/a.txt", "A")
    server.files["/data.zip"] = buf.getvalue()
    dutils.download_and_extract_archive(server.base + "/data.zip", tmp_path / "dl", tmp_path / "out",
                                        md5=_md5(buf.getvalue()), remove_finished=True)
    assert (tmp_path / "out" / "pkg" / "a.txt").read_text() == "A" and os.listdir(tmp_path / "dl") == []
