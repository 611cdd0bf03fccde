"""Turn tensors, arrays and lists into flat numpy arrays (metrics stay importable without torch)."""

from __future__ import annotations

from typing import Any

import numpy as np


def to_numpy(values: Any, dtype: Any = None) -> np.ndarray:
    """A flat numpy copy of a tensor (any device), array, list or scalar."""
    if hasattr(values, "detach"):  # a torch tensor; avoid importing torch here
        values = values.detach().cpu().numpy()
    array = np.asarray(values, dtype=dtype)
    return array.reshape(-1)


def require_keys(output: dict[str, Any], keys: tuple[str, ...], metric: str) -> None:
    """Check that an ``evaluation_step`` output holds the keys a metric needs.

    Raises:
        KeyError: naming the missing keys, the metric and the contract.
    """
    missing = [k for k in keys if k not in output]
    if missing:
        raise KeyError(
            f"The {metric!r} metric needs evaluation_step() to return {list(keys)}; "
            f"missing {missing} (got {sorted(output)})."
        )
