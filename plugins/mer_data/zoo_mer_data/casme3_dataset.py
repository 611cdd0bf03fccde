"""``dataset/casme3``: CAS(ME)^3 Part A clips with labels, frame paths and a quirk report.

Clips are the shared :class:`~zoo_mer_data.clips.ClipRecord` (``frames`` holds every modality
read: ``{"rgb": {"onset", "apex", "onset_frame", "apex_frame"}, "depth": {...}}``) and items the
shared item dicts, so that a method plugin reads the frames its own way (Depth-MER: depth PNGs;
DEFT-LLM: RGB). A missing onset or apex file is replaced by the nearest existing frame within
``frame_tolerance`` (reported as ``frame_substituted``), else the clip is skipped
(``missing_frame``; ``strict`` raises instead).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from zoo_mer_data.casme3 import Casme3Label, LabelReport, find_label_file, read_casme3_labels
from zoo_mer_data.casme3_layout import Casme3Layout, Modality
from zoo_mer_data.classes import casme3_mapping
from zoo_mer_data.clips import ClipList, ClipRecord, ClipsConfig


class Casme3Config(ClipsConfig):
    """Where the data is and which setting to use."""

    root: str = "data/casme3"
    label_file: str | None = Field(None, description="default: found under root")
    num_classes: Literal[3, 4, 7] = 3
    layout: Literal["auto", "frames", "clip"] = "auto"
    apex_policy: Literal["keep", "midpoint", "drop"] = "midpoint"
    modalities: list[Literal["rgb", "depth"]] = Field(default_factory=lambda: ["rgb"])
    frame_tolerance: int = Field(2, ge=0, description="frames searched around a missing onset/apex")


class Casme3Clips(ClipList):
    """CAS(ME)^3 Part A clips of one class setting; ``report`` lists every quirk met.

    ``labels`` maps each sample id to its :class:`~zoo_mer_data.casme3.Casme3Label`.
    """

    Config = Casme3Config
    NAME = "dataset/casme3"

    def read(self, root: Path, report: LabelReport) -> list[ClipRecord]:
        """Labels (quirks adjusted or skipped), the frame layout, and one clip per label with its frames.

        Raises:
            InputError: if the label file or the frame folders are missing, or (strict) a row or
                clip is unusable.
        """
        cfg = self.config
        self.mapping = casme3_mapping(cfg.num_classes)
        label_path = Path(cfg.label_file) if cfg.label_file else find_label_file(root)
        labels, _ = read_casme3_labels(label_path, cfg.apex_policy, warn=False, report=report)
        self.labels = {label.sample_id: label for label in labels}
        self.layout = Casme3Layout.discover(root, cfg.layout)
        return [clip for label in labels if (clip := self._clip(label)) is not None]

    def _clip(self, label: Casme3Label) -> ClipRecord | None:
        frames: dict[str, dict[str, Any]] = {}
        for modality in self.config.modalities:
            pair: dict[str, Any] = {}
            for role, frame in (("onset", label.onset), ("apex", label.apex)):
                found = self.find_frame(label, frame, modality, role)
                if found is None:
                    return None
                pair[role], pair[f"{role}_frame"] = str(found[0]), found[1]
            frames[modality] = pair
        rgb = frames.get("rgb", {})
        first = next(iter(frames.values()))
        return ClipRecord("casme3", label.subject, label.filename, first["onset_frame"], first["apex_frame"], label.offset,
                          rgb.get("onset", ""), rgb.get("apex", ""), label.emotion, label.au,
                          apex_estimated=label.raw_apex != label.apex, sample_id=label.sample_id, frames=frames,
                          row=label.row)

    def candidate_frames(self, label: Casme3Label, frame: int) -> list[int]:
        """``frame`` then its neighbours within tolerance, nearest first, inside ``[onset, offset]``."""
        last = max(label.offset, label.onset)
        shifts = sorted(range(-self.config.frame_tolerance, self.config.frame_tolerance + 1), key=abs)
        return [frame + s for s in shifts if label.onset <= frame + s <= last]

    def find_frame(self, label: Casme3Label, frame: int, modality: Modality, role: str) -> tuple[Path, int] | None:
        """``(file, frame number)`` of ``frame`` or of the nearest existing one within tolerance
        (reported); ``None`` if there is none (reported as skipped).

        Raises:
            InputError: in strict mode, when the clip has no such frame.
        """
        for candidate in self.candidate_frames(label, frame):
            path = self.layout.frame_path(label, candidate, modality)
            if path.is_file() and path.stat().st_size > 0:
                if candidate != frame:
                    self.report.add(label.row, label.sample_id, "frame_substituted",
                                    f"{modality} {role} frame {frame} missing or empty: used frame {candidate}")
                return path, candidate
        self.report.skip(label.row, label.sample_id, "missing_frame",
                         f"{modality} {role} frame {frame} missing (±{self.config.frame_tolerance})")
        return None


__all__ = ["Casme3Clips", "Casme3Config", "LabelReport"]
