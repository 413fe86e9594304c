"""TensorBoard logging (`torch.utils.tensorboard`): `from ember.utils.tensorboard import SummaryWriter`.

Needs the optional extra: pip install 'ember[tensorboard]' (tensorboardX supplies the protobufs and the
event-file framing, crc32c its native checksum; see `writer.py`).
"""
from .writer import FileWriter, SummaryWriter

__all__ = ["FileWriter", "SummaryWriter"]
