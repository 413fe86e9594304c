"""A real TensorBoard server reads ember's logs: its HTTP data API serves what was written."""
import json
import os
import re
import subprocess
import sys
import threading
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
    with urllib.request.urlopen(base + path, timeout=DEADLINE_S) as r:
        return r.read()


def _serve(logdir, out):
    """Start TensorBoard on a free port; returns (process, base URL or None); its output goes to `out`.

    With --load_fast=false --reload_interval=0 --reload_task=blocking, TensorBoard reads the whole
    logdir before it starts serving and then prints its URL, so once the URL line is out, every
    request sees all the data: no polling. A reader thread copies the server's output (and keeps
    the pipe drained); the test waits on an Event that it sets at the URL line or at EOF."""
    proc = subprocess.Popen([sys.executable, "-m", "tensorboard.main", "--logdir", str(logdir), "--host",
                             "127.0.0.1", "--port", "0", "--load_fast", "false", "--reload_interval", "0",
                             "--reload_task", "blocking"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONWARNINGS": "ignore"})
    found, base = threading.Event(), []

    def pump():
        for line in proc.stdout:
            out.append(line)
            m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
            if m and not base:
                base.append(f"http://127.0.0.1:{m.group(1)}")
                found.set()
        found.set()                              # EOF: the server exited

    threading.Thread(target=pump, daemon=True).start()
    found.wait(DEADLINE_S)
    return proc, (base[0] if base else None)


def test_live_tensorboard_serves_ember_logs(tmp_path):
    logdir = tmp_path / "logs"
    _write_logs(str(logdir))
    out = []
    proc, base = _serve(logdir, out)
    try:
        assert base, "".join(out)

        scalars = json.loads(_get(base, "/data/plugin/scalars/scalars?run=.&tag=loss"))
        assert [(s[1], s[2]) for s in scalars] == [(0, 0.0), (1, 0.5), (2, 1.0)]

        images = json.loads(_get(base, "/data/plugin/images/images?run=.&tag=img&sample=0"))
        png = _get(base, "/data/plugin/images/individualImage?" + images[0]["query"])
        from PIL import Image
        import io
        assert images[0]["step"] == 1 and Image.open(io.BytesIO(png)).size == (10, 8)

        hist = json.loads(_get(base, "/data/plugin/histograms/histograms?run=.&tag=h"))
        # TensorBoard's own conversion of the TensorFlow-style buckets: [left edge, right edge, count]
        assert hist[0][1] == 1
        assert np.array(hist[0][2]) == pytest.approx(np.array([[0.0, 1.8, 2], [1.8, 3.6, 2], [3.6, 5.4, 2],
                                                               [5.4, 7.2, 2], [7.2, 9.0, 2]]))

        text = json.loads(_get(base, "/data/plugin/text/text?run=.&tag=note/text_summary"))
        assert "<strong>ember</strong>" in text[0]["text"]

        graph = _get(base, "/data/plugin/graphs/graph?run=.").decode()
        for name in ("input/x", "Net/Conv2d[conv1]/convolution", "Net/Sequential[fc]/Linear[0]/weight",
                     "output/output.1"):
            assert f'name: "{name}"' in graph

        pr = json.loads(_get(base, "/data/plugin/pr_curves/pr_curves?run=.&tag=pr"))["."][0]
        assert pr["true_positives"][:2] == [2, 2] and pr["false_positives"][:2] == [2, 1]

        info = json.loads(_get(base, "/data/plugin/projector/info?run=."))
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
