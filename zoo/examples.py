"""``zoo.example_input``: the small example input every published checkpoint ships.

A checkpoint folder holds ``example.<ext>`` (an image, a point file) or an ``example/`` folder (a
clip's frames); a catalog entry lists those files in ``files`` with their sha256, so the example is
fetched and verified like the weights. ``zoo predict NAME --example`` and the model card's "Use"
snippet run on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from zoo.errors import HubUnavailableError, InputError

if TYPE_CHECKING:
    from zoo.sources import HubSource

EXAMPLE = "example"


def _is_example(filename: str) -> bool:
    return filename.startswith(f"{EXAMPLE}/") or Path(filename).stem == EXAMPLE and "/" not in filename


def lists_example(filenames: Iterable[str]) -> bool:
    """True if a checkpoint's file list holds an example input (``example.<ext>`` or ``example/...``)."""
    return any(_is_example(f) for f in filenames)


def _example_of(files: dict[str, Path], where: str) -> Path:
    names = sorted(f for f in files if _is_example(f))
    if not names:
        raise InputError(
            f"{where} ships no example input (a file example.<ext> or a folder example/); pass an "
            "input of your own."
        )
    if names[0].startswith(f"{EXAMPLE}/"):
        return files[names[0]].parent  # every file of the folder was fetched beside it
    return files[names[0]]


def example_input(name: str) -> Path:
    """The local path of a checkpoint's example input (fetched and verified if needed).

    Args:
        name: a catalog name, ``local-dir:<folder>`` or ``hf-hub:org/repo@rev``.

    Returns:
        ``example.<ext>``, or the ``example/`` folder for inputs made of several files.

    Raises:
        InputError: if the checkpoint ships no example.
        RecipeNotPublishedError, UnknownComponentError: for a recipe or an unknown name.
        ChecksumMismatchError, HubUnavailableError, WeightsNotFoundError: as :func:`zoo.load`.
    """
    from zoo.loading import fetch
    from zoo.sources import LocalSource, is_source, parse_source

    if not is_source(name):
        from zoo.weights import CONFIG_NAME

        # fetch gets (and verifies) every file the entry pins, the example's too.
        return _example_of(fetch(name, filenames=(CONFIG_NAME,)).files, f"Checkpoint {name!r}")
    source = parse_source(name)
    if isinstance(source, LocalSource):
        found = {str(p.relative_to(source.path)): p for p in source.path.glob(f"{EXAMPLE}*") if p.is_file()}
        found |= {str(p.relative_to(source.path)): p for p in source.path.glob(f"{EXAMPLE}/*") if p.is_file()}
        return _example_of(found, str(source.path))
    return _example_of(_hub_example_files(source), str(source))


def _hub_example_files(source: HubSource) -> dict[str, Path]:
    """The example files of a Hub repository (no catalog entry lists them): one snapshot call.

    Raises:
        HubUnavailableError: if the Hub cannot be reached and nothing is cached.
    """
    from huggingface_hub import snapshot_download

    from zoo.hub import hub_cache_dir, hub_endpoint, is_offline

    try:
        folder = Path(
            snapshot_download(
                source.repo_id, revision=source.revision, cache_dir=hub_cache_dir(), endpoint=hub_endpoint(),
                allow_patterns=[f"{EXAMPLE}.*", f"{EXAMPLE}/*"], local_files_only=is_offline(),
            )
        )
    except OSError as exc:  # the client's offline/connection/not-found errors derive from OSError
        raise HubUnavailableError(
            f"Cannot list the example of {source}: {type(exc).__name__}: {exc}. Pass an input of your own, "
            "or run where the Hub is reachable."
        ) from None
    return {str(p.relative_to(folder)): p for p in folder.rglob("*") if p.is_file() and _is_example(str(p.relative_to(folder)))}
