"""ember.train: the training CLI (`ember train`) and its Python API.

    from ember.train import Trainer, EarlyStopping
    trainer = Trainer(model, criterion, [accuracy], optimizer, config, train_loader, valid_loader)
    history = trainer.train()

See docs/training.md.
"""
from .callbacks import (Callback, EarlyStopping, EpochLogger, ModelCheckpoint, PlotHistory, ProgressBar,
                        TensorBoardLogger, default_callbacks)
from .checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from .config import ConfigError, ConfigParser
from .data import DATA_LOADERS, BaseDataLoader, DigitsDataLoader, DigitsDataset
from .metrics import METRICS, MetricTracker, accuracy, top_k_acc
from .models import MODELS, MLP, DigitsCNN, SimpleCNN
from .trainer import Trainer, evaluate, setup_logging

__all__ = ["Trainer", "evaluate", "setup_logging", "Callback", "ProgressBar", "EpochLogger", "TensorBoardLogger",
           "ModelCheckpoint", "EarlyStopping", "PlotHistory", "default_callbacks", "ConfigParser", "ConfigError",
           "CheckpointError", "load_checkpoint", "save_checkpoint", "BaseDataLoader", "DigitsDataLoader",
           "DigitsDataset", "DATA_LOADERS", "accuracy", "top_k_acc", "METRICS", "MetricTracker", "DigitsCNN",
           "SimpleCNN", "MLP", "MODELS"]
