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


#: What ``zoo l2hcount make-synth`` writes by default (the synthetic recipe's data).
DEFAULT_TRAIN, DEFAULT_TEST, DEFAULT_SEED = 200, 50, 0
GENERATOR = "zoo l2hcount make-synth"


def make_synthetic_shanghaitech(
    out: str | Path, train: int = DEFAULT_TRAIN, test: int = DEFAULT_TEST, seed: int = DEFAULT_SEED, part: str = "A",
    overwrite: bool = False,
) -> dict[str, list[int]]:
    """Write a synthetic ShanghaiTech-layout dataset: low-density train, high-density test.

    The folder is built aside and renamed at the end (a failed or killed run leaves nothing), and
    labelled synthetic (``SYNTHETIC.json``) so that every run on it says so.

    Args:
        out: folder to create; the data goes to ``<out>/part_<part>/``.
        train, test: number of images per split.
        seed: the generator's seed (same seed, same files).
        part: the part letter of the folder name.
        overwrite: replace an existing non-empty ``out``.

    Returns:
        ``{"train": counts, "test": counts}``.

    Raises:
        InputError: if a split size is negative, or ``out`` is a file or a non-empty folder
            (without ``overwrite``); nothing is written then.
    """
    from zoo.sdk import InputError, atomic_output_dir, write_synthetic_marker

    if train < 0 or test < 0 or train + test == 0:
        raise InputError(f"Split sizes must be >= 0 and not both 0, got train={train}, test={test}.")
    with atomic_output_dir(out, overwrite=overwrite) as work:
        base = work / f"part_{part}"
        counts = {
            "train": write_split(base, "train", train, LOW_DENSITY, seed),
            "test": write_split(base, "test", test, HIGH_DENSITY, seed + 1),
        }
        write_synthetic_marker(
            work, generator=GENERATOR, seed=seed, train=train, test=test, part=part,
            train_heads=[LOW_DENSITY.min_heads, LOW_DENSITY.max_heads],
            test_heads=[HIGH_DENSITY.min_heads, HIGH_DENSITY.max_heads],
        )
    return counts


#: The checkpoint's example input: a mid-density scene, between the two splits' ranges.
EXAMPLE_SPEC = SceneSpec(min_heads=90, max_heads=90)
EXAMPLE_SEED = 2024


def write_example(folder: str | Path, seed: int = EXAMPLE_SEED) -> list[Path]:
    """Write ``example.jpg`` (a synthetic crowd of 90 heads) and its heads, ``example.points.json``.

    The points file is NWPU's JSON form (``{"points": [[x, y], ...]}``, 0-based pixels), which
    the processor finds beside an image, so ``zoo predict NAME --example`` shows the true count.

    Returns:
        The two files written.
    """
    import json

    from PIL import Image

    folder = Path(folder)
    pixels, points = make_scene(np.random.default_rng(seed), EXAMPLE_SPEC)
    image, heads = folder / "example.jpg", folder / "example.points.json"
    Image.fromarray(pixels).save(image, quality=90)
    heads.write_text(json.dumps({"points": np.round(points, 2).tolist()}) + "\n", encoding="utf-8")
    return [image, heads]
