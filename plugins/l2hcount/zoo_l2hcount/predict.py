"""``zoo predict l2hcount-*``: count each image and write a density overlay PNG."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_l2hcount.images import read_rgb

#: Weight of the density colours in the overlay (the rest is the image, slightly darkened).
_OVERLAY_ALPHA = 0.55


def colourise(density: np.ndarray) -> np.ndarray:
    """Map a density (any range) to ``[H, W, 3]`` uint8 colours (dark blue → cyan → yellow → red)."""
    peak = float(density.max())
    t = np.clip(density / peak, 0.0, 1.0) if peak > 0 else np.zeros_like(density)
    red = np.clip(1.5 - np.abs(4 * t - 3), 0, 1)
    green = np.clip(1.5 - np.abs(4 * t - 2), 0, 1)
    blue = np.clip(1.5 - np.abs(4 * t - 1), 0, 1)
    return (np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8)


def overlay(image: np.ndarray, density: np.ndarray) -> np.ndarray:
    """Blend the colourised density (upsampled to the image) over ``image`` ``[H, W, 3]`` in [0, 1]."""
    from PIL import Image

    h, w = image.shape[:2]
    colours = Image.fromarray(colourise(density)).resize((w, h), Image.BILINEAR)
    level = (np.clip(density / max(float(density.max()), 1e-12), 0, 1) * 255).astype(np.uint8)
    weight = np.asarray(Image.fromarray(level).resize((w, h), Image.BILINEAR), dtype=np.float32)[..., None] / 255.0
    alpha = _OVERLAY_ALPHA * np.sqrt(weight)  # faint density stays visible, background stays the image
    blended = (1 - alpha) * image * 255.0 * 0.85 + alpha * np.asarray(colours, dtype=np.float32)
    return np.clip(blended + 0.5, 0, 255).astype(np.uint8)


def predict_files(model: Any, inputs: list[str], output_dir: str | None = None) -> dict[str, Any]:
    """Count the crowd of each image and write ``<stem>_density.png`` overlays.

    Args:
        model: an L2HCount model (any device; it is put in eval mode).
        inputs: image paths (8-bit RGB or grayscale, any size).
        output_dir: where the overlays go (created); default: the current folder.

    Returns:
        ``{"results": [{"input", "count", "width", "height", "overlay"}]}``.

    Raises:
        zoo.errors.InputError: for a missing, empty or non-image file or an unsupported bit depth
            (raised before anything is written).
    """
    from PIL import Image

    images = [(path, read_rgb(path)) for path in inputs]  # validate every input first
    out = Path(output_dir) if output_dir else Path.cwd()
    out.mkdir(parents=True, exist_ok=True)
    model.eval()
    device = next(model.parameters()).device
    results = []
    for path, rgb in images:
        tensor = torch.from_numpy(np.ascontiguousarray(rgb.transpose(2, 0, 1))).to(device)
        density = model.density_map(tensor).float().cpu().numpy()
        target = out / f"{Path(path).stem}_density.png"
        Image.fromarray(overlay(rgb, density)).save(target)
        results.append({
            "input": str(path), "count": round(float(density.sum()), 2),
            "width": int(rgb.shape[1]), "height": int(rgb.shape[0]), "overlay": str(target),
        })
    return {"results": results}
