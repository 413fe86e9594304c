"""A real TensorBoard server reads ember's logs: its HTTP data API serves what was written."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

pytest.importorskip("tensorboard")
from .test_writer import Net  # noqa: E402

import ember  # noqa: E402
from ember.utils.tensorboard import SummaryWriter  # noqa: E402

DEADLINE_S = 45


def _write_logs(logdir):
    with SummaryWriter(logdir) as w:
        for i in range(3):
            w.add_scalar("loss", 0.5 * i, i)
        w.add_image("img", ember.rand(3, 8, 10), 1)
        w.add_histogram("h", ember.arange(10.0), 1, bins=5)
        w.add_text("note", "hello **ember**", 1)
        w.add_graph(Net(), ember.randn(2, 1, 4, 4))
        w.add_pr_curve("pr", np.array([1, 0, 1, 0]), ember.tensor([0.9, 0.2, 0.6, 0.4]), 1, num_thresholds=5)
        w.add_embedding(ember.arange(6.0).reshape(3, 2), metadata=["a", "b", "c"], tag="e")


def _get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=5) as r:
            return r.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _poll(base, path, ready, end):
    """GET path until ready(body) holds (the server loads the logdir in the background)."""
    while time.monotonic() < end:
        body = _get(base, path)
        if body is not None and ready(body):
            return body
        time.sleep(0.1)
    raise AssertionError(f"TensorBoard never served {path}")


def test_live_tensorboard_serves_ember_logs(tmp_path):
    logdir = tmp_path / "logs"
    _write_logs(str(logdir))
    log = open(tmp_path / "server.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
                             "127.0.0.1", "--port", "0", "--reload_interval", "1"],
                            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    end = time.monotonic() + DEADLINE_S
    try:
        base = None
        while base is None and time.monotonic() < end and proc.poll() is None:
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", (tmp_path / "server.log").read_text())
            base = m and f"http://127.0.0.1:{m.group(1)}"
            time.sleep(0.05)
        assert base, (tmp_path / "server.log").read_text()

        scalars = json.loads(_poll(base, "/data/plugin/scalars/scalars?run=.&tag=loss", lambda b: b != b"[]", end))
        assert [(s[1], s[2]) for s in scalars] == [(0, 0.0), (1, 0.5), (2, 1.0)]

        images = json.loads(_poll(base, "/data/plugin/images/images?run=.&tag=img&sample=0",
                                  lambda b: b.startswith(b"[{"), end))
        png = _get(base, "/data/plugin/images/individualImage?" + images[0]["query"])
        from PIL import Image
        import io
        assert images[0]["step"] == 1 and Image.open(io.BytesIO(png)).size == (10, 8)

        hist = json.loads(_poll(base, "/data/plugin/histograms/histograms?run=.&tag=h", lambda b: b != b"[]", end))
        assert [b[2] for b in hist[0][2]] == [0, 2, 2, 2, 2, 2]

        text = json.loads(_poll(base, "/data/plugin/text/text?run=.&tag=note/text_summary",
                                lambda b: b != b"[]", end))
        assert "<strong>ember</strong>" in text[0]["text"]

        graph = _poll(base, "/data/plugin/graphs/graph?run=.", lambda b: b"node" in b, end).decode()
        for name in ("input/x", "Net/Conv2d[conv1]/convolution", "Net/Sequential[fc]/Linear[0]/weight",
                     "output/output.1"):
            assert f'name: "{name}"' in graph

        pr = json.loads(_poll(base, "/data/plugin/pr_curves/pr_curves?run=.&tag=pr", lambda b: b"precision" in b,
                              end))["."][0]
        assert pr["true_positives"][:2] == [2, 2] and pr["false_positives"][:2] == [2, 1]

        info = json.loads(_poll(base, "/data/plugin/projector/info?run=.", lambda b: b"embeddings" in b, end))
        assert info["embeddings"][0]["tensorName"] == "e:00000" and info["embeddings"][0]["tensorShape"] == [3, 2]
        tensor = _get(base, "/data/plugin/projector/tensor?run=.&name=e:00000")
        assert np.frombuffer(tensor, np.float32).tolist() == [0, 1, 2, 3, 4, 5]
        assert _get(base, "/data/plugin/projector/metadata?run=.&name=e:00000").decode().split() == ["a", "b", "c"]
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
