"""The dual constraint: a statement about an AU only when the AU is labelled AND the flow agrees.

A labelled AU is kept when at least one of its regions moves significantly (above an absolute
floor and above the face's noise level) and in the FACS-expected direction; otherwise it is
recorded as rejected with the measured reason. Datasets without AU labels get flow-only
statements (no AU codes) for the regions that move most.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from zoo_deft_llm.facs import AULabel, FacsTable
from zoo_deft_llm.regions import RegionMotion, describe_direction, expected_direction


@dataclass(frozen=True)
class Thresholds:
    """When a region's motion counts as significant and in the expected direction."""

    min_pixels: float = 0.2
    noise_factor: float = 2.0
    min_cosine: float = 0.5
    max_flow_only_statements: int = 3

    def floor(self, noise: float) -> float:
        return max(self.min_pixels, self.noise_factor * noise)


@dataclass
class ConstraintResult:
    """Statements kept (with their AU and regions) and AUs rejected (with reasons)."""

    kept: list[dict] = field(default_factory=list)
    rejected: list[dict] = field(default_factory=list)

    @property
    def statements(self) -> list[str]:
        return [k["statement"] for k in self.kept]

    @property
    def confirmed_codes(self) -> list[str]:
        return [k["au"] for k in self.kept if k.get("au")]


def _join_regions(table: FacsTable, regions: list[str]) -> str:
    names = [table.readable(r) for r in regions]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def check_au(label: AULabel, motions: dict[str, RegionMotion], noise: float, table: FacsTable,
             thresholds: Thresholds) -> tuple[dict | None, dict | None]:
    """Apply the dual constraint to one labelled AU: ``(kept, None)`` or ``(None, rejected)``."""
    floor = thresholds.floor(noise)
    confirmed, problems = [], []
    for region, directions in table.regions_for(label).items():
        motion = motions[region]
        expected = expected_direction(directions, motion.centre_x)
        cosine = float(np.dot([motion.dx, motion.dy], expected) / motion.magnitude) if motion.magnitude > 0 else 0.0
        if motion.magnitude < floor:
            problems.append((0, f"{table.readable(region)} moves {motion.magnitude:.2f} px < {floor:.2f} px (not significant)"))
        elif cosine < thresholds.min_cosine:
            problems.append((1, f"{table.readable(region)} moves {describe_direction(motion)}, expected "
                                f"{' and '.join(directions)} (cosine {cosine:.2f} < {thresholds.min_cosine})"))
        else:
            confirmed.append(region)
    if confirmed:
        move = " and ".join(table.regions_for(label)[confirmed[0]])
        verb = "moves" if len(confirmed) == 1 else "move"
        statement = f"the {_join_regions(table, confirmed)} {verb} {move} ({label.code})"
        return {"au": label.code, "name": table.au_names[label.au], "regions": confirmed, "statement": statement}, None
    kind = "wrong direction" if any(p[0] == 1 for p in problems) else "no significant motion"
    return None, {"au": label.code, "reason": f"{kind}: " + "; ".join(p[1] for p in problems)}


def apply_dual_constraint(labels: list[AULabel] | None, motions: dict[str, RegionMotion], noise: float,
                          table: FacsTable, thresholds: Thresholds = Thresholds()) -> ConstraintResult:
    """Kept statements and rejected AUs for one clip; ``labels=None`` means the dataset has no AUs."""
    result = ConstraintResult()
    if labels is None:
        return _flow_only(motions, noise, table, thresholds)
    for label in labels:
        if label.au not in table.au_regions:
            result.rejected.append({"au": label.code, "reason": "not in the FACS table (no region to check)"})
            continue
        kept, rejected = check_au(label, motions, noise, table, thresholds)
        (result.kept.append(kept) if kept else result.rejected.append(rejected))
    return result


def _flow_only(motions: dict[str, RegionMotion], noise: float, table: FacsTable, thresholds: Thresholds) -> ConstraintResult:
    floor = thresholds.floor(noise)
    moving = sorted((m for m in motions.values() if m.magnitude >= floor), key=lambda m: -m.magnitude)
    result = ConstraintResult()
    for motion in moving[: thresholds.max_flow_only_statements]:
        result.kept.append({"au": None, "regions": [motion.region],
                            "statement": f"the {table.readable(motion.region)} moves {describe_direction(motion)}"})
    return result
