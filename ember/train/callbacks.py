"""Trainer callbacks: progress, per-epoch log lines, TensorBoard, checkpoints, early stopping, plots.

A callback overrides any of the hooks below; each receives the Trainer, whose attributes
(`model`, `optimizer`, `epoch`, `epochs`, `history`, `run_dir`, `logger`, `stop_training`,
`not_improved_count` ...) it may read. Setting `trainer.stop_training = True` ends training after
the current epoch.
"""
import os
import sys

__all__ = ["Callback", "ProgressBar", "EpochLogger", "TensorBoardLogger", "ModelCheckpoint", "EarlyStopping",
           "PlotHistory", "default_callbacks"]


class Callback:
    def on_train_begin(self, trainer):
        pass

    def on_epoch_begin(self, trainer, epoch):
        pass

    def on_batch_end(self, trainer, batch_idx, loss):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_interrupt(self, trainer, epoch):
        """Ctrl-C arrived during `epoch` (training then re-raises KeyboardInterrupt)."""

    def on_train_end(self, trainer):
        """Always called last, after normal end, early stop, interrupt or error."""


class ProgressBar(Callback):
    """A tqdm bar per epoch showing the running loss; plain lines when tqdm is missing or stderr is no TTY."""

    def __init__(self, lines_per_epoch=4):
        self.lines_per_epoch = lines_per_epoch
        self.bar = None

    def on_epoch_begin(self, trainer, epoch):
        self.total_loss, self.n = 0.0, 0
        self.total = trainer.len_epoch
        self.epoch = epoch
        self.bar = None
        if trainer.verbosity < 1:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None and sys.stderr.isatty():
            self.bar = tqdm(total=self.total, desc=f"epoch {epoch}/{trainer.epochs}", leave=False, unit="batch",
                            dynamic_ncols=True)

    def on_batch_end(self, trainer, batch_idx, loss):
        self.total_loss += loss
        self.n += 1
        running = self.total_loss / self.n
        if self.bar is not None:
            self.bar.set_postfix(loss=f"{running:.4f}", refresh=False)
            self.bar.update(1)
        elif trainer.verbosity >= 1:
            step = max(1, self.total // self.lines_per_epoch)
            if self.n % step == 0 and self.n < self.total:
                print(f"  epoch {self.epoch} [{self.n:>{len(str(self.total))}}/{self.total}] loss {running:.4f}",
                      flush=True)

    def _close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_epoch_end(self, trainer, epoch, logs):
        self._close()

    def on_interrupt(self, trainer, epoch):
        self._close()

    def on_train_end(self, trainer):
        self._close()


def format_logs(logs):
    parts = []
    for k, v in logs.items():
        if k in ("epoch", "lr", "time", "improved"):
            continue
        parts.append(f"{k} {v:.4f}")
    if "lr" in logs:
        parts.append(f"lr {logs['lr']:.3g}")
    if "time" in logs:
        parts.append(f"time {logs['time']:.1f}s")
    return "  ".join(parts)


class EpochLogger(Callback):
    """One line per epoch: losses, metrics, learning rate, time ('*' marks a new best)."""

    def on_epoch_end(self, trainer, epoch, logs):
        mark = "  *" if logs.get("improved") else ""
        width = len(str(trainer.epochs))
        trainer.logger.info(f"epoch {epoch:>{width}}/{trainer.epochs}  {format_logs(logs)}{mark}")


class TensorBoardLogger(Callback):
    """Scalars per batch (loss) and per epoch (all logged values) via ember.utils.tensorboard."""

    def __init__(self, log_dir=None):
        self.log_dir = log_dir
        self.writer = None

    def on_train_begin(self, trainer):
        try:
            from ..utils.tensorboard import SummaryWriter
        except Exception as e:   # optional: needs ember.utils.tensorboard and tensorboardX
            trainer.logger.warning(f"TensorBoard logging is off: ember.utils.tensorboard is unavailable ({e})")
            return
        self.writer = SummaryWriter(self.log_dir or trainer.run_dir)
        self.step = (trainer.start_epoch - 1) * trainer.len_epoch

    def on_batch_end(self, trainer, batch_idx, loss):
        if self.writer is not None:
            self.step += 1
            self.writer.add_scalar("batch/loss", loss, self.step)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.writer is None:
            return
        for k, v in logs.items():
            if k in ("epoch", "improved"):
                continue
            if k.startswith("val_"):
                tag = f"{k[4:]}/valid"
            elif k in ("lr", "time"):
                tag = f"epoch/{k}"
            else:
                tag = f"{k}/train"
            self.writer.add_scalar(tag, v, epoch)
        self.writer.flush()

    def on_train_end(self, trainer):
        if self.writer is not None:
            self.writer.close()
            self.writer = None


class ModelCheckpoint(Callback):
    """`checkpoint-epochN.pth` every `save_period` epochs, `model_best.pth` on each new best monitored value,
    `checkpoint-interrupted.pth` on Ctrl-C."""

    def __init__(self, save_period=1, save_best=True):
        self.save_period, self.save_best = save_period, save_best

    def on_epoch_end(self, trainer, epoch, logs):
        if epoch % self.save_period == 0:
            path = trainer.save_checkpoint(os.path.join(trainer.run_dir, f"checkpoint-epoch{epoch}.pth"))
            trainer.logger.debug(f"saved checkpoint {path}")
        if self.save_best and logs.get("improved"):
            path = trainer.save_checkpoint(os.path.join(trainer.run_dir, "model_best.pth"))
            trainer.best_path = path
            trainer.logger.debug(f"saved new best ({trainer.monitor_key} {trainer.mnt_best:.4f}) to {path}")

    def on_interrupt(self, trainer, epoch):
        extra = {"interrupted_epoch": epoch} if epoch > trainer.completed_epoch else {}
        trainer.interrupted_path = trainer.save_checkpoint(
            os.path.join(trainer.run_dir, "checkpoint-interrupted.pth"), **extra)


class EarlyStopping(Callback):
    """Stop when the monitored value has not improved for `patience` epochs (needs trainer.monitor)."""

    def __init__(self, patience):
        self.patience = patience

    def on_train_begin(self, trainer):
        if trainer.monitor_mode == "off":
            trainer.logger.warning("early_stop is set but trainer.monitor is \"off\": early stopping is disabled")

    def on_epoch_end(self, trainer, epoch, logs):
        if trainer.monitor_mode != "off" and trainer.not_improved_count >= self.patience:
            trainer.logger.info(f"{trainer.monitor_key} did not improve for {self.patience} epochs: "
                                "stopping early")
            trainer.stop_training = True


class PlotHistory(Callback):
    """A PNG of the loss and metric curves, written when training ends (needs matplotlib)."""

    def __init__(self, filename="curves.png"):
        self.filename = filename

    def on_train_end(self, trainer):
        if not trainer.history:
            return
        from .plot import plot_history
        path = os.path.join(trainer.run_dir, self.filename)
        try:
            trainer.plot_path = plot_history(trainer.history, path, title=trainer.name)
        except ImportError as e:
            trainer.logger.warning(f"no plot written: matplotlib is unavailable ({e})")


def default_callbacks(settings):
    """The callbacks a config's "trainer" section asks for."""
    cbs = [ProgressBar(), EpochLogger()]
    if settings.get("tensorboard"):
        cbs.append(TensorBoardLogger())
    cbs.append(ModelCheckpoint(settings.get("save_period", 1)))
    if settings.get("early_stop", 0) > 0:
        cbs.append(EarlyStopping(settings["early_stop"]))
    cbs.append(PlotHistory())
    return cbs
