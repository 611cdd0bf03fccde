"""The picture of one CMIP-CIL prediction: the input's rendered views, its point cloud, the top-k.

Left, the 10 fixed views the model is trained on (the input mesh ray-cast as in training, or, for a
point-cloud input, its points splatted from the same cameras); right, the test point cloud the
model classified (coloured by height) and a bar chart of the top-k class probabilities, the
predicted class highlighted and named in the title.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

#: Size of each rendered view in the picture (the model itself may use smaller renders).
VIEW_PX = 128


def rendered_views(item: dict[str, Any], size: int = VIEW_PX) -> tuple[np.ndarray, str]:
    """The 10 views of an item and how they were made (``"mesh"`` or ``"points"``)."""
    from zoo_cmip_cil.render import MultiViewRenderer, RenderConfig

    renderer = MultiViewRenderer(RenderConfig(image_size=size))
    mesh = item.get("mesh")
    if mesh is not None:
        return renderer.render(mesh), "mesh"
    return renderer.render_points(np.asarray(item["points"])), "points"


def draw_prediction(item: dict[str, Any], outputs: dict[str, Any], path: Path) -> Path:
    """Write the picture of one prediction to ``path`` (PNG) and return it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo_cmip_cil.render import VIEWS

    views, how = rendered_views(item)
    fig = plt.figure(figsize=(13, 5.2), dpi=100)
    grid = fig.add_gridspec(2, 8, width_ratios=[1] * 5 + [0.15, 2.2, 2.2], wspace=0.05, hspace=0.15)
    for i, (view, (elevation, azimuth)) in enumerate(zip(views, VIEWS)):
        ax = fig.add_subplot(grid[i // 5, i % 5])
        ax.imshow(view)
        ax.set_title(f"elev {elevation:g}°, azim {azimuth:g}°", fontsize=7)
        ax.set_axis_off()
    fig.text(0.27, 0.02, f"the 10 fixed views ({'ray-cast input mesh' if how == 'mesh' else 'input points splatted'})",
             ha="center", fontsize=9)
    _draw_cloud(fig.add_subplot(grid[:, 6], projection="3d"), np.asarray(item["points"]))
    _draw_top_k(fig.add_subplot(grid[:, 7]), outputs)
    fig.suptitle(f"predicted: {outputs['label']}  (p = {outputs['probability']:.2f})", fontsize=14, y=0.98)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    plt.close(fig)
    return path


def _draw_cloud(ax: Any, points: np.ndarray) -> None:
    # The model's frame is y-up: show y as matplotlib's vertical axis.
    x, y, z = points[:, 0], points[:, 1], points[:, 2]
    ax.scatter(x, z, y, c=y, cmap="viridis", s=4, depthshade=False)
    ax.set_box_aspect((1, 1, 1))
    for setter in (ax.set_xlim, ax.set_ylim, ax.set_zlim):
        setter(-0.5, 0.5)
    ax.set_xticks([]), ax.set_yticks([]), ax.set_zticks([])
    ax.set_title(f"test point cloud ({len(points)} points)", fontsize=10)


def _draw_top_k(ax: Any, outputs: dict[str, Any]) -> None:
    ranked = outputs["top_k"][::-1]  # best at the top
    labels = [r["label"] for r in ranked]
    values = [100 * r["probability"] for r in ranked]
    colours = ["tab:orange" if r["label"] == outputs["label"] else "tab:blue" for r in ranked]
    ax.barh(range(len(ranked)), values, color=colours)
    ax.set_yticks(range(len(ranked)), labels)
    ax.yaxis.tick_right()
    ax.set_xlim(0, 100)
    ax.set_xlabel("probability (%)")
    ax.set_title(f"top-{len(ranked)}", fontsize=10)
    for i, value in enumerate(values):
        ax.text(min(value + 1, 80), i, f"{value:.1f}", va="center", fontsize=8)
