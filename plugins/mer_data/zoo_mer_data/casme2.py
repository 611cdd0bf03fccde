"""CASME II in its real layout: frames under ``CASME2_RAW_selected`` (or ``Cropped``) + the coding xlsx.

``CASME2-coding-20140508.xlsx`` is read by header name (spacer columns have no header), the apex
may be ``/`` (unknown: the middle frame stands in, and ``apex_estimated`` says so), and AU cells
look like ``4+L10``. This module also holds the clip record that the SAMM, SMIC and MEGC2019 readers return.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import zoo
from zoo_mer_data.clips import ClipList
from zoo.errors import InputError
from zoo_mer_data.classes import make_mapping, normalise_emotion
from zoo_mer_data.sheets import read_table

#: The 5-class CASME II setting (fear and sadness rows are left out).
CASME2_5 = make_mapping("casme2-5", {c: [c] for c in ("happiness", "surprise", "disgust", "repression", "others")})
_COLUMNS = {
    "subject": ("Subject",), "filename": ("Filename",), "onset": ("OnsetFrame", "Onset Frame"),
    "apex": ("ApexFrame", "Apex Frame"), "aus": ("Action Units", "AU"), "emotion": ("Estimated Emotion",),
}
_FRAME_DIRS = (("CASME2_RAW_selected", "img{k}.jpg"), ("Cropped", "reg_img{k}.jpg"), ("CASME2_RAW", "img{k}.jpg"))


@dataclass(frozen=True)
class ClipRecord:
    """One labelled micro-expression clip: who, which frames, which AUs, which emotion."""

    dataset: str
    subject: str
    clip: str
    onset_frame: int
    apex_frame: int
    offset_frame: int | None
    onset_path: str
    apex_path: str
    emotion: str
    aus: str | None  # None: the dataset has no AU labels
    apex_estimated: bool = False


def frame_number(value: Any) -> int | None:
    """An integer frame number from a cell; ``/``, ``-1``, blanks and text give ``None``."""
    try:
        number = int(float(str(value).strip()))
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def find_file(root: Path, pattern: str) -> Path:
    """The first file under ``root`` matching ``pattern`` (searched recursively).

    Raises:
        InputError: if there is none.
    """
    hits = sorted(root.rglob(pattern))
    if not hits:
        raise InputError(f"No {pattern} under {root}; point --root at the dataset's top folder.")
    return hits[0]


def list_clips(root: str | Path, dataset: str = "casme2") -> list[ClipRecord]:
    """Every labelled CASME II clip whose onset and apex frames exist.

    Raises:
        InputError: if the label sheet or the frame folder is missing.
    """
    root = Path(root)
    sheet = find_file(root, "CASME2-coding*.xlsx")
    frame_root, pattern = _frame_layout(root)
    clips, missing = [], 0
    for row in read_table(sheet, _COLUMNS, optional={"offset": ("OffsetFrame", "Offset Frame")}):
        subject = f"sub{int(float(row['subject'])):02d}"
        onset, offset, apex = frame_number(row["onset"]), frame_number(row["offset"]), frame_number(row["apex"])
        estimated = apex is None
        if estimated:
            apex = (onset + offset) // 2 if offset is not None else onset
        folder = frame_root / subject / str(row["filename"]).strip()
        onset_path, apex_path = folder / pattern.format(k=onset), folder / pattern.format(k=apex)
        if not (onset_path.is_file() and apex_path.is_file()):
            missing += 1
            continue
        clips.append(ClipRecord(dataset, subject, str(row["filename"]).strip(), onset, apex, offset,
                                str(onset_path), str(apex_path), normalise_emotion(row["emotion"]),
                                str(row["aus"] or "").strip(), estimated))
    _report_missing(missing, len(clips), root)
    return clips


def _frame_layout(root: Path) -> tuple[Path, str]:
    for folder, pattern in _FRAME_DIRS:
        hits = [p for p in [root / folder, *root.glob(f"*/{folder}")] if p.is_dir()]
        if hits:
            return hits[0], pattern
    raise InputError(f"No frame folder ({', '.join(f for f, _ in _FRAME_DIRS)}) under {root}.")


def _report_missing(missing: int, found: int, root: Path) -> None:
    if found == 0:
        raise InputError(f"No labelled clip under {root} has its onset and apex frames on disk.")
    if missing:
        warnings.warn(f"{missing} labelled clips under {root} have no onset/apex frame on disk; skipped.", stacklevel=3)


class ClipsConfig(zoo.ComponentConfig):
    """Where a MER dataset is, and which subjects to keep."""

    root: str = "data/casme2"
    subjects: list[str] | None = None


class MERClips(ClipList):
    """Labelled clips of a MER dataset as metadata dicts (the item layout of ``dataset/casme3``).

    Items: ``sample_id``, ``subject``, ``label`` (index in :attr:`mapping`), ``emotion``, ``aus``,
    ``onset``/``apex``/``offset`` frame numbers, ``apex_estimated`` and
    ``frames = {"rgb": {"onset": path, "apex": path, "onset_frame": n, "apex_frame": n}}``. A method
    plugin reads the frames its own way. Clips the class setting leaves out are skipped.
    """

    Config = ClipsConfig
    mapping = CASME2_5

    def __init__(self, config: ClipsConfig | None = None) -> None:
        super().__init__(config)
        self.items = [self._item(c) for c in self.read(self.config.root)
                      if self.mapping.index(c.emotion) is not None
                      and (self.config.subjects is None or c.subject in self.config.subjects)]

    def read(self, root: str) -> list[ClipRecord]:
        """The dataset's clip records (subclasses read their own layout)."""
        return list_clips(root)

    def _item(self, clip: ClipRecord) -> dict[str, Any]:
        return {"sample_id": f"{clip.subject}_{clip.clip}", "subject": clip.subject, "label": self.mapping.index(clip.emotion),
                "emotion": clip.emotion, "aus": clip.aus, "onset": clip.onset_frame, "apex": clip.apex_frame,
                "offset": clip.offset_frame, "apex_estimated": clip.apex_estimated,
                "frames": {"rgb": {"onset": clip.onset_path, "apex": clip.apex_path,
                                   "onset_frame": clip.onset_frame, "apex_frame": clip.apex_frame}}}


class Casme2Clips(MERClips):
    """``dataset/casme2``: CASME II clips, 5-class setting."""
