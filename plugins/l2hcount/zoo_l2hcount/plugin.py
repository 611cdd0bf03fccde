"""zoo hooks of the L2HCount plugin (imports only ``zoo`` and the standard library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("encoder/vgg16-bn", "zoo_l2hcount.encoder:VGG16BNEncoder", "VGG16-BN (timm, features_only), strides 4/8/16"),
    ("head/density-decoder", "zoo_l2hcount.heads:DensityDecoder", "U-shaped 16→8→4 fusion and density output"),
    ("head/hfem", "zoo_l2hcount.heads:HeadFeatureEnhancement", "HFEM: head-aware spatial gate + head-mask logits"),
    ("memory/dual-density", "zoo_l2hcount.memory:DualDensityMemory", "DDMEM: low/high-density banks, gated read"),
    ("model/l2hcount", "zoo_l2hcount.model:L2HCount", "L2HCount low→high density crowd counter"),
    ("dataset/shanghaitech", "zoo_l2hcount.datasets:ShanghaiTech", "ShanghaiTech part A/B (.jpg + GT_IMG_*.mat)"),
    ("dataset/ucf-qnrf", "zoo_l2hcount.datasets:UCFQNRF", "UCF-QNRF (img_*.jpg + img_*_ann.mat)"),
    ("dataset/jhu-crowd", "zoo_l2hcount.datasets:JHUCrowd", "JHU-Crowd++ (images/, gt/*.txt)"),
    ("dataset/nwpu", "zoo_l2hcount.datasets:NWPUCrowd", "NWPU-Crowd (images/, jsons/ or mats/, split lists)"),
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
    from zoo_l2hcount.cli import l2hcount_group

    cli.add_command(l2hcount_group)
