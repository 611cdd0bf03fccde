"""What a MER loader met: rows it adjusted (kept) and records it skipped, in one report and one warning.

Every MER dataset reader writes into a :class:`LabelReport`:

- :meth:`LabelReport.add`: a quirk the loader fixed and kept (an apex after the offset replaced by
  the midpoint, ``Others`` read as ``others``, a missing frame replaced by its neighbour);
- :meth:`LabelReport.skip`: a record the loader cannot use (offset before onset, a negative frame,
  an emotion the class map does not know, frames missing on disk). It goes to a
  :class:`zoo.sdk.SkippedRecords` too, so ``strict=True`` raises ``InputError`` at the first one.

:meth:`LabelReport.finish` then emits ONE :class:`LabelQuirkWarning` (a ``zoo.sdk.DataWarning``)
counting every kind, and refuses a dataset left with no item (``InputError`` naming why).
"""

from __future__ import annotations

import warnings
from collections import Counter
from dataclasses import dataclass, field

from zoo.sdk import DataWarning, InputError, SkippedRecords

#: What each kind of skipped record means (the reason text of the summary and of strict errors).
SKIP_REASONS = {
    "missing_value": "a required cell (subject, filename, onset) is empty or not a number",
    "negative_frame": "a frame number is negative",
    "offset_before_onset": "the offset frame comes before the onset frame",
    "no_apex": "neither the apex nor the offset is known",
    "unknown_emotion": "the emotion is not a label of the dataset's class map",
    "missing_frame": "an onset or apex frame is missing or empty on disk",
    "too_few_frames": "the clip folder holds fewer than two frames",
}


class LabelQuirkWarning(DataWarning):
    """A MER loader adjusted or skipped label rows; the message counts each kind (see ``.report``)."""


@dataclass(frozen=True)
class Quirk:
    """One reported row: the spreadsheet row (0 when there is none), the sample, a kind and what was done."""

    row: int
    sample_id: str
    kind: str
    detail: str


@dataclass
class LabelReport:
    """Everything unusual found while reading labels or frames (see the module docstring).

    Attributes:
        source: what was read, for messages (``"dataset/casme2 at /data/CASME2"``).
        strict: raise ``InputError`` at the first skipped record.
        quirks: every adjusted or skipped row, in order.
        skipped: the skipped ones as a :class:`zoo.sdk.SkippedRecords`.
    """

    source: str = ""
    strict: bool = False
    quirks: list[Quirk] = field(default_factory=list)
    skipped: SkippedRecords = field(init=False)

    def __post_init__(self) -> None:
        self.skipped = SkippedRecords(source=self.source or "MER labels", strict=self.strict)

    def add(self, row: int, sample_id: str, kind: str, detail: str) -> None:
        """Report a row; a kind of :data:`SKIP_REASONS` also counts as skipped (see :meth:`skip`).

        Raises:
            InputError: in strict mode, for a skipped kind.
        """
        if kind in SKIP_REASONS:
            self.skip(row, sample_id, kind, detail)
        else:
            self.quirks.append(Quirk(row, sample_id, kind, detail))

    def skip(self, row: int, sample_id: str, kind: str, detail: str) -> None:
        """Report a record that is left out.

        Raises:
            InputError: at once in strict mode (naming the record, the row and the reason).
        """
        where = f"{sample_id} (row {row}: {detail})" if row else f"{sample_id} ({detail})"
        self.skipped.skip(record=where, reason=SKIP_REASONS.get(kind, kind))
        self.quirks.append(Quirk(row, sample_id, kind, detail))

    def merge(self, other: LabelReport) -> None:
        """Add another reader's report (the MEGC2019 composite reads three datasets)."""
        self.quirks += other.quirks
        self.skipped.skipped += other.skipped.skipped

    def counts(self) -> dict[str, int]:
        """Number of quirks of each kind (adjusted and skipped)."""
        return dict(Counter(q.kind for q in self.quirks))

    def of_kind(self, kind: str) -> list[Quirk]:
        return [q for q in self.quirks if q.kind == kind]

    def summary(self) -> str:
        """``"2 offset_before_onset (skipped), 1 uppercase_filename"`` (or ``"no quirks"``)."""
        parts = [f"{n} {kind}{' (skipped)' if kind in SKIP_REASONS else ''}" for kind, n in sorted(self.counts().items())]
        return ", ".join(parts) or "no quirks"

    def finish(self, kept: int | None = None, source: str | None = None) -> None:
        """Warn once (if anything was reported) and refuse an empty result.

        Args:
            kept: how many items the loader kept; 0 is an error (None: not checked here).
            source: overrides :attr:`source` in the messages.

        Raises:
            InputError: if ``kept == 0`` (naming the skip reasons, or that nothing was found).
        """
        where = source or self.source or "MER labels"
        if kept == 0:
            skipped = [q for q in self.quirks if q.kind in SKIP_REASONS]
            why = (f"every record was skipped: {self.skipped.summary()}" if skipped else "no labelled clip was found")
            raise InputError(f"{where}: no usable clip ({why}). Check the dataset root, its layout and its label file.")
        if self.quirks:
            examples = "; ".join(f"{q.sample_id}: {q.detail}" for q in self.quirks[:3])
            hint = " Pass strict=True to stop at the first skipped record." if len(self.skipped) else ""
            warnings.warn(f"{where}: {self.summary()} (e.g. {examples}; see the dataset's .report for each row).{hint}",
                          LabelQuirkWarning, stacklevel=3)

    def warn(self, source: str) -> None:
        """Emit the one summary warning (:meth:`finish` without the empty-result check)."""
        self.finish(kept=None, source=source)
