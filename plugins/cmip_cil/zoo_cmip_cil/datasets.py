"""Registered datasets: ModelNet40 (raw ``.off``, normal_resampled, ply_hdf5_2048) and ShapeNet-55.

Every item is a dict: ``points`` float ``[num_points, 3]`` (normalised: centred, radius 0.5),
``label`` (int), and, where meshes exist and ``render`` is on, ``views`` uint8 ``[V, H, W, 3]``.
Mesh-based sets can also yield masked copies (``masked_variants`` per object): the points and the
views then come from the *same* partial mesh. Sampling is seeded by (``seed``, index), so an item
is the same every time it is read.

Every loader checks every record when it is built (each mesh is parsed once; point files are read
once and their ``num_points`` samples kept) and reports what it cannot use through
:class:`zoo.sdk.SkippedRecords`: ``strict=True`` raises :class:`zoo.sdk.InputError` at the first
bad record; the default skips it and warns once with a summary (also kept as ``dataset.report``).
A dataset with no usable record raises ``InputError`` naming why.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field

import zoo
from zoo.sdk import InputError, SkippedRecords
from zoo_cmip_cil.mesh import (
    Mesh, MeshFileError, check_points, mask_contiguous, normalise, normalise_points, read_mesh, read_point_file,
    rotate_x, sample_surface,
)


class PointCloudConfig(zoo.ComponentConfig):
    """Fields shared by every point-cloud dataset."""

    root: str = ""
    split: Literal["train", "test"] = "train"
    num_points: int = Field(1024, ge=1)
    seed: int = 0
    classes: list[str] | None = Field(None, description="keep only these class names (labels are unchanged)")
    strict: bool = Field(False, description="raise at the first unusable record instead of skipping it")


class MeshConfig(PointCloudConfig):
    """Fields of datasets that have meshes to render."""

    render: bool = True
    image_size: int = Field(224, ge=8)
    masked_variants: int = Field(0, ge=0, description="masked copies per object (0: the whole object)")
    keep_range: tuple[float, float] = Field((0.25, 0.5), description="fraction of faces a masked copy keeps")
    rotate_x_deg: float = Field(-90.0, description="rotation about x before use (ModelNet40's z-up -> y-up)",
                                json_schema_extra={"augmentation": False})  # fixed preprocessing, every split
    cache: bool = Field(False, description="keep items in memory after the first read (items are seeded)")


def _require_dir(path: Path, what: str) -> Path:
    if not path.is_dir():
        raise InputError(f"{what} not found: {path} is not a folder. Check `root` (see docs/methods/cmip-cil.md).")
    return path


def _subsample(points: np.ndarray, num_points: int, rng: np.random.Generator) -> np.ndarray:
    replace = len(points) < num_points  # repeat points of small clouds rather than fail
    return points[rng.choice(len(points), num_points, replace=replace)]


def _keep_classes(config: PointCloudConfig, classes: list[str]) -> set[int] | None:
    """The label ids the ``classes`` filter keeps (``None``: every class).

    Raises:
        InputError: if the filter names a class the dataset does not have.
    """
    if config.classes is None:
        return None
    unknown = sorted(set(config.classes) - set(classes))
    if unknown:
        raise InputError(f"classes names {unknown}, which this dataset does not have; it has: {', '.join(classes)}.")
    return {classes.index(name) for name in config.classes}


class _CloudStore:
    """Clouds checked and sampled once at build time (``_points``, ``labels``), for point-only data."""

    config: PointCloudConfig
    labels: list[int]
    _points: list[np.ndarray]

    def _add(self, report: SkippedRecords, record: str, read: Any, label: int) -> None:
        """Check the cloud ``read()`` returns and keep its seeded ``num_points`` sample (or skip it)."""
        try:
            xyz = check_points(read(), record)
        except MeshFileError as exc:
            report.skip(record, exc.reason)
            return
        rng = np.random.default_rng([self.config.seed, len(self._points)])
        self._points.append(normalise_points(_subsample(xyz, self.config.num_points, rng)).astype(np.float32))
        self.labels.append(label)

    def _cloud_item(self, index: int) -> dict[str, Any]:
        return {"points": torch.from_numpy(self._points[index]), "label": int(self.labels[index])}


class _PointsDataset(_CloudStore, zoo.Dataset):
    """Base of the point-only releases."""

    Config = PointCloudConfig

    def __init__(self, config: PointCloudConfig | None = None) -> None:
        super().__init__(config)
        self.classes: list[str] = []
        self.labels: list[int] = []
        self.report: list[Any] = []
        self._points: list[np.ndarray] = []

    def __len__(self) -> int:
        return len(self._points)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self._cloud_item(index)


class MeshDataset(zoo.Dataset):
    """Base of datasets that read meshes: checking, sampling, masking and (lazy, per-worker) rendering."""

    Config = MeshConfig

    def __init__(self, config: MeshConfig | None = None) -> None:
        super().__init__(config)
        self.files: list[Path] = []
        self.labels: list[int] = []
        self.classes: list[str] = []
        self.report: list[Any] = []
        self._renderer = None
        self._cache: dict[int, dict[str, Any]] = {}

    def _check_meshes(self, report: SkippedRecords, root: Path) -> None:
        """Parse every mesh once; keep those that can be sampled and rendered."""
        kept_files, kept_labels = [], []
        for path, label in zip(self.files, self.labels):
            try:
                read_mesh(path)
            except MeshFileError as exc:
                report.skip(str(path.relative_to(root)) if path.is_relative_to(root) else str(path), exc.reason)
                continue
            kept_files.append(path)
            kept_labels.append(label)
        self.files, self.labels = kept_files, kept_labels
        self.report = report.finish(kept=len(self.files))

    def __len__(self) -> int:
        return len(self.files) * max(1, self.config.masked_variants)

    def load_mesh(self, index: int) -> Mesh:
        """The normalised (and rotated) mesh of object ``index``, before masking."""
        return normalise(rotate_x(read_mesh(self.files[index]), self.config.rotate_x_deg))

    def __getitem__(self, index: int) -> dict[str, Any]:
        if index in self._cache:
            return self._cache[index]
        cfg = self.config
        obj = index // max(1, cfg.masked_variants)
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
        if cfg.cache:
            self._cache[index] = item
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
        keep = _keep_classes(self.config, self.classes)
        for label, name in enumerate(self.classes):
            if keep is None or label in keep:
                files = sorted((root / name / self.config.split).glob("*.off"))  # none if the split is absent
                self.files += files
                self.labels += [label] * len(files)
        report = SkippedRecords(source=f"dataset/modelnet40 at {root}", strict=self.config.strict)
        if not self.files:
            report.finish(kept=0)  # "no records were found": not ModelNet40's raw layout
        self._check_meshes(report, root)


class ModelNet40Resampled(_PointsDataset):
    """modelnet40_normal_resampled: ``<class>/<class>_<nnnn>.txt`` (x,y,z,nx,ny,nz per line)."""

    def __init__(self, config: PointCloudConfig | None = None) -> None:
        super().__init__(config)
        root = _require_dir(Path(self.config.root), "modelnet40_normal_resampled folder")
        names_file, ids_file = root / "modelnet40_shape_names.txt", root / f"modelnet40_{self.config.split}.txt"
        for path in (names_file, ids_file):
            if not path.is_file():
                raise InputError(f"{path} is missing; modelnet40_normal_resampled ships it beside the class folders.")
        self.classes = [line.strip() for line in names_file.read_text().splitlines() if line.strip()]
        keep = _keep_classes(self.config, self.classes)
        report = SkippedRecords(source=f"dataset/modelnet40-resampled at {root}", strict=self.config.strict)
        for name in (line.strip() for line in ids_file.read_text().splitlines() if line.strip()):
            cls = name.rsplit("_", 1)[0]  # "<class>_<nnnn>"; the class name itself may contain "_"
            if cls not in self.classes:
                report.skip(name, "class not in modelnet40_shape_names.txt")
            elif keep is None or self.classes.index(cls) in keep:
                self._add(report, name, lambda p=root / cls / f"{name}.txt": read_point_file(p), self.classes.index(cls))
        self.report = report.finish(kept=len(self))


class ModelNet40H5(_PointsDataset):
    """modelnet40_ply_hdf5_2048: ``ply_data_*.h5`` listed in ``{train,test}_files.txt``."""

    def __init__(self, config: PointCloudConfig | None = None) -> None:
        super().__init__(config)
        root = _require_dir(Path(self.config.root), "modelnet40_ply_hdf5_2048 folder")
        listing = root / f"{self.config.split}_files.txt"
        if not listing.is_file():
            raise InputError(f"{listing} is missing; the h5 release lists its files there.")
        names = root / "shape_names.txt"
        self.classes = names.read_text().split() if names.is_file() else []
        keep = _keep_classes(self.config, self.classes)
        report = SkippedRecords(source=f"dataset/modelnet40-h5 at {root}", strict=self.config.strict)
        for line in listing.read_text().split():
            # Lists hold paths like "data/modelnet40_ply_hdf5_2048/ply_data_train0.h5": use the basename.
            name = Path(line).name
            arrays = _read_h5(root / name, report)
            if arrays is None:
                continue
            for row, (cloud, label) in enumerate(zip(*arrays)):
                if self.classes and not 0 <= label < len(self.classes):
                    report.skip(f"{name}[{row}]", f"label outside shape_names.txt (0..{len(self.classes) - 1})")
                elif keep is None or int(label) in keep:
                    self._add(report, f"{name}[{row}]", lambda c=cloud: c, int(label))
        self.report = report.finish(kept=len(self))


def _read_h5(path: Path, report: SkippedRecords) -> tuple[np.ndarray, np.ndarray] | None:
    """``data [B, P, 3+]`` and ``label [B]`` of one h5 file, or ``None`` (reported) if unusable."""
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            if "data" not in handle or "label" not in handle:
                report.skip(path.name, "h5 file without 'data' and 'label'")
                return None
            data, labels = np.asarray(handle["data"]), np.asarray(handle["label"])
    except OSError:
        report.skip(path.name, "missing or unreadable h5 file")
        return None
    if data.ndim != 3 or data.shape[2] < 3 or labels.size != len(data) or not np.issubdtype(labels.dtype, np.integer):
        report.skip(path.name, f"wrong shapes: data {data.shape} (want [B, P, 3]), label {labels.shape} (want [B] ints)")
        return None
    return data, labels.reshape(-1).astype(np.int64)


class ShapeNet55Config(MeshConfig):
    """ShapeNet-55 (Point-BERT layout) plus, optionally, ShapeNetCore.v2 meshes for rendering."""

    mesh_root: str = Field("", description="ShapeNetCore.v2 folder (<synset>/<id>/models/model_normalized.obj); '' = no views")
    render: bool = False  # views need mesh_root; the Point-BERT clouds alone are the test modality
    rotate_x_deg: float = Field(0.0, description="ShapeNetCore.v2 and Point-BERT's clouds are y-up already",
                                json_schema_extra={"augmentation": False})


class ShapeNet55(_CloudStore, MeshDataset):
    """``shapenet_pc/<synset>-<modelId>.npy`` (8192x3) with ``train.txt``/``test.txt``; labels = sorted synsets.

    With ``render`` or ``masked_variants`` the items come from the meshes under ``mesh_root``;
    otherwise from the Point-BERT clouds (checked and sampled once at build time).
    """

    Config = ShapeNet55Config

    def __init__(self, config: ShapeNet55Config | None = None) -> None:
        super().__init__(config)
        cfg = self.config
        root = _require_dir(Path(cfg.root), "ShapeNet-55 folder")
        lists = {s: root / f"{s}.txt" for s in ("train", "test")}
        if not lists[cfg.split].is_file():
            raise InputError(f"{lists[cfg.split]} is missing; Point-BERT's ShapeNet-55 ships train.txt and test.txt.")
        entries = {s: [l.strip() for l in p.read_text().splitlines() if l.strip()] for s, p in lists.items() if p.is_file()}
        self.classes = sorted({e.split("-", 1)[0] for lines in entries.values() for e in lines})
        keep = _keep_classes(cfg, self.classes)
        chosen = [e for e in entries[cfg.split] if keep is None or self.classes.index(e.split("-", 1)[0]) in keep]
        labels = [self.classes.index(e.split("-", 1)[0]) for e in chosen]
        self.meshes = bool(cfg.render or cfg.masked_variants)
        if self.meshes and not cfg.mesh_root:
            raise InputError("ShapeNet-55 views and masked copies need meshes: set mesh_root to ShapeNetCore.v2.")
        report = SkippedRecords(source=f"dataset/shapenet55 at {root}", strict=cfg.strict)
        if self.meshes:
            self.files = [_mesh_path(Path(cfg.mesh_root), e) for e in chosen]
            self.labels = labels
            if not self.files:
                report.finish(kept=0)
            self._check_meshes(report, Path(cfg.mesh_root))
            return
        self._points = []
        for entry, label in zip(chosen, labels):
            self._add(report, entry, lambda p=root / "shapenet_pc" / entry: read_point_file(p), label)
        self.report = report.finish(kept=len(self._points))


    def __len__(self) -> int:
        return super().__len__() if self.meshes else len(self._points)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return super().__getitem__(index) if self.meshes else self._cloud_item(index)


def _mesh_path(mesh_root: Path, entry: str) -> Path:
    synset, model_id = Path(entry).stem.split("-", 1)
    return mesh_root / synset / model_id / "models" / "model_normalized.obj"
