"""Geometric transforms that move an image and its head points together, and target building."""

from __future__ import annotations

import numpy as np

from zoo_l2hcount.density import count_inside, density_map, sum_pool


def resize_long_side(image: np.ndarray, points: np.ndarray, max_side: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Shrink ``image`` so its long side is at most ``max_side`` (points follow; no upscaling)."""
    h, w = image.shape[:2]
    if max_side is None or max(h, w) <= max_side:
        return image, points
    from PIL import Image

    scale = max_side / max(h, w)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    pil = Image.fromarray(np.clip(image * 255.0 + 0.5, 0, 255).astype(np.uint8))
    resized = np.asarray(pil.resize((new_w, new_h), Image.BILINEAR), dtype=np.float32) / 255.0
    sx, sy = new_w / w, new_h / h
    # Pixel centres sit at integers: the continuous position is p + 0.5 before scaling.
    moved = (np.asarray(points, dtype=np.float64).reshape(-1, 2) + 0.5) * (sx, sy) - 0.5
    return resized, moved


def random_crop(
    image: np.ndarray, points: np.ndarray, size: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """A ``size × size`` crop at a random position (zero-padded first if the image is smaller)."""
    h, w = image.shape[:2]
    ph, pw = max(0, size - h), max(0, size - w)
    if ph or pw:
        image = np.pad(image, ((0, ph), (0, pw), (0, 0)))
        h, w = image.shape[:2]
    top = int(rng.integers(0, h - size + 1))
    left = int(rng.integers(0, w - size + 1))
    crop = image[top : top + size, left : left + size]
    return crop, np.asarray(points, dtype=np.float64).reshape(-1, 2) - (left, top)


def hflip(image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mirror left-right; a head at pixel ``x`` moves to ``W - 1 - x``."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2).copy()
    pts[:, 0] = image.shape[1] - 1 - pts[:, 0]
    return image[:, ::-1].copy(), pts


def density_target(
    points: np.ndarray,
    height: int,
    width: int,
    stride: int,
    kernel: str,
    sigma: float,
    fallback_sigma: float,
    min_sigma: float | None = None,
) -> tuple[np.ndarray, int]:
    """The stride-``stride`` density (sum-pooled from full resolution) and the exact head count."""
    full = density_map(points, height, width, kernel, sigma, fallback_sigma, dtype=np.float64, min_sigma=min_sigma)  # type: ignore[arg-type]
    return sum_pool(full, stride).astype(np.float32), count_inside(points, height, width)
