"""TensorBoard logging (`torch.utils.tensorboard`): `from ember.utils.tensorboard import SummaryWriter`.

Needs the optional extra: pip install 'ember[tensorboard]' (tensorboardX supplies the protobufs).
"""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
