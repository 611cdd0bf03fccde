"""What every crowd dataset shares: validated indexing and the training/evaluation item pipeline.

Indexing reads every annotation and every image header once (no pixels are decoded), so a bad
record is found when the dataset is built, not in the middle of training: an image without its
annotation file, an unreadable image or annotation, a NaN head position is skipped; heads outside
their image are dropped (the image is kept). All of it is reported in ONE ``DataWarning`` with a
count per reason (``strict=True``: an ``InputError`` at the first bad record instead), and kept as
the dataset's ``report``.

Training items are random crops with a horizontal flip and, with probability ``simulate_prob``,
HDSM+GTGM (a simulated high-density crop, ``regime = 1``). Evaluation items are whole images.
Every item is ``{"image": [3,H,W] in [0,1], "density": [1,H/4,W/4], "count": float, "regime": int,
"size": [H, W]}`` (plus ``original``, ``original_density`` and ``copies`` with ``keep_original``,
for HFEM's feature consistency); ``collate`` zero-pads to the batch's largest image and ``size``
keeps each extent.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Literal

import numpy as np
import torch
import torch.nn.functional as F
from pydantic import Field

import zoo
from zoo.sdk import InputError, SkippedRecords
from zoo_l2hcount import points_io as ann
from zoo_l2hcount.images import image_size, read_rgb
from zoo_l2hcount.simulation import HighDensitySimulation
from zoo_l2hcount.transforms import density_target, hflip, random_crop, resize_long_side

OUTPUT_STRIDE = 4


class CrowdConfig(zoo.ComponentConfig):
    """Options shared by every crowd dataset."""

    root: str = Field(".", description="dataset folder (the real layout, see docs/methods/l2hcount.md)")
    split: str = "train"
    strict: bool = Field(False, description="raise at the first bad record instead of skipping and reporting it")
    subset: Literal["all", "low", "high"] = Field(
        "all", description="keep images with count <= the split's median ('low') or above it ('high')"
    )
    training: bool | None = Field(None, description="random crops/flips/HDSM (default: split starts with 'train')")
    crop_size: int = Field(384, ge=16, multiple_of=OUTPUT_STRIDE, description="training crop side")
    simulate: bool = Field(True, description="HDSM+GTGM on training crops (False: the ablation)")
    simulate_prob: float = Field(0.5, ge=0, le=1)
    shift_range: tuple[float, float] = (0.25, 0.75)
    simulate_lambda: float = Field(0.5, ge=0, le=1)
    simulate_vertical: bool = False
    simulate_repeats: int = Field(1, ge=1)
    keep_original: bool = Field(False, description="also return each crop before HDSM (HFEM's feature consistency)")
    kernel: Literal["fixed", "adaptive"] = "fixed"
    sigma: float = Field(4.0, gt=0, description="σ of the fixed kernel (px)")
    fallback_sigma: float = Field(15.0, gt=0, description="adaptive kernel: σ when an image has ≤ 3 heads")
    min_sigma: float | None = Field(None, gt=0, description="adaptive kernel: clamp σ below (None: CSRNet's rule)")
    max_side: int | None = Field(None, ge=16, description="resize so the long side is at most this")
    flip: bool = True
    repeats: int = Field(1, ge=1, description="training: visit every image this many times per epoch")


@dataclass(frozen=True)
class Sample:
    """One indexed image: its files, its validated 0-based head positions and its size."""

    image: Path
    annotation: Path
    points: np.ndarray
    width: int
    height: int


class CrowdDataset(zoo.Dataset, abc.ABC):
    """Base of the crowd datasets: subclasses list ``(image, annotation)`` pairs and a point reader."""

    Config = CrowdConfig
    #: The registry name, for messages and reports.
    NAME: ClassVar[str] = "dataset/crowd"
    read_points: Callable[[Path], np.ndarray] = staticmethod(ann.read_shanghaitech_mat)

    def __init__(self, config: CrowdConfig | None = None) -> None:
        """Index and validate the dataset (annotations and image headers are read now).

        Raises:
            InputError: if the layout is not found under ``root``, no usable image is left, or
                (``strict``) at the first bad record.
        """
        super().__init__(config)
        cfg = self.config
        report = SkippedRecords(source=f"{self.NAME} at {cfg.root} (split {cfg.split!r})", strict=cfg.strict)
        self.samples = [s for s in (self._index(image, annotation, report) for image, annotation in self.list_samples()) if s]
        self.report = report.finish(kept=len(self.samples))
        if cfg.subset != "all":
            self.samples = self._density_subset(cfg.subset)
        self.training = cfg.training if cfg.training is not None else cfg.split.lower().startswith("train")
        self.simulation = HighDensitySimulation(
            tuple(cfg.shift_range), cfg.simulate_lambda, OUTPUT_STRIDE, cfg.simulate_vertical, cfg.simulate_repeats
        )

    @abc.abstractmethod
    def list_samples(self) -> list[tuple[Path, Path]]:
        """``(image, expected annotation path)`` pairs in natural order, read from the real layout
        (the annotation may be missing: indexing reports it)."""

    def _index(self, image: Path, annotation: Path, report: SkippedRecords) -> Sample | None:
        """Validate one record; report it and return None when it cannot be used."""
        if not annotation.is_file():
            report.skip(f"{image.name} (expected {annotation.name})", "no annotation file")
            return None
        try:
            width, height = image_size(image)
        except InputError as exc:
            report.skip(f"{image.name}: {_reason(exc, image)}", "unreadable image")
            return None
        try:
            points = self.read_points(annotation)
        except InputError as exc:
            report.skip(f"{annotation.name}: {_reason(exc, annotation)}", "unreadable annotation")
            return None
        inside, non_finite, outside = ann.split_points(points, width, height)
        if non_finite:
            report.skip(f"{annotation.name} ({non_finite} of {len(points)})", "NaN or infinite head positions")
            return None
        if outside:
            report.skip(
                f"{annotation.name} ({outside} of {len(points)} heads)",
                "head positions outside the image (those heads dropped, the image kept)",
            )
        return Sample(image, annotation, inside, width, height)

    def counts(self) -> list[int]:
        """The annotated head count of every image (inside the image)."""
        return [len(s.points) for s in self.samples]

    def _density_subset(self, subset: str) -> list[Sample]:
        from zoo.sdk import density_split

        low, high = density_split(self.counts())
        return [self.samples[i] for i in (low if subset == "low" else high)]

    def __len__(self) -> int:
        return len(self.samples) * (self.config.repeats if self.training else 1)

    def load(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """The image ``[H, W, 3]`` in [0, 1] and its 0-based points (resized to ``max_side``).

        Raises:
            InputError: if the image cannot be decoded (e.g. a truncated file: only its header
                was checked when the dataset was indexed).
        """
        sample = self.samples[index]
        return resize_long_side(read_rgb(sample.image), sample.points, self.config.max_side)

    def __getitem__(self, index: int) -> dict[str, Any]:
        """One item: a random (possibly simulated) crop in training, the whole image otherwise.

        Raises:
            InputError: if the image cannot be decoded.
        """
        cfg = self.config
        image, points = self.load(index % len(self.samples))
        regime, original = 0, None
        copies = np.zeros((2**cfg.simulate_repeats, 2), dtype=np.int64)
        if self.training:
            # Seeded from torch's RNG, which the engine seeds (and which differs per worker).
            rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, ()).item()))
            image, points = random_crop(image, points, cfg.crop_size, rng)
            if cfg.flip and rng.random() < 0.5:
                image, points = hflip(image, points)
            original = (image, points)
            if cfg.simulate and rng.random() < cfg.simulate_prob:
                image, points, copies = self.simulation(image, points, rng)
                regime = 1
        item = self._item(image, points, regime)
        if cfg.keep_original and original is not None:
            first = self._item(*original, regime=0)
            item.update(original=first["image"], original_density=first["density"], copies=torch.from_numpy(copies))
        return item

    def _item(self, image: np.ndarray, points: np.ndarray, regime: int) -> dict[str, Any]:
        cfg = self.config
        h, w = image.shape[:2]
        density, count = density_target(
            points, h, w, OUTPUT_STRIDE, cfg.kernel, cfg.sigma, cfg.fallback_sigma, cfg.min_sigma
        )
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
        batch = {key: torch.stack([i[key] for i in items]) for key in ("count", "regime", "size")}
        for key, stride in (("image", 1), ("density", OUTPUT_STRIDE), ("original", 1), ("original_density", OUTPUT_STRIDE)):
            if key in items[0]:
                batch[key] = torch.stack([_pad_to(i[key], h // stride, w // stride) for i in items])
        if "copies" in items[0]:
            batch["copies"] = torch.stack([i["copies"] for i in items])
        return batch


def _pad_to(x: torch.Tensor, h: int, w: int) -> torch.Tensor:
    return F.pad(x, (0, w - x.shape[-1], 0, h - x.shape[-2]))


def _reason(exc: Exception, path: Path) -> str:
    """The error's message without the path it starts with (the record already names the file)."""
    return str(exc).removeprefix(str(path)).strip(" :")


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
