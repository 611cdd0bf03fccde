"""Dataset name → labelled clips, read by ``zoo_mer_data``'s loaders in the datasets' real layouts."""

from __future__ import annotations

import importlib
from pathlib import Path

from zoo.errors import InputError
from zoo_mer_data.casme2 import ClipRecord

#: Uni-MER dataset names and the ``zoo_mer_data`` module whose ``list_clips(root)`` reads them.
SOURCES = {
    "casme2": "zoo_mer_data.casme2",
    "deft-llm-synth": "zoo_mer_data.casme2",  # the synthetic set is written in the CASME II layout
    "samm": "zoo_mer_data.samm",
    "smic": "zoo_mer_data.smic",
    "smic-hs": "zoo_mer_data.smic",
    "megc2019": "zoo_mer_data.megc",
}


def casme3_clips(root: str | Path) -> list[ClipRecord]:
    """CAS(ME)^3 Part A clips (all 7 raw emotions) through ``dataset/casme3``'s reader, RGB frames.

    Returned as the same :class:`ClipRecord` the other readers give, so the builder sees one type.
    """
    from zoo_mer_data.casme3_dataset import Casme3Clips, Casme3Config

    data = Casme3Clips(Casme3Config(root=str(root), num_classes=7, modalities=["rgb"]))
    records = []
    for item in data.items:
        rgb = item["frames"]["rgb"]
        records.append(ClipRecord(
            dataset="casme3", subject=item["subject"], clip=item["sample_id"],
            onset_frame=rgb["onset_frame"], apex_frame=rgb["apex_frame"], offset_frame=item["offset"],
            onset_path=rgb["onset"], apex_path=rgb["apex"], emotion=item["emotion"],
            aus=data.labels[item["sample_id"]].au,
        ))
    return records


def list_clips(dataset: str, root: str | Path) -> list:
    """The labelled clips of ``dataset`` under ``root`` (objects with the builder's ClipLike fields).

    Raises:
        InputError: for an unknown dataset name, or a root that is not in the dataset's layout.
    """
    name = dataset.lower()
    if name in {"casme3", "cas(me)3", "casme^3"}:
        return casme3_clips(root)
    module_name = SOURCES.get(name)
    if module_name is None:
        raise InputError(f"Unknown dataset {dataset!r}; expected one of {', '.join([*SOURCES, 'casme3'])}.")
    return importlib.import_module(module_name).list_clips(root)
