"""Interrupted-then-resumed training ends bit-identical to an uninterrupted run."""
import numpy as np

import ember
from ember.train import cli
from ember.train.checkpoint import load_checkpoint, save_checkpoint

COMMON = ["-o", "trainer.save_period=1", "-o", "trainer.tensorboard=false", "--bs", "256", "--num-workers", "0",
          "-o", "arch.args.width=8"]


def _flat(obj, prefix=""):
    """{path: numpy array or primitive} of nested dicts/lists (tensors converted)."""
    if isinstance(obj, dict):
        return {k2: v2 for k, v in obj.items() for k2, v2 in _flat(v, f"{prefix}{k}.").items()}
    if isinstance(obj, (list, tuple)):
        return {k2: v2 for i, v in enumerate(obj) for k2, v2 in _flat(v, f"{prefix}{i}.").items()}
    return {prefix: obj.numpy() if isinstance(obj, ember.Tensor) else obj}


def _assert_same(a, b):
    fa, fb = _flat(a), _flat(b)
    assert fa.keys() == fb.keys()
    for k in fa:
        if isinstance(fa[k], np.ndarray):
            assert fa[k].dtype == fb[k].dtype and np.array_equal(fa[k], fb[k]), k
        else:
            assert fa[k] == fb[k], k


def test_resume_is_bit_identical(tmp_path, capsys):
    base = ["train", "--save-dir", str(tmp_path)] + COMMON
    assert cli.main(base + ["--epochs", "3", "--run-id", "full"]) == 0
    assert cli.main(base + ["--epochs", "1", "--run-id", "part"]) == 0
    part = tmp_path / "digits" / "part" / "checkpoint-epoch1.pth"
    assert cli.main(base + ["--epochs", "3", "--run-id", "resumed", "--resume", str(part)]) == 0
    out = capsys.readouterr().out
    assert "resumed from" in out and "continuing at epoch 2" in out
    full = load_checkpoint(str(tmp_path / "digits" / "full" / "checkpoint-epoch3.pth"))
    resumed = load_checkpoint(str(tmp_path / "digits" / "resumed" / "checkpoint-epoch3.pth"))
    assert full["epoch"] == resumed["epoch"] == 3
    for key in ("state_dict", "optimizer", "lr_scheduler", "rng", "monitor_best", "not_improved_count"):
        _assert_same(full[key], resumed[key])
    strip = [{k: v for k, v in h.items() if k != "time"} for h in full["history"]]
    assert strip == [{k: v for k, v in h.items() if k != "time"} for h in resumed["history"]]


def test_failed_save_keeps_existing_checkpoint(tmp_path):
    path = str(tmp_path / "model_best.pth")
    save_checkpoint({"state_dict": {"w": ember.ones(3)}, "epoch": 1}, path)
    before = open(path, "rb").read()
    try:
        save_checkpoint({"state_dict": {"w": ember.zeros(3)}, "epoch": 2, "bad": lambda: None}, path)
    except Exception:
        pass
    else:
        raise AssertionError("saving a lambda should fail")
    assert open(path, "rb").read() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model_best.pth"]
