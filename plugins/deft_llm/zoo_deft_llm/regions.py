"""Facial regions and their motion: fixed boxes of the FACS table or boxes anchored on 68 landmarks.

Region motion is the region's mean flow relative to a rigid-motion reference (the face's median
flow). Regions are either the FACS table's fixed boxes in the eye-aligned crop (the Haar path) or
boxes placed on each face's own landmarks (``landmark_regions.json``: same 17 names, so the AU →
region table is shared).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from zoo_deft_llm.facs import FacsTable

LANDMARK_REGIONS_PATH = Path(__file__).with_name("landmark_regions.json")
Box = tuple[float, float, float, float]

_UNIT = {"up": (0.0, -1.0), "down": (0.0, 1.0)}


@dataclass(frozen=True)
class RegionMotion:
    """Mean relative flow of one region (pixels of the aligned crop) and its box centre."""

    region: str
    dx: float
    dy: float
    centre_x: float

    @property
    def magnitude(self) -> float:
        return float(np.hypot(self.dx, self.dy))


def relative_flow(flow: np.ndarray) -> tuple[np.ndarray, float]:
    """Flow minus the face's median flow (the rigid reference), and the residual noise level.

    The noise level is the median magnitude of the relative flow over the crop: most of a face
    does not move in a micro-expression, so this estimates flow noise plus residual head motion.
    """
    reference = np.median(flow.reshape(-1, 2), axis=0)
    relative = flow - reference
    noise = float(np.median(np.linalg.norm(relative, axis=-1)))
    return relative, noise


@lru_cache(maxsize=1)
def landmark_region_spec() -> dict[str, dict]:
    """The landmark-anchored region definitions (``landmark_regions.json``)."""
    return json.loads(LANDMARK_REGIONS_PATH.read_text(encoding="utf-8"))["regions"]


def landmark_boxes(points: np.ndarray, size: int, names: list[str] | None = None) -> dict[str, Box]:
    """Region boxes ``(x0, y0, x1, y1)`` as fractions of a ``size``² crop, from its 68 landmarks.

    Args:
        points: ``(68, 2)`` landmarks in crop pixels (an eye-aligned crop: "down" is +y).
        size: the crop's side.
        names: the regions wanted, in this order (default: all of ``landmark_regions.json``).

    Raises:
        KeyError: if a name has no landmark definition.
    """
    from zoo_deft_llm.landmarks import eye_centres, interocular

    spec = landmark_region_spec()
    unit = interocular(points)
    midline = float(np.mean(eye_centres(points), axis=0)[0])
    boxes = {}
    for name in names or list(spec):
        region = spec[name]
        cx, cy = points[region["points"]].mean(0)
        along, down = region["offset"]
        # Sided offsets point away from the midline: the subject's right (_r) is the image's left.
        side = -1.0 if name.endswith("_r") else 1.0 if name.endswith("_l") else (1.0 if cx >= midline else -1.0)
        cx, cy = cx + (side * along if name.endswith(("_r", "_l")) else along) * unit, cy + down * unit
        hw, hh = region["half"][0] * unit, region["half"][1] * unit
        boxes[name] = tuple(float(np.clip(v / size, 0.0, 1.0)) for v in (cx - hw, cy - hh, cx + hw, cy + hh))
    return boxes


def measure_regions(flow: np.ndarray, table: FacsTable,
                    boxes: dict[str, Box] | None = None) -> tuple[dict[str, RegionMotion], float]:
    """Each region's mean relative flow, and the face's noise level.

    Args:
        flow: ``(S, S, 2)`` flow of the aligned crop (dx, dy).
        table: the FACS table (its fixed boxes are used unless ``boxes`` is given).
        boxes: per-face boxes (e.g. :func:`landmark_boxes`), same names as the table's regions.
    """
    relative, noise = relative_flow(flow)
    height, width = flow.shape[:2]
    motions = {}
    for name, (x0, y0, x1, y1) in (boxes or table.regions).items():
        # At least one pixel, inside the crop (a landmark box can lie on the crop's edge).
        r0, c0 = min(int(round(y0 * height)), height - 1), min(int(round(x0 * width)), width - 1)
        r1, c1 = max(int(round(y1 * height)), r0 + 1), max(int(round(x1 * width)), c0 + 1)
        dx, dy = relative[r0:r1, c0:c1].reshape(-1, 2).mean(axis=0)
        motions[name] = RegionMotion(name, float(dx), float(dy), (x0 + x1) / 2)
    return motions, noise


def expected_direction(directions: tuple[str, ...], centre_x: float) -> np.ndarray:
    """Unit vector of an expected motion such as ``("up", "outward")`` for a region at ``centre_x``.

    Outward is away from the vertical midline (x = 0.5 of the aligned crop).
    """
    side = np.sign(centre_x - 0.5)
    vector = np.zeros(2)
    for direction in directions:
        if direction in _UNIT:
            vector += _UNIT[direction]
        elif direction == "outward":
            vector += (side, 0.0)
        elif direction == "inward":
            vector += (-side, 0.0)
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def describe_direction(motion: RegionMotion) -> str:
    """Words for a measured motion: up/down and inward/outward, whichever components matter."""
    dx, dy = motion.dx, motion.dy
    side = np.sign(motion.centre_x - 0.5)
    words = []
    if abs(dy) >= 0.4 * motion.magnitude:
        words.append("up" if dy < 0 else "down")
    if abs(dx) >= 0.4 * motion.magnitude:
        if side == 0:
            words.append("to the subject's left" if dx > 0 else "to the subject's right")
        else:
            words.append("outward" if dx * side > 0 else "inward")
    return " and ".join(words) or "slightly"
