"""The FACS table as data: AU → facial regions → expected onset-to-apex motion (``facs_table.json``).

The table encodes ``shared/methods/facs.md``; keeping it as JSON lets a user correct a region box or
a direction without touching code, and lets the Uni-MER builder and the motion-semantics expert read
the same region list.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from zoo.sdk import InputError

TABLE_PATH = Path(__file__).with_name("facs_table.json")
_AU_TOKEN = re.compile(r"^(?P<side>[LRBlrb])?(?P<au>\d{1,2})(?P<intensity>[A-Ea-e])?$")
_DIRECTIONS = {"up", "down", "inward", "outward"}
#: The AUs the motion-semantics expert predicts by default: the 17 most frequent in CASME II and SAMM.
DEFAULT_AUS = [1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26]


@dataclass(frozen=True)
class AULabel:
    """One labelled action unit: its number, the side (``"L"``/``"R"``/``None`` = both) and intensity."""

    au: int
    side: str | None = None
    intensity: str | None = None

    @property
    def code(self) -> str:
        return f"{self.side}{self.au}" if self.side else f"AU{self.au}"


@dataclass(frozen=True)
class FacsTable:
    """Regions (normalised boxes in the aligned crop) and per-AU expected motion per region."""

    regions: dict[str, tuple[float, float, float, float]]
    region_names: dict[str, str]
    au_names: dict[int, str]
    au_regions: dict[int, dict[str, tuple[str, ...]]]
    eyes: tuple[tuple[float, float], tuple[float, float]]

    @property
    def region_list(self) -> list[str]:
        return list(self.regions)

    def readable(self, region: str) -> str:
        """``"mouth_corner_l"`` → ``"left mouth corner"`` (the subject's left)."""
        base, _, side = region.rpartition("_")
        if side in {"l", "r"} and base in self.region_names:
            return f"{'left' if side == 'l' else 'right'} {self.region_names[base]}"
        return self.region_names.get(region, region.replace("_", " "))

    def regions_for(self, label: AULabel) -> dict[str, tuple[str, ...]]:
        """The regions an AU acts on, restricted to the labelled side for unilateral AUs.

        Raises:
            InputError: if the AU is not in the table.
        """
        if label.au not in self.au_regions:
            raise InputError(
                f"AU{label.au} is not in the FACS table {TABLE_PATH.name}; known AUs: "
                f"{sorted(self.au_regions)}. Add a row to the table to describe it."
            )
        regions = self.au_regions[label.au]
        if label.side in {"L", "R"}:
            suffix = "_" + label.side.lower()
            sided = {r: d for r, d in regions.items() if r.endswith(suffix)}
            return sided or regions  # midline regions (chin, lips) have no side
        return regions


def _parse_direction(text: str) -> tuple[str, ...]:
    parts = tuple(p.strip() for p in text.split("+"))
    if not parts or not set(parts) <= _DIRECTIONS:
        raise InputError(f"Bad direction {text!r} in {TABLE_PATH.name}; use {sorted(_DIRECTIONS)} joined by '+'.")
    return parts


@lru_cache(maxsize=4)
def load_table(path: str | None = None) -> FacsTable:
    """Read the FACS table (default: the packaged ``facs_table.json``).

    Raises:
        InputError: if the file is missing or a direction is malformed.
    """
    table_path = Path(path) if path else TABLE_PATH
    if not table_path.is_file():
        raise InputError(f"FACS table {table_path} does not exist; pass a JSON file in the layout of {TABLE_PATH}.")
    raw = json.loads(table_path.read_text(encoding="utf-8"))
    eyes = raw["eyes"]
    return FacsTable(
        regions={k: tuple(v) for k, v in raw["regions"].items()},
        region_names=dict(raw["region_names"]),
        au_names={int(k): v["name"] for k, v in raw["aus"].items()},
        au_regions={
            int(k): {r: _parse_direction(d) for r, d in v["regions"].items()} for k, v in raw["aus"].items()
        },
        eyes=(tuple(eyes["left_in_image"]), tuple(eyes["right_in_image"])),
    )


def parse_aus(text: object) -> list[AULabel]:
    """Parse an AU cell such as ``"4+L10"``, ``"R12A+R14A"``, ``"1+2+5B+26"``; blanks give ``[]``.

    Tokens that are not AUs (``"?"``, ``"/"``, ``"-"``, notes) are skipped: datasets write them for
    "unknown", and an unknown AU must not invent a statement.
    """
    if text is None:
        return []
    labels = []
    for token in re.split(r"[+,;\s]+", str(text).strip()):
        token = token.strip().removeprefix("AU").removeprefix("au")
        match = _AU_TOKEN.match(token)
        if not match:
            continue
        side = (match["side"] or "").upper() or None
        labels.append(AULabel(int(match["au"]), None if side == "B" else side, (match["intensity"] or "").upper() or None))
    return labels
