"""The ``deft-llm`` metric: UF1/UAR of the head and of the generated text, pooled, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import zoo.sdk as sdk
from zoo_deft_llm.metrics import DeftMERAccumulator


def test_both_readings_against_hand_computed_scores():
    accumulator = DeftMERAccumulator(3)
    target = torch.tensor([0, 0, 1, 1, 2, 2])
    accumulator.update({"pred": torch.tensor([0, 1, 1, 1, 2, 0]), "target": target,
                        "pred_generated": torch.tensor([0, -1, 1, 2, -1, 2])})
    result = accumulator.compute()
    # head: class0 tp1 fp1 fn1, class1 tp2 fp1 fn0, class2 tp1 fp0 fn1
    assert result["uf1"] == pytest.approx(np.mean([2 / 4, 4 / 5, 2 / 3]))
    assert result["uar"] == pytest.approx(np.mean([1 / 2, 2 / 2, 1 / 2])) and result["accuracy"] == pytest.approx(4 / 6)
    # text: two unparsed answers are misses of their true class and no false positive of a real class:
    # class0 tp1 fp0 fn1, class1 tp1 fp0 fn1, class2 tp1 fp1 fn1
    assert result["uf1_generated"] == pytest.approx(np.mean([2 / 3, 2 / 3, 2 / 4]))
    assert result["uar_generated"] == pytest.approx(0.5) and result["unparsed_generated"] == 2.0
    assert result["accuracy_generated"] == pytest.approx(3 / 6)


def test_folds_merge_to_the_pooled_counts_and_the_head_alone_reports_no_text_scores():
    whole, first, second = DeftMERAccumulator(2), DeftMERAccumulator(2), DeftMERAccumulator(2)
    batches = [({"pred": [0, 1], "target": [0, 0], "pred_generated": [0, -1]}, first),
               ({"pred": [1, 1], "target": [1, 0], "pred_generated": [1, 1]}, second)]
    for batch, fold in batches:
        whole.update(batch)
        fold.update(batch)
    first.merge(second)
    assert first.compute() == whole.compute()
    head_only = DeftMERAccumulator(2)
    head_only.update({"pred": [0, 1], "target": [0, 1]})
    assert set(head_only.compute()) == {"uf1", "uar", "accuracy"}


def test_the_metric_is_registered_and_checks_its_input():
    import zoo_deft_llm.model  # noqa: F401  (registers the metric on import)

    accumulator = sdk.get_accumulator("deft-llm", num_classes=2)
    with pytest.raises(ValueError, match="outside"):
        accumulator.update({"pred": [0, 2], "target": [0, 1]})
    with pytest.raises(ValueError, match="No samples"):
        DeftMERAccumulator(2).compute()
