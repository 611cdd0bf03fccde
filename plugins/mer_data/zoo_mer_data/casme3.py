"""CAS(ME)^3 Part A: the label sheet (with a report of its known quirks) and its frame layouts.

Quirks of the v2 label file that loaders must survive (``formats.md``): rows with Apex ≤ Onset,
rows with Apex > Offset, one upper-case ``Filename``, ``Others`` beside ``others``, and damaged
or missing frames on disk. Such rows are kept (and adjusted) as the apex policy says and recorded
in the :class:`~zoo_mer_data.report.LabelReport`; rows that cannot be used (a missing onset or
offset, a negative frame, offset before onset, an emotion that is not a CAS(ME)^3 label) are
skipped and reported (``strict`` raises at the first). One :class:`LabelQuirkWarning` summarises.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from zoo.sdk import InputError
from zoo_mer_data.classes import CASME3_7, normalise_emotion
from zoo_mer_data.clips import check_emotion, frame_number
from zoo_mer_data.report import LabelQuirkWarning, LabelReport, Quirk
from zoo_mer_data.sheets import read_table

__all__ = ["Casme3Label", "LabelQuirkWarning", "LabelReport", "Quirk", "find_label_file", "read_casme3_labels",
           "write_casme3_labels"]

LABEL_FILE = "cas(me)3_part_A_ME_label_JpgIndex_v2.xlsx"
LABEL_SHEET = "label"
COLUMNS = {"subject": ["Subject"], "filename": ["Filename"], "onset": ["Onset", "Onset frame"],
           "apex": ["Apex", "Apex frame"], "offset": ["Offset", "Offset frame"], "emotion": ["emotion"]}
OPTIONAL = {"au": ["AU", "Action Units"], "objective_class": ["Objective class"]}


@dataclass(frozen=True)
class Casme3Label:
    """One labelled micro-expression; ``apex`` is the usable apex (see ``apex_policy``)."""

    subject: str
    filename: str
    onset: int
    apex: int
    offset: int
    emotion: str
    au: str = ""
    objective_class: str = ""
    row: int = 0
    raw_apex: int | None = None

    @property
    def sample_id(self) -> str:
        """``<Subject>_<Filename>_<Onset>``, the clip-folder name of the circulating variant."""
        return f"{self.subject}_{self.filename}_{self.onset}"


ApexPolicy = Literal["keep", "midpoint", "drop"]


def find_label_file(root: str | Path) -> Path:
    """The v2 label workbook under ``root`` (the exact name first, then ``*part_A*label*.xlsx``).

    Raises:
        InputError: if none is found.
    """
    root = Path(root)
    if root.is_file():
        return root
    exact = [p for p in [root / LABEL_FILE] if p.is_file()] or sorted(root.rglob(LABEL_FILE))
    if exact:
        return exact[0]
    loose = sorted(p for p in root.rglob("*.xlsx") if "part_a" in p.name.lower() and "label" in p.name.lower())
    if not loose:
        raise InputError(f"No CAS(ME)^3 Part A label file ({LABEL_FILE}) under {root}; pass label_file=.")
    return loose[0]


def read_casme3_labels(path: str | Path, apex_policy: ApexPolicy = "midpoint", warn: bool = True,
                       strict: bool = False, report: LabelReport | None = None) -> tuple[list[Casme3Label], LabelReport]:
    """Read the Part A label sheet; quirky rows are adjusted or skipped and reported.

    Args:
        path: the label workbook (sheet ``label``; another sheet name is tried if absent).
        apex_policy: for Apex ≤ Onset or Apex > Offset: ``"midpoint"`` uses ``(onset + offset) // 2``
            (the usual apex stand-in), ``"keep"`` keeps the written apex, ``"drop"`` skips the row.
        warn: emit one summary warning if anything was reported.
        strict: raise at the first row that cannot be used (instead of skipping it).
        report: the report to write into (a dataset's); default: a new one (``strict`` applies).

    Returns:
        ``(labels, report)``.

    Raises:
        InputError: if the file cannot be read or lacks the required columns, or (strict) a row is unusable.
    """
    try:
        rows = read_table(path, COLUMNS, OPTIONAL, sheet=LABEL_SHEET)
    except InputError as exc:
        if "has no sheet" not in str(exc):
            raise
        rows = read_table(path, COLUMNS, OPTIONAL)
    report = report if report is not None else LabelReport(source=f"CAS(ME)^3 labels {path}", strict=strict)
    labels = []
    for raw in rows:
        label = _parse_row(raw, apex_policy, report)
        if label is not None:
            labels.append(label)
    if warn:
        report.warn(str(path))
    return labels, report


def _parse_row(raw: dict, apex_policy: ApexPolicy, report: LabelReport) -> Casme3Label | None:
    subject, filename = str(raw["subject"] or "").strip(), str(raw["filename"] or "").strip()
    onset, apex, offset = (frame_number(raw[k]) for k in ("onset", "apex", "offset"))
    sample_id = f"{subject}_{filename}_{raw['onset']}"
    if not subject or not filename or onset is None or offset is None:
        report.skip(raw["_row"], sample_id, "missing_value", "subject, filename, onset or offset missing")
        return None
    negative = [f"{k} {v}" for k, v in (("onset", onset), ("apex", apex), ("offset", offset)) if v is not None and v < 0]
    if negative:
        report.skip(raw["_row"], sample_id, "negative_frame", ", ".join(negative))
        return None
    if offset < onset:
        report.skip(raw["_row"], sample_id, "offset_before_onset", f"onset {onset}, offset {offset}")
        return None
    if filename != filename.lower():
        report.add(raw["_row"], sample_id, "uppercase_filename", f"{filename!r} read as {filename.lower()!r}")
        filename = filename.lower()
    emotion = normalise_emotion(raw["emotion"])
    if not check_emotion(CASME3_7, emotion, report, raw["_row"], sample_id):
        return None
    if str(raw["emotion"] or "").strip() != emotion:
        report.add(raw["_row"], sample_id, "emotion_spelling", f"{raw['emotion']!r} read as {emotion!r}")
    usable = _usable_apex(onset, apex, offset, apex_policy, raw["_row"], sample_id, report)
    if usable is None:
        return None
    return Casme3Label(subject, filename, onset, usable, offset, emotion, str(raw["au"] or ""),
                      str(raw["objective_class"] or ""), raw["_row"], apex)


def _usable_apex(onset: int, apex: int | None, offset: int, policy: ApexPolicy, row: int, sample_id: str,
                 report: LabelReport) -> int | None:
    if apex is not None and onset < apex <= offset:
        return apex
    if apex is None:
        kind, what = "apex_missing", "no apex"
    elif apex <= onset:
        kind, what = "apex_not_after_onset", f"apex {apex} <= onset {onset}"
    else:
        kind, what = "apex_after_offset", f"apex {apex} > offset {offset}"
    if policy == "drop":
        report.skip(row, sample_id, kind, f"{what}: dropped (apex_policy='drop')")
        return None
    if policy == "keep" and apex is not None:
        report.add(row, sample_id, kind, f"{what}: kept as written")
        return apex
    middle = (onset + offset) // 2
    report.add(row, sample_id, kind, f"{what}: apex set to the midpoint {middle}")
    return middle


#: Column order of the v2 label sheet (what :func:`write_casme3_labels` writes).
SHEET_HEADER = ("Subject", "Filename", "Onset", "Apex", "Offset", "AU", "Objective class", "emotion")


def write_casme3_labels(path: str | Path, rows: list[dict]) -> Path:
    """Write a label workbook in the v2 layout (sheet ``label``), e.g. for a synthetic sample.

    Args:
        path: the ``.xlsx`` to write (parent folders are created).
        rows: dicts keyed by :data:`SHEET_HEADER` names (missing keys are left empty).

    Raises:
        InputError: if a row has a key that is not a column of the sheet.
    """
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = LABEL_SHEET
    sheet.append(list(SHEET_HEADER))
    for row in rows:
        unknown = set(row) - set(SHEET_HEADER)
        if unknown:
            raise InputError(f"Unknown label columns {sorted(unknown)}; the sheet has {list(SHEET_HEADER)}.")
        sheet.append([row.get(name) for name in SHEET_HEADER])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path
