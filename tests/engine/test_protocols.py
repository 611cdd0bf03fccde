import pytest

from zoo.errors import InputError
from zoo.protocols import class_incremental_tasks, density_split, loso_splits


def test_loso_one_fold_per_subject_in_natural_order():
    subjects = ["s2", "s10", "s1", "s2", "s10"]
    folds = loso_splits(subjects)
    assert [f.subject for f in folds] == ["s1", "s2", "s10"]
    assert [f.test for f in folds] == [[2], [0, 3], [1, 4]]
    for fold in folds:
        assert sorted(fold.train + fold.test) == list(range(5))
        assert all(subjects[i] != fold.subject for i in fold.train)


def test_loso_needs_two_subjects():
    with pytest.raises(InputError, match="two subjects"):
        loso_splits(["a", "a"])


def test_class_incremental_sizes_and_seeded_order():
    tasks = class_incremental_tasks(10, base=4, increment=3, seed=7)
    assert [len(t) for t in tasks] == [4, 3, 3]
    assert sorted(c for t in tasks for c in t) == list(range(10))
    assert tasks == class_incremental_tasks(10, base=4, increment=3, seed=7)
    assert tasks != class_incremental_tasks(10, base=4, increment=3, seed=8)
    assert class_incremental_tasks(6, base=2, increment=2, seed=None) == [[0, 1], [2, 3], [4, 5]]


def test_class_incremental_remainder_is_a_smaller_last_task():
    assert [len(t) for t in class_incremental_tasks(11, base=4, increment=3)] == [4, 3, 3, 1]
    with pytest.raises(InputError, match="more than"):
        class_incremental_tasks(3, base=4, increment=1)
    with pytest.raises(InputError, match="positive"):
        class_incremental_tasks(10, base=4, increment=0)


def test_density_split_by_median_and_threshold():
    counts = [5, 100, 20, 7, 50]
    assert density_split(counts) == ([0, 2, 3], [1, 4])  # median 20, low is <= 20
    assert density_split(counts, threshold=10) == ([0, 3], [1, 2, 4])
    with pytest.raises(InputError, match=">= 0"):
        density_split([1, -2])
