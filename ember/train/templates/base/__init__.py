from .base_data_loader import BaseDataLoader
from .base_model import BaseModel
from .base_trainer import BaseTrainer
