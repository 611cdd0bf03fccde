"""Whole-image inference with tiling for very large images (bounded memory, no seams in the count)."""

from __future__ import annotations

from typing import Any

import torch

from zoo_l2hcount.model import OUTPUT_STRIDE, PAD_MULTIPLE

#: Context kept around each tile and discarded from its output (a multiple of the pad multiple).
TILE_MARGIN = 64


def tiled_density(model: Any, image: torch.Tensor, tile_size: int, max_side: int) -> torch.Tensor:
    """Unscaled density ``[ceil(H/4), ceil(W/4)]`` of one ``[3, H, W]`` image.

    Images whose long side is at most ``max_side`` run in one pass. Larger ones are cut into
    ``tile_size`` tiles (multiples of 16) that each see ``TILE_MARGIN`` pixels of context on every
    side; only each tile's own region of the output is kept, so the tiles partition the density
    map and every pixel is counted exactly once.
    """
    h, w = image.shape[-2:]
    scale = model.config.density_scale
    if max(h, w) <= max_side:
        return model(image.unsqueeze(0)).density[0, 0] / scale
    step = max(PAD_MULTIPLE, tile_size - tile_size % PAD_MULTIPLE)
    out = image.new_zeros(-(-h // OUTPUT_STRIDE), -(-w // OUTPUT_STRIDE))
    for y0 in range(0, h, step):
        for x0 in range(0, w, step):
            top, left = max(0, y0 - TILE_MARGIN), max(0, x0 - TILE_MARGIN)
            bottom, right = min(h, y0 + step + TILE_MARGIN), min(w, x0 + step + TILE_MARGIN)
            dens = model(image[:, top:bottom, left:right].unsqueeze(0)).density[0, 0] / scale
            oy, ox = (y0 - top) // OUTPUT_STRIDE, (x0 - left) // OUTPUT_STRIDE
            th = -(-min(step, h - y0) // OUTPUT_STRIDE)
            tw = -(-min(step, w - x0) // OUTPUT_STRIDE)
            out[y0 // OUTPUT_STRIDE : y0 // OUTPUT_STRIDE + th, x0 // OUTPUT_STRIDE : x0 // OUTPUT_STRIDE + tw] = dens[
                oy : oy + th, ox : ox + tw
            ]
    return out
