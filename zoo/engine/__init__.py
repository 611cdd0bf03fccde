"""The training engine: one loop for every method, single process or ``torchrun`` DDP.

``from zoo.engine import Trainer, TrainConfig``. Importing this package imports torch.
"""

from zoo.engine.config import TrainConfig
from zoo.engine.errors import CheckpointError, TrainingError, TrainingInterrupted
from zoo.engine.trainer import Trainer, seed_everything

__all__ = [
    "CheckpointError", "TrainConfig", "Trainer", "TrainingError", "TrainingInterrupted", "seed_everything",
]
