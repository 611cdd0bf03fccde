"""Errors the engine raises on purpose (all :class:`zoo.errors.ZooError`, so the CLI prints one line)."""

from __future__ import annotations

from zoo.errors import ZooError


class TrainingError(ZooError, RuntimeError):
    """A model's step returned something the engine cannot optimise or evaluate."""


class CheckpointError(ZooError, RuntimeError):
    """A checkpoint is missing, incomplete, or does not fit the run being resumed."""


class TrainingInterrupted(ZooError):
    """A stop signal (SIGTERM) ended training after a checkpoint was written; resume continues."""


class CheckpointWarning(UserWarning):
    """Resume skipped a corrupt checkpoint (the message names it and what was wrong)."""
