"""Labelled clips for the Uni-MER builder, read through the zoo's registered MER datasets.

There is no dataset table here: ``--dataset NAME`` names a registered dataset (``dataset/NAME``:
``casme2``, ``samm``, ``smic-hs``, ``megc2019``, ``casme3`` from zoo-mer-data, or any third-party
MER dataset that lists its clips as ``.clips`` of :class:`zoo_mer_data.clips.ClipRecord`), so a
new dataset needs no change in this plugin.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import zoo
import zoo.sdk as sdk

#: Short names people type for registered datasets (the registry names are the real ones).
ALIASES = {"smic": "smic-hs", "cas(me)3": "casme3", "casme^3": "casme3"}


def dataset_name(dataset: str) -> str:
    """``"casme2"`` / ``"dataset/casme2"`` / ``"smic"`` → ``"dataset/casme2"`` / ... ``"dataset/smic-hs"``."""
    short = dataset.lower().removeprefix("dataset/")
    return f"dataset/{ALIASES.get(short, short)}"


def list_clips(dataset: str, root: str | Path, strict: bool = False) -> list[Any]:
    """Every usable labelled clip of ``dataset`` under ``root`` (all of its emotions, all subjects).

    For CAS(ME)^3 the RGB frames are read, with every emotion (its 7-class setting).

    Raises:
        InputError: for a name that is not a registered dataset listing clips, or a root that is
            not in the dataset's layout (or, strict, a bad record).
    """
    name = dataset_name(dataset)
    config: dict[str, Any] = {"root": str(root), "strict": strict}
    if name == "dataset/casme3":
        config.update(num_classes=7, modalities=["rgb"])
    registered = zoo.list("dataset/*")
    if name not in registered:
        known = ", ".join(n.removeprefix("dataset/") for n in registered)
        raise sdk.InputError(f"Unknown dataset {dataset!r}; registered datasets: {known}.")
    data = zoo.build(name, **config)
    clips = getattr(data, "clips", None)
    if clips is None:
        raise sdk.InputError(f"{name} does not list labelled clips (.clips); the Uni-MER builder needs a MER dataset "
                             "such as casme2, samm, smic-hs, megc2019 or casme3.")
    return list(clips)
