"""The model side of ``zoo.predict``: one batched forward per batch, and the picture of a prediction.

The picture (``<stem>_density.png``): the input on the left (with the annotated heads when they
are known), the predicted density on the right with a colour bar (heads per 4×4-pixel cell), the
predicted count — and the true count and the error when annotations are given — in the title.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from zoo_l2hcount.processor import CrowdItem
from zoo_l2hcount.tiling import tile_grid, tiled_density

#: The picture shows images at most this many pixels on their long side (big inputs are subsampled).
DISPLAY_SIDE = 1200
#: ... and density maps at most this many cells on their long side (big maps are sum-pooled).
DISPLAY_CELLS = 240


def predict_step(model: Any, batch: dict[str, Any]) -> list[dict[str, Any]]:
    """Count every item of a ``CrowdProcessor`` batch: one forward for the stacked images, tiles
    (with a progress bar on a terminal) for the images longer than ``max_side``.

    Returns:
        ``{"count", "width", "height", "tiles"}`` per item, plus ``"true_count"``, ``"error"`` and
        ``"annotation"`` when the item's heads are known.
    """
    from zoo_l2hcount.model import OUTPUT_STRIDE, PAD_MULTIPLE

    cfg = model.config
    items: list[CrowdItem] = batch["items"]
    stacked = iter(range(len(items)))
    densities = None
    if batch["pixel_values"] is not None:
        densities = model(batch["pixel_values"]).density[:, 0].float() / cfg.density_scale
    outputs = []
    for item in items:
        tiles = 1
        if max(item.height, item.width) > cfg.max_side:
            tiles = len(tile_grid(item.height, item.width, cfg.tile_size, PAD_MULTIPLE))
            with _tile_progress(tiles) as progress:
                density = tiled_density(item.image, model.tile_density, cfg.tile_size, OUTPUT_STRIDE, PAD_MULTIPLE, progress)
        else:
            row = next(stacked)
            density = densities[row, : -(-item.height // OUTPUT_STRIDE), : -(-item.width // OUTPUT_STRIDE)]
        item.density = density.cpu().numpy()
        outputs.append(_outputs(item, tiles))
    return outputs


def _outputs(item: CrowdItem, tiles: int) -> dict[str, Any]:
    count = float(item.density.sum(dtype=np.float64))
    out: dict[str, Any] = {"count": round(count, 2), "width": item.width, "height": item.height, "tiles": tiles}
    if item.points is not None:
        out.update(true_count=len(item.points), error=round(count - len(item.points), 2), annotation=item.annotation)
    return out


@contextmanager
def _tile_progress(total: int) -> Iterator[Callable[[int, int], None] | None]:
    """A rich progress bar over the tiles of one image, on a terminal and for more than one tile."""
    if total <= 1 or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(f"tiles of a large image ({total})", total=total)
        yield lambda done, _total: bar.update(task, completed=done)


def render(item: CrowdItem, outputs: dict[str, Any], out_dir: Path, stem: str) -> list[Path]:
    """Draw ``<stem>_density.png``: input | density with a colour bar, counts in the title.

    A large density map is sum-pooled for display (at most :data:`DISPLAY_CELLS` cells on its long
    side), so every colour is a count of heads per displayed cell and the colour bar says how big
    a cell is.

    Returns:
        The path of the picture.
    """
    from mpl_toolkits.axes_grid1 import make_axes_locatable

    from zoo.sdk import agg_pyplot, save_picture

    plt = agg_pyplot()
    step = max(1, -(-max(item.height, item.width) // DISPLAY_SIDE))
    image = item.image[:, ::step, ::step].permute(1, 2, 0).numpy()
    pool = max(1, -(-max(item.density.shape) // DISPLAY_CELLS))
    density = _sum_pool(item.density, pool)
    extent = (-0.5, item.width - 0.5, item.height - 0.5, -0.5)  # both panels in input pixels
    aspect = item.height / item.width
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, max(2.6, 5.0 * aspect) + 0.9), gridspec_kw={"wspace": 0.08})
    left.imshow(image, extent=extent, interpolation="antialiased")
    left.set_title("input" + ("" if item.points is None else f" with the {len(item.points)} annotated heads"))
    if item.points is not None and len(item.points):
        size = max(2.0, 12.0 * min(1.0, 400 / len(item.points)))
        left.scatter(item.points[:, 0], item.points[:, 1], s=size, c="#39ff14", marker="+", linewidths=0.7)
    shown = right.imshow(density, cmap="magma", extent=extent, interpolation="bilinear", vmin=0)
    right.set_title("predicted density")
    cell = 4 * pool
    bar = fig.colorbar(shown, cax=make_axes_locatable(right).append_axes("right", size="3%", pad=0.06))
    make_axes_locatable(left).append_axes("right", size="3%", pad=0.06).set_axis_off()  # equal panel sizes
    bar.set_label(f"heads per {cell}×{cell}-pixel cell")
    for axis in (left, right):
        axis.set_xticks([])
        axis.set_yticks([])
    fig.suptitle(_title(outputs), fontsize=14)
    return [save_picture(fig, Path(out_dir) / f"{stem}_density.png", dpi=110)]


def _sum_pool(density: np.ndarray, factor: int) -> np.ndarray:
    if factor == 1:
        return density
    h, w = density.shape
    padded = np.pad(density, ((0, -h % factor), (0, -w % factor)))
    return padded.reshape(padded.shape[0] // factor, factor, padded.shape[1] // factor, factor).sum(axis=(1, 3))


def _title(outputs: dict[str, Any]) -> str:
    title = f"predicted count {outputs['count']:.1f}"
    if "true_count" in outputs:
        title += f"   ·   true count {outputs['true_count']}   (error {outputs['error']:+.1f})"
    return title
