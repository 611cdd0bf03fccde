"""Registered datasets: ModelNet40 (raw ``.off``, normal_resampled, ply_hdf5_2048) and ShapeNet-55.

Every item is a dict: ``points`` float ``[num_points, 3]`` (normalised: centred, radius 0.5),
``label`` (int), and, where meshes exist and ``render`` is on, ``views`` uint8 ``[V, H, W, 3]``.
Mesh-based sets can also yield masked copies (``masked_variants`` per object): the points and the
views then come from the *same* partial mesh. Sampling is seeded by (``seed``, index), so an item
is the same every time it is read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field

import zoo
from zoo.errors import InputError
from zoo_cmip_cil.mesh import Mesh, mask_contiguous, normalise, normalise_points, read_mesh, sample_surface


class PointCloudConfig(zoo.ComponentConfig):
    """Fields shared by every point-cloud dataset."""

    root: str = ""
    split: Literal["train", "test"] = "train"
    num_points: int = Field(1024, ge=1)
    seed: int = 0


class MeshConfig(PointCloudConfig):
    """Fields of datasets that have meshes to render."""

    render: bool = True
    image_size: int = Field(224, ge=8)
    masked_variants: int = Field(0, ge=0, description="masked copies per object (0: the whole object)")
    keep_range: tuple[float, float] = (0.25, 0.5)


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise InputError(f"{what} not found: {path} is not a folder. Check `root` (see docs/methods/cmip-cil.md).")
    return path


def _subsample(points: np.ndarray, num_points: int, rng: np.random.Generator) -> np.ndarray:
    replace = len(points) < num_points  # repeat points of small clouds rather than fail
    return points[rng.choice(len(points), num_points, replace=replace)]


class MeshDataset(zoo.Dataset):
    """Base of datasets that read meshes: sampling, masking and (lazy, per-worker) rendering."""

    Config = MeshConfig

    def __init__(self, config: MeshConfig | None = None) -> None:
        super().__init__(config)
        self.files: list[Path] = []
        self.labels: list[int] = []
        self.classes: list[str] = []
        self._renderer = None

    def __len__(self) -> int:
        return len(self.files) * max(1, self.config.masked_variants)

    def load_mesh(self, index: int) -> Mesh:
        """The normalised mesh of object ``index`` (before masking)."""
        return normalise(read_mesh(self.files[index]))

    def __getitem__(self, index: int) -> dict[str, Any]:
        cfg = self.config
        variants = max(1, cfg.masked_variants)
        obj = index // variants
        rng = np.random.default_rng([cfg.seed, index])
        mesh = self.load_mesh(obj)
        if cfg.masked_variants:
            mesh = mask_contiguous(mesh, rng, cfg.keep_range)
        item: dict[str, Any] = {
            "points": torch.from_numpy(normalise_points(sample_surface(mesh, cfg.num_points, rng)).astype(np.float32)),
            "label": self.labels[obj],
        }
        if cfg.render:
            from zoo_cmip_cil.render import random_light

            item["views"] = torch.from_numpy(self.renderer().render(mesh, random_light(rng)))
        return item

    def renderer(self):
        """The renderer of this process (created on first use, so each loader worker has its own)."""
        if self._renderer is None:
            from zoo_cmip_cil.render import MultiViewRenderer, RenderConfig

            self._renderer = MultiViewRenderer(RenderConfig(image_size=self.config.image_size))
        return self._renderer

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_renderer"] = None  # renderers hold native handles; workers make their own
        return state


class ModelNet40Mesh(MeshDataset):
    """ModelNet40 raw meshes: ``root/<class>/{train,test}/<class>_<nnnn>.off`` (classes sorted)."""

    def __init__(self, config: MeshConfig | None = None) -> None:
        super().__init__(config)
        root = _require_dir(Path(self.config.root), "ModelNet40 folder")
        # Label by every class folder (train or test), so both splits share one label map.
        self.classes = sorted(p.name for p in root.iterdir() if (p / "train").is_dir() or (p / "test").is_dir())
        for label, name in enumerate(self.classes):
            files = sorted((root / name / self.config.split).glob("*.off"))  # none if the split is absent
            self.files += files
            self.labels += [label] * len(files)
        if not self.files:
            raise InputError(f"No .off files under {root}/<class>/{self.config.split}/; is this ModelNet40's raw layout?")


class ModelNet40Resampled(zoo.Dataset):
    """modelnet40_normal_resampled: ``<class>/<class>_<nnnn>.txt`` (x,y,z,nx,ny,nz per line)."""

    Config = PointCloudConfig

    def __init__(self, config: PointCloudConfig | None = None) -> None:
        super().__init__(config)
        root = _require_dir(Path(self.config.root), "modelnet40_normal_resampled folder")
        names_file, ids_file = root / "modelnet40_shape_names.txt", root / f"modelnet40_{self.config.split}.txt"
        for path in (names_file, ids_file):
            if not path.is_file():
                raise InputError(f"{path} is missing; modelnet40_normal_resampled ships it beside the class folders.")
        self.classes = [line.strip() for line in names_file.read_text().splitlines() if line.strip()]
        lookup = {name: i for i, name in enumerate(self.classes)}
        self.ids = [line.strip() for line in ids_file.read_text().splitlines() if line.strip()]
        # An id is "<class>_<nnnn>"; the class name itself may contain "_" (e.g. "flower_pot").
        self.labels = [lookup[i.rsplit("_", 1)[0]] for i in self.ids]
        self.root = root

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, index: int) -> dict[str, Any]:
        name = self.ids[index]
        data = np.loadtxt(self.root / name.rsplit("_", 1)[0] / f"{name}.txt", delimiter=",", dtype=np.float32)
        rng = np.random.default_rng([self.config.seed, index])
        points = normalise_points(_subsample(data[:, :3], self.config.num_points, rng))
        return {"points": torch.from_numpy(points.astype(np.float32)), "label": self.labels[index]}


class ModelNet40H5(zoo.Dataset):
    """modelnet40_ply_hdf5_2048: ``ply_data_*.h5`` listed in ``{train,test}_files.txt``."""

    Config = PointCloudConfig

    def __init__(self, config: PointCloudConfig | None = None) -> None:
        import h5py

        super().__init__(config)
        root = _require_dir(Path(self.config.root), "modelnet40_ply_hdf5_2048 folder")
        listing = root / f"{self.config.split}_files.txt"
        if not listing.is_file():
            raise InputError(f"{listing} is missing; the h5 release lists its files there.")
        names = root / "shape_names.txt"
        self.classes = names.read_text().split() if names.is_file() else []
        points, labels = [], []
        for line in listing.read_text().split():
            # Lists hold paths like "data/modelnet40_ply_hdf5_2048/ply_data_train0.h5": use the basename.
            with h5py.File(root / Path(line).name, "r") as handle:
                points.append(np.asarray(handle["data"], dtype=np.float32))
                labels.append(np.asarray(handle["label"], dtype=np.int64).reshape(-1))
        self.points, self.labels = np.concatenate(points), np.concatenate(labels).tolist()

    def __len__(self) -> int:
        return len(self.points)

    def __getitem__(self, index: int) -> dict[str, Any]:
        rng = np.random.default_rng([self.config.seed, index])
        points = normalise_points(_subsample(self.points[index], self.config.num_points, rng))
        return {"points": torch.from_numpy(points.astype(np.float32)), "label": int(self.labels[index])}


class ShapeNet55Config(MeshConfig):
    """ShapeNet-55 (Point-BERT layout) plus, optionally, ShapeNetCore.v2 meshes for rendering."""

    mesh_root: str = Field("", description="ShapeNetCore.v2 folder (<synset>/<id>/models/model_normalized.obj); '' = no views")
    render: bool = False  # views need mesh_root; the Point-BERT clouds alone are the test modality


class ShapeNet55(MeshDataset):
    """``shapenet_pc/<synset>-<modelId>.npy`` (8192x3) with ``train.txt``/``test.txt``; labels = sorted synsets."""

    Config = ShapeNet55Config

    def __init__(self, config: ShapeNet55Config | None = None) -> None:
        super().__init__(config)
        root = _require_dir(Path(self.config.root), "ShapeNet-55 folder")
        lists = {s: root / f"{s}.txt" for s in ("train", "test")}
        if not lists[self.config.split].is_file():
            raise InputError(f"{lists[self.config.split]} is missing; Point-BERT's ShapeNet-55 ships train.txt and test.txt.")
        entries = {s: [l.strip() for l in p.read_text().splitlines() if l.strip()] for s, p in lists.items() if p.is_file()}
        self.classes = sorted({e.split("-", 1)[0] for lines in entries.values() for e in lines})
        lookup = {s: i for i, s in enumerate(self.classes)}
        self.entries = entries[self.config.split]
        self.labels = [lookup[e.split("-", 1)[0]] for e in self.entries]
        self.root = root
        mesh_root = Path(self.config.mesh_root) if self.config.mesh_root else None
        if (self.config.render or self.config.masked_variants) and mesh_root is None:
            raise InputError("ShapeNet-55 views and masked copies need meshes: set mesh_root to ShapeNetCore.v2.")
        self.files = [self._mesh_path(mesh_root, e) for e in self.entries] if mesh_root else []

    @staticmethod
    def _mesh_path(mesh_root: Path, entry: str) -> Path:
        synset, model_id = Path(entry).stem.split("-", 1)
        return mesh_root / synset / model_id / "models" / "model_normalized.obj"

    def __len__(self) -> int:
        return len(self.entries) * max(1, self.config.masked_variants)

    def __getitem__(self, index: int) -> dict[str, Any]:
        if self.config.render or self.config.masked_variants:
            return super().__getitem__(index)
        variants = max(1, self.config.masked_variants)
        obj = index // variants
        cloud = np.load(self.root / "shapenet_pc" / self.entries[obj]).astype(np.float32)
        rng = np.random.default_rng([self.config.seed, index])
        points = normalise_points(_subsample(cloud, self.config.num_points, rng))
        return {"points": torch.from_numpy(points.astype(np.float32)), "label": self.labels[obj]}
