"""``zoo.sdk.Prediction``: what :func:`zoo.predict` returns for one input, the same for every model.

Its :meth:`Prediction.to_dict` is one element of the ``predictions`` array of ``zoo predict --json``
(schema: ``docs/predict.schema.json``, described in docs/cli.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Prediction:
    """One input's prediction.

    Attributes:
        input: the input as given (a path as written, or a description of an in-memory object,
            e.g. ``array(480x640x3 uint8)``).
        task: the model's task (``crowd-counting``, ``micro-expression-recognition``,
            ``point-cloud-classification``, ...).
        outputs: the model's JSON-able outputs for this input (e.g. ``{"count": 41.2}``).
        files: pictures and other files written for this input (empty without ``out_dir``).
    """

    input: str
    task: str
    outputs: dict[str, Any]
    files: list[Path] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """``{"input", "task", "outputs", "files"}`` with file paths as strings (JSON-able)."""
        return {
            "input": self.input,
            "task": self.task,
            "outputs": self.outputs,
            "files": [str(p) for p in self.files],
        }

    def __getitem__(self, key: str) -> Any:
        """Shortcut to an output: ``prediction["count"]`` is ``prediction.outputs["count"]``.

        Raises:
            KeyError: if the model gave no output of that name (the message lists those it gave).
        """
        try:
            return self.outputs[key]
        except KeyError:
            raise KeyError(f"{key!r} is not an output of this prediction; outputs: {sorted(self.outputs)}") from None
