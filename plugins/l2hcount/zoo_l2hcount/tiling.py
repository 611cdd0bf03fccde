"""Whole-image inference in tiles for very large images (bounded memory, no seams in the count).

The module knows nothing of the model: the caller passes a function that maps one tile to its
density map, so the model imports this module and not the other way round.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import torch

#: Context kept around each tile and discarded from its output (a multiple of the pad multiple).
TILE_MARGIN = 64

#: ``(tiles done, tiles in all)`` after each tile.
TileProgress = Callable[[int, int], None]


def tile_grid(height: int, width: int, tile_size: int, multiple: int) -> list[tuple[int, int, int]]:
    """The tiles' ``(top, left, step)``: a grid of ``step × step`` squares covering the image.

    ``step`` is ``tile_size`` rounded down to ``multiple`` (the encoder's coarsest stride), so
    every tile starts on the density grid.
    """
    step = max(multiple, tile_size - tile_size % multiple)
    return [(y0, x0, step) for y0 in range(0, height, step) for x0 in range(0, width, step)]


def tiled_density(
    image: torch.Tensor,
    density_of: Callable[[torch.Tensor], torch.Tensor],
    tile_size: int,
    stride: int,
    multiple: int,
    progress: TileProgress | None = None,
) -> torch.Tensor:
    """Density ``[ceil(H/stride), ceil(W/stride)]`` of one ``[3, H, W]`` image, tile by tile.

    Each ``tile_size`` tile sees ``TILE_MARGIN`` pixels of context on every side; only the tile's
    own region of its output is kept, so the tiles partition the density map and every pixel is
    counted exactly once. Peak memory is one tile's forward pass plus the output map: the image
    itself may stay ``uint8`` (``density_of`` converts each tile).

    Args:
        image: ``[3, H, W]`` (any dtype ``density_of`` accepts).
        density_of: maps a ``[3, h, w]`` tile to its ``[ceil(h/stride), ceil(w/stride)]`` density.
        tile_size: the tile side (rounded down to ``multiple``).
        stride: the density map's stride.
        multiple: the encoder's coarsest stride (tiles start on its grid).
        progress: called after every tile with ``(done, total)``.
    """
    h, w = image.shape[-2:]
    grid = tile_grid(h, w, tile_size, multiple)
    out = torch.zeros(-(-h // stride), -(-w // stride), dtype=torch.float32)
    for done, (dens, (y0, x0, th, tw)) in enumerate(_tiles(image, density_of, grid, stride), start=1):
        out[y0 // stride : y0 // stride + th, x0 // stride : x0 // stride + tw] = dens
        if progress is not None:
            progress(done, len(grid))
    return out


def _tiles(
    image: torch.Tensor, density_of: Callable[[torch.Tensor], torch.Tensor], grid: list[tuple[int, int, int]], stride: int
) -> Iterator[tuple[torch.Tensor, tuple[int, int, int, int]]]:
    """Each tile's own part of its density and where it goes (top, left, rows, columns)."""
    h, w = image.shape[-2:]
    for y0, x0, step in grid:
        top, left = max(0, y0 - TILE_MARGIN), max(0, x0 - TILE_MARGIN)
        bottom, right = min(h, y0 + step + TILE_MARGIN), min(w, x0 + step + TILE_MARGIN)
        dens = density_of(image[:, top:bottom, left:right]).float().cpu()
        oy, ox = (y0 - top) // stride, (x0 - left) // stride
        th, tw = -(-min(step, h - y0) // stride), -(-min(step, w - x0) // stride)
        yield dens[oy : oy + th, ox : ox + tw], (y0, x0, th, tw)
