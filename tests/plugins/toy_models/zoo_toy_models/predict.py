"""The toy model's side of ``zoo.predict``: a processor for feature rows and a bar-chart picture.

An input is a ``[T, in_features]`` array of feature rows (or one ``[in_features]`` row), given as an
array or a ``.npy`` file; the model averages the rows. Inputs with different ``T`` cannot be stacked,
so ``T`` is the bucket key: this exercises size buckets in the core's tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo.sdk import InputError, Processor, agg_pyplot, save_picture


class ToyProcessor(Processor):
    """Reads feature rows; ``scale`` multiplies them (a stand-in for normalisation settings)."""

    def __init__(self, in_features: int, scale: float = 1.0) -> None:
        self.in_features = in_features
        self.scale = scale

    def load(self, input: Any) -> torch.Tensor:
        array = self._read(input)
        if array.ndim == 1:
            array = array[None]
        if array.ndim != 2 or array.shape[1] != self.in_features or array.shape[0] == 0:
            raise InputError(
                f"{self.describe(input)}: expected feature rows of shape [T, {self.in_features}] "
                f"(or [{self.in_features}]), got shape {list(array.shape)}."
            )
        if not np.isfinite(array).all():
            raise InputError(f"{self.describe(input)}: the features contain NaN or infinite values.")
        return torch.from_numpy(array.astype(np.float32) * self.scale)

    def bucket_key(self, item: torch.Tensor) -> int:
        return int(item.shape[0])

    def _read(self, input: Any) -> np.ndarray:
        if isinstance(input, (str, Path)):
            path = Path(input)
            if not path.is_file() or path.suffix != ".npy":
                raise InputError(f"{input}: expected an existing .npy file of feature rows.")
            try:
                return np.load(path, allow_pickle=False)
            except ValueError as exc:
                raise InputError(f"{input}: not a readable .npy array ({exc}).") from None
        try:
            return np.asarray(input, dtype=np.float64)
        except (TypeError, ValueError):
            raise InputError(f"{self.describe(input)}: expected an array of feature rows.") from None


def outputs_of(logits: torch.Tensor) -> list[dict[str, Any]]:
    """One ``{"label", "probabilities"}`` dict per row of logits."""
    probabilities = torch.softmax(logits.float(), dim=-1)
    return [{"label": int(p.argmax()), "probabilities": [round(float(v), 6) for v in p]} for p in probabilities]


def draw_bars(outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    """A bar chart of the class probabilities, ``<stem>.png``."""
    fig, ax = agg_pyplot().subplots(figsize=(3, 2))
    ax.bar(range(len(outputs["probabilities"])), outputs["probabilities"])
    ax.set_title(f"label {outputs['label']}")
    return [save_picture(fig, out_dir / f"{stem}.png", dpi=50)]
