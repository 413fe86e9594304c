"""The Python API: Trainer with callbacks, from a notebook-style script."""
import ember
import ember.nn as nn
from ember.train import (Callback, DigitsDataLoader, EarlyStopping, EpochLogger, MLP, ModelCheckpoint, Trainer,
                         accuracy, evaluate)


class Recorder(Callback):
    def __init__(self):
        self.events = []

    def on_train_begin(self, trainer):
        self.events.append("begin")

    def on_epoch_end(self, trainer, epoch, logs):
        self.events.append((epoch, round(logs["val_accuracy"], 6), logs["improved"]))

    def on_train_end(self, trainer):
        self.events.append("end")


def _setup(lr):
    ember.manual_seed(0)
    loader = DigitsDataLoader(batch_size=128)
    model = MLP(64, 10, hidden=(32,))
    opt = ember.optim.Adam(model.parameters(), lr=lr)
    return loader, model, opt


def test_trainer_api_with_callbacks(tmp_path, capsys):
    loader, model, opt = _setup(0.01)
    rec = Recorder()
    config = {"name": "nb", "trainer": {"epochs": 3, "save_dir": str(tmp_path), "monitor": "max val_accuracy"}}
    trainer = Trainer(model, nn.CrossEntropyLoss(), [accuracy], opt, config, loader, loader.split_validation(),
                      callbacks=[EpochLogger(), ModelCheckpoint(save_period=2), rec])
    history = trainer.train()
    assert [h["epoch"] for h in history] == [1, 2, 3]
    assert rec.events[0] == "begin" and rec.events[-1] == "end" and len(rec.events) == 5
    assert history[-1]["accuracy"] > 0.5 and "val_loss" in history[-1]
    assert (tmp_path / "nb").is_dir() and list((tmp_path / "nb").glob("*/checkpoint-epoch2.pth"))
    assert "epoch 3/3" in capsys.readouterr().out
    res = evaluate(model, nn.CrossEntropyLoss(), [accuracy], loader.split_test())
    assert set(res) == {"loss", "accuracy"}


def test_early_stopping(tmp_path):
    loader, model, opt = _setup(0.01)   # the loss falls, so "max val_loss" never improves after epoch 1
    config = {"trainer": {"epochs": 20, "monitor": "max val_loss", "save_dir": str(tmp_path)}}
    trainer = Trainer(model, nn.CrossEntropyLoss(), [accuracy], opt, config, loader, loader.split_validation(),
                      callbacks=[EarlyStopping(patience=2)])
    history = trainer.train()
    assert len(history) == 3 and trainer.not_improved_count == 2
