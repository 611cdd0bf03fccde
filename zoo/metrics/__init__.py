"""Metrics of the zoo's methods, as accumulators that combine exactly over batches, folds and processes.

- ``counting``: :class:`CountingAccumulator` → MAE, MSE (the field's root mean squared error)
- ``mer``: :class:`MERAccumulator` → UF1, UAR (TP/FP/FN pooled over LOSO folds), accuracy
- ``classification``: :class:`ClassificationAccumulator` → accuracy
- class-incremental: :func:`cil_metrics` → accuracy matrix, A_B, Ā, forgetting

Only numpy is imported: tensors are accepted and converted without importing torch here.
"""

from zoo.metrics.cil import CILResult, cil_metrics
from zoo.metrics.classification import ClassificationAccumulator, accuracy
from zoo.metrics.counting import CountingAccumulator, counting_metrics
from zoo.metrics.mer import MERAccumulator, MetricWarning, loso_mer_metrics, mer_metrics
from zoo.metrics.registry import get_accumulator, metric_names, register_metric

__all__ = [
    "CILResult",
    "ClassificationAccumulator",
    "CountingAccumulator",
    "MERAccumulator",
    "MetricWarning",
    "accuracy",
    "cil_metrics",
    "counting_metrics",
    "get_accumulator",
    "loso_mer_metrics",
    "mer_metrics",
    "metric_names",
    "register_metric",
]
