"""Dataset name → labelled clips, read by ``zoo_mer_data``'s loaders in the datasets' real layouts."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path

from zoo.errors import InputError

#: Uni-MER dataset names and the ``zoo_mer_data`` module whose ``list_clips(root)`` reads them.
SOURCES = {
    "casme2": "zoo_mer_data.casme2",
    "deft-llm-synth": "zoo_mer_data.casme2",  # the synthetic set is written in the CASME II layout
    "samm": "zoo_mer_data.samm",
    "smic": "zoo_mer_data.smic",
    "smic-hs": "zoo_mer_data.smic",
    "megc2019": "zoo_mer_data.megc",
}


@dataclass(frozen=True)
class Clip:
    """The builder's view of a clip from a reader that returns items rather than clip records."""

    dataset: str
    subject: str
    clip: str
    onset_path: str
    apex_path: str
    emotion: str
    aus: str | None


def casme3_clips(root: str | Path) -> list[Clip]:
    """CAS(ME)^3 Part A clips (all 7 raw emotions) through ``dataset/casme3``'s reader, RGB frames."""
    from zoo_mer_data.casme3_dataset import Casme3Clips, Casme3Config

    data = Casme3Clips(Casme3Config(root=str(root), num_classes=7, modalities=["rgb"]))
    return [Clip("casme3", item["subject"], item["sample_id"], item["frames"]["rgb"]["onset"],
                 item["frames"]["rgb"]["apex"], item["emotion"], data.labels[item["sample_id"]].au)
            for item in data.items]


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
