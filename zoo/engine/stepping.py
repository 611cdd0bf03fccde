"""Small pieces of the training loop: seeding, determinism, the loss to optimise, the step module,
the stop signal and the accumulation groups."""

from __future__ import annotations

import math
import os
import random
import signal
import threading
from typing import Any

import numpy as np
import torch
from torch import nn

from zoo.engine.errors import TrainingError


def seed_everything(seed: int) -> None:
    """Seed python, numpy and torch (all devices)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def configure_determinism() -> None:
    """Ask torch for deterministic kernels (errors on ops that have none) and fixed cuDNN choices."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True


def total_loss(losses: Any) -> torch.Tensor:
    """The loss to optimise: ``losses["loss"]`` if present, else the sum of the named losses.

    Raises:
        TrainingError: if ``losses`` is not a non-empty dict of scalar tensors.
    """
    if not isinstance(losses, dict) or not losses:
        raise TrainingError(
            f"training_step() must return a non-empty dict of named losses, got {type(losses).__name__}."
        )
    for name, value in losses.items():
        if not isinstance(value, torch.Tensor) or value.numel() != 1:
            raise TrainingError(f"Loss {name!r} must be a scalar tensor, got {getattr(value, 'shape', type(value))}.")
    if "loss" in losses:
        return losses["loss"].reshape(())
    if len(losses) == 1:  # the common single loss: no stack/sum (and their backward) per step
        return next(iter(losses.values())).reshape(())
    return torch.stack([v.reshape(()) for v in losses.values()]).sum()


class StepModule(nn.Module):
    """Routes ``forward`` to the model's ``training_step`` (or ``evaluation_step``).

    accelerate prepares this module, not the user's model: DDP's gradient hooks and FSDP's
    parameter gathering then see the step, and the autocast accelerate wraps around ``forward``
    stays off the model's own ``forward`` (which predicts in full precision after training).
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, batch: Any, evaluate: bool = False) -> dict[str, torch.Tensor]:
        return self.model.evaluation_step(batch) if evaluate else self.model.training_step(batch)


class StopSignal:
    """Records SIGTERM (schedulers' preemption, torchrun's shutdown) instead of dying mid-step.

    Installed only in the main thread (``signal`` allows no other); restored when training ends.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._previous: Any = None

    def __enter__(self) -> "StopSignal":
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)

    def _record(self, signum: int, frame: Any) -> None:
        self.received = signum


def accumulation_group(batch_in_epoch: int, batches_per_epoch: int, accumulate: int) -> tuple[int, bool]:
    """``(size of the group the next micro-batch belongs to, whether it closes that group)``.

    Groups of ``accumulate`` micro-batches start at every epoch start, so the last group of an
    epoch may be shorter; its losses are then averaged over its own size.
    """
    start = (batch_in_epoch // accumulate) * accumulate
    size = min(accumulate, batches_per_epoch - start)
    return size, batch_in_epoch + 1 - start == size


def steps_in(batches: int, accumulate: int) -> int:
    """Optimizer steps taken by ``batches`` micro-batches of one epoch."""
    return math.ceil(batches / accumulate)
