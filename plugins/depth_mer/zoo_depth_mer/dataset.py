"""``dataset/casme3-depth``: CAS(ME)^3 Part A onset/apex depth pairs as 6-D motion point sets.

Labels, class settings, layouts and the quirk report come from ``zoo_mer_data`` (shared with the
DEFT-LLM plugin). Here each clip's onset and apex depth PNGs are test-decoded at construction: a
damaged frame is replaced by the nearest decodable frame of the clip within ``frame_tolerance``
(reported as ``damaged_frame``), else the clip is left out; nothing raises. Point sets are
computed on first access and kept in memory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field

from zoo.errors import InputError
from zoo_depth_mer.depth import read_depth
from zoo_depth_mer.features import PipelineConfig, pair_to_points
from zoo_mer_data.casme3 import Casme3Label
from zoo_mer_data.casme3_dataset import Casme3Clips, Casme3Config


class Casme3DepthConfig(Casme3Config):
    """The CAS(ME)^3 settings plus how depth pairs become points."""

    modalities: list[Literal["rgb", "depth"]] = Field(default_factory=lambda: ["depth"])
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    face_crop: Literal["pipeline", "detect"] = Field(
        "pipeline", description="pipeline: pipeline.face_box (or the whole frame); detect: Haar cascade on the onset RGB")
    boxes_file: str | None = Field(None, description="JSON {sample_id: [x0, y0, x1, y1]}; overrides face_crop")


class Casme3Depth(Casme3Clips):
    """Items: ``{"points": [N, 6] float32, "label": int, "subject": str, "sample_id": str}``."""

    Config = Casme3DepthConfig
    _warn_on_init = False

    def __init__(self, config: Casme3DepthConfig | None = None) -> None:
        config = config if config is not None else self.Config()
        if "depth" not in config.modalities:
            config = config.model_copy(update={"modalities": [*config.modalities, "depth"]})
        if config.face_crop == "detect" and "rgb" not in config.modalities:
            config = config.model_copy(update={"modalities": [*config.modalities, "rgb"]})
        super().__init__(config)
        self.boxes = json.loads(Path(config.boxes_file).read_text()) if config.boxes_file else {}
        self.items = [item for item in self.items if self._decode_pair(item)]
        self._cache: dict[int, np.ndarray] = {}
        self.report.warn(f"CAS(ME)^3 depth at {config.root}")

    def _decode_pair(self, item: dict[str, Any]) -> bool:
        """Decode the onset/apex depth (substituting damaged frames); ``False`` leaves the clip out."""
        label = self.labels[item["sample_id"]]
        for role in ("onset", "apex"):
            path = self._first_decodable(label, item["frames"]["depth"][f"{role}_frame"], role)
            if path is None:
                return False
            item.setdefault("depth_files", {})[role] = path  # re-read on access: frames are not kept in memory
        return True

    def _first_decodable(self, label: Casme3Label, frame: int, role: str) -> Path | None:
        for candidate in self.candidate_frames(label, frame):
            path = self.layout.frame_path(label, candidate, "depth")
            if not path.is_file():
                continue
            try:
                read_depth(path)
            except InputError as exc:
                self.report.add(label.row, label.sample_id, "damaged_frame", f"{role}: {exc}")
                continue
            if candidate != frame:
                self.report.add(label.row, label.sample_id, "frame_substituted", f"depth {role}: used frame {candidate}")
            return path
        self.report.add(label.row, label.sample_id, "missing_frame", f"no decodable depth {role} frame: clip left out")
        return None

    def _box(self, item: dict[str, Any]) -> list[int] | None:
        if item["sample_id"] in self.boxes:
            return list(self.boxes[item["sample_id"]])
        if self.config.face_crop == "detect":
            return detect_face_box(item["frames"]["rgb"]["onset"], self.report, self.labels[item["sample_id"]])
        return None

    def __getitem__(self, index: int) -> dict[str, Any]:
        item = self.items[index]
        if index not in self._cache:
            files = item["depth_files"]
            self._cache[index] = pair_to_points(read_depth(files["onset"]), read_depth(files["apex"]),
                                                self.config.pipeline, self._box(item))
        return {"points": torch.from_numpy(self._cache[index]), "label": item["label"],
                "subject": item["subject"], "sample_id": item["sample_id"]}

    def collate(self, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Stack points ``[B, N, 6]`` and labels ``[B]``; subjects and ids stay lists."""
        return {"points": torch.stack([i["points"] for i in items]),
                "label": torch.tensor([i["label"] for i in items], dtype=torch.long),
                "subject": [i["subject"] for i in items], "sample_id": [i["sample_id"] for i in items]}


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
