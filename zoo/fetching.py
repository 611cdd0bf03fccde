"""Resolving a name once and fetching its files, verified: the first half of ``zoo.load``.

:func:`resolve_target` turns a catalog name, a source string or a folder path into a
:class:`Target` (entry + source) exactly once; :func:`fetch` gets its files into the HF cache (or
finds them in a folder) and checks each against the strongest digest there is: the catalog's
sha256 pin, else the Hub's own digest (see :mod:`zoo.cache`). ``ResolvedWeights.checks`` records
which check each file passed (``zoo download/verify --json`` print it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zoo.catalog import CatalogEntry, get_catalog
from zoo.errors import ConfigError, RecipeNotPublishedError, UnknownComponentError, WeightsNotFoundError
from zoo.sources import (
    HubSource, LocalSource, Source, check_filename, check_revision, is_source, local_path, parse_source,
)
from zoo.weights import CONFIG_NAME, WEIGHTS_NAME, verify_file

#: What ``ResolvedWeights.checks`` says for each kind of check.
CHECK_PIN = "sha256 pinned by the catalog"
CHECK_NONE = "none (no recorded digest)"


@dataclass(frozen=True)
class Target:
    """A name resolved once: its catalog entry (if any) and the source its files come from."""

    name: str
    source: Source
    entry: CatalogEntry | None = None


@dataclass
class ResolvedWeights:
    """Local paths of a checkpoint's files, verified."""

    source: Source
    files: dict[str, Path]
    entry: CatalogEntry | None
    cache: Path | None = None
    #: ``{filename: the check it passed}`` (:data:`CHECK_PIN`, a Hub digest, :data:`CHECK_NONE`).
    checks: dict[str, str] = field(default_factory=dict)


def recipe_message(entry: CatalogEntry) -> str:
    """How to train and publish a recipe entry (the text of :class:`RecipeNotPublishedError`)."""
    reproduce = entry.reproduce or f"zoo train {entry.name} --data <dataset root>"
    return (
        f"{entry.name!r} is a recipe: its weights are not published yet. Build the architecture "
        f"without weights with zoo.build({entry.name!r}); train it with `{reproduce}`, then "
        "`zoo publish runs/<name>/publish <org>/<repo>` and add the printed entry to registry.toml."
    )


#: A name starting with one of these is a folder path (``zoo.load("./runs/x/publish")``).
FOLDER_PREFIXES = ("/", "./", "../", "~", ".\\", "..\\")


def resolve_target(name: str, revision: str | None = None) -> Target:
    """Resolve a catalog name, a source string or a folder path, once.

    A plain path loads the folder like ``local-dir:path``: one that starts with ``/``, ``./``,
    ``../`` or ``~``, or any existing folder that is not also a catalog name.

    Raises:
        UnknownComponentError: unknown name (with close matches).
        RecipeNotPublishedError: the entry is a recipe.
        SourceError: a malformed source string.
        ConfigError: ``revision`` conflicts with the name (a catalog pin, a local folder).
    """
    if is_source(name):
        return Target(name, _with_revision(parse_source(name), revision, name))
    if name.startswith(FOLDER_PREFIXES):
        return Target(name, _with_revision(LocalSource(local_path(name)), revision, name))
    try:
        entry = get_catalog().get(name)
    except UnknownComponentError:
        if Path(name).is_dir():
            return Target(name, _with_revision(LocalSource(Path(name)), revision, name))
        raise
    if entry.status == "recipe":
        raise RecipeNotPublishedError(recipe_message(entry))
    source = entry.parsed_source()
    if revision is not None and not (isinstance(source, HubSource) and revision == source.revision):
        raise ConfigError(
            f"{name!r} pins {source}; revision={revision!r} would load other files than the catalog verifies. "
            f"Load the other revision as a source instead: zoo.load('hf-hub:<repo>@{revision}')."
        )
    return Target(name, source, entry)


def _with_revision(source: Source, revision: str | None, name: str) -> Source:
    if revision is None:
        return source
    if isinstance(source, LocalSource):
        raise ConfigError(f"{name!r} is a local folder: it has no revisions (got revision={revision!r}).")
    if "@" in name.partition("hf-hub:")[2] and revision != source.revision:
        raise ConfigError(f"{name!r} names revision {source.revision!r} but revision={revision!r} was passed; give one.")
    return replace(source, revision=check_revision(revision, name))


def fetch(
    name: str | Target,
    filenames: tuple[str, ...] = (CONFIG_NAME, WEIGHTS_NAME),
    full_check: bool = False,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    local_files_only: bool | None = None,
    with_example: bool = False,
) -> ResolvedWeights:
    """Get a checkpoint's files (download into the HF cache if needed) and verify them.

    Args:
        name: a catalog name, a source string, a folder path, or a :class:`Target` resolved before.
        filenames: the files wanted (the entry's pinned files are always included).
        full_check: hash every file even if this process verified it before (``zoo verify``).
        revision, cache_dir, token, local_files_only: as :func:`load`.
        with_example: for a direct Hub source, also its example input (a catalog entry pins its
            example among its files), so that ``zoo download`` prepares ``zoo predict --example``
            for offline use.

    Raises:
        RecipeNotPublishedError: for a ``recipe`` entry.
        ChecksumMismatchError: if a file differs from its pinned sha256 or the Hub's digest (a
            cached Hub file is removed so that no later load trusts it).
        HubUnavailableError, WeightsNotFoundError: see :func:`zoo.hub.fetch_file`.
    """
    target = name if isinstance(name, Target) else resolve_target(name, revision)
    entry, source = target.entry, target.source
    wanted = tuple(dict.fromkeys((*filenames, *(entry.files if entry else ()))))
    cache = _cache_dir(source, cache_dir)
    files: dict[str, Path] = {}
    checks: dict[str, str] = {}
    for filename in _with_example(wanted, source, entry, cache, token, local_files_only) if with_example else wanted:
        pinned = entry.files.get(filename) if entry is not None else None
        files[filename], checks[filename] = _fetch_one(
            source, filename, cache, token, bool(local_files_only), verify=pinned is None, full_check=full_check
        )
        if pinned is not None:
            verify_file(files[filename], pinned, cache=cache, use_memo=not full_check)
            checks[filename] = CHECK_PIN
    return ResolvedWeights(source, files, entry, cache, checks)


def _with_example(wanted: tuple[str, ...], source: Source, entry: CatalogEntry | None, cache: Path | None,
                  token: Any, local_files_only: bool | None) -> Any:
    """``wanted``, then (for a direct Hub source) its example's files, listed once the others came."""
    yield from wanted
    if entry is None and isinstance(source, HubSource):
        from zoo.examples import hub_example_names

        yield from hub_example_names(source, cache_dir=cache, local_files_only=bool(local_files_only), token=token) or ()


def _cache_dir(source: Source, cache_dir: str | Path | None) -> Path | None:
    if isinstance(source, LocalSource):
        return None
    from zoo.hub import hub_cache_dir

    return Path(cache_dir) if cache_dir is not None else hub_cache_dir()


def _fetch_one(source: Source, filename: str, cache: Path | None, token: Any, local_only: bool,
               verify: bool, full_check: bool) -> tuple[Path, str]:
    """One file and the check it passed (the Hub's digest, checked again in full for ``zoo verify``)."""
    check_filename(filename, str(source))
    if isinstance(source, LocalSource):
        if not source.path.is_dir():
            raise WeightsNotFoundError(f"{source.path} is not a folder (source {source}); a zoo checkpoint folder "
                                       f"holds {CONFIG_NAME} and {WEIGHTS_NAME} (written by zoo.save).")
        path = source.path / filename
        if not path.is_file():
            raise WeightsNotFoundError(f"{path} does not exist or is not a file (source {source}).")
        return path, CHECK_NONE
    from zoo.cache import hub_digest
    from zoo.hub import HUB_HINT, fetch_file

    path = fetch_file(source, filename, token=token, cache_dir=cache, local_files_only=local_only, verify=verify)
    digest = hub_digest(path, cache) if cache is not None and verify else None
    if digest is None:
        return path, CHECK_NONE
    if full_check:
        verify_file(path, digest.value, algorithm=digest.algorithm, cache=cache, use_memo=False, hint=HUB_HINT)
    return path, f"{digest.algorithm} published by the Hub (ETag)"
