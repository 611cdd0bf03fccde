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

from zoo.errors import HubUnavailableError, InputError, WeightsNotFoundError

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
        name: a catalog name, ``local-dir:<folder>``, a folder path or ``hf-hub:org/repo@rev``.

    Returns:
        ``example.<ext>``, or the ``example/`` folder for inputs made of several files.

    Raises:
        InputError: if the checkpoint ships no example.
        RecipeNotPublishedError, UnknownComponentError: for a recipe or an unknown name.
        ChecksumMismatchError, HubUnavailableError, WeightsNotFoundError: as :func:`zoo.load`.
    """
    from zoo.fetching import fetch, resolve_target
    from zoo.sources import LocalSource
    from zoo.weights import CONFIG_NAME

    target = resolve_target(name)
    if target.entry is not None:
        # fetch gets (and verifies) every file the entry pins, the example's too.
        return _example_of(fetch(target, filenames=(CONFIG_NAME,)).files, f"Checkpoint {name!r}")
    source = target.source
    if isinstance(source, LocalSource):  # local-dir:PATH or a plain folder path
        if not source.path.is_dir():
            raise WeightsNotFoundError(f"{source.path} is not a folder (source {source}); nothing to take an example from.")
        found = {str(p.relative_to(source.path)): p for p in source.path.glob(f"{EXAMPLE}*") if p.is_file()}
        found |= {str(p.relative_to(source.path)): p for p in source.path.glob(f"{EXAMPLE}/*") if p.is_file()}
        return _example_of(found, str(source.path))
    return _example_of(_hub_example_files(source), str(source))


def hub_example_names(
    source: HubSource, *, cache_dir: str | Path | None = None, local_files_only: bool = False,
    token: str | bool | None = None,
) -> list[str] | None:
    """The example files of a Hub repository (no catalog entry lists them), found through zoo.hub.

    Like every other fetch: a pinned commit whose example is cached, and offline mode, read the
    disk only (zero connections); otherwise one bounded request lists the repository's files.

    Returns:
        The example's filenames (empty if the repository ships none), or None offline when no
        example of that revision is cached (the repository may still ship one).

    Raises:
        HubUnavailableError: if the Hub cannot be reached and nothing of that revision is cached.
        WeightsNotFoundError: if the repository or revision does not exist.
    """
    from zoo.cache import cached_filenames
    from zoo.hub import hub_cache_dir, is_offline, list_files

    cache = Path(cache_dir) if cache_dir is not None else hub_cache_dir()
    cached = [f for f in cached_filenames(cache, source.repo_id, source.revision) or () if _is_example(f)]
    offline = local_files_only or is_offline()
    if cached and (source.pinned or offline):
        return cached  # a pinned commit never changes; offline, the cache is all there is
    if offline:
        return None
    return [f for f in list_files(source, token=token, cache_dir=cache) if _is_example(f)]


def _hub_example_files(source: HubSource) -> dict[str, Path]:
    """The example files of a Hub repository, fetched with the zoo's timeouts and the Hub's digest.

    Raises:
        HubUnavailableError: offline (or no Hub) and the example is not in the cache.
        WeightsNotFoundError: the repository or revision does not exist.
        ChecksumMismatchError: a cached example differs from the Hub's digest of it.
    """
    from zoo.hub import fetch_file, hub_cache_dir

    names = hub_example_names(source)
    if names is None:
        raise HubUnavailableError(
            f"Cannot get the example input of {source}: offline mode is on (HF_HUB_OFFLINE/ZOO_OFFLINE) and it "
            f"is not in the cache {hub_cache_dir()}. Run `zoo download {source}` where the Hub is reachable "
            "(it fetches the example too), or pass an input of your own."
        )
    return {name: fetch_file(source, name) for name in names}
