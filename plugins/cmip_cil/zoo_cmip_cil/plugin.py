"""zoo hooks of the CMIP-CIL plugin (imports only ``zoo`` and the standard library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("model/cmip-cil", "zoo_cmip_cil.model:CMIPCIL", "CMIP-CIL: image-trained, point-tested class-incremental model"),
    ("encoder/resnet50-views", "zoo_cmip_cil.components:MultiViewImageEncoder", "timm backbone per view (ImageNet weights by default)"),
    ("head/projection", "zoo_cmip_cil.components:ProjectionHead", "in -> hidden (BN, ReLU) -> out projection head"),
    ("head/adapter", "zoo_cmip_cil.components:Adapter", "512 -> 256 -> ReLU -> 512 adapter"),
    ("head/cosine-incremental", "zoo_cmip_cil.components:CosineIncrementalClassifier", "growing cosine classifier, learnable sigma"),
    ("dataset/modelnet40", "zoo_cmip_cil.datasets:ModelNet40Mesh", "ModelNet40 raw .off meshes: points + 10 rendered views"),
    ("dataset/modelnet40-resampled", "zoo_cmip_cil.datasets:ModelNet40Resampled", "modelnet40_normal_resampled point clouds"),
    ("dataset/modelnet40-h5", "zoo_cmip_cil.datasets:ModelNet40H5", "modelnet40_ply_hdf5_2048 point clouds"),
    ("dataset/shapenet55", "zoo_cmip_cil.datasets:ShapeNet55", "ShapeNet-55 (Point-BERT layout) + optional meshes"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    """Register the plugin's components by name."""
    for name, target, summary in COMPONENTS:
        register(name, target, summary=summary)


@zoo.hookimpl
def zoo_register_catalog(add: Any) -> None:
    """Contribute the plugin's catalog file (checkpoints, recipes, ablation specs)."""
    add(Path(__file__).with_name("catalog.toml"))


@zoo.hookimpl
def zoo_register_commands(cli: Any) -> None:
    """Add the plugin's command group."""
    from zoo_cmip_cil.cli import cmip_cil

    cli.add_command(cmip_cil)
