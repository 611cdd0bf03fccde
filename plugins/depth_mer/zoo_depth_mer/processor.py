"""The Depth-MER processor: an onset/apex depth pair → the model's 6-D motion points.

One input is one micro-expression: a folder holding ``onset.png`` and ``apex.png`` (16-bit depth,
0 = no measurement; a checkpoint's ``example/`` folder is one), or a dict
``{"onset": path or [H, W] array, "apex": ..., "box": [x0, y0, x1, y1] (optional)}``. A list of
such inputs is many micro-expressions (``zoo.predict`` reads a list as several inputs, so a pair
is never a plain list). The settings are the model config's ``pipeline`` (back-projection, face
box, cleaning, alignment, number of points), so a checkpoint from the Hub preprocesses exactly
like the local one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo.sdk import InputError, Processor
from zoo_depth_mer.depth import read_depth
from zoo_depth_mer.features import MotionPoints, PipelineConfig, pair_to_motion

#: The file names of a pair folder.
ONSET, APEX = "onset.png", "apex.png"


@dataclass(frozen=True)
class DepthPair:
    """A loaded input: its name, both depth maps, the face box used and the motion points."""

    name: str
    onset: np.ndarray
    apex: np.ndarray
    box: list[int] | None
    motion: MotionPoints

    @property
    def nbytes(self) -> int:
        """Memory held (``zoo.predict`` keeps items up to a budget)."""
        arrays = (self.onset, self.apex, self.motion.features, self.motion.onset_xyz, self.motion.motion)
        return int(sum(a.nbytes for a in arrays))


class DepthPairProcessor(Processor):
    """Loads onset/apex depth pairs and turns them into ``[num_points, 6]`` motion points."""

    def __init__(self, pipeline: PipelineConfig | dict[str, Any] | None = None) -> None:
        self._config = PipelineConfig.model_validate(pipeline or {}) if not isinstance(pipeline, PipelineConfig) else pipeline
        self.pipeline = self._config.model_dump()  # the settings, as to_dict() reports them

    def load(self, input: Any) -> DepthPair:
        """Read one pair (see the module docstring) and compute its motion points.

        Raises:
            InputError: for anything that is not a pair, a missing or non-depth file, frames of
                different sizes, or a pair without enough valid depth.
        """
        name = self.describe(input)
        onset, apex, box = _read_pair(input)
        try:
            motion = pair_to_motion(onset, apex, self._config, box)
        except InputError as exc:
            raise InputError(f"{name}: {exc}") from None
        return DepthPair(name, onset, apex, box, motion)

    def collate(self, items: list[DepthPair]) -> dict[str, torch.Tensor]:
        """``{"points": [B, num_points, 6]}`` (every item has the pipeline's ``num_points``)."""
        return {"points": torch.stack([torch.from_numpy(item.motion.features) for item in items])}


def _read_pair(input: Any) -> tuple[np.ndarray, np.ndarray, list[int] | None]:
    """``(onset depth, apex depth, box)`` of a folder or a dict input.

    Raises:
        InputError: if the input is neither, or a frame is not a depth map.
    """
    if isinstance(input, (str, Path)):
        folder = Path(input)
        if not folder.is_dir():
            raise InputError(
                f"{folder}: a Depth-MER input is an onset/apex pair: a folder holding {ONSET} and {APEX} "
                f"(16-bit depth PNGs), or a dict {{'onset': ..., 'apex': ...}}; got "
                f"{'a file' if folder.exists() else 'a path that does not exist'}."
            )
        missing = [f for f in (ONSET, APEX) if not (folder / f).is_file()]
        if missing:
            raise InputError(f"{folder}: the pair folder has no {' and no '.join(missing)} (it needs {ONSET} and {APEX}).")
        return read_depth(folder / ONSET), read_depth(folder / APEX), None
    if isinstance(input, dict):
        unknown = set(input) - {"onset", "apex", "box"}
        if unknown or not {"onset", "apex"} <= set(input):
            raise InputError(f"A pair dict needs the keys 'onset' and 'apex' (and optionally 'box'); got {sorted(input)}.")
        box = input.get("box")
        if box is not None and (len(box) != 4 or not all(np.isfinite(float(v)) for v in box)):
            raise InputError(f"'box' must be [x0, y0, x1, y1] (finite pixels), got {box!r}.")
        return _depth(input["onset"], "onset"), _depth(input["apex"], "apex"), None if box is None else list(box)
    raise InputError(
        f"A Depth-MER input is a folder holding {ONSET} and {APEX}, or a dict {{'onset': ..., 'apex': ...}}; "
        f"got {type(input).__name__}."
    )


def _depth(value: Any, role: str) -> np.ndarray:
    """A depth map from a path or an array (2-D, finite, non-negative; 0 = no measurement).

    Raises:
        InputError: naming the role and what is wrong.
    """
    if isinstance(value, (str, Path)):
        return read_depth(value)
    array = value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)
    if array.ndim != 2 or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise InputError(f"The {role} depth must be a 2-D numeric array [H, W], got shape {array.shape} ({array.dtype}).")
    if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
        raise InputError(f"The {role} depth holds NaN or infinite values; use 0 for pixels without depth.")
    if (array < 0).any():
        raise InputError(f"The {role} depth holds negative values; depth is >= 0 (0 = no measurement).")
    return array
