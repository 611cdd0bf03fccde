"""``zoo.protocols.loso_splits(subjects, only=...)``: the one leave-one-subject-out splitter."""

from __future__ import annotations

import pytest

from zoo.errors import InputError
from zoo.protocols import loso_splits


def test_only_keeps_the_folds_of_the_named_subjects_in_natural_order() -> None:
    subjects = ["s10", "s2", "s1", "s2", "s10", "s3"]
    folds = loso_splits(subjects, only=["s10", "s2"])
    assert [f.subject for f in folds] == ["s2", "s10"]
    assert [f.test for f in folds] == [[1, 3], [0, 4]]
    # Training still uses every other subject, including the ones not tested.
    assert folds[0].train == [0, 2, 4, 5] and folds[1].train == [1, 2, 3, 5]


def test_only_matches_a_subject_by_its_text() -> None:
    folds = loso_splits([7, 11, 7, 3], only=["7"])
    assert [(f.subject, f.test, f.train) for f in folds] == [(7, [0, 2], [1, 3])]


def test_an_unknown_test_subject_is_an_error_listing_the_subjects_there_are() -> None:
    with pytest.raises(InputError) as info:
        loso_splits(["sub02", "sub10", "sub01"], only=["sub01", "sub7"])
    assert str(info.value) == "Unknown test subject(s) sub7: the data has 3 subjects (sub01, sub02, sub10)."


def test_only_none_or_empty() -> None:
    assert len(loso_splits(["a", "b", "c"], only=None)) == 3
    assert loso_splits(["a", "b", "c"], only=[]) == []
