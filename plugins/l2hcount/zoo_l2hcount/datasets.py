"""Crowd-counting datasets in their real on-disk layouts (ShanghaiTech, UCF-QNRF, JHU-Crowd++, NWPU).

Training items are random crops with a horizontal flip and, with probability ``simulate_prob``,
HDSM+GTGM (a simulated high-density crop, ``regime = 1``). Evaluation items are whole images.
Every item is ``{"image": [3,H,W] in [0,1], "density": [1,H/4,W/4], "count": float, "regime": int,
"size": [H, W]}``; ``collate`` zero-pads to the batch's largest image and ``size`` keeps each extent.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.errors import InputError
from zoo_l2hcount import points_io as ann
from zoo_l2hcount.images import read_rgb
from zoo_l2hcount.simulation import HighDensitySimulation
from zoo_l2hcount.transforms import density_target, hflip, random_crop, resize_long_side

OUTPUT_STRIDE = 4


class CrowdConfig(zoo.ComponentConfig):
    """Options shared by every crowd dataset."""

    root: str = Field(".", description="dataset folder (the real layout, see docs/methods/l2hcount.md)")
    split: str = "train"
    subset: Literal["all", "low", "high"] = Field(
        "all", description="keep images with count <= the split's median ('low') or above it ('high')"
    )
    training: bool | None = Field(None, description="random crops/flips/HDSM (default: split starts with 'train')")
    crop_size: int = Field(384, ge=16, multiple_of=OUTPUT_STRIDE)
    simulate: bool = Field(True, description="HDSM+GTGM on training crops (False: the ablation)")
    simulate_prob: float = Field(0.5, ge=0, le=1)
    shift_range: tuple[float, float] = (0.25, 0.75)
    simulate_lambda: float = Field(0.5, ge=0, le=1)
    simulate_vertical: bool = False
    simulate_repeats: int = Field(1, ge=1)
    kernel: Literal["fixed", "adaptive"] = "fixed"
    sigma: float = Field(4.0, gt=0)
    fallback_sigma: float = Field(15.0, gt=0)
    max_side: int | None = Field(None, ge=16, description="resize so the long side is at most this")
    flip: bool = True
    repeats: int = Field(1, ge=1, description="training: visit every image this many times per epoch")


class CrowdDataset(zoo.Dataset, abc.ABC):
    """Base of the crowd datasets: subclasses list ``(image, annotation)`` pairs and a point reader."""

    Config = CrowdConfig
    read_points: Callable[[Path], np.ndarray] = staticmethod(ann.read_shanghaitech_mat)

    def __init__(self, config: CrowdConfig | None = None) -> None:
        """Index the dataset (annotations are read now only for a density ``subset``).

        Raises:
            InputError: if the layout is not found under ``root`` or holds no annotated image.
        """
        super().__init__(config)
        cfg = self.config
        self.samples = self.list_samples()
        if not self.samples:
            raise InputError(f"{type(self).__name__}: no annotated images found under {cfg.root!r} (split {cfg.split!r}).")
        if cfg.subset != "all":
            self.samples = self._density_subset(cfg.subset)
        self.training = cfg.training if cfg.training is not None else cfg.split.lower().startswith("train")
        self.simulation = HighDensitySimulation(
            tuple(cfg.shift_range), cfg.simulate_lambda, OUTPUT_STRIDE, cfg.simulate_vertical, cfg.simulate_repeats
        )

    @abc.abstractmethod
    def list_samples(self) -> list[tuple[Path, Path]]:
        """``(image path, annotation path)`` pairs in natural order, read from the real layout."""

    def counts(self) -> list[int]:
        """The annotated head count of every image (reads the annotations only)."""
        return [len(self.read_points(a)) for _, a in self.samples]

    def _density_subset(self, subset: str) -> list[tuple[Path, Path]]:
        from zoo.protocols import density_split

        low, high = density_split(self.counts())
        return [self.samples[i] for i in (low if subset == "low" else high)]

    def __len__(self) -> int:
        return len(self.samples) * (self.config.repeats if self.training else 1)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The image ``[H, W, 3]`` in [0, 1] and its 0-based points (resized to ``max_side``)."""
        image_path, ann_path = self.samples[index]
        return resize_long_side(read_rgb(image_path), self.read_points(ann_path), self.config.max_side)

    def __getitem__(self, index: int) -> dict[str, Any]:
        """One item: a random (possibly simulated) crop in training, the whole image otherwise.

        Raises:
            InputError: if the image or its annotation cannot be read.
        """
        cfg = self.config
        image, points = self.load(index % len(self.samples))
        regime = 0
        if self.training:
            # Seeded from torch's RNG, which the engine seeds (and which differs per worker).
            rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
            image, points = random_crop(image, points, cfg.crop_size, rng)
            if cfg.flip and rng.random() < 0.5:
                image, points = hflip(image, points)
            if cfg.simulate and rng.random() < cfg.simulate_prob:
                image, points = self.simulation(image, points, rng)
                regime = 1
        h, w = image.shape[:2]
        density, count = density_target(points, h, w, OUTPUT_STRIDE, cfg.kernel, cfg.sigma, cfg.fallback_sigma)
        return {
            "image": torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1), dtype=np.float32)),
            "density": torch.from_numpy(density)[None],
            "count": torch.tensor(float(count)),
            "regime": torch.tensor(regime, dtype=torch.long),
            "size": torch.tensor([h, w], dtype=torch.long),  # the image's extent before batch padding
        }

    def collate(self, items: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        """Stack items, zero-padding images and densities to the largest size in the batch."""
        h = max(i["image"].shape[1] for i in items)
        w = max(i["image"].shape[2] for i in items)
        h, w = h + (-h % OUTPUT_STRIDE), w + (-w % OUTPUT_STRIDE)
        images = [F.pad(i["image"], (0, w - i["image"].shape[2], 0, h - i["image"].shape[1])) for i in items]
        dh, dw = h // OUTPUT_STRIDE, w // OUTPUT_STRIDE
        dens = [F.pad(i["density"], (0, dw - i["density"].shape[2], 0, dh - i["density"].shape[1])) for i in items]
        return {
            "image": torch.stack(images),
            "density": torch.stack(dens),
            "count": torch.stack([i["count"] for i in items]),
            "regime": torch.stack([i["regime"] for i in items]),
            "size": torch.stack([i["size"] for i in items]),
        }


def natural_sorted(paths: list[Path]) -> list[Path]:
    """Sort paths so that ``IMG_2`` comes before ``IMG_10``."""
    return sorted(paths, key=lambda p: [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", p.name)])


def require_dir(path: Path, what: str) -> Path:
    """Return ``path`` if it is a folder.

    Raises:
        InputError: naming the folder that was expected and where the layout is described.
    """
    if not path.is_dir():
        raise InputError(f"{path} does not exist; expected {what}. See docs/methods/l2hcount.md for the layout.")
    return path
