"""End-to-end runs of `ember train | test | predict` in subprocesses (reduced epochs)."""
import glob
import json
import os
import re
import signal
import struct
import subprocess

import numpy as np
import pytest

from .helpers import ember_cmd, env, run_ember


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One 2-epoch default run shared by the tests below."""
    root = tmp_path_factory.mktemp("train")
    res = run_ember("train", "--epochs", 2, "--save-dir", root / "runs", "--run-id", "r1",
                    "-o", "trainer.save_period=1", cwd=root)
    return res, root / "runs" / "digits" / "r1"


def test_train_default_output(run):
    res, run_dir = run
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Traceback" not in res.stderr
    for pattern in (r"epoch 1/2 .*loss \d\.\d{4} .*val_loss \d\.\d{4} .*val_accuracy \d\.\d{4} .*lr \S+ .*time \S+s",
                    r"epoch 2/2 ", r"test \(.*\): loss \d\.\d{4}  accuracy (\d\.\d{4})", r"run directory: "):
        assert re.search(pattern, out), (pattern, out)
    assert re.search(r"epoch 1 \[\s*\d+/20\] loss", out), "plain progress lines when stdout is not a TTY"
    acc = float(re.search(r"test \(.*\): loss \S+  accuracy (\S+)", out).group(1))
    assert acc > 0.9
    for name in ("config.json", "train.log", "model_best.pth", "checkpoint-epoch1.pth", "checkpoint-epoch2.pth",
                 "curves.png"):
        assert (run_dir / name).is_file(), name
    assert json.loads((run_dir / "config.json").read_text())["trainer"]["epochs"] == 2
    assert "epoch 2/2" in (run_dir / "train.log").read_text()


def test_plot_is_png(run):
    _, run_dir = run
    data = (run_dir / "curves.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image
    with Image.open(run_dir / "curves.png") as im:
        im.verify()


def _read_events(path):
    from tensorboardX.proto import event_pb2
    events, data = [], open(path, "rb").read()
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack("<Q", data[pos:pos + 8])
        ev = event_pb2.Event()
        ev.ParseFromString(data[pos + 12:pos + 12 + n])
        events.append(ev)
        pos += 12 + n + 4
    return events


def test_tensorboard_events(run):
    pytest.importorskip("tensorboardX")
    try:
        import ember.utils.tensorboard  # noqa: F401
    except ImportError:
        pytest.skip("ember.utils.tensorboard is not available")
    _, run_dir = run
    files = glob.glob(str(run_dir / "events.out.tfevents.*"))
    assert files
    tags = {(v.tag, ev.step) for ev in _read_events(files[0]) for v in ev.summary.value}
    assert ("loss/valid", 2) in tags and ("accuracy/valid", 1) in tags and ("batch/loss", 1) in tags


def test_checkpoint_loads_with_torch(run):
    torch = pytest.importorskip("torch")
    import ember
    _, run_dir = run
    ck = torch.load(run_dir / "checkpoint-epoch2.pth", weights_only=True)
    assert ck["epoch"] == 2 and ck["arch"] == "DigitsCNN"
    assert ck["config"]["name"] == "digits" and len(ck["history"]) == 2
    assert isinstance(ck["rng"]["ember"], torch.Tensor)
    mine = ember.load(run_dir / "checkpoint-epoch2.pth")["state_dict"]
    for k, v in ck["state_dict"].items():
        np.testing.assert_array_equal(v.numpy(), mine[k].numpy())


def test_ember_test_command(run):
    _, run_dir = run
    res = run_ember("test", "--resume", run_dir / "model_best.pth")
    assert res.returncode == 0, res.stderr
    assert "270 samples" in res.stdout
    assert re.search(r"loss \d\.\d{4}  accuracy \d\.\d{4}  top_k_acc \d\.\d{4}", res.stdout)


def test_predict(run, tmp_path):
    from PIL import Image
    from ember.train.data import DigitsDataLoader
    _, run_dir = run
    test_set = DigitsDataLoader().test_set
    paths, labels = [], []
    for i in range(6):
        x, y = test_set[i]
        img = (255 - np.round(x.numpy()[0] * 255)).astype(np.uint8)   # dark ink on white, like a scan
        p = tmp_path / f"digit{i}.png"
        Image.fromarray(img).resize((32, 32), Image.NEAREST).save(p)
        paths.append(p)
        labels.append(int(y))
    res = run_ember("predict", "--resume", run_dir / "model_best.pth", *paths)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 6
    top = [int(re.match(r".*: (\d) \(", line).group(1)) for line in lines]
    assert sum(t == y for t, y in zip(top, labels)) >= 5, (lines, labels)
    bad = run_ember("predict", "--resume", run_dir / "model_best.pth", tmp_path / "missing.png")
    assert bad.returncode != 0 and "cannot read image" in bad.stderr and "Traceback" not in bad.stderr


def test_wrong_architecture_checkpoint(run, tmp_path):
    _, run_dir = run
    cfg = json.loads((run_dir / "config.json").read_text())
    cfg["arch"] = {"type": "MLP", "args": {"in_features": 64}}
    (tmp_path / "mlp.json").write_text(json.dumps(cfg))
    res = run_ember("test", "--resume", run_dir / "model_best.pth", "--config", tmp_path / "mlp.json")
    assert res.returncode != 0
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1 and "does not match the model MLP" in err
    assert "missing keys: net.1.weight" in err and "unexpected keys: features.0.weight" in err
    res = run_ember("train", "--resume", run_dir / "model_best.pth", "-o", "arch.args.width=16",
                    "--save-dir", tmp_path / "runs")
    assert res.returncode != 0 and "shape mismatches: features.0.weight [32, 1, 3, 3] vs [16, 1, 3, 3]" in res.stderr


def test_corrupt_checkpoint(run, tmp_path):
    _, run_dir = run
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"this is not a checkpoint at all")
    truncated = tmp_path / "truncated.pth"
    truncated.write_bytes((run_dir / "model_best.pth").read_bytes()[:5000])
    for path in (garbage, truncated, tmp_path / "absent.pth"):
        res = run_ember("test", "--resume", path)
        assert res.returncode != 0
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr
        assert "checkpoint" in res.stderr and str(path.name) in res.stderr


def test_sigint_saves_checkpoint_and_exits_cleanly(tmp_path):
    proc = subprocess.Popen(ember_cmd("train", "--epochs", 50, "--save-dir", tmp_path / "runs", "--run-id", "int",
                                      "-o", "arch.args.width=8"),
                            cwd=tmp_path, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if re.match(r"epoch +1/50 ", line):
                proc.send_signal(signal.SIGINT)
                break
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(seen) + out
    assert proc.returncode == 130, (text, err)
    assert "Traceback" not in err
    assert re.search(r"interrupted (during|after) epoch \d+", text) and "resume with: ember train --resume" in text
    ckpt = tmp_path / "runs" / "digits" / "int" / "checkpoint-interrupted.pth"
    import ember
    state = ember.load(ckpt)
    assert state["epoch"] >= 1 and state.get("interrupted_epoch", state["epoch"] + 1) == state["epoch"] + 1
    assert not glob.glob(str(ckpt.parent / ".ember-save-*")), "no temporary files left behind"


@pytest.mark.slow
def test_full_default_run_accuracy(tmp_path):
    res = run_ember("train", cwd=tmp_path, timeout=600)
    assert res.returncode == 0, res.stderr
    acc = float(re.search(r"test \(.*\): loss \S+  accuracy (\S+)", res.stdout).group(1))
    assert acc >= 0.97, res.stdout
    assert glob.glob(str(tmp_path / "runs" / "digits" / "*" / "model_best.pth"))
