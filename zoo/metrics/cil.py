"""Class-incremental learning metrics for any class split.

After training on task ``i`` (stage ``i``) the model is tested on the classes of tasks ``0..i``.
The **accuracy matrix** ``A[i, j]`` is the accuracy on the test samples of task ``j``'s classes
after stage ``i`` (``j <= i``); entries with ``j > i`` (tasks not learned yet) are NaN by
definition and never enter a mean. From it and the per-stage accuracy over all classes seen so far:

- ``A_B`` (last): accuracy after the last stage over every class;
- ``Ā`` (average incremental accuracy): mean over stages of the accuracy after that stage over
  the classes seen so far;
- forgetting: mean over old tasks ``j < T-1`` of ``max_{i in j..T-2} A[i, j] - A[T-1, j]``.

Blocks may have any sizes (a 20-class base task then blocks of 4, or uneven last blocks); the
field's reference code assumes blocks of 10 classes, which mis-assigns classes otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from zoo.metrics._arrays import to_numpy


@dataclass(frozen=True)
class CILResult:
    """Everything measured over a class-incremental run."""

    matrix: np.ndarray  # [T, T], NaN above the diagonal
    stage_accuracy: list[float]  # accuracy after stage i over the classes of tasks 0..i
    last: float  # A_B
    average: float  # Ā
    forgetting: float  # 0.0 for a single task (nothing old to forget)

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form (the matrix as nested lists with ``None`` for not-yet-learned tasks)."""
        matrix = [[None if np.isnan(v) else float(v) for v in row] for row in self.matrix]
        return {
            "accuracy_matrix": matrix,
            "stage_accuracy": self.stage_accuracy,
            "A_B": self.last,
            "A_mean": self.average,
            "forgetting": self.forgetting,
        }


def _task_of_class(class_blocks: Sequence[Sequence[int]]) -> dict[int, int]:
    owner: dict[int, int] = {}
    for task, block in enumerate(class_blocks):
        if len(block) == 0:
            raise ValueError(f"Task {task} has no classes; every task needs at least one.")
        for cls in block:
            if int(cls) in owner:
                raise ValueError(f"Class {cls} is in tasks {owner[int(cls)]} and {task}; blocks must be disjoint.")
            owner[int(cls)] = task
    return owner


def _accuracy(pred: np.ndarray, target: np.ndarray, mask: np.ndarray, what: str) -> float:
    if not mask.any():
        raise ValueError(f"No test samples for {what}; every task needs test samples.")
    return float((pred[mask] == target[mask]).mean())


def cil_metrics(stage_outputs: Sequence[tuple[Any, Any]], class_blocks: Sequence[Sequence[int]]) -> CILResult:
    """Accuracy matrix, A_B, Ā and forgetting of a class-incremental run.

    Args:
        stage_outputs: one ``(pred, target)`` per stage, the predictions after that stage on the
            test set (samples of classes not learned yet may be included; they are ignored).
        class_blocks: the class indices of each task, in task order (any sizes).

    Returns:
        A :class:`CILResult`.

    Raises:
        ValueError: if the number of stages and tasks differ, blocks overlap, a task has no
            test samples, or a target is in no block.
    """
    if len(stage_outputs) != len(class_blocks):
        raise ValueError(f"Got {len(stage_outputs)} stages of predictions for {len(class_blocks)} tasks.")
    owner = _task_of_class(class_blocks)
    tasks = len(class_blocks)
    matrix = np.full((tasks, tasks), np.nan)
    stage_accuracy = []
    for stage, (pred_raw, target_raw) in enumerate(stage_outputs):
        pred, target = to_numpy(pred_raw, np.int64), to_numpy(target_raw, np.int64)
        if pred.shape != target.shape:
            raise ValueError(f"Stage {stage}: pred has {pred.size} values but target has {target.size}.")
        unknown = sorted({int(t) for t in target} - set(owner))
        if unknown:
            raise ValueError(f"Stage {stage}: targets {unknown[:5]} belong to no task's class block.")
        task_of_sample = np.array([owner[int(t)] for t in target], dtype=np.int64)
        for task in range(stage + 1):
            matrix[stage, task] = _accuracy(pred, target, task_of_sample == task, f"task {task} at stage {stage}")
        stage_accuracy.append(_accuracy(pred, target, task_of_sample <= stage, f"stage {stage}"))
    final = tasks - 1
    forgetting = [np.max(matrix[task:final, task]) - matrix[final, task] for task in range(final)]
    return CILResult(
        matrix=matrix,
        stage_accuracy=stage_accuracy,
        last=stage_accuracy[-1],
        average=float(np.mean(stage_accuracy)),
        forgetting=float(np.mean(forgetting)) if forgetting else 0.0,
    )
