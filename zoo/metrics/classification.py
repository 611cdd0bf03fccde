"""Top-1 accuracy, accumulated as counts so that batches and processes combine exactly."""

from __future__ import annotations

from typing import Any

import numpy as np

from zoo.metrics._arrays import require_keys, to_numpy


def accuracy(pred: Any, target: Any) -> float:
    """Fraction of predictions equal to their target.

    Raises:
        ValueError: if the lengths differ or there are no samples.
    """
    accumulator = ClassificationAccumulator()
    accumulator.update({"pred": pred, "target": target})
    return accumulator.compute()["accuracy"]


class ClassificationAccumulator:
    """Counts correct predictions and samples over batches (and processes, via :meth:`merge`)."""

    name = "classification"

    def __init__(self) -> None:
        self.correct = 0
        self.total = 0

    def update(self, output: dict[str, Any]) -> None:
        """Add one ``evaluation_step`` output ``{"pred": [B], "target": [B]}`` of class indices.

        Raises:
            KeyError: if a key is missing.
            ValueError: if the lengths differ.
        """
        require_keys(output, ("pred", "target"), self.name)
        pred = to_numpy(output["pred"], np.int64)
        target = to_numpy(output["target"], np.int64)
        if pred.shape != target.shape:
            raise ValueError(f"pred has {pred.size} values but target has {target.size}.")
        self.correct += int((pred == target).sum())
        self.total += int(target.size)

    def merge(self, other: "ClassificationAccumulator") -> None:
        """Add another accumulator's counts (another process's shard)."""
        self.correct += other.correct
        self.total += other.total

    def compute(self) -> dict[str, float]:
        """``{"accuracy": correct / total}``.

        Raises:
            ValueError: if nothing was accumulated.
        """
        if self.total == 0:
            raise ValueError("No samples were evaluated; accuracy of an empty set is undefined.")
        return {"accuracy": self.correct / self.total}
