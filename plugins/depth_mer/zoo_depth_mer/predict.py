"""The Depth-MER picture: onset and apex depth, the cloud coloured by motion, the predicted class.

Four panels side by side: the onset and the apex depth maps (cropped to the face; pixels without
depth left blank), the sampled onset points at their image position coloured by the magnitude of
their onset→apex motion (after alignment, in the cloud's units: mm of depth on the pixel grid),
and the class probabilities with the predicted class highlighted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from zoo.sdk import agg_pyplot, save_picture


def _crop(depth: np.ndarray, box: list[int] | None) -> tuple[np.ndarray, tuple[int, int]]:
    """The face region of a depth map as float with NaN for no depth, and its top-left corner."""
    if box is not None:
        x0, y0, x1, y1 = (max(0, int(v)) for v in box)
    else:
        rows, cols = np.nonzero(depth)
        if len(rows) == 0:
            return np.full(depth.shape, np.nan), (0, 0)
        y0, y1, x0, x1 = rows.min(), rows.max() + 1, cols.min(), cols.max() + 1
    patch = depth[y0:y1, x0:x1].astype(np.float64)
    patch[patch == 0] = np.nan
    return patch, (x0, y0)


def render_prediction(item: Any, outputs: dict[str, Any], path: Path) -> Path:
    """Draw ``item`` (a :class:`~zoo_depth_mer.processor.DepthPair`) with its prediction into ``path``.

    Raises:
        MissingDependencyError: without matplotlib.
        OSError: if the picture cannot be written.
    """
    plt = agg_pyplot()
    fig = plt.figure(figsize=(17, 4.6), layout="constrained")
    grid = fig.add_gridspec(1, 4, width_ratios=[1, 1, 1.25, 0.8])
    onset, corner = _crop(item.onset, item.box)
    apex, _ = _crop(item.apex, item.box)
    valid = np.concatenate([onset[np.isfinite(onset)], apex[np.isfinite(apex)]])
    low, high = (np.percentile(valid, [2, 98]) if valid.size else (0.0, 1.0))
    extent = (corner[0], corner[0] + onset.shape[1], corner[1] + onset.shape[0], corner[1])
    for column, (title, depth) in enumerate((("onset depth", onset), ("apex depth", apex))):
        ax = fig.add_subplot(grid[0, column])
        shown = ax.imshow(depth, cmap="gray_r", vmin=low, vmax=high, extent=extent)
        ax.set_title(title)
        ax.set_xlabel("u (px)")
        ax.set_ylabel("v (px)")
        fig.colorbar(shown, ax=ax, shrink=0.85, label="depth (raw; blank: none)")
    _motion_panel(fig, fig.add_subplot(grid[0, 2]), item)
    _probability_panel(fig.add_subplot(grid[0, 3]), outputs)
    best = outputs["probabilities"][outputs["class"]]
    name = Path(item.name).name if isinstance(item.name, str) and "/" in item.name else item.name
    fig.suptitle(f"{name}: predicted {outputs['class']} ({best:.0%})", fontsize=14)
    return save_picture(fig, path)


def _motion_panel(fig: Any, ax: Any, item: Any) -> None:
    xyz, motion = item.motion.onset_xyz, item.motion.motion
    magnitude = np.linalg.norm(motion, axis=1)
    order = np.argsort(magnitude)  # the strongest motion drawn last, on top
    top = float(np.percentile(magnitude, 95)) or 1.0  # the rim's few flying pixels would wash the scale out
    shown = ax.scatter(xyz[order, 0], xyz[order, 1], c=magnitude[order], s=14, cmap="inferno", vmin=0, vmax=top,
                       edgecolors="none")
    # x, y are the image's u, v on the pixel grid (metric with intrinsics): image orientation, y down
    pad = 0.03 * max(float(np.ptp(xyz[:, 0])), float(np.ptp(xyz[:, 1])), 1e-9)
    ax.set_xlim(xyz[:, 0].min() - pad, xyz[:, 0].max() + pad)
    ax.set_ylim(xyz[:, 1].max() + pad, xyz[:, 1].min() - pad)
    ax.set_aspect("equal")
    ax.set_facecolor("#dddddd")
    ax.set_title(f"onset → apex motion, {len(xyz)} points")
    ax.set_xlabel("u (px)")
    fig.colorbar(shown, ax=ax, shrink=0.85, label="|Δ| after alignment (mm of depth)")


def _probability_panel(ax: Any, outputs: dict[str, Any]) -> None:
    names = list(outputs["probabilities"])
    values = [outputs["probabilities"][n] for n in names]
    colours = ["#d62728" if n == outputs["class"] else "#9ecae1" for n in names]
    ax.barh(range(len(names)), values, color=colours)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("probability")
    ax.set_title("class probabilities")
    for row, value in enumerate(values):
        ax.text(min(value + 0.02, 0.8), row, f"{value:.2f}", va="center", fontsize=9)
