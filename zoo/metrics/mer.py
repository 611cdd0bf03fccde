"""Micro-expression recognition metrics: UF1, UAR and accuracy, accumulated over LOSO folds.

The composite MER protocol (MEGC) pools the predictions of *all* leave-one-subject-out folds and
only then computes per-class scores: TP, FP and FN are summed over folds first, so a fold whose
test subject shows two classes weighs as much as its samples, and a class missing from one fold's
test subject does not produce a 0/0. Averaging per-fold UF1 values is a different (and wrong)
number; :class:`MERAccumulator` never does it.

A class that never occurs in the pooled ground truth has no defined recall (0/0). Such a class is
**excluded from both means** (UF1 and UAR), listed in ``excluded_classes`` and reported with a
:class:`MetricWarning`; its wrong predictions still count, as false negatives of the true classes.
The result is never a silent NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from zoo.metrics._arrays import require_keys, to_numpy


class MetricWarning(UserWarning):
    """A metric was computed with a documented adjustment (e.g. a class absent from the ground truth)."""


class MERAccumulator:
    """A confusion matrix summed over batches, folds and processes; UF1/UAR/accuracy from its counts.

    Args:
        num_classes: the number of classes, if known. When given, a class index outside
            ``[0, num_classes)`` is an error and classes absent from the ground truth are
            detected even if never predicted; when omitted the matrix grows with the largest
            index seen.
    """

    name = "mer"

    def __init__(self, num_classes: int | None = None) -> None:
        self.num_classes = num_classes
        self.confusion = np.zeros((num_classes or 0, num_classes or 0), dtype=np.int64)
        self.excluded_classes: list[int] = []

    def _grow(self, size: int) -> None:
        if size <= self.confusion.shape[0]:
            return
        if self.num_classes is not None:
            raise ValueError(f"Class index {size - 1} is outside [0, {self.num_classes}); check num_classes.")
        grown = np.zeros((size, size), dtype=np.int64)
        old = self.confusion.shape[0]
        grown[:old, :old] = self.confusion
        self.confusion = grown

    def update(self, output: dict[str, Any]) -> None:
        """Add ``{"pred": [B], "target": [B]}`` class indices (one batch, or one whole fold).

        Raises:
            KeyError: if a key is missing.
            ValueError: on different lengths, negative or out-of-range class indices.
        """
        require_keys(output, ("pred", "target"), self.name)
        pred = to_numpy(output["pred"], np.int64)
        target = to_numpy(output["target"], np.int64)
        if pred.shape != target.shape:
            raise ValueError(f"pred has {pred.size} values but target has {target.size}.")
        if pred.size == 0:
            return
        if min(pred.min(), target.min()) < 0:
            raise ValueError("Class indices must be >= 0.")
        self._grow(int(max(pred.max(), target.max())) + 1)
        np.add.at(self.confusion, (target, pred), 1)  # rows: truth, columns: prediction

    def merge(self, other: "MERAccumulator") -> None:
        """Add another accumulator's counts (another fold or another process's shard)."""
        self._grow(other.confusion.shape[0])
        size = other.confusion.shape[0]
        self.confusion[:size, :size] += other.confusion

    def per_class_counts(self) -> dict[str, np.ndarray]:
        """TP, FP and FN per class, from the pooled confusion matrix."""
        tp = np.diag(self.confusion)
        return {"tp": tp, "fp": self.confusion.sum(axis=0) - tp, "fn": self.confusion.sum(axis=1) - tp}

    def compute(self) -> dict[str, float]:
        """UF1, UAR and accuracy of everything accumulated.

        UF1 = mean over classes of ``2TP / (2TP + FP + FN)``; UAR = mean over classes of
        ``TP / (TP + FN)``; both over the classes present in the ground truth (see the module
        docstring). ``excluded_classes`` lists the others.

        Raises:
            ValueError: if nothing was accumulated.
        """
        counts = self.per_class_counts()
        tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
        support = tp + fn
        total = int(self.confusion.sum())
        if total == 0:
            raise ValueError("No samples were evaluated; UF1/UAR of an empty set are undefined.")
        present = support > 0
        self.excluded_classes = [int(c) for c in np.flatnonzero(~present)]
        if self.excluded_classes:
            warnings.warn(
                f"Classes {self.excluded_classes} never occur in the ground truth; they are excluded "
                "from the UF1 and UAR means (their recall is undefined).",
                MetricWarning,
                stacklevel=2,
            )
        f1 = 2 * tp[present] / (2 * tp[present] + fp[present] + fn[present])
        recall = tp[present] / support[present]
        return {
            "uf1": float(f1.mean()),
            "uar": float(recall.mean()),
            "accuracy": float(tp.sum() / total),
        }


def mer_metrics(pred: Any, target: Any, num_classes: int | None = None) -> dict[str, float]:
    """UF1, UAR and accuracy of one set of predictions (e.g. all LOSO folds concatenated).

    Raises:
        ValueError: on mismatched lengths, bad class indices or an empty set.
    """
    accumulator = MERAccumulator(num_classes)
    accumulator.update({"pred": pred, "target": target})
    return accumulator.compute()


def loso_mer_metrics(folds: Iterable[tuple[Any, Any]], num_classes: int | None = None) -> dict[str, float]:
    """UF1/UAR/accuracy over leave-one-subject-out folds, with TP/FP/FN summed over folds first.

    Args:
        folds: ``(pred, target)`` of each fold's test subject.
        num_classes: the number of classes, if known.

    Raises:
        ValueError: on mismatched lengths, bad class indices or no samples at all.
    """
    accumulator = MERAccumulator(num_classes)
    for pred, target in folds:
        accumulator.update({"pred": pred, "target": target})
    return accumulator.compute()
