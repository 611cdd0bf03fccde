"""Leave-one-subject-out evaluation for MER: folds from ``zoo.protocols``, metrics from ``zoo.metrics``.

UF1 and UAR are computed on the predictions of all folds pooled (TP/FP/FN summed over folds),
the composite-protocol convention; averaging per-fold scores is a different number.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

from zoo.errors import InputError


def loso_folds(subjects: Sequence[Hashable], only: Iterable[Hashable] | None = None) -> list[Any]:
    """LOSO folds (``zoo.protocols.Fold``) in natural subject order, optionally only for some test subjects.

    Args:
        subjects: the subject of each sample.
        only: test subjects to keep (a documented subset of folds); ``None`` keeps all.

    Raises:
        InputError: if there are fewer than two subjects or ``only`` names an unknown subject.
    """
    from zoo.protocols import loso_splits

    folds = loso_splits(subjects)
    if only is None:
        return folds
    wanted = set(only)
    unknown = wanted - {f.subject for f in folds}
    if unknown:
        raise InputError(f"Unknown test subjects {sorted(map(str, unknown))}; the data has {len(folds)} subjects.")
    return [f for f in folds if f.subject in wanted]


def run_loso(subjects: Sequence[Hashable], evaluate_fold: Callable[[Any], tuple[Any, Any]],
             num_classes: int | None = None, only: Iterable[Hashable] | None = None) -> dict[str, Any]:
    """Train/evaluate every fold and pool the predictions into UF1, UAR and accuracy.

    Args:
        subjects: the subject of each sample.
        evaluate_fold: ``fold → (pred, target)`` of the fold's test samples (it trains on ``fold.train``).
        num_classes: the number of classes (so absent classes are detected).
        only: restrict to these test subjects.

    Returns:
        ``{"uf1", "uar", "accuracy", "folds": n, "samples": n}``.

    Raises:
        InputError: on fewer than two subjects or unknown ``only`` subjects.
    """
    from zoo.metrics.mer import MERAccumulator

    accumulator = MERAccumulator(num_classes)
    folds = loso_folds(subjects, only)
    samples = 0
    for fold in folds:
        pred, target = evaluate_fold(fold)
        accumulator.update({"pred": pred, "target": target})
        samples += len(fold.test)
    return {**accumulator.compute(), "folds": len(folds), "samples": samples}
