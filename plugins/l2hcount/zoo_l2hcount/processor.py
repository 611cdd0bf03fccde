"""The L2HCount processor: files or arrays → normalised, padded image batches (``zoo.predict``).

Settings come from the model config (so a checkpoint's ``config.json`` carries them): RGB in
``[0, 1]`` normalised by ``mean``/``std`` (ImageNet's), zero-padded to a multiple of 16 (zero is
the mean colour), images longer than ``max_side`` run in ``tile_size`` tiles, and inputs above
``max_pixels`` are refused before decoding. Items keep ``uint8`` pixels (3 bytes a pixel) until
their batch is built; a tiled image is converted tile by tile.

An input is a path, an ``[H, W, 3]``/``[H, W]`` array (uint8, or floats in ``[0, 1]``; RGB), a
``[3, H, W]`` tensor, a PIL image, or ``{"image": <any of those>, "points": <[N, 2] array or an
annotation file>}``. For a path, the head annotation is looked up beside it in the datasets'
layouts (``<stem>.points.json``, ShanghaiTech's ``../ground-truth/GT_<stem>.mat``, UCF-QNRF's
``<stem>_ann.mat``, JHU's ``../gt/<stem>.txt``, NWPU's ``../jsons/<stem>.json``); with one, the
prediction also reports the true count.
"""

from __future__ import annotations

import warnings
from collections.abc import Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from zoo.sdk import DataWarning, InputError, Processor
from zoo_l2hcount import points_io
from zoo_l2hcount.images import read_image

#: Where an image's head annotation may lie, relative to the image (first found wins).
ANNOTATION_PLACES = (
    "{dir}/{stem}.points.json",
    "{dir}/../ground-truth/GT_{stem}.mat",
    "{dir}/{stem}_ann.mat",
    "{dir}/../gt/{stem}.txt",
    "{dir}/../jsons/{stem}.json",
)


@dataclass(eq=False)
class CrowdItem:
    """One loaded input: ``uint8`` RGB pixels ``[3, H, W]``, and its heads when they are known.

    ``density`` is filled in by ``predict_step`` (``[ceil(H/4), ceil(W/4)]``, unscaled) for the
    picture.
    """

    image: torch.Tensor
    points: np.ndarray | None = None
    annotation: str | None = None
    density: np.ndarray | None = None

    @property
    def height(self) -> int:
        return int(self.image.shape[1])

    @property
    def width(self) -> int:
        return int(self.image.shape[2])

    @property
    def nbytes(self) -> int:
        """Bytes of the pixels (``zoo.predict`` bounds the memory of the items it keeps)."""
        return int(self.image.nelement())


class CrowdProcessor(Processor):
    """Images → ``{"pixel_values": [B, 3, H16, W16] normalised, "items": [CrowdItem]}`` batches."""

    def __init__(
        self,
        mean: tuple[float, float, float],
        std: tuple[float, float, float],
        max_side: int = 2048,
        tile_size: int = 1024,
        max_pixels: int = 80_000_000,
        pad_multiple: int = 16,
    ) -> None:
        self.mean, self.std = tuple(mean), tuple(std)
        self.max_side, self.tile_size, self.max_pixels = max_side, tile_size, max_pixels
        self.pad_multiple = pad_multiple

    @classmethod
    def from_config(cls, config: Any) -> "CrowdProcessor":
        """The processor of an ``L2HCount`` config."""
        return cls(config.mean, config.std, config.max_side, config.tile_size, config.max_pixels)

    def load(self, input: Any) -> CrowdItem:
        """Read one input (see the module docstring) into a :class:`CrowdItem`.

        Raises:
            InputError: for a missing, empty, non-image, not-8-bit or too large file, an array of
                another shape, or given points that are not ``[N, 2]`` finite numbers.
        """
        if isinstance(input, dict):
            if "image" not in input:
                raise InputError(f"{self.describe(input)}: a dict input needs an 'image' (and optionally 'points').")
            item = self.load(input["image"])
            if input.get("points") is not None:
                item.points, item.annotation = self._given_points(input["points"], item)
            return item
        if isinstance(input, (str, Path)):
            item = CrowdItem(torch.from_numpy(np.ascontiguousarray(read_image(input, self.max_pixels).transpose(2, 0, 1))))
            item.points, item.annotation = self._found_points(Path(input), item)
            return item
        return CrowdItem(self._pixels_of(input))

    def bucket_key(self, item: CrowdItem) -> Hashable:
        """Items of one padded size share a batch; tiled images go alone."""
        if max(item.height, item.width) > self.max_side:
            return ("tiled", item.height, item.width)
        return (_ceil_to(item.height, self.pad_multiple), _ceil_to(item.width, self.pad_multiple))

    def collate(self, items: list[CrowdItem]) -> dict[str, Any]:
        """Normalise and pad the untiled items into one tensor; tiled items stay ``uint8``.

        Returns:
            ``{"pixel_values": [B, 3, H, W] float32 or None, "items": items}``; ``pixel_values``
            holds the items that are not tiled, in order.
        """
        whole = [item for item in items if max(item.height, item.width) <= self.max_side]
        if not whole:
            return {"pixel_values": None, "items": items}
        h = _ceil_to(max(i.height for i in whole), self.pad_multiple)
        w = _ceil_to(max(i.width for i in whole), self.pad_multiple)
        pixels = [F.pad(self.normalize(i.image), (0, w - i.width, 0, h - i.height)) for i in whole]
        return {"pixel_values": torch.stack(pixels), "items": items}

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        """``uint8`` (or ``[0, 1]`` float) ``[3, H, W]`` RGB → normalised float32."""
        rgb = image.float() / 255.0 if image.dtype == torch.uint8 else image.float()
        mean = torch.tensor(self.mean, device=rgb.device).view(3, 1, 1)
        std = torch.tensor(self.std, device=rgb.device).view(3, 1, 1)
        return (rgb - mean) / std

    def _pixels_of(self, input: Any) -> torch.Tensor:
        """``[3, H, W]`` uint8 from an array (HWC or HW), a CHW tensor or a PIL image."""
        if type(input).__module__.startswith("PIL."):
            input = np.asarray(input.convert("RGB"))
        if isinstance(input, torch.Tensor):
            input = input.detach().cpu().numpy()
            if input.ndim == 3 and input.shape[0] == 3:
                input = input.transpose(1, 2, 0)  # torch's CHW to the arrays' HWC
        array = np.asarray(input) if isinstance(input, np.ndarray) else None
        if array is None or array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[2] not in (1, 3)):
            raise InputError(
                f"{self.describe(input)}: expected an image path, an [H, W, 3] or [H, W] array, a [3, H, W] "
                "tensor or a PIL image."
            )
        if array.shape[0] * array.shape[1] > self.max_pixels or 0 in array.shape[:2]:
            raise InputError(f"{self.describe(input)}: {array.shape[1]}×{array.shape[0]} pixels is empty or above max_pixels={self.max_pixels:,}.")
        return torch.from_numpy(np.ascontiguousarray(_to_uint8(array, self.describe(input)).transpose(2, 0, 1)))

    def _given_points(self, points: Any, item: CrowdItem) -> tuple[np.ndarray, str]:
        where = str(points) if isinstance(points, (str, Path)) else "given"
        raw = points_io.read_points_file(points) if isinstance(points, (str, Path)) else np.asarray(points, dtype=np.float64)
        if raw.size and (raw.ndim != 2 or raw.shape[1] != 2):
            raise InputError(f"points: expected an [N, 2] array of (x, y) head positions, got shape {list(raw.shape)}.")
        inside, non_finite, _ = points_io.split_points(raw, item.width, item.height)
        if non_finite:
            raise InputError(f"points ({where}): {non_finite} head position(s) are NaN or infinite.")
        return inside, where

    def _found_points(self, image: Path, item: CrowdItem) -> tuple[np.ndarray | None, str | None]:
        """The heads of the annotation beside ``image``, if there is one (a bad one is warned about)."""
        for place in ANNOTATION_PLACES:
            path = Path(place.format(dir=image.parent, stem=image.stem))
            if not path.is_file():
                continue
            try:
                return self._given_points(path, item)
            except InputError as exc:
                warnings.warn(f"{image}: ignoring its annotation {path}: {exc}", DataWarning, stacklevel=3)
                return None, None
        return None, None


def _ceil_to(value: int, multiple: int) -> int:
    return value + -value % multiple


def _to_uint8(array: np.ndarray, name: str) -> np.ndarray:
    if array.ndim == 2:
        array = array[..., None]
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.dtype == np.uint8:
        return array
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise InputError(f"{name}: a float image must hold finite values in [0, 1].")
        return np.round(array * 255.0).astype(np.uint8)
    raise InputError(f"{name}: expected uint8 or float pixels, got {array.dtype}.")
