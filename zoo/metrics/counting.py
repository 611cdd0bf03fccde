"""Crowd-counting metrics: MAE and the field's "MSE" (which is a root mean squared error)."""

from __future__ import annotations

from typing import Any

import numpy as np

from zoo.metrics._arrays import require_keys, to_numpy


def counting_metrics(pred_count: Any, gt_count: Any) -> dict[str, float]:
    """MAE and MSE of predicted crowd counts.

    MSE here is **the root of the mean squared error**, as the crowd-counting field uses the name
    (CSRNet, MPCount and every ShanghaiTech table report ``sqrt(mean((pred - gt)^2))`` as "MSE").

    Args:
        pred_count: predicted counts, one per image.
        gt_count: ground-truth counts, same length.

    Returns:
        ``{"mae": mean |pred - gt|, "mse": sqrt(mean (pred - gt)^2)}``.

    Raises:
        ValueError: if the lengths differ or there are no images.
    """
    accumulator = CountingAccumulator()
    accumulator.update({"pred_count": pred_count, "gt_count": gt_count})
    return accumulator.compute()


class CountingAccumulator:
    """Accumulates absolute and squared count errors over batches (and over processes via :meth:`merge`).

    Sums (not means) are kept so that batches of different sizes, and shards evaluated by several
    processes, combine exactly.
    """

    name = "counting"

    def __init__(self) -> None:
        self.abs_error_sum = 0.0
        self.squared_error_sum = 0.0
        self.count = 0

    def update(self, output: dict[str, Any]) -> None:
        """Add one ``evaluation_step`` output ``{"pred_count": [B], "gt_count": [B]}``.

        Raises:
            KeyError: if a key is missing.
            ValueError: if the two arrays have different lengths.
        """
        require_keys(output, ("pred_count", "gt_count"), self.name)
        pred = to_numpy(output["pred_count"], np.float64)
        gt = to_numpy(output["gt_count"], np.float64)
        if pred.shape != gt.shape:
            raise ValueError(f"pred_count has {pred.size} values but gt_count has {gt.size}.")
        error = pred - gt
        self.abs_error_sum += float(np.abs(error).sum())
        self.squared_error_sum += float((error**2).sum())
        self.count += int(error.size)

    def merge(self, other: "CountingAccumulator") -> None:
        """Add another accumulator's sums (another process's shard)."""
        self.abs_error_sum += other.abs_error_sum
        self.squared_error_sum += other.squared_error_sum
        self.count += other.count

    def compute(self) -> dict[str, float]:
        """MAE and MSE (root mean squared error, see :func:`counting_metrics`).

        Raises:
            ValueError: if nothing was accumulated.
        """
        if self.count == 0:
            raise ValueError("No images were evaluated; cannot compute MAE/MSE of an empty set.")
        return {
            "mae": self.abs_error_sum / self.count,
            "mse": float(np.sqrt(self.squared_error_sum / self.count)),
        }
