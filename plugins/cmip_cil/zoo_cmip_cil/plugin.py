"""Hook implementations of the CMIP-CIL plugin (light: imports only ``zoo`` and the stdlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

_PKG = "zoo_cmip_cil"

#: (registry name, target, summary)
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("model/cmip-cil", "model:CMIPCIL", "CMIP-CIL: image-trained, point-tested class-incremental model"),
    ("encoder/resnet50-views", "components:MultiViewImageEncoder", "timm backbone per view, view-averaged"),
    ("head/projection", "components:ProjectionHead", "in -> hidden (BN, ReLU) -> out projection head"),
    ("head/adapter", "components:Adapter", "512 -> 256 -> ReLU -> 512 adapter"),
    ("head/cosine-incremental", "components:CosineIncrementalClassifier", "growing cosine classifier, learnable sigma"),
    ("dataset/modelnet40", "datasets:ModelNet40Mesh", "ModelNet40 raw .off meshes: points + 10 rendered views"),
    ("dataset/modelnet40-resampled", "datasets:ModelNet40Resampled", "modelnet40_normal_resampled point clouds"),
    ("dataset/modelnet40-h5", "datasets:ModelNet40H5", "modelnet40_ply_hdf5_2048 point clouds"),
    ("dataset/shapenet55", "datasets:ShapeNet55", "ShapeNet-55 (Point-BERT layout) + optional meshes"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    for name, target, summary in COMPONENTS:
        register(name, f"{_PKG}.{target}", summary=summary)


@zoo.hookimpl
def zoo_register_catalog(add: Any) -> None:
    from zoo_cmip_cil.catalog_entries import catalog_entries  # standard library only

    base = Path(__file__).parent
    for entry in catalog_entries(base):
        add(entry, base_dir=base)


@zoo.hookimpl
def zoo_register_commands(cli: Any) -> None:
    from zoo_cmip_cil.cli import cmip_cil  # click only; the verbs import torch/open3d lazily

    cli.add_command(cmip_cil)
