"""``dataset/casme3``: CAS(ME)^3 Part A clips with labels, frame paths and a quirk report.

Each item is a dict (``sample_id``, ``subject``, ``label``, ``emotion``, ``onset``, ``apex``,
``offset``, ``frames = {modality: {"onset": path, "apex": path, "onset_frame": n, "apex_frame": n}}``), so that a method plugin reads
the frames its own way (Depth-MER: depth PNGs; DEFT-LLM: RGB). A missing onset or apex file is
replaced by the nearest existing frame within ``frame_tolerance`` (reported as
``frame_substituted``), else the clip is left out (``missing_frame``); nothing raises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

import zoo
from zoo_mer_data.clips import ClipList
from zoo_mer_data.casme3 import Casme3Label, LabelReport, find_label_file, read_casme3_labels
from zoo_mer_data.casme3_layout import Casme3Layout, Modality
from zoo_mer_data.classes import casme3_mapping


class Casme3Config(zoo.ComponentConfig):
    """Where the data is and which setting to use."""

    root: str = "data/casme3"
    label_file: str | None = Field(None, description="default: found under root")
    num_classes: Literal[3, 4, 7] = 3
    layout: Literal["auto", "frames", "clip"] = "auto"
    apex_policy: Literal["keep", "midpoint", "drop"] = "midpoint"
    modalities: list[Literal["rgb", "depth"]] = Field(default_factory=lambda: ["rgb"])
    subjects: list[str] | None = Field(None, description="keep only these subjects")
    frame_tolerance: int = Field(2, ge=0, description="frames searched around a missing onset/apex")


class Casme3Clips(ClipList):
    """CAS(ME)^3 Part A clips of one class setting; ``report`` lists every quirk met."""

    Config = Casme3Config
    #: Subclasses that report more quirks after this constructor warn once themselves.
    _warn_on_init = True

    def __init__(self, config: Casme3Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        self.mapping = casme3_mapping(cfg.num_classes)
        label_path = Path(cfg.label_file) if cfg.label_file else find_label_file(cfg.root)
        labels, self.report = read_casme3_labels(label_path, cfg.apex_policy, warn=False)
        self.labels = {label.sample_id: label for label in labels}
        self.layout = Casme3Layout.discover(cfg.root, cfg.layout)
        self.items: list[dict[str, Any]] = []
        for label in labels:
            if cfg.subjects is not None and label.subject not in cfg.subjects:
                continue
            index = self.mapping.index(label.emotion)
            if index is None:
                continue  # left out by this class setting (e.g. "others" in the 3-class setting)
            frames = self._frames(label)
            if frames is not None:
                self.items.append(self._item(label, index, frames))
        if self._warn_on_init:
            self.report.warn(f"CAS(ME)^3 at {cfg.root}")

    def _item(self, label: Casme3Label, index: int, frames: dict[str, dict[str, Any]]) -> dict[str, Any]:
        return {"sample_id": label.sample_id, "subject": label.subject, "label": index, "emotion": label.emotion,
                "onset": label.onset, "apex": label.apex, "offset": label.offset, "frames": frames}

    def _frames(self, label: Casme3Label) -> dict[str, dict[str, Any]] | None:
        frames: dict[str, dict[str, Any]] = {}
        for modality in self.config.modalities:
            pair = {}
            for role, frame in (("onset", label.onset), ("apex", label.apex)):
                found = self.find_frame(label, frame, modality, role)
                if found is None:
                    return None
                pair[role], pair[f"{role}_frame"] = str(found[0]), found[1]
            frames[modality] = pair
        return frames

    def candidate_frames(self, label: Casme3Label, frame: int) -> list[int]:
        """``frame`` then its neighbours within tolerance, nearest first, inside ``[onset, offset]``."""
        last = max(label.offset, label.onset)
        shifts = sorted(range(-self.config.frame_tolerance, self.config.frame_tolerance + 1), key=abs)
        return [frame + s for s in shifts if label.onset <= frame + s <= last]

    def find_frame(self, label: Casme3Label, frame: int, modality: Modality, role: str) -> tuple[Path, int] | None:
        """``(file, frame number)`` of ``frame`` or of the nearest existing one within tolerance
        (reported); ``None`` if there is none (reported)."""
        for candidate in self.candidate_frames(label, frame):
            path = self.layout.frame_path(label, candidate, modality)
            if path.is_file() and path.stat().st_size > 0:
                if candidate != frame:
                    self.report.add(label.row, label.sample_id, "frame_substituted",
                                    f"{modality} {role} frame {frame} missing or empty: used frame {candidate}")
                return path, candidate
        self.report.add(label.row, label.sample_id, "missing_frame",
                        f"{modality} {role} frame {frame} missing (±{self.config.frame_tolerance}): clip left out")
        return None


__all__ = ["Casme3Clips", "Casme3Config", "LabelReport"]
