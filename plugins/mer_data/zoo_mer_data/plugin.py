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

# CASME II, SAMM, SMIC-HS and the MEGC2019 composite (added with DEFT-LLM; same item layout as casme3).
_DATASETS += [
    ("dataset/casme2", "zoo_mer_data.casme2:Casme2Clips", "CASME II clips (CASME2-coding xlsx by header name), 5 classes"),
    ("dataset/samm", "zoo_mer_data.samm:SammClips", "SAMM clips (FACS codes xlsx with preamble), 5 classes"),
    ("dataset/smic-hs", "zoo_mer_data.smic:SmicClips", "SMIC-HS clips (class from folder, middle frame = apex, no AUs)"),
    ("dataset/megc2019", "zoo_mer_data.megc:MegcClips", "MEGC2019 composite (SMIC-HS + CASME II + SAMM), 3 classes, 68 subjects"),
]
