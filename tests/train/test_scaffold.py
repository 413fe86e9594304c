"""`ember new-project DIR` writes a project that trains out of the box."""
import os
import subprocess
import sys

from .helpers import env, run_ember


def test_new_project_trains(tmp_path):
    proj = tmp_path / "myproj"
    res = run_ember("new-project", proj)
    assert res.returncode == 0, res.stderr
    for rel in ("train.py", "test.py", "config.json", "README.md", "base/base_model.py",
                "base/base_data_loader.py", "base/base_trainer.py", "data_loader/data_loaders.py", "model/model.py",
                "model/loss.py", "model/metric.py", "trainer/trainer.py", "logger/logger.py", "utils/util.py"):
        assert (proj / rel).is_file(), rel
    assert not (proj / "__init__.py").exists()
    assert '"name": "myproj"' in (proj / "config.json").read_text()
    train = subprocess.run([sys.executable, "train.py", "-c", "config.json", "--epochs", "1"], cwd=proj, env=env(),
                           capture_output=True, text=True, timeout=300)
    assert train.returncode == 0, train.stderr
    assert "epoch 1/1" in train.stdout
    best = list((proj / "runs" / "myproj").glob("*/model_best.pth"))
    assert best
    test = subprocess.run([sys.executable, "test.py", "-r", str(best[0])], cwd=proj, env=env(),
                          capture_output=True, text=True, timeout=300)
    assert test.returncode == 0, test.stderr
    assert "test: loss" in test.stdout and "accuracy" in test.stdout


def test_new_project_refuses_non_empty_dir(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    res = run_ember("new-project", tmp_path)
    assert res.returncode != 0 and "is not empty" in res.stderr and "Traceback" not in res.stderr
    assert os.listdir(tmp_path) == ["keep.txt"]
