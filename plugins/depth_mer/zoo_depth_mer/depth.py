"""Depth maps → point clouds: reading 16-bit PNGs, face crop, back-projection, cleaning.

Zero depth is the sensor's "no measurement" and is always dropped. Coordinates are either the
face crop's pixel grid (``x = u, y = v, z = depth in mm``, the simple option the paper leaves
open) or metric camera coordinates when intrinsics ``(fx, fy, cx, cy)`` are given.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo.sdk import InputError


@dataclass(frozen=True)
class Cloud:
    """A back-projected depth map: ``points [M, 3]`` (float64) and their image ``pixels [M, 2]`` (u, v)."""

    points: np.ndarray
    pixels: np.ndarray

    def subset(self, keep: np.ndarray) -> "Cloud":
        return Cloud(self.points[keep], self.pixels[keep])

    def __len__(self) -> int:
        return len(self.points)


def read_depth(path: str | Path) -> np.ndarray:
    """Read a depth PNG unchanged (``cv2.IMREAD_UNCHANGED``): a 2-D ``uint16`` array, 0 = invalid.

    Raises:
        InputError: if the file is missing, unreadable (damaged) or not a single-channel 16-bit image.
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise InputError(f"Depth frame {path} does not exist.")
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # a damaged file is our error to report
    try:
        depth = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    finally:
        cv2.utils.logging.setLogLevel(level)
    if depth is None:
        raise InputError(f"Depth frame {path} could not be decoded (damaged or not an image).")
    if depth.ndim != 2 or depth.dtype != np.uint16:
        raise InputError(
            f"Depth frame {path} must be a single-channel 16-bit PNG, got shape {depth.shape} and "
            f"{depth.dtype}; a colour or 8-bit image is not a depth map."
        )
    return depth


def crop_box(depth: np.ndarray, box: tuple[int, int, int, int] | list[int] | None) -> tuple[int, int, int, int]:
    """Clip ``(x0, y0, x1, y1)`` to the image (``None``: the whole frame).

    Raises:
        InputError: if the box is empty after clipping.
    """
    height, width = depth.shape
    if box is None:
        return 0, 0, width, height
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        raise InputError(f"Face box {tuple(box)} does not overlap the {width}x{height} depth frame.")
    return x0, y0, x1, y1


def depth_to_cloud(
    depth: np.ndarray,
    box: tuple[int, int, int, int] | list[int] | None = None,
    intrinsics: tuple[float, float, float, float] | list[float] | None = None,
    depth_unit_mm: float = 1.0,
) -> Cloud:
    """Back-project the valid (non-zero) pixels of the face box.

    Args:
        depth: ``[H, W]`` raw depth values (integer, or float after :func:`smooth_depth`).
        box: face box ``(x0, y0, x1, y1)`` in pixels, or ``None`` for the whole frame.
        intrinsics: ``(fx, fy, cx, cy)`` in pixels for metric coordinates; ``None`` uses the pixel grid.
        depth_unit_mm: millimetres per raw depth unit.

    Returns:
        The cloud (mm for z; pixels or mm for x, y) with each point's image pixel.

    Raises:
        InputError: if the box is empty or holds no valid depth.
    """
    x0, y0, x1, y1 = crop_box(depth, box)
    patch = depth[y0:y1, x0:x1]
    v, u = np.nonzero(patch)
    if len(u) == 0:
        raise InputError(f"The face box {(x0, y0, x1, y1)} holds no valid (non-zero) depth.")
    u, v = u + x0, v + y0
    z = np.asarray(patch[v - y0, u - x0], dtype=np.float64) * depth_unit_mm
    if intrinsics is None:
        x, y = u.astype(np.float64), v.astype(np.float64)
    else:
        fx, fy, cx, cy = intrinsics
        x, y = (u - cx) * z / fx, (v - cy) * z / fy
    return Cloud(np.stack([x, y, z], axis=1), np.stack([u, v], axis=1))


def clean_cloud(cloud: Cloud, sigma: float | None = 3.0, window_mm: float | None = None) -> Cloud:
    """Drop depth outliers: outside ``mean ± sigma·std`` of z, and/or beyond ``window_mm`` of the median.

    The window removes background and hair far behind the face; the sigma rule removes flying
    pixels at depth edges. Either can be switched off with ``None``.

    Raises:
        InputError: if nothing survives the cleaning.
    """
    z = cloud.points[:, 2]
    keep = np.ones(len(z), dtype=bool)
    if window_mm is not None:
        keep &= np.abs(z - np.median(z)) <= window_mm
    if sigma is not None and keep.sum() > 1:
        mean, std = z[keep].mean(), z[keep].std()
        keep &= np.abs(z - mean) <= sigma * std + 1e-9
    if not keep.any():
        raise InputError("Depth cleaning removed every point; widen window_mm or sigma.")
    return cloud.subset(keep)


def smooth_depth(depth: np.ndarray, sigma_px: float) -> np.ndarray:
    """Gaussian smoothing of valid depth only (normalised convolution); invalid pixels stay 0.

    Sensor noise (~0.1 mm and more) is of the order of micro-expression motion; averaging over a
    few pixels keeps the millimetre-scale deformations and divides the per-pixel noise.

    Returns:
        float64 depth in the input's units.
    """
    import cv2

    valid = (depth > 0).astype(np.float64)
    blurred = cv2.GaussianBlur(depth.astype(np.float64) * valid, (0, 0), sigma_px)
    weight = cv2.GaussianBlur(valid, (0, 0), sigma_px)
    return np.where(valid > 0, blurred / np.maximum(weight, 1e-12), 0.0)
