"""Loader strictness: skip a bad record and say so once, or stop at the first one.

A dataset loader that meets a record it cannot use (an image without its annotation file, a NaN
head position, a face index out of range) must neither crash with a raw error nor drop the record
silently. It reports the record to a :class:`SkippedRecords`:

.. code-block:: python

    from zoo.sdk import SkippedRecords

    report = SkippedRecords(source=f"dataset/shanghaitech at {root}", strict=config.strict)
    for image in images:
        if not annotation(image).is_file():
            report.skip(record=image.name, reason="no annotation file")   # strict: InputError now
            continue
        items.append(...)
    report.finish(kept=len(items))   # default: ONE DataWarning listing every reason with a count

``strict=True`` raises :class:`~zoo.errors.InputError` on the first bad record; the default skips
it and, in :meth:`SkippedRecords.finish`, warns once with a count per reason and a few examples.
A loader that ends up with no items at all raises ``InputError`` naming why (the reasons of the
skipped records, or "no records found"), never returns an empty dataset.
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

from zoo.errors import DataWarning, InputError

#: How many record names a summary shows per reason.
EXAMPLES_PER_REASON = 3


@dataclass(frozen=True)
class SkippedRecord:
    """One record a loader could not use, and why."""

    record: str
    reason: str


@dataclass
class SkippedRecords:
    """The report of records a loader skipped (see the module docstring).

    Attributes:
        source: what was being read, for messages (``"dataset/casme3 at /data/casme3"``).
        strict: raise on the first bad record instead of skipping it.
        skipped: every skipped record, in order (a dataset keeps it as its ``.report``).
    """

    source: str
    strict: bool = False
    skipped: list[SkippedRecord] = field(default_factory=list)
    _finished: bool = field(default=False, repr=False)

    def skip(self, record: str, reason: str) -> None:
        """Record that ``record`` is unusable for ``reason``.

        Raises:
            InputError: at once, when the report is strict (the message names the record, the
                reason and how to skip such records instead).
        """
        if self.strict:
            raise InputError(
                f"{self.source}: {record}: {reason}. (strict mode; with strict=False such records "
                "are skipped and reported in one warning)"
            )
        self.skipped.append(SkippedRecord(str(record), str(reason)))

    def __len__(self) -> int:
        return len(self.skipped)

    def counts(self) -> dict[str, int]:
        """``{reason: number of records skipped for it}``, most frequent first."""
        return dict(Counter(s.reason for s in self.skipped).most_common())

    def summary(self) -> str:
        """One line per reason: the count and a few example records."""
        lines = []
        for reason, count in self.counts().items():
            examples = [s.record for s in self.skipped if s.reason == reason][:EXAMPLES_PER_REASON]
            more = ", ..." if count > len(examples) else ""
            lines.append(f"{count} x {reason} (e.g. {', '.join(examples)}{more})")
        return "; ".join(lines)

    def finish(self, kept: int | None = None) -> list[SkippedRecord]:
        """Close the report: warn once if anything was skipped; refuse an empty result.

        Args:
            kept: how many items the loader kept; ``0`` is an error (pass ``None`` to skip that
                check, e.g. when counting happens elsewhere).

        Returns:
            The skipped records.

        Raises:
            InputError: if ``kept == 0`` (the message says why: the skip reasons, or that no
                records were found at all).
        """
        if kept == 0:
            why = f"every record was skipped: {self.summary()}" if self.skipped else "no records were found"
            raise InputError(f"{self.source}: no usable items ({why}). Check the dataset root and its layout.")
        if self.skipped and not self._finished:
            warnings.warn(
                f"{self.source}: skipped {len(self.skipped)} record(s): {self.summary()}. "
                "Pass strict=True to stop at the first bad record.",
                DataWarning,
                stacklevel=2,
            )
        self._finished = True
        return list(self.skipped)
