"""zoo hooks of the Depth-MER plugin (imports only ``zoo`` and the standard library: ``zoo list`` stays fast)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

#: (registry name, "package.module:Class", summary): everything this plugin registers. DGCNN, the
#: fourth compared network, is ``encoder/dgcnn`` from zoo-point-ops.
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("encoder/pointnet2-ssg", "zoo_depth_mer.pointnet2:PointNet2Encoder",
     "PointNet++ single-scale-grouping point encoder [B,N,C] -> [B,1024]"),
    ("encoder/pointnet2-msg", "zoo_depth_mer.pointnet2:PointNet2MSGEncoder",
     "PointNet++ multi-scale-grouping point encoder [B,N,C] -> [B,1024]"),
    ("encoder/pointnet", "zoo_depth_mer.pointnet:PointNetEncoder", "PointNet point encoder [B,N,C] -> [B,1024]"),
    ("head/motion-classifier", "zoo_depth_mer.head:MotionClassifier",
     "FC 512 -> 256 -> classes (dropout 0.4) on a global point feature"),
    ("model/depth-mer", "zoo_depth_mer.model:DepthMER",
     "Depth-MER: onset/apex depth pair -> 6-D motion points -> point encoder -> emotion class"),
    ("dataset/casme3-depth", "zoo_depth_mer.datasets:Casme3Depth",
     "CAS(ME)^3 Part A onset/apex depth pairs as 6-D motion point sets (3/4/7 classes, LOSO subjects)"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    for name, target, summary in COMPONENTS:
        register(name, target, summary=summary)


@zoo.hookimpl
def zoo_register_catalog(add: Any) -> None:
    add(Path(__file__).with_name("catalog.toml"))


@zoo.hookimpl
def zoo_register_commands(cli: Any) -> None:
    from zoo_depth_mer.cli import depth_mer  # click only: the verbs import torch when they run

    cli.add_command(depth_mer)
