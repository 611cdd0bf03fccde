"""Seeded synthetic crowd scenes written in the ShanghaiTech layout (``.jpg`` + ``GT_IMG_<n>.mat``).

Scenes are drawn far-to-near: head-like blobs (skin ellipse, dark hair cap, a torso below) whose
size grows with the image row (perspective), nearer people occluding farther ones, over a
gradient background with clutter (boxes, poles, round non-head blobs) and sensor noise. The train
split is low density, the test split high density: the L2HCount setting, on synthetic data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zoo_l2hcount.points_io import write_shanghaitech_mat


@dataclass(frozen=True)
class SceneSpec:
    """Size and crowd range of one split of synthetic scenes."""

    width: int = 320
    height: int = 240
    min_heads: int = 10
    max_heads: int = 60
    head_radius: tuple[float, float] = (2.5, 9.0)  # at the top row and at the bottom row
    horizon: float = 0.15  # fraction of the height above which there are no people


LOW_DENSITY = SceneSpec(min_heads=10, max_heads=60)
HIGH_DENSITY = SceneSpec(min_heads=120, max_heads=360)


def _colour(rng: np.random.Generator, low: int = 0, high: int = 256) -> tuple[int, int, int]:
    return tuple(int(v) for v in rng.integers(low, high, size=3))


def _background(rng: np.random.Generator, spec: SceneSpec):
    from PIL import Image, ImageDraw

    top, bottom = np.array(_colour(rng, 90, 220)), np.array(_colour(rng, 40, 160))
    ramp = np.linspace(0, 1, spec.height)[:, None, None]
    pixels = (top * (1 - ramp) + bottom * ramp).repeat(spec.width, axis=1)
    image = Image.fromarray(pixels.astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(4, 10))):  # clutter: boxes, poles and round non-head blobs
        x, y = rng.integers(0, spec.width), rng.integers(0, spec.height)
        kind = rng.integers(0, 3)
        if kind == 0:
            draw.rectangle([x, y, x + rng.integers(10, 60), y + rng.integers(10, 50)], fill=_colour(rng))
        elif kind == 1:
            draw.line([x, y, x + rng.integers(-5, 6), y + rng.integers(20, 80)], fill=_colour(rng), width=int(rng.integers(1, 4)))
        else:
            r = int(rng.integers(3, 10))
            draw.ellipse([x - r, y - r, x + r, y + r], fill=_colour(rng, 0, 120) if rng.random() < 0.5 else (40, 140, 60))
    return image


def _draw_person(draw, x: float, y: float, r: float, rng: np.random.Generator) -> None:
    """A torso below the head, the head (skin), and a hair cap on its upper half."""
    draw.ellipse([x - 1.6 * r, y + 0.7 * r, x + 1.6 * r, y + 4.5 * r], fill=_colour(rng, 20, 230))
    skin = tuple(int(v) for v in np.array([200, 160, 130]) * rng.uniform(0.55, 1.1))
    draw.ellipse([x - r, y - 1.15 * r, x + r, y + 1.15 * r], fill=skin)
    hair = _colour(rng, 10, 70)
    draw.chord([x - r, y - 1.2 * r, x + r, y + 0.9 * r], start=180, end=360, fill=hair)


def make_scene(rng: np.random.Generator, spec: SceneSpec) -> tuple[np.ndarray, np.ndarray]:
    """One scene: ``[H, W, 3]`` uint8 image and ``[N, 2]`` 0-based head centres inside it."""
    from PIL import ImageDraw, ImageFilter

    image = _background(rng, spec)
    draw = ImageDraw.Draw(image)
    n = int(rng.integers(spec.min_heads, spec.max_heads + 1))
    y_top = spec.horizon * spec.height
    ys = np.sort(rng.uniform(y_top, spec.height - 1, size=n))  # far (top) first: near heads occlude
    xs = rng.uniform(0, spec.width - 1, size=n)
    r_top, r_bottom = spec.head_radius
    for x, y in zip(xs, ys):
        radius = r_top + (r_bottom - r_top) * (y - y_top) / (spec.height - y_top)
        _draw_person(draw, x, y, radius * rng.uniform(0.85, 1.15), rng)
    image = image.filter(ImageFilter.GaussianBlur(radius=float(rng.uniform(0.3, 0.9))))
    pixels = np.asarray(image, dtype=np.float32) + rng.normal(0, 4.0, size=(spec.height, spec.width, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8), np.stack([xs, ys], axis=1)


def write_split(out: Path, split: str, count: int, spec: SceneSpec, seed: int) -> list[int]:
    """Write ``count`` scenes as ``<out>/<split>_data/images/IMG_<n>.jpg`` + ``ground-truth/GT_IMG_<n>.mat``.

    Returns:
        The head count of each written image.
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    images, truth = out / f"{split}_data" / "images", out / f"{split}_data" / "ground-truth"
    images.mkdir(parents=True, exist_ok=True)
    truth.mkdir(parents=True, exist_ok=True)
    counts = []
    for index in range(1, count + 1):
        pixels, points = make_scene(rng, spec)
        Image.fromarray(pixels).save(images / f"IMG_{index}.jpg", quality=92)
        write_shanghaitech_mat(truth / f"GT_IMG_{index}.mat", points)
        counts.append(len(points))
    return counts


def make_synthetic_shanghaitech(
    out: str | Path, train: int = 120, test: int = 40, seed: int = 0, part: str = "A"
) -> dict[str, list[int]]:
    """Write a synthetic ShanghaiTech-layout dataset: low-density train, high-density test.

    Args:
        out: folder to create; the data goes to ``<out>/part_<part>/``.
        train, test: number of images per split.
        seed: the generator's seed (same seed, same files).
        part: the part letter of the folder name.

    Returns:
        ``{"train": counts, "test": counts}``.

    Raises:
        ValueError: if a split size is negative.
    """
    if train < 0 or test < 0:
        raise ValueError(f"Split sizes must be >= 0, got train={train}, test={test}.")
    base = Path(out) / f"part_{part}"
    return {
        "train": write_split(base, "train", train, LOW_DENSITY, seed),
        "test": write_split(base, "test", test, HIGH_DENSITY, seed + 1),
    }


#: The embedded demo scene (``samples/crowd_synth.jpg``): mid density, between the two splits.
SAMPLE_SPEC = SceneSpec(min_heads=90, max_heads=90)
SAMPLE_SEED = 2024


def write_sample_image(path: str | Path, seed: int = SAMPLE_SEED) -> int:
    """Write the embedded demo scene (a synthetic crowd of 90 heads); returns its head count."""
    from PIL import Image

    pixels, points = make_scene(np.random.default_rng(seed), SAMPLE_SPEC)
    Image.fromarray(pixels).save(path, quality=90)
    return len(points)
