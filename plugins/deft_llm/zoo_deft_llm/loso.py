"""Leave-one-subject-out DEFT-LLM: train per fold on Uni-MER records of the other subjects, pool both readings.

Uni-MER records keep their subject, and each fold's training set is built from the other subjects'
records only, so no instruction text of the test subject leaks into training.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any


def run_loso(config: dict[str, Any], data, train_config: dict[str, Any], workdir: Path,
             only: list[str] | None = None) -> dict[str, Any]:
    """UF1/UAR/accuracy of the head and of the generated answer, TP/FP/FN pooled over folds.

    Args:
        config: the model config (a catalog entry's).
        data: a :class:`~zoo_deft_llm.datasets.UniMERDataset` over every subject.
        train_config: engine settings per fold.
        workdir: run folders, one per fold.
        only: test subjects to run (a documented subset of the folds); ``None`` = all.

    Raises:
        InputError: fewer than two subjects, or unknown ``only`` subjects.
    """
    from zoo.metrics.mer import MERAccumulator, MetricWarning
    from zoo_deft_llm.train import train_and_score
    from zoo_mer_data.loso import loso_folds

    classes = len(config.get("classes", data.mapping.classes))
    head, generated = MERAccumulator(classes), MERAccumulator(classes + 1)
    folds = loso_folds(data.subjects, only)
    for fold in folds:
        _, scores = train_and_score(config, data.subset(fold.train), data.subset(fold.test),
                                    str(workdir / f"fold_{fold.subject}"), **train_config)
        head.merge(scores["head_accumulator"])
        if "generated_accumulator" in scores:
            generated.merge(scores["generated_accumulator"])
    result: dict[str, Any] = {"head": head.compute(), "folds": len(folds), "samples": int(head.confusion.sum())}
    if generated.confusion.sum():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            result["generated"] = generated.compute()
    return result
