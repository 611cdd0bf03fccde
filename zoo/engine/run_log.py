"""The run's metrics log: one JSON object per line in ``<out_dir>/metrics.jsonl`` (rank 0 only).

Records have ``"kind": "step" | "epoch" | "eval"``, the optimizer ``step``, ``epoch`` (the number
of epochs completed when the record was written: an ``epoch`` record closing the first epoch says
1), and scalar values (losses, learning rate, metrics). A resumed run appends to the same file, so a
step may appear twice when a run is resumed from a checkpoint older than its last log line;
:func:`read_log` keeps the last record of each (kind, step).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

LOG_NAME = "metrics.jsonl"


class RunLog:
    """Appends records to ``metrics.jsonl``; a disabled log (ranks other than 0) writes nothing."""

    def __init__(self, out_dir: str | Path, enabled: bool = True) -> None:
        self.path = Path(out_dir) / LOG_NAME
        self.enabled = enabled

    def write(self, kind: str, step: int, epoch: int, values: dict[str, Any]) -> None:
        """Append one record (non-finite floats become ``null``: JSON has no NaN)."""
        if not self.enabled:
            return
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in values.items()}
        self.path.parent.mkdir(parents=True, exist_ok=True)  # on first write: evaluation alone writes nothing
        record = {"kind": kind, "step": step, "epoch": epoch, "time": round(time.time(), 3), **clean}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")


def read_log(run_dir: str | Path) -> list[dict[str, Any]]:
    """The records of a run's ``metrics.jsonl``, deduplicated after resumes, in step order.

    A last line that does not parse is the write of a killed run, cut off: it is skipped.

    Raises:
        FileNotFoundError: if the run folder has no log.
        ValueError: if a line before the last is not a record (names the line).
    """
    path = Path(run_dir) / LOG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; is {run_dir} a run folder written by `zoo train`?")
    latest: dict[tuple[str, int, int], dict[str, Any]] = {}
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                record = json.loads(line)
                latest[(record["kind"], record["step"], record["epoch"])] = record
            except (ValueError, KeyError, TypeError) as exc:
                if number == len(lines):
                    break
                raise ValueError(f"{path}, line {number}: not a metrics record ({type(exc).__name__}: {exc})") from None
    return sorted(latest.values(), key=lambda r: (r["step"], r["epoch"]))
