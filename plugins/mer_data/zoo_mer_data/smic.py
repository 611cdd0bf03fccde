"""SMIC-HS in its real layout: ``HS/s<k>/micro/{positive,negative,surprise}/<clip>/reg_image<frame>.bmp``.

The class comes from the folder; there are no apex and no AU labels: the first frame is the onset
and the middle frame the usual apex stand-in (``apex_estimated=True``, ``aus=None``). A class
folder of another name and a clip with fewer than two (non-empty) frames are skipped and reported.
"""

from __future__ import annotations

import re
from pathlib import Path

from zoo.sdk import InputError
from zoo_mer_data.classes import SMIC_3, SMIC_CLASSES, normalise_emotion
from zoo_mer_data.clips import ClipList, ClipRecord, check_emotion
from zoo_mer_data.report import LabelReport

__all__ = ["SMIC_3", "SMIC_CLASSES", "SmicClips", "list_clips", "read_clips"]

_FRAME = re.compile(r"(\d+)\.(?:bmp|jpg|png)$", re.IGNORECASE)


def _subject_order(path: Path) -> int:
    return int(re.sub(r"\D", "", path.name) or 0)


def _clip(subject_dir: Path, clip_dir: Path, emotion: str, report: LabelReport, dataset: str) -> ClipRecord | None:
    frames = sorted((int(m[1]), p) for p in clip_dir.iterdir() if (m := _FRAME.search(p.name)) and p.stat().st_size > 0)
    sample_id = f"{subject_dir.name}_{clip_dir.name}"
    if len(frames) < 2:
        report.skip(0, sample_id, "too_few_frames", f"{len(frames)} numbered non-empty frame(s) in {clip_dir}")
        return None
    (onset, onset_path), (apex, apex_path) = frames[0], frames[len(frames) // 2]
    return ClipRecord(dataset, subject_dir.name, clip_dir.name, onset, apex, frames[-1][0], str(onset_path),
                      str(apex_path), emotion, None, True)


def read_clips(root: str | Path, report: LabelReport, dataset: str = "smic") -> list[ClipRecord]:
    """Every SMIC-HS micro clip (onset = first frame, apex = middle frame).

    Raises:
        InputError: if no ``HS/s*/micro/`` folder exists under ``root``, or (strict) a clip is unusable.
    """
    root = Path(root)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder; point --root at the SMIC-HS top folder.")
    hs = next((p for p in [root / "HS", *root.glob("*/HS"), root] if (p.is_dir() and any(p.glob("s*/micro")))), None)
    if hs is None:
        raise InputError(f"No SMIC-HS layout under {root} (expected HS/s<k>/micro/<class>/<clip>/reg_image<n>.bmp).")
    clips = []
    for subject_dir in sorted(hs.glob("s*"), key=_subject_order):
        for class_dir in sorted(p for p in (subject_dir / "micro").glob("*") if p.is_dir()):
            emotion = normalise_emotion(class_dir.name)
            clip_dirs = sorted(p for p in class_dir.iterdir() if p.is_dir())
            if clip_dirs and not check_emotion(SMIC_3, emotion, report, 0, f"{subject_dir.name}/micro/{class_dir.name}"):
                continue
            clips += [c for d in clip_dirs if (c := _clip(subject_dir, d, emotion, report, dataset)) is not None]
    return clips


def list_clips(root: str | Path, strict: bool = False) -> list[ClipRecord]:
    """:func:`read_clips` with its own report, warned once; an empty result is an error.

    Raises:
        InputError: as :func:`read_clips`, or if no clip is usable.
    """
    report = LabelReport(source=f"SMIC-HS at {root}", strict=strict)
    clips = read_clips(root, report)
    report.finish(kept=len(clips))
    return clips


class SmicClips(ClipList):
    """``dataset/smic-hs``: SMIC-HS clips, 3 classes (no AUs: ``aus`` is None)."""

    NAME = "dataset/smic-hs"
    mapping = SMIC_3

    def read(self, root: Path, report: LabelReport) -> list[ClipRecord]:
        return read_clips(root, report)
