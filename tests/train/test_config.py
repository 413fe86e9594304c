"""Config validation, overrides and error messages (in process: `ember.train.cli.main`)."""
import json

import pytest

from ember.train import cli
from ember.train.config import ConfigError, ConfigParser, apply_overrides, check_args, load_config, parse_value

from .helpers import DIGITS_CONFIG, write_config


def _error(capsys, *argv):
    rc = cli.main(list(map(str, argv)))
    err = capsys.readouterr().err.strip()
    assert rc != 0
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def _config(**changes):
    cfg = load_config(DIGITS_CONFIG)
    apply_overrides(cfg, changes)
    return cfg


def test_missing_config_file(capsys, tmp_path):
    err = _error(capsys, "train", "--config", tmp_path / "nope.json")
    assert "config file not found" in err and "nope.json" in err


def test_invalid_json(capsys, tmp_path):
    (tmp_path / "bad.json").write_text("{\"name\": ")
    assert "is not valid JSON" in _error(capsys, "train", "-c", tmp_path / "bad.json")


@pytest.mark.parametrize("key,value,expected", [
    ("arch.type", "DigitCNN", "config key 'arch.type': unknown model 'DigitCNN' (did you mean 'DigitsCNN'?)"),
    ("optimizer.type", "Adamm", "unknown optimizer 'Adamm' (did you mean 'Adam'?); allowed: ASGD, Adadelta"),
    ("lr_scheduler.type", "Nope", "unknown lr scheduler 'Nope'"),
    ("data_loader.type", "Digits", "unknown data loader 'Digits'"),
    ("loss", "cross_entropi", "unknown loss 'cross_entropi' (did you mean 'cross_entropy'?)"),
    ("metrics", ["accuracy", "acc"], "config key 'metrics[1]': unknown metric 'acc'; allowed: accuracy, top_k_acc"),
    ("optimizer.args", {"learning_rate": 0.1}, "config key 'optimizer.args': Adam got an unexpected argument "
                                               "'learning_rate'; accepted: lr, betas, eps, weight_decay"),
    ("arch.args", {"classes": 3}, "DigitsCNN got an unexpected argument 'classes' (did you mean 'num_classes'?); accepted: num_classes, width, "
                                  "dropout"),
    ("lr_scheduler", {"type": "StepLR", "args": {}}, "StepLR requires argument 'step_size'"),
    ("trainer.monitor", "max val_acc", "'trainer.monitor' refers to 'val_acc', which is not logged; allowed: loss, "
                                       "accuracy, top_k_acc, val_loss, val_accuracy"),
    ("trainer.monitor", "best val_loss", "must be \"off\" or \"min <metric>\""),
    ("trainer.verbosity", 3, "'trainer.verbosity' must be one of 0, 1, 2"),
    ("trainer.epochs", 0, "'trainer.epochs' must be an integer >= 1"),
    ("trainer.foo", 1, "unknown config key 'trainer.foo'; allowed keys: epochs, save_dir"),
    ("optimiser", {}, "unknown config key 'optimiser'; allowed keys: name, n_gpu"),
    ("arch", "DigitsCNN", "config key 'arch' must be an object {\"type\": ..., \"args\": {...}}"),
])
def test_validation_messages(capsys, tmp_path, key, value, expected):
    cfg = load_config(DIGITS_CONFIG)
    apply_overrides(cfg, {key: value}) if not key.startswith("optimiser") else cfg.update({key: value})
    path = tmp_path / "c.json"
    path.write_text(json.dumps(cfg))
    err = _error(capsys, "train", "-c", path, "--save-dir", tmp_path / "runs")
    assert expected in err
    assert not (tmp_path / "runs").exists(), "a bad config writes nothing"


def test_overrides_are_typed():
    assert parse_value("0.01") == 0.01 and parse_value("64") == 64 and parse_value("true") is True
    assert parse_value("[1, 2]") == [1, 2] and parse_value("null") is None and parse_value("Adam") == "Adam"
    cp = ConfigParser(load_config(DIGITS_CONFIG), {"optimizer.args.lr": 0.01, "trainer.epochs": 3,
                                                  "optimizer.args.betas": [0.8, 0.9]})
    assert cp["optimizer"]["args"]["lr"] == 0.01 and cp["trainer"]["epochs"] == 3
    with pytest.raises(ConfigError, match="config has no key 'optimizr'"):
        ConfigParser(load_config(DIGITS_CONFIG), {"optimizr.args.lr": 0.1})


def test_cli_overrides_reach_the_run(capsys, tmp_path):
    rc = cli.main(["train", "--epochs", "1", "--lr", "0.01", "--bs", "128", "-o", "optimizer.args.amsgrad=true",
                   "-o", "trainer.tensorboard=false", "--save-dir", str(tmp_path), "--run-id", "o", "--seed", "3"])
    assert rc == 0, capsys.readouterr().err
    cfg = json.loads((tmp_path / "digits" / "o" / "config.json").read_text())
    assert cfg["optimizer"]["args"] == {"lr": 0.01, "weight_decay": 0, "amsgrad": True}
    assert cfg["data_loader"]["args"]["batch_size"] == 128 and cfg["trainer"]["epochs"] == 1 and cfg["seed"] == 3
    assert not list((tmp_path / "digits" / "o").glob("events.*"))
    out = capsys.readouterr().out
    assert "epoch 1/1" in out and "lr 0.01" in out


def test_bad_option_syntax(capsys):
    assert "expects KEY=VALUE" in _error(capsys, "train", "-o", "optimizer.args.lr")


def test_unwritable_save_dir(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    err = _error(capsys, "train", "--epochs", "1", "--save-dir", blocker / "runs")
    assert "cannot write run directory" in err and "trainer.save_dir" in err


def test_cuda_unavailable(capsys, monkeypatch):
    import ember
    monkeypatch.setattr(ember.cuda, "is_available", lambda: False)
    err = _error(capsys, "train", "--device", "cuda")
    assert err == ("ember train: error: --device cuda: CUDA is not available here (ember.cuda.is_available() is "
                   "False; it needs CuPy and an NVIDIA GPU); use --device cpu")
    assert "--device must be 'cpu', 'cuda' or 'cuda:N'" in _error(capsys, "train", "--device", "tpu")


def test_user_class_by_import_path(tmp_path, monkeypatch):
    (tmp_path / "mymodels.py").write_text(
        "import ember.nn as nn\n"
        "class Tiny(nn.Module):\n"
        "    def __init__(self, hidden=16):\n"
        "        super().__init__()\n"
        "        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, 10))\n"
        "    def forward(self, x):\n"
        "        return self.net(x)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    cp = ConfigParser(load_config(DIGITS_CONFIG), {"arch": {"type": "mymodels:Tiny", "args": {"hidden": 8}}})
    model, *_ = cli.build_experiment(cp)
    assert type(model).__name__ == "Tiny" and model.net[1].out_features == 8
    with pytest.raises(ConfigError, match="Tiny got an unexpected argument 'width'; accepted: hidden"):
        cli.build_experiment(ConfigParser(load_config(DIGITS_CONFIG), {"arch": {"type": "mymodels:Tiny",
                                                                               "args": {"width": 8}}}))
    with pytest.raises(ConfigError, match="cannot import module 'nosuchmod'"):
        cli.build_experiment(ConfigParser(load_config(DIGITS_CONFIG), {"arch.type": "nosuchmod:X"}))


def test_loss_forms():
    import ember
    out, target = ember.randn(4, 10), ember.tensor([1, 2, 3, 4])
    for loss in ("cross_entropy", "CrossEntropyLoss", {"type": "CrossEntropyLoss", "args": {"label_smoothing": 0.1}},
                 {"type": "cross_entropy", "args": {"reduction": "sum"}}):
        fn = cli.build_loss({"loss": loss})
        assert fn(out, target).dim() == 0
    with pytest.raises(ConfigError, match="CrossEntropyLoss got an unexpected argument 'smoothing'"):
        cli.build_loss({"loss": {"type": "CrossEntropyLoss", "args": {"smoothing": 0.1}}})


def test_check_args_injected():
    import ember
    check_args(ember.optim.SGD, {"lr": 0.1, "momentum": 0.9}, "optimizer", injected=("params",))
    with pytest.raises(ConfigError, match="accepted: lr, momentum"):
        check_args(ember.optim.SGD, {"params": 1}, "optimizer", injected=("params",))
