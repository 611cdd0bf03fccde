"""The MEGC2019 composite: SMIC-HS + CASME II + SAMM mapped to negative / positive / surprise.

negative = CASME II {disgust, repression} ∪ SAMM {anger, contempt, disgust, fear, sadness} ∪ SMIC
negative; positive = happiness / SMIC positive; surprise = surprise; everything else is left out
(442 clips, 68 subjects on the full data). Subjects are prefixed by their dataset so that LOSO
never merges two datasets' ``sub01``; each clip keeps its part's name in ``dataset``.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from zoo.sdk import InputError
from zoo_mer_data import casme2, samm, smic
from zoo_mer_data.classes import MEGC_3, MEGC_CLASSES
from zoo_mer_data.clips import ClipList, ClipRecord
from zoo_mer_data.report import LabelReport

__all__ = ["MEGC_3", "MEGC_CLASSES", "MegcClips", "list_clips", "read_clips", "to_megc"]

_PARTS = {"casme2": ("CASME2", "CASME II", "casme2"), "samm": ("SAMM",), "smic": ("SMIC", "SMIC-HS", "smic")}
_READERS = {"casme2": casme2.read_clips, "samm": samm.read_clips, "smic": smic.read_clips}


def to_megc(clip: ClipRecord) -> ClipRecord | None:
    """The clip with its emotion mapped to the 3 MEGC classes, or ``None`` if the composite leaves it out."""
    index = MEGC_3.index(clip.emotion, clip.dataset)
    if index is None:
        return None
    subject = f"{clip.dataset}/{clip.subject}"
    return replace(clip, emotion=MEGC_CLASSES[index], subject=subject, sample_id=f"{subject}_{clip.clip}")


def read_clips(root: str | Path, report: LabelReport) -> list[ClipRecord]:
    """The composite's clips from ``root/{SMIC,CASME2,SAMM}`` (each part optional, at least one).

    Raises:
        InputError: if none of the three parts is found under ``root``, or as the part readers.
    """
    root = Path(root)
    clips: list[ClipRecord] = []
    found = False
    for name, reader in _READERS.items():
        folder = next((root / p for p in _PARTS[name] if (root / p).is_dir()), None)
        if folder is not None:
            found = True
            clips += [m for c in reader(folder, report, name) if (m := to_megc(c)) is not None]
    if not found:
        raise InputError(f"No MEGC2019 part under {root}; expected sub-folders {', '.join(p[0] for p in _PARTS.values())}.")
    return clips


def list_clips(root: str | Path, strict: bool = False) -> list[ClipRecord]:
    """:func:`read_clips` with its own report, warned once; an empty result is an error.

    Raises:
        InputError: as :func:`read_clips`, or if no clip is usable.
    """
    report = LabelReport(source=f"MEGC2019 composite at {root}", strict=strict)
    clips = read_clips(root, report)
    report.finish(kept=len(clips))
    return clips


class MegcClips(ClipList):
    """``dataset/megc2019``: the composite (SMIC-HS + CASME II + SAMM), 3 classes."""

    NAME = "dataset/megc2019"
    mapping = MEGC_3

    def read(self, root: Path, report: LabelReport) -> list[ClipRecord]:
        return read_clips(root, report)
