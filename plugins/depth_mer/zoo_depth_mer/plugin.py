"""zoo hooks of the Depth-MER plugin (imports nothing heavy: only names are registered here)."""

from __future__ import annotations

from pathlib import Path

import zoo

_COMPONENTS = [
    ("encoder/pointnet2-ssg", "zoo_depth_mer.pointnet2:PointNet2Encoder",
     "PointNet++ single-scale-grouping point encoder [B,N,C] -> [B,1024]", ()),
    ("encoder/pointnet2-msg", "zoo_depth_mer.pointnet2:PointNet2MSGEncoder",
     "PointNet++ multi-scale-grouping point encoder [B,N,C] -> [B,1024]", ()),
    ("encoder/pointnet", "zoo_depth_mer.pointnet:PointNetEncoder",
     "PointNet point encoder [B,N,C] -> [B,1024]", ()),
    ("head/motion-classifier", "zoo_depth_mer.head:MotionClassifier",
     "FC 512 -> 256 -> classes (dropout 0.4) on a global point feature", ()),
    ("model/depth-mer", "zoo_depth_mer.model:DepthMER",
     "Depth-MER: onset/apex depth pair -> 6-D motion points -> point encoder -> emotion class", ()),
    ("dataset/casme3-depth", "zoo_depth_mer.dataset:Casme3Depth",
     "CAS(ME)^3 Part A onset/apex depth pairs as 6-D motion point sets (3/4/7 classes, LOSO subjects)", ()),
]


@zoo.hookimpl
def zoo_register_components(register) -> None:
    for name, target, summary, aliases in _COMPONENTS:
        register(name, target, summary=summary, aliases=aliases)


@zoo.hookimpl
def zoo_register_commands(cli) -> None:
    from zoo_depth_mer.cli import depth_mer  # click only: no torch at import

    cli.add_command(depth_mer)


@zoo.hookimpl
def zoo_register_catalog(add) -> None:
    from zoo_depth_mer.catalog_entries import catalog_entries

    here = Path(__file__).parent
    for entry in catalog_entries(here):
        add(entry, base_dir=here)
