# The epoch loop, monitoring, checkpoints, resume, TensorBoard, early stopping and plots.
from ember.train import Trainer as BaseTrainer  # noqa: F401
