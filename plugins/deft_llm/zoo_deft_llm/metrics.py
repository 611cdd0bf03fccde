"""The ``deft-llm`` metric: UF1/UAR of both readings of DEFT-LLM, pooled like any MER metric.

DEFT-LLM answers twice: the classification head's emotion (``pred``, the reported prediction) and
the emotion parsed from the generated (C, E, R) text (``pred_generated``, ``-1`` where the text
names no known emotion). :class:`DeftMERAccumulator` keeps one confusion matrix per reading (TP,
FP, FN summed over batches, LOSO folds and processes before the per-class scores) and reports
``uf1``/``uar``/``accuracy`` of the head and ``uf1_generated``/``uar_generated``/
``accuracy_generated`` of the text, so the engine's runs, cards and ``zoo ablate`` tables carry
both. An unparsable text counts as a miss of its true class (a false negative) without a false
positive for any real class: it is scored as an extra class that never occurs in the ground truth
and is left out of the means (``unparsed_generated`` counts them).
"""

from __future__ import annotations

import warnings
from typing import Any

import zoo.sdk as sdk

NAME = "deft-llm"


class DeftMERAccumulator:
    """Head and generated-text confusion matrices (see the module docstring).

    Args:
        num_classes: the number of emotion classes (required: absent classes must be detected).
    """

    name = NAME

    def __init__(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.head = sdk.MERAccumulator(num_classes)
        self.generated = sdk.MERAccumulator(num_classes + 1)  # + the never-true "unparsed" class
        self.unparsed = 0

    def update(self, output: dict[str, Any]) -> None:
        """Add ``{"pred", "target"[, "pred_generated"]}`` class indices of one batch.

        Raises:
            KeyError: if ``pred`` or ``target`` is missing.
            ValueError: on different lengths or out-of-range class indices.
        """
        self.head.update({"pred": output["pred"], "target": output["target"]})
        if output.get("pred_generated") is None:
            return
        import numpy as np

        parsed = np.asarray(output["pred_generated"].tolist() if hasattr(output["pred_generated"], "tolist")
                            else output["pred_generated"], dtype=np.int64).copy()
        self.unparsed += int((parsed < 0).sum())
        parsed[parsed < 0] = self.num_classes
        self.generated.update({"pred": parsed, "target": output["target"]})

    def merge(self, other: DeftMERAccumulator) -> None:
        """Add another accumulator's counts (another fold, or another process's shard)."""
        self.head.merge(other.head)
        self.generated.merge(other.generated)
        self.unparsed += other.unparsed

    def compute(self) -> dict[str, float]:
        """``uf1``, ``uar``, ``accuracy`` (head) and, when texts were scored, the ``*_generated`` ones.

        Raises:
            ValueError: if nothing was accumulated.
        """
        result = self.head.compute()
        if self.generated.confusion.sum():
            with warnings.catch_warnings():  # the "unparsed" column never occurs in the truth: expected
                warnings.filterwarnings("ignore", message=rf"Classes \[{self.num_classes}\] never occur",
                                        category=sdk.MetricWarning)
                generated = self.generated.compute()
            result.update({f"{key}_generated": value for key, value in generated.items()})
            result["unparsed_generated"] = float(self.unparsed)
        return result


def register() -> None:
    """Make ``deft-llm`` a metric name (idempotent: the plugin's model module calls it on import)."""
    sdk.register_metric(NAME, DeftMERAccumulator, override=True)
