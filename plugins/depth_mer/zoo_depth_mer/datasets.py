"""``dataset/casme3-depth``: CAS(ME)^3 Part A onset/apex depth pairs as 6-D motion point sets.

Labels, class settings, layouts and the label checks (offset before onset, negative frames,
unknown emotion spellings, missing frames) come from ``zoo_mer_data`` (shared with DEFT-LLM).
Here every clip's depth is checked when the dataset is built, so that a bad record is reported
once instead of failing mid-training:

- an onset or apex PNG that does not decode as a 16-bit depth map is replaced by the nearest
  decodable frame of the clip within ``frame_tolerance`` (reported ``damaged_frame``), else the clip
  is skipped (``undecodable_depth``);
- a face box (``boxes_file`` entry) that is not four finite numbers with x0 < x1, y0 < y1 skips
  the clip (``bad_face_box``);
- fewer than 3 valid depth pixels in the face box after cleaning (a 0-point cloud) skips the clip
  (``empty_depth_cloud``);
- onset and apex frames of different sizes skip the clip (``depth_size_mismatch``).

Skipped clips are summarised in one warning (``strict=True``: ``InputError`` at the first one), and
a dataset left with no clip raises ``InputError`` naming why. Point sets are computed on first
access and kept in memory; they are never augmented here: the ``augment`` settings travel in every
batch and ``model/depth-mer`` applies them in its training step only (see
:mod:`zoo_depth_mer.augment` for why).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field

from zoo.sdk import InputError
from zoo_depth_mer.augment import AugmentConfig
from zoo_depth_mer.depth import read_depth
from zoo_depth_mer.features import PipelineConfig, frame_cloud, pair_to_points
from zoo_mer_data.casme3 import Casme3Label
from zoo_mer_data.casme3_dataset import Casme3Clips, Casme3Config
from zoo_mer_data.report import SKIP_REASONS

#: The depth checks' kinds of skipped clip, added to the MER report's reasons (so that its summary
#: counts them as skipped and strict mode names the reason).
DEPTH_SKIP_REASONS = {
    "undecodable_depth": "no decodable 16-bit depth frame for the onset or apex within the frame tolerance",
    "depth_size_mismatch": "the onset and apex depth frames differ in size",
    "bad_face_box": "the clip's boxes_file entry is not [x0, y0, x1, y1] with x0 < x1 and y0 < y1",
    "empty_depth_cloud": "fewer than 3 valid depth pixels in the face box (a 0-point cloud)",
}
for _kind, _reason in DEPTH_SKIP_REASONS.items():
    SKIP_REASONS.setdefault(_kind, _reason)


class Casme3DepthConfig(Casme3Config):
    """The CAS(ME)^3 settings plus how depth pairs become points and how training batches are augmented."""

    modalities: list[Literal["rgb", "depth"]] = Field(default_factory=lambda: ["depth"])
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    face_crop: Literal["pipeline", "detect"] = Field(
        "pipeline", description="pipeline: pipeline.face_box (or the whole frame); detect: Haar cascade on the onset RGB")
    boxes_file: str | None = Field(None, description="JSON {sample_id: [x0, y0, x1, y1]}; overrides face_crop")
    augment: AugmentConfig = Field(default_factory=AugmentConfig, description="training-batch augmentation")


class Casme3Depth(Casme3Clips):
    """Items: ``{"points": [N, 6] float32, "label": int, "subject": str, "sample_id": str}``."""

    Config = Casme3DepthConfig
    NAME = "dataset/casme3-depth"
    _warn_on_init = False  # the depth checks below report more; the report is finished at the end

    def __init__(self, config: Casme3DepthConfig | None = None) -> None:
        config = config if config is not None else self.Config()
        modalities = [*config.modalities]
        for needed in ["depth"] + (["rgb"] if config.face_crop == "detect" else []):
            if needed not in modalities:
                modalities.append(needed)
        super().__init__(config.model_copy(update={"modalities": modalities}))
        self.boxes = _read_boxes(config.boxes_file)
        self.items = [item for item in self.items if self._check_depth(item)]
        self._cache: dict[int, np.ndarray] = {}
        self.report.finish(kept=len(self.items))

    # -- checks at construction ---------------------------------------------------------------

    def _check_depth(self, item: dict[str, Any]) -> bool:
        """Find decodable depth frames, the face box and a non-empty cloud; ``False`` skips the clip."""
        label = self.labels[item["sample_id"]]
        frames = {}
        for role in ("onset", "apex"):
            found = self._first_decodable(label, item["frames"]["depth"][f"{role}_frame"], role)
            if found is None:
                return False
            frames[role] = found
        item["depth_files"] = {role: str(path) for role, (path, _) in frames.items()}
        (onset_path, onset), (_, apex) = frames["onset"], frames["apex"]
        if onset.shape != apex.shape:
            self.report.skip(label.row, label.sample_id, "depth_size_mismatch",
                             f"onset {onset.shape}, apex {apex.shape} ({onset_path})")
            return False
        box = self._box(item, label)
        if box is False:
            return False
        item["box"] = box
        for role, depth in (("onset", onset), ("apex", apex)):
            try:
                points = len(frame_cloud(depth, self.config.pipeline, box))
            except InputError as exc:
                points, why = 0, str(exc)
            else:
                why = f"{points} valid depth pixel(s) left after cropping and cleaning"
            if points < 3:
                self.report.skip(label.row, label.sample_id, "empty_depth_cloud", f"{role}: {why}")
                return False
        return True

    def _first_decodable(self, label: Casme3Label, frame: int, role: str) -> tuple[Path, np.ndarray] | None:
        for candidate in self.candidate_frames(label, frame):
            path = self.layout.frame_path(label, candidate, "depth")
            if not path.is_file():
                continue
            try:
                depth = read_depth(path)
            except InputError as exc:
                self.report.add(label.row, label.sample_id, "damaged_frame", f"{role}: {exc}")
                continue
            if candidate != frame:
                self.report.add(label.row, label.sample_id, "frame_substituted", f"depth {role}: used frame {candidate}")
            return path, depth
        self.report.skip(label.row, label.sample_id, "undecodable_depth",
                         f"depth {role} frame {frame} (±{self.config.frame_tolerance}) missing or damaged")
        return None

    def _box(self, item: dict[str, Any], label: Casme3Label) -> list[int] | None | bool:
        """The clip's face box, ``None`` for the pipeline's, or ``False`` (reported) if its entry is bad."""
        if item["sample_id"] in self.boxes:
            box = self.boxes[item["sample_id"]]
            if not _valid_box(box):
                self.report.skip(label.row, label.sample_id, "bad_face_box",
                                 f"{box!r} in {self.config.boxes_file} is not [x0, y0, x1, y1] with x0 < x1, y0 < y1")
                return False
            return [int(round(v)) for v in box]
        if self.config.face_crop == "detect":
            return detect_face_box(item["frames"]["rgb"]["onset"], self.report, label)
        return None

    # -- items and batches --------------------------------------------------------------------

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.items[index]
        if index not in self._cache:
            files = item["depth_files"]
            try:
                self._cache[index] = pair_to_points(read_depth(files["onset"]), read_depth(files["apex"]),
                                                    self.config.pipeline, item["box"])
            except InputError as exc:
                raise InputError(f"{self.NAME}: clip {item['sample_id']}: {exc}") from None
        return {"points": torch.from_numpy(self._cache[index]), "label": item["label"],
                "subject": item["subject"], "sample_id": item["sample_id"]}

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Points ``[B, N, 6]``, labels ``[B]``, ids, and the settings the model checks and applies.

        ``pipeline`` and ``class_names`` let the model refuse data prepared for another
        configuration; ``augment`` is applied by the model's training step only.
        """
        augment = self.config.augment
        return {"points": torch.stack([i["points"] for i in items]),
                "label": torch.tensor([i["label"] for i in items], dtype=torch.long),
                "subject": [i["subject"] for i in items], "sample_id": [i["sample_id"] for i in items],
                "class_names": list(self.classes), "pipeline": self.config.pipeline.model_dump(),
                "augment": augment.model_dump() if augment.enabled else None}


def _valid_box(box: Any) -> bool:
    if not isinstance(box, (list, tuple)) or len(box) != 4:
        return False
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in box):
        return False
    return box[0] < box[2] and box[1] < box[3]


def _read_boxes(path: str | None) -> dict[str, Any]:
    """The ``boxes_file`` JSON (``{}`` without one).

    Raises:
        InputError: if the file is missing, not JSON, or not an object keyed by sample id.
    """
    if path is None:
        return {}
    file = Path(path)
    try:
        boxes = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"boxes_file {file} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"boxes_file {file} is not readable JSON ({exc}).") from None
    if not isinstance(boxes, dict):
        raise InputError(f"boxes_file {file} must hold a JSON object {{sample_id: [x0, y0, x1, y1]}}, "
                         f"got {type(boxes).__name__}.")
    return boxes


def detect_face_box(rgb_path: str, report: Any, label: Casme3Label) -> list[int] | None:
    """The largest Haar-cascade face in the onset RGB frame, grown by 10% (``None`` + a report if none)."""
    import cv2

    image = cv2.imread(rgb_path, cv2.IMREAD_GRAYSCALE)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + "haarcascade_frontalface_default.xml")
    faces = [] if image is None else cascade.detectMultiScale(image, 1.1, 5)
    if len(faces) == 0:
        report.add(label.row, label.sample_id, "face_not_detected", "no face in the onset RGB: whole frame used")
        return None
    x, y, w, h = max(faces, key=lambda f: f[2] * f[3])
    return [int(x - 0.1 * w), int(y - 0.1 * h), int(x + 1.1 * w), int(y + 1.1 * h)]
