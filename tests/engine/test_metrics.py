"""Metrics against values computed by hand (the arithmetic is in the comments)."""

import math
import warnings

import numpy as np
import pytest
import torch

from zoo.errors import ConfigError
from zoo.metrics import (
    ClassificationAccumulator,
    CountingAccumulator,
    MERAccumulator,
    MetricWarning,
    accuracy,
    cil_metrics,
    counting_metrics,
    get_accumulator,
    loso_mer_metrics,
    mer_metrics,
)


def test_counting_mae_and_root_mse():
    # errors -2, 2, -5: MAE = 9/3 = 3; "MSE" = sqrt((4 + 4 + 25) / 3) = sqrt(11)
    result = counting_metrics(torch.tensor([10.0, 20.0, 30.0]), [12, 18, 35])
    assert result["mae"] == pytest.approx(3.0)
    assert result["mse"] == pytest.approx(math.sqrt(11.0))


def test_counting_accumulates_batches_and_shards_exactly():
    whole = counting_metrics([1, 2, 3, 4, 10], [0, 2, 5, 4, 4])
    first, second = CountingAccumulator(), CountingAccumulator()
    first.update({"pred_count": [1, 2], "gt_count": [0, 2]})
    second.update({"pred_count": np.array([3, 4, 10]), "gt_count": torch.tensor([5, 4, 4])})
    first.merge(second)
    assert first.compute() == pytest.approx(whole)


def test_counting_errors_are_explicit():
    with pytest.raises(ValueError, match="No images"):
        CountingAccumulator().compute()
    with pytest.raises(KeyError, match="pred_count"):
        CountingAccumulator().update({"pred": [1]})
    with pytest.raises(ValueError, match="3 values"):
        counting_metrics([1, 2, 3], [1, 2])


# Fold 1: target [0,0,1], pred [0,1,1]; fold 2: target [2,2,2,0], pred [2,0,0,0].
# Pooled: TP = [2,1,1], FP = [2,1,0], FN = [1,0,2]
# F1 = 4/7, 2/3, 2/4 -> UF1 = 73/126; recall = 2/3, 1, 1/3 -> UAR = 2/3; accuracy 4/7.
FOLDS = [([0, 1, 1], [0, 0, 1]), ([2, 0, 0, 0], [2, 2, 2, 0])]


def test_mer_pools_tp_fp_fn_over_folds_before_per_class_scores():
    result = loso_mer_metrics(FOLDS)
    assert result["uf1"] == pytest.approx(73 / 126)
    assert result["uar"] == pytest.approx(2 / 3)
    assert result["accuracy"] == pytest.approx(4 / 7)
    # Averaging per-fold UF1 gives (2/3 + 1/2) / 2 = 7/12 instead: a different number.
    with pytest.warns(MetricWarning):  # each fold lacks a class, which per-fold scoring must drop
        per_fold = np.mean([mer_metrics(p, t)["uf1"] for p, t in FOLDS])
    assert per_fold == pytest.approx(7 / 12)
    assert result["uf1"] != pytest.approx(per_fold)


def test_mer_counts_per_class():
    accumulator = MERAccumulator()
    for pred, target in FOLDS:
        accumulator.update({"pred": torch.tensor(pred), "target": torch.tensor(target)})
    counts = accumulator.per_class_counts()
    assert counts["tp"].tolist() == [2, 1, 1]
    assert counts["fp"].tolist() == [2, 1, 0]
    assert counts["fn"].tolist() == [1, 0, 2]


def test_mer_class_absent_from_ground_truth_is_excluded_with_a_warning():
    # num_classes=4; classes 2 and 3 never occur in the truth (3 is predicted once).
    # class 0: F1 1, recall 1; class 1: TP 1, FN 1 -> F1 2/3, recall 1/2.
    accumulator = MERAccumulator(num_classes=4)
    accumulator.update({"pred": [0, 1, 3], "target": [0, 1, 1]})
    with pytest.warns(MetricWarning, match=r"\[2, 3\]"):
        result = accumulator.compute()
    assert accumulator.excluded_classes == [2, 3]
    assert result["uf1"] == pytest.approx((1 + 2 / 3) / 2)
    assert result["uar"] == pytest.approx(0.75)
    assert all(math.isfinite(v) for v in result.values())


def test_mer_no_warning_when_every_class_is_present():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        mer_metrics([0, 1], [0, 1])


def test_mer_rejects_out_of_range_and_negative_classes():
    with pytest.raises(ValueError, match="outside"):
        MERAccumulator(num_classes=2).update({"pred": [2], "target": [0]})
    with pytest.raises(ValueError, match=">= 0"):
        mer_metrics([-1], [0])


def test_classification_accuracy():
    assert accuracy([1, 2, 3, 0], [1, 2, 0, 0]) == pytest.approx(0.75)
    accumulator = ClassificationAccumulator()
    with pytest.raises(ValueError, match="empty"):
        accumulator.compute()


def test_registry_names_the_three_families():
    assert isinstance(get_accumulator("counting"), CountingAccumulator)
    assert isinstance(get_accumulator("mer", num_classes=3), MERAccumulator)
    assert isinstance(get_accumulator("classification"), ClassificationAccumulator)
    with pytest.raises(ConfigError, match="Did you mean counting"):
        get_accumulator("countin")


# Blocks of 3, 2 and 1 classes (not 10).
BLOCKS = [[0, 1, 2], [3, 4], [5]]
STAGES = [
    # stage 0: task0 3/4 (the sample of class 5 is not learned yet and is ignored)
    ([0, 1, 0, 0, 1], [0, 1, 2, 0, 5]),
    # stage 1: task0 4/4, task1 1/2; seen classes 5/6
    ([0, 1, 2, 0, 3, 0], [0, 1, 2, 0, 3, 4]),
    # stage 2: task0 3/4, task1 2/2, task2 1/2; all 6/8
    ([0, 0, 2, 0, 3, 4, 5, 0], [0, 1, 2, 0, 3, 4, 5, 5]),
]


def test_cil_matrix_and_summaries_for_uneven_blocks():
    result = cil_metrics(STAGES, BLOCKS)
    expected = np.array([[0.75, np.nan, np.nan], [1.0, 0.5, np.nan], [0.75, 1.0, 0.5]])
    np.testing.assert_allclose(result.matrix, expected)
    assert result.stage_accuracy == pytest.approx([0.75, 5 / 6, 0.75])
    assert result.last == pytest.approx(0.75)
    assert result.average == pytest.approx((0.75 + 5 / 6 + 0.75) / 3)
    # task0: best 1.0 - final 0.75 = 0.25; task1: best 0.5 - final 1.0 = -0.5; mean -0.125
    assert result.forgetting == pytest.approx(-0.125)
    as_dict = result.as_dict()
    assert as_dict["accuracy_matrix"][0][1] is None and as_dict["A_B"] == pytest.approx(0.75)


def test_cil_single_task_has_no_forgetting_and_bad_blocks_fail():
    assert cil_metrics([([0, 1], [0, 1])], [[0, 1]]).forgetting == 0.0
    with pytest.raises(ValueError, match="disjoint"):
        cil_metrics(STAGES, [[0, 1, 2], [2, 3, 4], [5]])
    with pytest.raises(ValueError, match="no task"):
        cil_metrics([([0], [7])], [[0]])
    with pytest.raises(ValueError, match="2 stages"):
        cil_metrics(STAGES[:2], BLOCKS)
