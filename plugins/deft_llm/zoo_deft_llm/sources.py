"""Dataset name → labelled clips, read by ``zoo_mer_data``'s loaders in the datasets' real layouts."""

from __future__ import annotations

import importlib

from zoo.errors import InputError

#: Uni-MER dataset names and the ``zoo_mer_data`` module whose ``list_clips(root)`` reads them.
SOURCES = {
    "casme2": "zoo_mer_data.casme2",
    "deft-llm-synth": "zoo_mer_data.casme2",  # the synthetic set is written in the CASME II layout
    "samm": "zoo_mer_data.samm",
    "smic": "zoo_mer_data.smic",
    "smic-hs": "zoo_mer_data.smic",
    "casme3": "zoo_mer_data.casme3_clips",
    "megc2019": "zoo_mer_data.megc",
}


def list_clips(dataset: str, root: str) -> list:
    """The labelled clips of ``dataset`` under ``root`` (objects with the builder's ClipLike fields).

    Raises:
        InputError: for an unknown dataset name, or a root that is not in the dataset's layout.
    """
    module_name = SOURCES.get(dataset.lower())
    if module_name is None:
        raise InputError(f"Unknown dataset {dataset!r}; expected one of {', '.join(SOURCES)}.")
    return importlib.import_module(module_name).list_clips(root)
