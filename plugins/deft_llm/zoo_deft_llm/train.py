"""Training and scoring DEFT-LLM variants: the engine's Trainer, then both readings scored.

Used by the synthetic checkpoint, ``zoo deft-llm ablate`` and ``zoo deft-llm loso``.
"""

from __future__ import annotations

import warnings
from typing import Any

import torch

TRAIN_DEFAULTS: dict[str, Any] = {"epochs": 30, "batch_size": 8, "lr": 2e-3, "weight_decay": 0.01, "seed": 0,
                                  "progress": False, "eval_every": 0, "grad_clip": 1.0}


def score_both_readings(model, dataset, batch_size: int = 16) -> dict[str, Any]:
    """UF1/UAR/accuracy of the head's emotion and of the emotion parsed from the generated answer.

    The accumulators are returned too (``head_accumulator``, ``generated_accumulator``) so that
    LOSO can pool TP/FP/FN over folds before computing the scores.

    A generation that names no known emotion counts as a miss of its true class (a false negative)
    without adding a false positive to any real class: it is scored as an extra "unparsed" class
    that never occurs in the ground truth, which :class:`MERAccumulator` leaves out of the means.
    """
    from zoo.metrics.mer import MERAccumulator, MetricWarning

    classes = len(model.config.classes)
    head, generated, answers = MERAccumulator(classes), MERAccumulator(classes + 1), []
    model.eval()
    for start in range(0, len(dataset), batch_size):
        batch = dataset.collate([dataset[i] for i in range(start, min(start + batch_size, len(dataset)))])
        out = model.evaluation_step(batch)
        head.update({"pred": out["pred"], "target": out["target"]})
        if "pred_generated" in out:
            parsed = out["pred_generated"].clone()
            parsed[parsed < 0] = classes
            generated.update({"pred": parsed, "target": out["target"]})
            answers += out["answers"]
    result: dict[str, Any] = {"head": head.compute(), "head_accumulator": head}
    if answers:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MetricWarning)
            result["generated"] = generated.compute()
        result["answers"], result["generated_accumulator"] = answers, generated
    return result


def fit(model, train_data, out_dir: str, **train_config: Any) -> None:
    """Train ``model`` on ``train_data`` with the engine (defaults: :data:`TRAIN_DEFAULTS`)."""
    from zoo.engine import TrainConfig, Trainer

    config = TrainConfig(**{**TRAIN_DEFAULTS, **train_config, "out_dir": out_dir})
    Trainer(model, config, train_data=train_data).fit()


def train_and_score(overrides: dict[str, Any], train_data, test_data, out_dir: str, base: str = "model/deft-llm",
                    **train_config: Any) -> tuple[Any, dict[str, Any]]:
    """Build a variant, train it, and score both readings on ``test_data``."""
    import zoo

    torch.manual_seed(train_config.get("seed", 0))
    model = zoo.build(base, **overrides)
    fit(model, train_data, out_dir, **train_config)
    return model, score_both_readings(model, test_data)
