"""Per-region motion of an aligned face's flow field, relative to a rigid-motion reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo_deft_llm.facs import FacsTable

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


def measure_regions(flow: np.ndarray, table: FacsTable) -> tuple[dict[str, RegionMotion], float]:
    """Each table region's mean relative flow, and the face's noise level.

    Args:
        flow: ``(S, S, 2)`` flow of the aligned crop (dx, dy).
        table: the FACS table whose normalised region boxes are measured.
    """
    relative, noise = relative_flow(flow)
    height, width = flow.shape[:2]
    motions = {}
    for name, (x0, y0, x1, y1) in table.regions.items():
        r0, r1 = int(round(y0 * height)), max(int(round(y1 * height)), int(round(y0 * height)) + 1)
        c0, c1 = int(round(x0 * width)), max(int(round(x1 * width)), int(round(x0 * width)) + 1)
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
