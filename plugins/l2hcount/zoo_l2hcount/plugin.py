"""zoo hooks of the L2HCount plugin (imports only ``zoo`` and the standard library)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo

_HERE = Path(__file__).resolve().parent

_COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("encoder/vgg16-bn", "zoo_l2hcount.encoder:VGG16BNEncoder", "VGG16-BN (timm, features_only), strides 4/8/16"),
    ("head/density-decoder", "zoo_l2hcount.heads:DensityDecoder", "U-shaped 16→8→4 fusion and density output"),
    ("head/hfem", "zoo_l2hcount.heads:HeadFeatureEnhancement", "HFEM: head-aware spatial gate + head-mask logits"),
    ("memory/dual-density", "zoo_l2hcount.memory:DualDensityMemory", "DDMEM: low/high-density banks, gated read"),
    ("model/l2hcount", "zoo_l2hcount.model:L2HCount", "L2HCount low→high density crowd counter"),
    ("dataset/shanghaitech", "zoo_l2hcount.loaders:ShanghaiTech", "ShanghaiTech part A/B (.jpg + GT_IMG_*.mat)"),
    ("dataset/ucf-qnrf", "zoo_l2hcount.loaders:UCFQNRF", "UCF-QNRF (img_*.jpg + img_*_ann.mat)"),
    ("dataset/jhu-crowd", "zoo_l2hcount.loaders:JHUCrowd", "JHU-Crowd++ (images/, gt/*.txt)"),
    ("dataset/nwpu", "zoo_l2hcount.loaders:NWPUCrowd", "NWPU-Crowd (images/, jsons/ or mats/, split lists)"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    """Register the L2HCount components and dataset loaders by name."""
    for name, target, summary in _COMPONENTS:
        register(name, target, summary=summary)


@zoo.hookimpl
def zoo_register_catalog(add: Any) -> None:
    """Contribute ``l2hcount-synth`` (published, local) and the real-data recipes."""
    from zoo_l2hcount.catalog_entries import catalog_entries

    for entry in catalog_entries(_HERE):
        add(entry, base_dir=_HERE)


@zoo.hookimpl
def zoo_register_commands(cli: Any) -> None:
    """Add ``zoo l2hcount ...`` (make-synth, train-synth)."""
    from zoo_l2hcount.cli import l2hcount_group

    cli.add_command(l2hcount_group)
