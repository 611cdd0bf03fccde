"""zoo hooks of zoo-point-ops (imports only ``zoo``: ``zoo list`` stays fast).

A library distribution, not a method plugin: it registers a component and ships no catalog
entries and no CLI group, so only ``zoo_register_components`` is implemented (the other hooks are
optional, see ``zoo/hookspecs.py``). The point operations themselves are plain functions that
plugins import from :mod:`zoo_point_ops.ops`.
"""

from __future__ import annotations

from typing import Any

import zoo

#: (registry name, "package.module:Class", summary): everything this distribution registers.
COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("encoder/dgcnn", "zoo_point_ops.dgcnn:DGCNNEncoder",
     "DGCNN point encoder [B,N,C] -> [B,2*emb_dims] (EdgeConv, max || avg pooling)"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    for name, target, summary in COMPONENTS:
        register(name, target, summary=summary)
