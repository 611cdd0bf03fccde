"""SAMM in its real layout: ``SAMM/<subject>/<Filename>/<subject>_<frame>.jpg`` + the FACS codes xlsx.

``SAMM_Micro_FACS_Codes_v2.xlsx`` has preamble rows before its header; frame numbers in file names
are zero-padded to varying widths, so frames are indexed by their parsed number. An apex of ``-1``
means unknown (the midpoint stands in). Unusable rows are skipped and reported as for CASME II.
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo.sdk import InputError
from zoo_mer_data.casme2 import find_file
from zoo_mer_data.classes import SAMM_5, normalise_emotion
from zoo_mer_data.clips import ClipList, ClipRecord, check_emotion, check_frames
from zoo_mer_data.report import LabelReport
from zoo_mer_data.sheets import read_table

__all__ = ["SAMM_5", "SammClips", "list_clips", "read_clips"]

_COLUMNS = {
    "subject": ("Subject",), "filename": ("Filename",), "onset": ("Onset Frame",), "apex": ("Apex Frame",),
    "aus": ("Action Units",), "emotion": ("Estimated Emotion",),
}
_FRAME = re.compile(r"_(\d+)\.(?:jpg|jpeg|png|bmp)$", re.IGNORECASE)


def _frames(folder: Path) -> dict[int, Path]:
    frames = {}
    for path in folder.iterdir() if folder.is_dir() else ():
        match = _FRAME.search(path.name)
        if match and path.stat().st_size > 0:
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


def read_clips(root: str | Path, report: LabelReport, dataset: str = "samm") -> list[ClipRecord]:
    """Every usable SAMM clip under ``root`` of an emotion the class map knows.

    Raises:
        InputError: if the label sheet or the ``SAMM`` frame folder is missing, or (strict) a row is unusable.
    """
    root = Path(root)
    sheet = find_file(root, "SAMM_Micro_FACS_Codes*.xlsx")
    frame_root = next((p for p in [root / "SAMM", *root.glob("*/SAMM")] if p.is_dir()), None)
    if frame_root is None:
        raise InputError(f"No SAMM frame folder under {root} (expected SAMM/<subject>/<Filename>/).")
    clips = []
    for row in read_table(sheet, _COLUMNS, optional={"offset": ("Offset Frame",)}):
        subject_cell, filename = str(row["subject"] or "").strip(), str(row["filename"] or "").strip()
        sample_id = f"{subject_cell}_{filename}"
        if not subject_cell or not filename:
            report.skip(row["_row"], sample_id, "missing_value", f"subject {row['subject']!r}, filename {row['filename']!r}")
            continue
        frames = check_frames(row["onset"], row["apex"], row["offset"], report, row["_row"], sample_id, unknown_apex=(-1,))
        emotion = normalise_emotion(row["emotion"])
        if frames is None or not check_emotion(SAMM_5, emotion, report, row["_row"], sample_id):
            continue
        folder = _subject_folder(frame_root, row["subject"]) / filename
        on_disk = _frames(folder)
        missing = [f"frame {k}" for k in (frames.onset, frames.apex) if k not in on_disk]
        if missing:
            report.skip(row["_row"], sample_id, "missing_frame", f"{', '.join(missing)} not in {folder}")
            continue
        clips.append(ClipRecord(dataset, folder.parent.name, folder.name, frames.onset, frames.apex, frames.offset,
                                str(on_disk[frames.onset]), str(on_disk[frames.apex]), emotion,
                                str(row["aus"] or "").strip(), frames.apex_estimated, row=row["_row"]))
    return clips


def list_clips(root: str | Path, strict: bool = False) -> list[ClipRecord]:
    """:func:`read_clips` with its own report, warned once; an empty result is an error.

    Raises:
        InputError: as :func:`read_clips`, or if no clip is usable.
    """
    report = LabelReport(source=f"SAMM at {root}", strict=strict)
    clips = read_clips(root, report)
    report.finish(kept=len(clips))
    return clips


class SammClips(ClipList):
    """``dataset/samm``: SAMM clips, 5-class setting (anger, contempt, happiness, surprise, other)."""

    NAME = "dataset/samm"
    mapping = SAMM_5

    def read(self, root: Path, report: LabelReport) -> list[ClipRecord]:
        return read_clips(root, report)
