"""HDSM and GTGM: simulate a high-density crowd by blending a scene with a shifted copy of itself.

The paper's equation: ``I_sim = λ·P_L(I, S) + (1−λ)·P_R(I, S)`` where ``P_L``/``P_R`` zero-pad the
image by ``S`` pixels on the left/right (so ``P_L`` holds the scene shifted by ``S``), ``λ = 0.5``;
the matching points are ``P ∪ (P + (S, 0))``: every head still counts 1 (never weighted by λ).
The ``H × (W+S)`` result is cropped back to the training crop's width.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def hdsm(image: np.ndarray, shift: int, lam: float = 0.5, axis: int = 1) -> np.ndarray:
    """The simulated image ``λ·P_L(I, S) + (1−λ)·P_R(I, S)``, of size ``W + S`` along ``axis``.

    Args:
        image: ``[H, W]`` or ``[H, W, C]`` array.
        shift: ``S`` ≥ 0, in pixels.
        lam: the blending weight λ of the shifted copy.
        axis: 1 shifts horizontally (the paper), 0 vertically (our option).

    Returns:
        A float array; ``result[..., S:, ...]`` holds ``λ·I`` and ``result[..., :W, ...]`` adds
        ``(1−λ)·I``.

    Raises:
        ValueError: if ``shift`` is negative or ``axis`` is not 0 or 1.
    """
    if shift < 0:
        raise ValueError(f"shift must be >= 0, got {shift}.")
    if axis not in (0, 1):
        raise ValueError(f"axis must be 0 (vertical) or 1 (horizontal), got {axis}.")
    img = np.asarray(image, dtype=np.float32)
    pad = [(0, 0)] * img.ndim
    pad[axis] = (shift, 0)
    shifted_right = np.pad(img, pad)  # P_L: zeros padded on the left
    pad[axis] = (0, shift)
    unshifted = np.pad(img, pad)  # P_R: zeros padded on the right
    return lam * shifted_right + (1.0 - lam) * unshifted


def gtgm(points: np.ndarray, shift: int, axis: int = 1) -> np.ndarray:
    """The simulated annotation ``P ∪ (P + S·e_axis)`` (``[2N, 2]`` points, ``(x, y)`` order).

    Raises:
        ValueError: if ``shift`` is negative or ``axis`` is not 0 or 1.
    """
    if shift < 0 or axis not in (0, 1):
        raise ValueError(f"shift must be >= 0 and axis 0 or 1, got shift={shift}, axis={axis}.")
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    moved = pts.copy()
    moved[:, 1 - axis] += shift  # axis 1 (columns) moves x, axis 0 (rows) moves y
    return np.concatenate([pts, moved], axis=0)


@dataclass(frozen=True)
class HighDensitySimulation:
    """HDSM + GTGM as one transform on an ``(image, points)`` crop.

    ``S`` is drawn per sample in ``shift_range`` × the crop's extent along the shift axis and
    rounded to ``stride`` (the density map's stride, so the two copies stay on the same grid);
    the ``W+S`` result is cropped back to ``W`` at a random offset (a multiple of ``stride``).
    Applying it ``repeats`` times gives about ``2^repeats`` times the density.
    """

    shift_range: tuple[float, float] = (0.25, 0.75)
    lam: float = 0.5
    stride: int = 4
    vertical: bool = False
    repeats: int = 1

    def __call__(
        self, image: np.ndarray, points: np.ndarray, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return the simulated crop (same size as ``image``), its points, and where the copies are.

        Returns:
            ``(image, points, copies)``: ``copies`` is ``[2^repeats, 2]`` int64, the ``(dx, dy)``
            translation (pixels, multiples of ``stride``) of each copy of the input crop inside the
            simulated one: input pixel ``(x, y)`` appears at ``(x + dx, y + dy)``. HFEM's
            feature-consistency loss compares the features at those positions.
        """
        copies = np.zeros((1, 2), dtype=np.int64)
        for _ in range(self.repeats):
            axis = int(rng.integers(0, 2)) if self.vertical else 1
            image, points, shift, offset = self._once(image, points, axis, rng)
            moved = np.concatenate([copies, copies], axis=0)
            # P_R keeps the copy in place, P_L moves it by S; the crop-back moves both by -offset.
            moved[: len(copies), 1 - axis] -= offset
            moved[len(copies) :, 1 - axis] += shift - offset
            copies = moved
        return image, points, copies

    def _once(
        self, image: np.ndarray, points: np.ndarray, axis: int, rng: np.random.Generator
    ) -> tuple[np.ndarray, np.ndarray, int, int]:
        extent = image.shape[axis]
        low, high = (int(round(f * extent)) for f in self.shift_range)
        shift = int(round(rng.integers(low, max(low, high) + 1) / self.stride)) * self.stride
        simulated = hdsm(image, shift, self.lam, axis)
        new_points = gtgm(points, shift, axis)
        offset = int(rng.integers(0, shift // self.stride + 1)) * self.stride
        index = [slice(None)] * simulated.ndim
        index[axis] = slice(offset, offset + extent)
        new_points[:, 1 - axis] -= offset
        return simulated[tuple(index)], new_points, shift, offset
