"""The training loop: epochs of optimisation and validation, monitoring, checkpoints, resume."""
import datetime
import logging
import os
import sys
import time

from .. import no_grad
from .callbacks import default_callbacks
from .checkpoint import (CheckpointError, check_state_dict, load_checkpoint, rng_state, save_checkpoint,
                         set_rng_states)
from .config import TRAINER_DEFAULTS, ConfigParser, parse_monitor
from .metrics import MetricTracker

__all__ = ["Trainer", "evaluate", "setup_logging"]

LOGGER_NAME = "ember.train"


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (notebooks and test runners replace it)."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, value):
        pass


def setup_logging(log_file=None, verbosity=1):
    """Console (stdout) and optional file handlers for the 'ember.train' logger; returns the logger."""
    logger = logging.getLogger(LOGGER_NAME)
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    console = _StdoutHandler()
    console.setLevel({0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG}[verbosity])
    console.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(console)
    if log_file:
        fh = logging.FileHandler(log_file, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%Y-%m-%d %H:%M:%S"))
        logger.addHandler(fh)
    return logger


def _named_metrics(metrics):
    if metrics is None:
        return []
    if isinstance(metrics, dict):
        return list(metrics.items())
    return [m if isinstance(m, tuple) else (m.__name__, m) for m in metrics]


def evaluate(model, criterion, metrics, loader, device=None):
    """Sample-weighted mean loss and metrics of model over loader: {"loss": ..., name: ...}."""
    metrics = _named_metrics(metrics)
    tracker = MetricTracker("loss", *[n for n, _ in metrics])
    model.eval()
    with no_grad():
        for data, target in loader:
            if device is not None:
                data, target = data.to(device), target.to(device)
            output = model(data)
            n = len(target)
            tracker.update("loss", criterion(output, target).item(), n)
            for name, fn in metrics:
                tracker.update(name, fn(output, target), n)
    return tracker.result()


class Trainer:
    """Train `model` with `optimizer` on `data_loader`, validating on `valid_data_loader` each epoch.

    config: a ConfigParser, or a dict holding a "trainer" section (epochs, save_dir, save_period,
    verbosity, monitor, early_stop, tensorboard) and optionally "name". callbacks: None for the
    defaults the trainer section asks for, or a list of Callback objects to use instead.
    `train()` returns the history: one dict per epoch of logged values."""

    def __init__(self, model, criterion, metrics, optimizer, config, data_loader, valid_data_loader=None,
                 lr_scheduler=None, callbacks=None, device=None, len_epoch=None, input_spec=None):
        self.model, self.criterion, self.optimizer = model, criterion, optimizer
        self.metrics = _named_metrics(metrics)
        self.data_loader, self.valid_data_loader, self.lr_scheduler = data_loader, valid_data_loader, lr_scheduler
        self.device = device
        if isinstance(config, ConfigParser):
            self.config, self._parser = config.config, config
        else:
            self.config, self._parser = dict(config or {}), None
        settings = dict(TRAINER_DEFAULTS)
        settings.update(self.config.get("trainer", {}))
        self.settings = settings
        self.name = self.config.get("name", "experiment")
        self.epochs = settings["epochs"]
        self.verbosity = settings["verbosity"]
        self.len_epoch = len_epoch or len(data_loader)
        self.monitor_mode, self.monitor_key = parse_monitor(settings["monitor"])
        self.mnt_best = {"min": float("inf"), "max": float("-inf")}.get(self.monitor_mode, 0.0)
        self.not_improved_count = 0
        self.start_epoch, self.completed_epoch, self.epoch = 1, 0, 0
        self.history = []
        self.stop_training = False
        self.input_spec = input_spec if input_spec is not None else getattr(data_loader, "input_spec", None)
        self.best_path = self.interrupted_path = self.plot_path = None
        self._run_dir = None
        self.logger = logging.getLogger(LOGGER_NAME)
        if not self.logger.handlers:
            setup_logging(None, self.verbosity)
        self.callbacks = default_callbacks(settings) if callbacks is None else list(callbacks)

    # ---- run directory -----------------------------------------------------------------------------
    @property
    def run_dir(self):
        """`<save_dir>/<name>/<timestamp>/`, created on first use."""
        if self._run_dir is None:
            if self._parser is not None:
                self._run_dir = self._parser.save_dir
            else:
                stamp = datetime.datetime.now().strftime("%m%d_%H%M%S")
                self._run_dir = os.path.join(self.settings["save_dir"], self.name, stamp)
                os.makedirs(self._run_dir, exist_ok=True)
        return self._run_dir

    # ---- the loop ----------------------------------------------------------------------------------
    def _call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(self, *args)

    def current_lr(self):
        return float(self.optimizer.param_groups[0]["lr"])

    def train(self):
        self.stop_training = False
        self._call("on_train_begin")
        epoch = self.start_epoch
        try:
            for epoch in range(self.start_epoch, self.epochs + 1):
                self.epoch = epoch
                self._call("on_epoch_begin", epoch)
                start = time.time()
                logs = {"epoch": epoch}
                logs.update(self._train_epoch())
                if self.valid_data_loader is not None:
                    val = evaluate(self.model, self.criterion, self.metrics, self.valid_data_loader, self.device)
                    logs.update({"val_" + k: v for k, v in val.items()})
                logs["lr"] = self.current_lr()
                self._step_scheduler(logs)
                logs["time"] = time.time() - start
                self.completed_epoch = epoch
                self.history.append(dict(logs))
                logs["improved"] = self._update_monitor(logs)
                self._call("on_epoch_end", epoch, logs)
                if self.stop_training:
                    break
        except KeyboardInterrupt:
            self._call("on_interrupt", epoch)
            raise
        finally:
            self._call("on_train_end")
        return self.history

    def _train_epoch(self):
        self.model.train()
        tracker = MetricTracker("loss", *[n for n, _ in self.metrics])
        for batch_idx, (data, target) in enumerate(self.data_loader):
            if self.device is not None:
                data, target = data.to(self.device), target.to(self.device)
            self.optimizer.zero_grad()
            output = self.model(data)
            loss = self.criterion(output, target)
            loss.backward()
            self.optimizer.step()
            value, n = loss.item(), len(target)
            tracker.update("loss", value, n)
            with no_grad():
                for name, fn in self.metrics:
                    tracker.update(name, fn(output, target), n)
            self._call("on_batch_end", batch_idx, value)
            if batch_idx + 1 >= self.len_epoch:
                break
        return tracker.result()

    def _step_scheduler(self, logs):
        if self.lr_scheduler is None:
            return
        if type(self.lr_scheduler).__name__ == "ReduceLROnPlateau":
            key = self.monitor_key if self.monitor_mode != "off" else ("val_loss" if "val_loss" in logs else "loss")
            self.lr_scheduler.step(logs[key])
        else:
            self.lr_scheduler.step()

    def _update_monitor(self, logs):
        if self.monitor_mode == "off":
            return False
        if self.monitor_key not in logs:
            self.logger.warning(f"monitored value '{self.monitor_key}' is not logged (no validation data?); "
                                "monitoring is disabled")
            self.monitor_mode = "off"
            return False
        value = logs[self.monitor_key]
        improved = value <= self.mnt_best if self.monitor_mode == "min" else value >= self.mnt_best
        if improved:
            self.mnt_best, self.not_improved_count = value, 0
        else:
            self.not_improved_count += 1
        return improved

    # ---- checkpoints -------------------------------------------------------------------------------
    def state_dict(self, **extra):
        """Everything needed to continue exactly where this run is (see ember.train.checkpoint)."""
        state = {
            "arch": type(self.model).__name__,
            "epoch": self.completed_epoch,
            "state_dict": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict() if self.lr_scheduler is not None else None,
            "monitor_best": self.mnt_best,
            "not_improved_count": self.not_improved_count,
            "config": self.config,
            "history": self.history,
            "input_spec": self.input_spec,
            "rng": rng_state(),
        }
        state.update(extra)
        return state

    def save_checkpoint(self, path, **extra):
        return save_checkpoint(self.state_dict(**extra), path)

    def resume(self, path, checkpoint=None):
        """Restore model, optimizer, scheduler, epoch, monitor state, history and RNG streams."""
        ckpt = checkpoint if checkpoint is not None else load_checkpoint(path)
        check_state_dict(self.model, ckpt["state_dict"], path)
        self.model.load_state_dict(ckpt["state_dict"])
        old_opt = ckpt.get("config", {}).get("optimizer", {}).get("type")
        new_opt = self.config.get("optimizer", {}).get("type")
        if ckpt.get("optimizer") is not None and (old_opt is None or old_opt == new_opt):
            try:
                self.optimizer.load_state_dict(ckpt["optimizer"])
            except (ValueError, KeyError, RuntimeError) as e:
                raise CheckpointError(f"optimizer state in '{path}' does not fit this optimizer: {e}") from None
        else:
            self.logger.warning(f"optimizer type changed ({old_opt} -> {new_opt}): optimizer state not restored")
        if self.lr_scheduler is not None and ckpt.get("lr_scheduler") is not None:
            self.lr_scheduler.load_state_dict(ckpt["lr_scheduler"])
        self.completed_epoch = int(ckpt.get("epoch", 0))
        self.start_epoch = self.completed_epoch + 1
        if self.monitor_mode != "off" and "monitor_best" in ckpt:
            self.mnt_best = float(ckpt["monitor_best"])
            self.not_improved_count = int(ckpt.get("not_improved_count", 0))
        self.history = [dict(h) for h in ckpt.get("history", [])]
        if "rng" in ckpt:
            set_rng_states(ckpt["rng"])
        note = f" (interrupted during epoch {ckpt['interrupted_epoch']})" if "interrupted_epoch" in ckpt else ""
        self.logger.info(f"resumed from {path}: epoch {self.completed_epoch} done{note}; continuing at epoch "
                         f"{self.start_epoch}")
        return ckpt
