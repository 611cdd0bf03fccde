"""Evaluation protocols: leave-one-subject-out folds, class-incremental tasks, density splits.

Each splitter returns plain indices (into the dataset the caller holds), so it works with any
dataset class and never copies data.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from zoo.errors import InputError
from zoo.registry import natural_key


@dataclass(frozen=True)
class Fold:
    """One leave-one-subject-out fold: the held-out subject and the train/test sample indices."""

    subject: Hashable
    train: list[int]
    test: list[int]


def loso_splits(subjects: Sequence[Hashable], only: Iterable[Hashable] | None = None) -> list[Fold]:
    """Leave-one-subject-out folds, one per distinct subject, in natural subject order.

    Args:
        subjects: the subject of each sample (``subjects[i]`` is sample ``i``'s subject).
        only: keep only the folds that test these subjects (a documented subset, e.g. a recipe's
            ``protocol.test_subjects``); ``None`` keeps every fold. A subject matches by value or by
            its text, so ``7`` and ``"7"`` name the same subject (command-line values are text).

    Returns:
        Folds whose test sets partition the samples (of the kept subjects) and whose train sets
        hold every other sample, never the test subject's.

    Raises:
        InputError: if there are fewer than two subjects (no training data would be left), or
            ``only`` names a subject the data does not have (the message lists those it has).
    """
    distinct = sorted(set(subjects), key=lambda s: natural_key(str(s)))
    if len(distinct) < 2:
        raise InputError(f"LOSO needs at least two subjects; got {distinct}.")
    if only is not None:
        distinct = _only(distinct, list(only))
    folds = []
    for subject in distinct:
        test = [i for i, s in enumerate(subjects) if s == subject]
        train = [i for i, s in enumerate(subjects) if s != subject]
        folds.append(Fold(subject, train, test))
    return folds


def _only(distinct: list[Hashable], wanted: list[Hashable]) -> list[Hashable]:
    by_text = {str(s): s for s in distinct}
    unknown = [w for w in wanted if w not in distinct and str(w) not in by_text]
    if unknown:
        raise InputError(
            f"Unknown test subject(s) {', '.join(map(str, unknown))}: the data has {len(distinct)} subjects "
            f"({', '.join(map(str, distinct))})."
        )
    keep = {by_text[str(w)] if w not in distinct else w for w in wanted}
    return [s for s in distinct if s in keep]


def class_incremental_tasks(
    num_classes: int, base: int, increment: int, seed: int | None = 1993
) -> list[list[int]]:
    """Split classes into a base task and increments, in a seeded random class order.

    The class order is ``numpy.random.default_rng(seed).permutation(num_classes)`` (``seed=None``
    keeps the natural order 0..n-1). The first task holds ``base`` classes and each later task
    ``increment`` classes; when ``num_classes - base`` is not a multiple of ``increment`` the
    last task holds the remainder (fewer classes), rather than dropping classes.

    Args:
        num_classes: the number of classes (labels ``0..num_classes-1``).
        base: classes in the first task.
        increment: classes in every later task.
        seed: seed of the class order (1993 is the field's customary seed), or ``None``.

    Returns:
        The class indices of each task.

    Raises:
        InputError: if a size is not positive or ``base`` exceeds ``num_classes``.
    """
    if num_classes <= 0 or base <= 0 or increment <= 0:
        raise InputError(
            f"num_classes, base and increment must be positive; got {num_classes}, {base}, {increment}."
        )
    if base > num_classes:
        raise InputError(f"base={base} is more than the {num_classes} classes available.")
    order = np.arange(num_classes) if seed is None else np.random.default_rng(seed).permutation(num_classes)
    order_list = [int(c) for c in order]
    tasks = [order_list[:base]]
    for start in range(base, num_classes, increment):
        tasks.append(order_list[start : start + increment])
    return tasks


def density_split(counts: Sequence[float], threshold: float | None = None) -> tuple[list[int], list[int]]:
    """Split images into low- and high-density sets by their crowd count.

    Args:
        counts: the ground-truth count of each image.
        threshold: images with ``count <= threshold`` are low density; ``None`` uses the median
            count (L2HCount's within-dataset protocol: train on images at most the median).

    Returns:
        ``(low_indices, high_indices)``.

    Raises:
        InputError: if there are no counts or a count is negative.
    """
    values = np.asarray(counts, dtype=np.float64).reshape(-1)
    if values.size == 0:
        raise InputError("density_split needs at least one count.")
    if (values < 0).any():
        raise InputError("Crowd counts must be >= 0.")
    limit = float(np.median(values)) if threshold is None else float(threshold)
    low = [int(i) for i in np.flatnonzero(values <= limit)]
    high = [int(i) for i in np.flatnonzero(values > limit)]
    return low, high
