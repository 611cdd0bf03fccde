"""The one clip record of every MER dataset, the frame checks they share, and their dataset base class.

Every reader (CASME II, SAMM, SMIC-HS, the MEGC2019 composite, CAS(ME)^3) returns
:class:`ClipRecord` objects, and every registered MER dataset (:class:`ClipList`) holds them as
``.clips`` and lists them as the same item dicts (:meth:`ClipRecord.item`). A method plugin reads
the frames its own way (Depth-MER: depth PNGs; DEFT-LLM: RGB), so the shared datasets only list
clips. ``.clips`` holds every usable clip of a known emotion; ``.items`` only those of the
dataset's class setting (and the selected subjects).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field

import zoo
from zoo.sdk import InputError
from zoo_mer_data.classes import ClassMapping
from zoo_mer_data.report import LabelReport


@dataclass(frozen=True)
class ClipRecord:
    """One labelled micro-expression clip: who, which frames, which AUs, which emotion.

    Attributes:
        dataset: ``casme2``, ``samm``, ``smic``, ``casme3`` (the composite keeps each part's name).
        subject: the subject (the composite prefixes its dataset: ``casme2/sub01``).
        clip: the clip's name in the dataset (its folder or ``Filename``).
        onset_frame, apex_frame, offset_frame: frame numbers (offset ``None`` when unknown).
        onset_path, apex_path: the RGB frame files (``""`` when only another modality was read).
        emotion: the normalised raw label (the composite's: negative/positive/surprise).
        aus: the AU cell (``"4+L10"``), ``None`` when the dataset has no AU labels (SMIC).
        apex_estimated: the apex was unknown or unusable and the midpoint stands in.
        sample_id: a unique id within the dataset (default ``<subject>_<clip>``).
        frames: every modality's frame pair, ``{"rgb": {"onset", "apex", "onset_frame", "apex_frame"}, ...}``.
        row: the label sheet's row (0 when the labels come from folders).
    """

    dataset: str
    subject: str
    clip: str
    onset_frame: int
    apex_frame: int
    offset_frame: int | None
    onset_path: str
    apex_path: str
    emotion: str
    aus: str | None
    apex_estimated: bool = False
    sample_id: str = ""
    frames: dict[str, dict[str, Any]] = field(default_factory=dict)
    row: int = 0

    def __post_init__(self) -> None:
        if not self.sample_id:
            object.__setattr__(self, "sample_id", f"{self.subject}_{self.clip}")
        if not self.frames and self.onset_path:
            object.__setattr__(self, "frames", {"rgb": {"onset": self.onset_path, "apex": self.apex_path,
                                                        "onset_frame": self.onset_frame, "apex_frame": self.apex_frame}})

    def item(self, label: int) -> dict[str, Any]:
        """The item dict every MER dataset lists (``label`` = the class index in its setting)."""
        return {"sample_id": self.sample_id, "dataset": self.dataset, "subject": self.subject, "label": label,
                "emotion": self.emotion, "aus": self.aus, "onset": self.onset_frame, "apex": self.apex_frame,
                "offset": self.offset_frame, "apex_estimated": self.apex_estimated,
                "frames": {m: dict(pair) for m, pair in self.frames.items()}}


def frame_number(value: Any) -> int | None:
    """An integer frame number from a cell (may be negative); ``/``, blanks and text give ``None``."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


@dataclass(frozen=True)
class Frames:
    """A row's validated frame numbers."""

    onset: int
    apex: int
    offset: int | None
    apex_estimated: bool


def check_frames(onset_cell: Any, apex_cell: Any, offset_cell: Any, report: LabelReport, row: int, sample_id: str,
                 unknown_apex: tuple[int, ...] = ()) -> Frames | None:
    """Validate a label row's onset/apex/offset; ``None`` (reported as skipped) if the row is unusable.

    Rules: onset must be a number ≥ 0; offset, when given, ≥ 0 and not before the onset; an apex
    that is unknown (``/``, blank, or one of ``unknown_apex`` such as SAMM's ``-1``) or outside
    ``(onset, offset]`` is replaced by the midpoint (``apex_estimated``; outside the clip is
    reported as ``apex_outside_clip``).

    Raises:
        InputError: in strict mode, for an unusable row.
    """
    onset, offset, apex = frame_number(onset_cell), frame_number(offset_cell), frame_number(apex_cell)
    if onset is None:
        report.skip(row, sample_id, "missing_value", f"onset {onset_cell!r}")
        return None
    negative = [f"{name} {value}" for name, value in (("onset", onset), ("offset", offset), ("apex", apex))
                if value is not None and value < 0 and not (name == "apex" and value in unknown_apex)]
    if negative:
        report.skip(row, sample_id, "negative_frame", ", ".join(negative))
        return None
    if offset is not None and offset < onset:
        report.skip(row, sample_id, "offset_before_onset", f"onset {onset}, offset {offset}")
        return None
    if apex is not None and apex in unknown_apex:
        apex = None
    if apex is not None and onset < apex and (offset is None or apex <= offset):
        return Frames(onset, apex, offset, False)
    if offset is None or offset == onset:
        report.skip(row, sample_id, "no_apex", f"apex {apex_cell!r}, offset {offset_cell!r}")
        return None
    middle = (onset + offset) // 2
    if apex is not None:
        report.add(row, sample_id, "apex_outside_clip", f"apex {apex} not in ({onset}, {offset}]: midpoint {middle} used")
    return Frames(onset, middle, offset, True)


def usable_file(path: Path) -> bool:
    """A frame exists and is not empty."""
    return path.is_file() and path.stat().st_size > 0


def check_emotion(mapping: ClassMapping, emotion: str, report: LabelReport, row: int, sample_id: str,
                  dataset: str | None = None) -> bool:
    """True if the class map knows the label; otherwise reported as skipped (strict: raises)."""
    if mapping.knows(emotion, dataset):
        return True
    known = ", ".join(mapping.vocabulary(dataset))
    report.skip(row, sample_id, "unknown_emotion", f"{emotion!r} is not one of {known} ({mapping.name})")
    return False


class ClipsConfig(zoo.ComponentConfig):
    """Where a MER dataset is, which subjects to keep, and whether a bad record stops the load."""

    root: str = Field("data", description="the dataset's top folder")
    subjects: list[str] | None = Field(None, description="keep only these subjects (None: all)")
    strict: bool = Field(False, description="raise at the first unusable record instead of skipping and reporting it")


class ClipList(zoo.Dataset):
    """A MER dataset: ``clips`` (every usable clip), ``items`` (the setting's), ``report``.

    Subclasses set :attr:`NAME` and :attr:`mapping` and implement :meth:`read`; items are
    metadata dicts and a batch is their list. The report is finished (one warning, an empty
    dataset refused) at the end of the constructor, unless a subclass that reports more sets
    ``_warn_on_init = False`` and finishes it itself.
    """

    Config = ClipsConfig
    NAME = "dataset/mer"
    mapping: ClassMapping
    _warn_on_init = True

    def __init__(self, config: ClipsConfig | None = None) -> None:
        super().__init__(config)
        self.report = LabelReport(source=f"{self.NAME} at {self.config.root}", strict=self.config.strict)
        self.clips: list[ClipRecord] = self.read(Path(self.config.root), self.report)
        self.items = select_items(self.clips, self.mapping, self.config.subjects, self.report, finish=self._warn_on_init)

    def read(self, root: Path, report: LabelReport) -> list[ClipRecord]:
        """The dataset's usable clips of known emotions (each subclass reads its own layout).

        Raises:
            InputError: if the layout or the label file is missing, or (strict) a record is unusable.
        """
        raise NotImplementedError

    @property
    def classes(self) -> tuple[str, ...]:
        return self.mapping.classes

    @property
    def subjects(self) -> list[str]:
        """The subject of each item (for the engine's LOSO protocol)."""
        return [item["subject"] for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.items[index]

    def collate(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Items are metadata; a batch is their list."""
        return list(items)


def select_items(clips: list[ClipRecord], mapping: ClassMapping, subjects: list[str] | None,
                 report: LabelReport, finish: bool = True) -> list[dict[str, Any]]:
    """The item dicts of the clips the setting and the subject list keep; the report is finished.

    Raises:
        InputError: if no clip is left (naming why: skipped records, the setting, the subjects).
    """
    items = [clip.item(index) for clip in clips
             if (index := mapping.index(clip.emotion, clip.dataset)) is not None
             and (subjects is None or clip.subject in subjects)]
    if clips and not items:
        have = sorted({c.subject for c in clips})
        raise InputError(f"{report.source}: none of its {len(clips)} clips is in setting {mapping.name} "
                         f"({', '.join(mapping.classes)}) for subjects {subjects}; the data has subjects "
                         f"{', '.join(have)}.")
    if finish:
        report.finish(kept=len(items))
    return items
