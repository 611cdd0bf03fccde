"""The registered crowd datasets in their real layouts (``formats.md``); the item pipeline, the
validation and the ``strict`` switch are :class:`~zoo_l2hcount.crowd_data.CrowdDataset`'s."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field

from zoo.sdk import InputError
from zoo_l2hcount import points_io as ann
from zoo_l2hcount.crowd_data import CrowdConfig, CrowdDataset, natural_sorted, require_dir

_SPLIT_DIRS = {"train": "train_data", "test": "test_data"}


class ShanghaiTech(CrowdDataset):
    """ShanghaiTech part A or B: ``part_{A,B}[_final]/{train,test}_data/{images,ground-truth}``.

    ``root`` may be the folder that holds ``part_A``/``part_A_final``/``part_B``... or the part
    folder itself.
    """

    NAME = "dataset/shanghaitech"

    class Config(CrowdConfig):
        part: Literal["A", "B"] = "A"

    read_points = staticmethod(ann.read_shanghaitech_mat)

    def part_dir(self) -> Path:
        """The ``part_<X>[_final]`` folder (or ``root`` itself when it is one).

        Raises:
            InputError: if no such folder exists.
        """
        root, part = Path(self.config.root), self.config.part
        for candidate in (root / f"part_{part}_final", root / f"part_{part}", root):
            if (candidate / "train_data").is_dir() or (candidate / "test_data").is_dir():
                return candidate
        raise InputError(
            f"No ShanghaiTech part {part} under {root}: expected {root}/part_{part}[_final]/"
            "{train,test}_data/images/IMG_<n>.jpg with ground-truth/GT_IMG_<n>.mat."
        )

    def list_samples(self) -> list[tuple[Path, Path]]:
        split = _SPLIT_DIRS.get(self.config.split.lower())
        if split is None:
            raise InputError(f"ShanghaiTech has splits 'train' and 'test', not {self.config.split!r}.")
        base = require_dir(self.part_dir() / split, "the ShanghaiTech split folder")
        images = natural_sorted(list(require_dir(base / "images", "an images/ folder").glob("IMG_*.jpg")))
        return [(img, base / "ground-truth" / f"GT_{img.stem}.mat") for img in images]


class UCFQNRF(CrowdDataset):
    """UCF-QNRF: ``{Train,Test}/img_<nnnn>.jpg`` + ``img_<nnnn>_ann.mat`` (long side resized to 2048)."""

    NAME = "dataset/ucf-qnrf"

    class Config(CrowdConfig):
        max_side: int | None = Field(2048, ge=16, description="resize so the long side is at most this")

    read_points = staticmethod(ann.read_annpoints_mat)

    def list_samples(self) -> list[tuple[Path, Path]]:
        folder = self.config.split.capitalize()
        base = require_dir(Path(self.config.root) / folder, f"UCF-QNRF's {folder}/ folder")
        return [(img, base / f"{img.stem}_ann.mat") for img in natural_sorted(list(base.glob("img_*.jpg")))]


class JHUCrowd(CrowdDataset):
    """JHU-Crowd++: ``{train,val,test}/images/<id>.jpg`` with ``gt/<id>.txt`` (long side ≤ 2048)."""

    NAME = "dataset/jhu-crowd"

    class Config(CrowdConfig):
        max_side: int | None = Field(2048, ge=16, description="resize so the long side is at most this")

    read_points = staticmethod(ann.read_jhu_txt)

    def list_samples(self) -> list[tuple[Path, Path]]:
        base = require_dir(Path(self.config.root) / self.config.split.lower(), "a JHU-Crowd++ split folder")
        images = natural_sorted(list(require_dir(base / "images", "an images/ folder").glob("*.jpg")))
        return [(img, base / "gt" / f"{img.stem}.txt") for img in images]


class NWPUCrowd(CrowdDataset):
    """NWPU-Crowd: ``images/<id>.jpg``, ``jsons/<id>.json`` or ``mats/<id>.mat``, ``{split}.txt`` lists.

    The test split's labels are withheld by the benchmark; asking for it without annotations is an
    error that says to use ``val``.
    """

    NAME = "dataset/nwpu"

    class Config(CrowdConfig):
        max_side: int | None = Field(2048, ge=16, description="resize so the long side is at most this")

    def list_samples(self) -> list[tuple[Path, Path]]:
        root = Path(self.config.root)
        split_file = root / f"{self.config.split.lower()}.txt"
        if not split_file.is_file():
            raise InputError(
                f"{split_file} does not exist; NWPU-Crowd lists its splits in train.txt, val.txt, test.txt."
            )
        ids = [line.split()[0] for line in split_file.read_text(encoding="utf-8").splitlines() if line.strip()]
        samples = []
        for image_id in ids:
            # Official downloads split the images over images_part1..5; formats.md has images/.
            image = next(iter(sorted(root.glob(f"images*/{image_id}.jpg"))), root / "images" / f"{image_id}.jpg")
            candidates = (root / "jsons" / f"{image_id}.json", root / "mats" / f"{image_id}.mat")
            samples.append((image, next((p for p in candidates if p.is_file()), candidates[0])))
        if ids and self.config.split.lower() == "test" and not any(a.is_file() for _, a in samples):
            raise InputError(
                "NWPU-Crowd's test labels are withheld; evaluate on split='val' or submit to the benchmark server."
            )
        return samples

    @staticmethod
    def read_points(path: Path) -> np.ndarray:  # type: ignore[override]
        return ann.read_nwpu_json(path) if path.suffix == ".json" else ann.read_annpoints_mat(path)
