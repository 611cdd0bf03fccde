"""CASME II in its real layout: frames under ``CASME2_RAW_selected`` (or ``Cropped``) + the coding xlsx.

``CASME2-coding-20140508.xlsx`` is read by header name (spacer columns have no header), the apex
may be ``/`` (unknown: the midpoint stands in, and ``apex_estimated`` says so), and AU cells look
like ``4+L10``. Rows that cannot be used (no subject or onset, a negative frame, offset before
onset, an emotion the class map does not know, frames missing on disk) are skipped and reported
(:class:`~zoo_mer_data.report.LabelReport`; ``strict`` raises at the first).
"""

from __future__ import annotations

from pathlib import Path

from zoo.sdk import InputError
from zoo_mer_data.classes import CASME2_5, normalise_emotion
from zoo_mer_data.clips import ClipList, ClipRecord, check_emotion, check_frames, frame_number, usable_file
from zoo_mer_data.report import LabelReport
from zoo_mer_data.sheets import read_table

__all__ = ["CASME2_5", "Casme2Clips", "ClipRecord", "find_file", "list_clips", "read_clips"]

_COLUMNS = {
    "subject": ("Subject",), "filename": ("Filename",), "onset": ("OnsetFrame", "Onset Frame"),
    "apex": ("ApexFrame", "Apex Frame"), "aus": ("Action Units", "AU"), "emotion": ("Estimated Emotion",),
}
_FRAME_DIRS = (("CASME2_RAW_selected", "img{k}.jpg"), ("Cropped", "reg_img{k}.jpg"), ("CASME2_RAW", "img{k}.jpg"))


def find_file(root: Path, pattern: str) -> Path:
    """The first file under ``root`` matching ``pattern`` (searched recursively).

    Raises:
        InputError: if ``root`` is not a folder or holds no such file.
    """
    if not root.is_dir():
        raise InputError(f"{root} is not a folder; point --root at the dataset's top folder.")
    hits = sorted(root.rglob(pattern))
    if not hits:
        raise InputError(f"No {pattern} under {root}; point --root at the dataset's top folder.")
    return hits[0]


def _frame_layout(root: Path) -> tuple[Path, str]:
    for folder, pattern in _FRAME_DIRS:
        hits = [p for p in [root / folder, *root.glob(f"*/{folder}")] if p.is_dir()]
        if hits:
            return hits[0], pattern
    raise InputError(f"No frame folder ({', '.join(f for f, _ in _FRAME_DIRS)}) under {root}.")


def _subject_number(cell: object) -> int | None:
    """``1``, ``"01"`` or ``"sub01"`` → 1 (the sheet writes an integer; some copies the folder name)."""
    text = str(cell or "").strip().lower().removeprefix("sub")
    return frame_number(text)


def read_clips(root: str | Path, report: LabelReport, dataset: str = "casme2") -> list[ClipRecord]:
    """Every usable CASME II clip under ``root`` of an emotion the class map knows.

    Raises:
        InputError: if the label sheet or the frame folder is missing, the sheet is not a readable
            workbook, or (strict) a row is unusable.
    """
    root = Path(root)
    sheet = find_file(root, "CASME2-coding*.xlsx")
    frame_root, pattern = _frame_layout(root)
    clips = []
    for row in read_table(sheet, _COLUMNS, optional={"offset": ("OffsetFrame", "Offset Frame")}):
        number, filename = _subject_number(row["subject"]), str(row["filename"] or "").strip()
        sample_id = f"sub{number:02d}_{filename}" if number is not None else f"{row['subject']}_{filename}"
        if number is None or number < 0 or not filename:
            report.skip(row["_row"], sample_id, "missing_value", f"subject {row['subject']!r}, filename {row['filename']!r}")
            continue
        frames = check_frames(row["onset"], row["apex"], row["offset"], report, row["_row"], sample_id)
        emotion = normalise_emotion(row["emotion"])
        if frames is None or not check_emotion(CASME2_5, emotion, report, row["_row"], sample_id):
            continue
        subject = f"sub{number:02d}"
        folder = frame_root / subject / filename
        onset_path, apex_path = folder / pattern.format(k=frames.onset), folder / pattern.format(k=frames.apex)
        missing = [p.name for p in (onset_path, apex_path) if not usable_file(p)]
        if missing:
            report.skip(row["_row"], sample_id, "missing_frame", f"{', '.join(missing)} not in {folder}")
            continue
        clips.append(ClipRecord(dataset, subject, filename, frames.onset, frames.apex, frames.offset, str(onset_path),
                                str(apex_path), emotion, str(row["aus"] or "").strip(), frames.apex_estimated,
                                row=row["_row"]))
    return clips


def list_clips(root: str | Path, strict: bool = False) -> list[ClipRecord]:
    """:func:`read_clips` with its own report, warned once; an empty result is an error.

    Raises:
        InputError: as :func:`read_clips`, or if no clip is usable.
    """
    report = LabelReport(source=f"CASME II at {root}", strict=strict)
    clips = read_clips(root, report)
    report.finish(kept=len(clips))
    return clips


class Casme2Clips(ClipList):
    """``dataset/casme2``: CASME II clips, 5-class setting (fear and sadness are left out)."""

    NAME = "dataset/casme2"
    mapping = CASME2_5

    def read(self, root: Path, report: LabelReport) -> list[ClipRecord]:
        return read_clips(root, report)
