"""zoo hooks of zoo-mer-data: the MER datasets it provides (names only; nothing heavy is imported).

Other MER plugins' datasets that live in this distribution append their lines to ``_DATASETS``.
"""

from __future__ import annotations

import zoo

_DATASETS = [
    ("dataset/casme3", "zoo_mer_data.casme3_dataset:Casme3Clips",
     "CAS(ME)^3 Part A clips: labels (3/4/7 classes), onset/apex/offset frame paths, quirk report"),
]


@zoo.hookimpl
def zoo_register_components(register) -> None:
    for name, target, summary in _DATASETS:
        register(name, target, summary=summary)
