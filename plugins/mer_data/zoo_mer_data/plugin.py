"""zoo hooks of zoo-mer-data: the MER datasets it provides (imports only ``zoo`` and the standard library).

A shared data distribution, not a method plugin: it registers datasets only (no catalog entries,
no commands), which the MER method plugins (Depth-MER, DEFT-LLM) and third parties build by name.
"""

from __future__ import annotations

from typing import Any

import zoo

COMPONENTS: tuple[tuple[str, str, str], ...] = (
    ("dataset/casme3", "zoo_mer_data.casme3_dataset:Casme3Clips",
     "CAS(ME)^3 Part A clips: labels (3/4/7 classes), onset/apex/offset frame paths, quirk report"),
    ("dataset/casme2", "zoo_mer_data.casme2:Casme2Clips", "CASME II clips (CASME2-coding xlsx by header name), 5 classes"),
    ("dataset/samm", "zoo_mer_data.samm:SammClips", "SAMM clips (FACS codes xlsx with preamble), 5 classes"),
    ("dataset/smic-hs", "zoo_mer_data.smic:SmicClips", "SMIC-HS clips (class from folder, middle frame = apex, no AUs)"),
    ("dataset/megc2019", "zoo_mer_data.megc:MegcClips", "MEGC2019 composite (SMIC-HS + CASME II + SAMM), 3 classes, 68 subjects"),
)


@zoo.hookimpl
def zoo_register_components(register: Any) -> None:
    """Register the distribution's datasets by name."""
    for name, target, summary in COMPONENTS:
        register(name, target, summary=summary)
