"""SAMM in its real layout: ``SAMM/<subject>/<Filename>/<subject>_<frame>.jpg`` + the FACS codes xlsx.

``SAMM_Micro_FACS_Codes_v2.xlsx`` has preamble rows before its header; frame numbers in file names
are zero-padded to varying widths, so frames are indexed by their parsed number.
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo.errors import InputError
from zoo_mer_data.casme2 import ClipRecord, MERClips, _report_missing, find_file, frame_number
from zoo_mer_data.classes import make_mapping, normalise_emotion
from zoo_mer_data.sheets import read_table

#: The 5-class SAMM setting used with CASME II's (others = every other emotion).
SAMM_5 = make_mapping("samm-5", {"anger": ["anger"], "contempt": ["contempt"], "happiness": ["happiness"],
                                 "surprise": ["surprise"], "other": ["other", "others"]})
_COLUMNS = {
    "subject": ("Subject",), "filename": ("Filename",), "onset": ("Onset Frame",), "apex": ("Apex Frame",),
    "aus": ("Action Units",), "emotion": ("Estimated Emotion",),
}
_FRAME = re.compile(r"_(\d+)\.(?:jpg|jpeg|png|bmp)$", re.IGNORECASE)


def _frames(folder: Path) -> dict[int, Path]:
    frames = {}
    for path in folder.iterdir() if folder.is_dir() else ():
        match = _FRAME.search(path.name)
        if match:
            frames[int(match[1])] = path
    return frames


def _subject_folder(frame_root: Path, subject: object) -> Path:
    text = str(subject).strip()
    candidates = [text]
    if text.replace(".0", "").isdigit():
        candidates.append(f"{int(float(text)):03d}")
    for name in candidates:
        if (frame_root / name).is_dir():
            return frame_root / name
    return frame_root / candidates[-1]


def list_clips(root: str | Path, dataset: str = "samm") -> list[ClipRecord]:
    """Every labelled SAMM clip whose onset and apex frames exist (apex -1 → middle frame).

    Raises:
        InputError: if the label sheet or the ``SAMM`` frame folder is missing.
    """
    root = Path(root)
    sheet = find_file(root, "SAMM_Micro_FACS_Codes*.xlsx")
    frame_root = next((p for p in [root / "SAMM", *root.glob("*/SAMM")] if p.is_dir()), None)
    if frame_root is None:
        raise InputError(f"No SAMM frame folder under {root} (expected SAMM/<subject>/<Filename>/).")
    clips, missing = [], 0
    for row in read_table(sheet, _COLUMNS, optional={"offset": ("Offset Frame",)}):
        folder = _subject_folder(frame_root, row["subject"]) / str(row["filename"]).strip()
        frames = _frames(folder)
        onset, offset, apex = frame_number(row["onset"]), frame_number(row["offset"]), frame_number(row["apex"])
        estimated = apex is None
        if estimated and onset is not None and offset is not None:
            apex = (onset + offset) // 2
        if onset not in frames or apex not in frames:
            missing += 1
            continue
        clips.append(ClipRecord(dataset, folder.parent.name, folder.name, onset, apex, offset, str(frames[onset]),
                                str(frames[apex]), normalise_emotion(row["emotion"]), str(row["aus"] or "").strip(), estimated))
    _report_missing(missing, len(clips), root)
    return clips


class SammClips(MERClips):
    """``dataset/samm``: SAMM clips, 5-class setting (anger, contempt, happiness, surprise, other)."""

    mapping = SAMM_5

    def read(self, root: str) -> list[ClipRecord]:
        return list_clips(root)
