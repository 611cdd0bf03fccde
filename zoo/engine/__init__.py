"""The training engine: one loop for every method, on accelerate (one process, DDP, FSDP, DeepSpeed).

``from zoo.engine import Trainer, TrainConfig``. Importing this package imports torch.
"""

from zoo.engine.config import TrainConfig
from zoo.engine.errors import CheckpointError, CheckpointWarning, TrainingError, TrainingInterrupted
from zoo.engine.trainer import Trainer, seed_everything

__all__ = [
    "CheckpointError", "CheckpointWarning", "TrainConfig", "Trainer", "TrainingError", "TrainingInterrupted", "seed_everything",
]
