"""The DEFT-LLM processor: a clip (onset and apex frames) → aligned crops, flow, region boxes (``zoo.predict``).

Settings come from the model config (so a checkpoint's ``config.json`` carries them): the face
crop size, the flow method, the landmark switch, the experts' input size and the prompt's
instruction. Both frames are aligned with the onset's face alignment and the flow is computed on
the crops, exactly as ``zoo unimer build`` did for the training records.

A clip is given as

- a folder of frames (``.jpg``/``.jpeg``/``.png``/``.bmp``): files called ``onset.*`` and
  ``apex.*`` if present (a checkpoint's ``example/``), otherwise the frames in natural order
  (``img2`` before ``img10``) with the first as the onset and the middle one as the apex (the
  usual stand-in when the apex is not labelled, as for SMIC);
- a dict ``{"onset": frame, "apex": frame}``, each a path or an ``[H, W, 3]`` uint8 RGB array.
"""

from __future__ import annotations

import re
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo.sdk import InputError, Processor
from zoo_deft_llm.preprocess import PreparedClip, prepare_clip, read_frame, to_views

FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")


@dataclass(eq=False)
class ClipItem:
    """One loaded clip: the experts' views, the prepared crops/flow (for the picture) and its frames."""

    views: dict[str, torch.Tensor]
    prepared: PreparedClip
    onset: str
    apex: str

    @property
    def nbytes(self) -> int:
        """Bytes held (``zoo.predict`` bounds the memory of the items it keeps)."""
        tensors = sum(t.nelement() * t.element_size() for t in self.views.values())
        arrays = sum(a.nbytes for a in (self.prepared.onset, self.prepared.apex, self.prepared.flow))
        return int(tensors + arrays)


def _natural(path: Path) -> list[Any]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.stem.lower())]


def clip_frames(folder: Path) -> tuple[Path, Path]:
    """The onset and apex frames of a clip folder (see the module docstring).

    Raises:
        InputError: if the folder holds fewer than two frames.
    """
    frames = sorted((p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in FRAME_SUFFIXES), key=_natural)
    named = {p.stem.lower(): p for p in frames}
    if "onset" in named and "apex" in named:
        return named["onset"], named["apex"]
    if len(frames) < 2:
        raise InputError(f"{folder}: a clip folder needs at least two frames ({', '.join(FRAME_SUFFIXES)}), found "
                         f"{len(frames)}; or give {{'onset': ..., 'apex': ...}}.")
    return frames[0], frames[len(frames) // 2]


class ClipProcessor(Processor):
    """Clips → ``{"onset", "apex", "flow"[, "regions"], "instruction", "clips"}`` batches (see the module docstring)."""

    def __init__(self, crop_size: int = 128, image_size: int = 64, flow_method: str = "tvl1", landmarks: str = "none",
                 instruction: str = "") -> None:
        self.crop_size, self.image_size = crop_size, image_size
        self.flow_method, self.landmarks, self.instruction = flow_method, landmarks, instruction

    @classmethod
    def from_config(cls, config: Any) -> ClipProcessor:
        """The processor of a ``DeftLLMConfig``."""
        return cls(config.crop_size, config.image_size, config.flow_method, config.landmarks, config.instruction)

    def load(self, input: Any) -> ClipItem:
        """Read one clip, align both frames on the onset's face and compute the flow.

        Raises:
            InputError: for a missing folder or frame, a folder with fewer than two frames, a file
                that is not an image, two frames of different sizes, or a dict/array of another form.
        """
        if isinstance(input, dict):
            if set(input) != {"onset", "apex"}:
                raise InputError(f"{self.describe(input)}: a clip dict needs exactly the keys 'onset' and 'apex'.")
            (onset, onset_name), (apex, apex_name) = self._frame(input["onset"]), self._frame(input["apex"])
        elif isinstance(input, (str, Path)):
            path = Path(input)
            if not path.is_dir():
                raise InputError(f"{input}: expected a clip folder (its frames, or onset.* and apex.*); "
                                 f"{'a single image is not a clip' if path.is_file() else 'it does not exist'}.")
            onset_path, apex_path = clip_frames(path)
            (onset, onset_name), (apex, apex_name) = self._frame(onset_path), self._frame(apex_path)
        else:
            raise InputError(f"{self.describe(input)}: expected a clip folder or {{'onset': frame, 'apex': frame}}.")
        prepared = prepare_clip(onset, apex, self.crop_size, self.flow_method, landmarks=self.landmarks)
        return ClipItem(to_views(prepared, self.image_size), prepared, onset_name, apex_name)

    def _frame(self, frame: Any) -> tuple[np.ndarray, str]:
        """A BGR frame (OpenCV's order, as the builder reads files) and its description."""
        if isinstance(frame, (str, Path)):
            return read_frame(frame), str(frame)
        array = frame.detach().cpu().numpy() if isinstance(frame, torch.Tensor) else frame
        if not isinstance(array, np.ndarray) or array.dtype != np.uint8 or array.ndim != 3 or array.shape[2] != 3:
            raise InputError(f"{self.describe(frame)}: a frame must be a path or an [H, W, 3] uint8 RGB array.")
        return np.ascontiguousarray(array[..., ::-1]), self.describe(frame)

    def bucket_key(self, item: ClipItem) -> Hashable:
        """Every clip has the same tensor shapes: one bucket."""
        return None

    def collate(self, items: list[ClipItem]) -> dict[str, Any]:
        """Stack the views; every clip gets this processor's instruction; ``clips`` says what each clip
        is (frames, alignment, the regions that move most) for the outputs."""
        from zoo_deft_llm.datasets import collate_views
        from zoo_deft_llm.predict import clip_summary

        batch = collate_views([item.views for item in items])
        batch["instruction"] = [self.instruction] * len(items)
        batch["clips"] = [clip_summary(item) for item in items]
        return batch
