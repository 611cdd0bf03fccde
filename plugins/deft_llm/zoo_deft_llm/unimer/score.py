"""Score the dual constraint against known motion: precision and recall of the kept AUs.

On the synthetic set the animated AUs of every clip are known (``planted_motion.json``, written by
``zoo deft-llm make-synth``), so each AU the dual constraint keeps can be checked:

- true positive: kept and animated;
- false positive: kept but not animated (a labelled AU that the face did not perform, confirmed by
  some other motion, e.g. AU10 "confirmed" by the nasal wings an AU9 moved);
- false negative: animated (and labelled) but rejected;
- true negative: labelled, not animated, and rejected (the decoys the constraint exists to catch).

Precision = TP / (TP + FP), recall = TP / (TP + FN), over all clips of the records.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import zoo.sdk as sdk
from zoo_deft_llm.facs import parse_aus


def read_planted(path: str | Path) -> dict[str, dict[str, Any]]:
    """The per-clip planted motion of a synthetic set (``subXX/<clip>`` → labelled/planted AUs).

    Raises:
        InputError: if the file is missing or not the generator's JSON.
    """
    path = Path(path)
    if path.is_dir():
        path = path / "planted_motion.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))["clips"]
    except (OSError, ValueError, KeyError) as exc:
        raise sdk.InputError(f"Cannot read planted motion from {path} ({exc}); it is written by "
                             "`zoo deft-llm make-synth` beside the frames.") from None


def _codes(cell: str | None) -> set[str]:
    return {label.code for label in parse_aus(cell)}


def score_records(records: list[dict[str, Any]], planted: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Precision/recall of kept AUs against the planted ones (see the module docstring).

    Raises:
        InputError: if a record's clip is not in ``planted`` (records of another set).
    """
    counts = Counter()
    per_au: dict[str, Counter] = {}
    alignment = Counter(r.get("alignment", "?") for r in records)
    for record in records:
        key = f"{record['subject']}/{record['clip']}"
        if key not in planted:
            raise sdk.InputError(f"Uni-MER record {record['id']} has no planted motion ({key}); score records of the "
                                 "synthetic set whose planted_motion.json is given.")
        truth = _codes(planted[key]["planted"])
        labelled = _codes(planted[key]["labelled"])
        kept = {k["au"] for k in record["kept"] if k.get("au")}
        for code in labelled:
            outcome = ("tp" if code in truth else "fp") if code in kept else ("fn" if code in truth else "tn")
            counts[outcome] += 1
            per_au.setdefault(code, Counter())[outcome] += 1
    tp, fp, fn = counts["tp"], counts["fp"], counts["fn"]
    return {
        "precision": tp / (tp + fp) if tp + fp else float("nan"),
        "recall": tp / (tp + fn) if tp + fn else float("nan"),
        "tp": tp, "fp": fp, "fn": fn, "tn": counts["tn"], "clips": len(records),
        "alignment": dict(alignment), "per_au": {code: dict(c) for code, c in sorted(per_au.items())},
    }
