"""``zoo.load``: resolve once → fetch → verify → check the format → build → load strictly.

The order matters: files are verified before anything parses them, and the model is built from the
``config.json`` that travelled with the weights (checked against the catalog entry), so a drifted
catalog or a tampered file is an error, never a silently different model.

What each source kind guarantees (docs/architecture.md, "What the zoo promises"):

- a catalog entry: every file it pins has exactly that sha256 (Hub or local folder);
- ``hf-hub:org/repo@rev``: every cached file has the digest the Hub published for it (its sha256
  for LFS files, its git blob id otherwise), checked at download and on every load;
- a folder (``local-dir:path`` or a plain path): the weights match the ``weights_sha256`` that
  ``zoo.save`` recorded in its ``config.json`` (folders saved before that record exist are loaded
  unverified); a local file is never deleted.

Every source: the weights are valid safetensors (a pickle in disguise, a truncated file or a bad
header is a typed error; a cached copy is purged so the next load fetches it again).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from zoo.catalog import CatalogEntry, get_catalog
from zoo.errors import (
    CatalogError,
    ConfigError,
    CorruptWeightsError,
    InputError,
    MissingPluginError,
    RecipeNotPublishedError,
    UnknownComponentError,
    UnsafeWeightsError,
    WeightsNotFoundError,
)
from zoo.saving import SavedConfig, read_saved_config
from zoo.sources import HubSource, LocalSource, Source, is_source, parse_source
from zoo.weights import CONFIG_NAME, WEIGHTS_NAME, load_weights, verify_file


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
    cache: Path | None = field(default=None)


def recipe_message(entry: CatalogEntry) -> str:
    """How to train and publish a recipe entry (the text of :class:`RecipeNotPublishedError`)."""
    reproduce = entry.reproduce or f"zoo train {entry.name} --data <dataset root>"
    return (
        f"{entry.name!r} is a recipe: its weights are not published yet. Build the architecture "
        f"without weights with zoo.build({entry.name!r}); train it with `{reproduce}`, then "
        "`zoo publish runs/<name>/publish <org>/<repo>` and add the printed entry to registry.toml."
    )


_PATH_PREFIXES = ("/", "./", "../", "~", ".\\", "..\\")


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
    if name.startswith(_PATH_PREFIXES):
        return Target(name, _with_revision(LocalSource(Path(name).expanduser()), revision, name))
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
    return replace(source, revision=revision)


def fetch(
    name: str | Target,
    filenames: tuple[str, ...] = (CONFIG_NAME, WEIGHTS_NAME),
    full_check: bool = False,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    local_files_only: bool | None = None,
) -> ResolvedWeights:
    """Get a checkpoint's files (download into the HF cache if needed) and verify them.

    Args:
        name: a catalog name, a source string, a folder path, or a :class:`Target` resolved before.
        filenames: the files wanted (the entry's pinned files are always included).
        full_check: hash every file even if this process verified it before (``zoo verify``).
        revision, cache_dir, token, local_files_only: as :func:`load`.

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
    for filename in wanted:
        pinned = entry.files.get(filename) if entry is not None else None
        files[filename] = _fetch_one(source, filename, cache, token, bool(local_files_only),
                                     verify=pinned is None, full_check=full_check)
        if pinned is not None:
            verify_file(files[filename], pinned, cache=cache, use_memo=not full_check)
    return ResolvedWeights(source, files, entry, cache)


def _cache_dir(source: Source, cache_dir: str | Path | None) -> Path | None:
    if isinstance(source, LocalSource):
        return None
    from zoo.hub import hub_cache_dir

    return Path(cache_dir) if cache_dir is not None else hub_cache_dir()


def _fetch_one(source: Source, filename: str, cache: Path | None, token: Any, local_only: bool,
               verify: bool, full_check: bool) -> Path:
    if isinstance(source, LocalSource):
        if not source.path.is_dir():
            raise WeightsNotFoundError(f"{source.path} is not a folder (source {source}); a zoo checkpoint folder "
                                       f"holds {CONFIG_NAME} and {WEIGHTS_NAME} (written by zoo.save).")
        path = source.path / filename
        if not path.is_file():
            raise WeightsNotFoundError(f"{path} does not exist or is not a file (source {source}).")
        return path
    from zoo.hub import HUB_HINT, fetch_file

    path = fetch_file(source, filename, token=token, cache_dir=cache, local_files_only=local_only, verify=verify)
    if full_check and verify:
        from zoo.cache import hub_digest

        digest = hub_digest(path, cache) if cache is not None else None
        if digest is not None:
            verify_file(path, digest.value, algorithm=digest.algorithm, cache=cache, use_memo=False, hint=HUB_HINT)
    return path


def _migration(saved: SavedConfig) -> Any:
    """A state-dict migration when the installed plugin differs from the one that saved."""
    from zoo.plugins import get_host

    host = get_host()
    entry = host.registry.entries.get(saved.model)
    recorded = saved.components.get(saved.model, "")
    if entry is None or not recorded or recorded == entry.provider:
        return None
    from_version = recorded.rpartition("@")[2]

    def migrate(state: dict) -> dict:
        result = host.manager.hook.zoo_migrate_state_dict(name=saved.model, from_version=from_version, state_dict=state)
        return result if result is not None else state

    return migrate


def build_from_saved(saved: SavedConfig) -> Any:
    """Build the architecture a ``config.json`` describes.

    Raises:
        MissingPluginError: if a component it needs is not registered (names the distribution).
    """
    from zoo.factory import build

    try:
        return build(saved.model, **saved.config)
    except UnknownComponentError as exc:
        needed = ", ".join(f"{k} from {v}" for k, v in sorted(saved.components.items()))
        raise MissingPluginError(f"{exc} This checkpoint needs: {needed}. Install the plugin(s).") from None


def _check_against_entry(entry: CatalogEntry, saved: SavedConfig, model: Any) -> None:
    """The catalog entry's config, completed with the defaults, must be the one the weights carry."""
    from zoo.config import merge_overrides, validate_config
    from zoo.factory import field_defaults

    if entry.model != saved.model:
        raise CatalogError(f"{entry.name}: catalog says {entry.model}, config.json says {saved.model}.")
    if not entry.config:
        return
    config_cls = type(model.config)
    expected = validate_config(config_cls, merge_overrides(field_defaults(config_cls), entry.config), entry.model)
    if expected != model.config:
        raise CatalogError(
            f"{entry.name}: the catalog entry's config differs from the config.json stored with the "
            "weights. Fix the catalog entry (the weights' config.json is authoritative)."
        )


def _check_weights(resolved: ResolvedWeights, saved: SavedConfig) -> Path:
    """The weights' digest against config.json's record (when no catalog pins them), and their format.

    Raises:
        ChecksumMismatchError: the weights are not the ones this config.json was saved with.
        CorruptWeightsError, UnsafeWeightsError: the file is not valid safetensors (a cached copy
            is purged first, so the next load fetches it again).
    """
    from zoo.weights import check_safetensors

    path = resolved.files[WEIGHTS_NAME]
    pinned = resolved.entry is not None and WEIGHTS_NAME in resolved.entry.files
    if saved.weights_sha256 and not pinned:
        verify_file(path, saved.weights_sha256, cache=resolved.cache, hint=(
            f"The expected value is the weights_sha256 that zoo.save recorded in {CONFIG_NAME}: these are not "
            "the weights it was saved with. Save the model again (zoo.save) to record new weights."))
    try:
        check_safetensors(path)
    except (CorruptWeightsError, UnsafeWeightsError) as exc:
        raise _purged(exc, path, resolved.cache) from None
    return path


def _purged(exc: CorruptWeightsError | UnsafeWeightsError, path: Path, cache: Path | None) -> Exception:
    """The same error, after removing a cached copy (a local file is left in place)."""
    from zoo.cache import purge_cached_file

    if cache is None:
        fate = "The file was left in place (a local file is never deleted)."
    else:
        fate = purge_cached_file(path, cache).note
    return type(exc)(exc.path, exc.problem, fate)


def _place(model: Any, device: Any, dtype: Any) -> Any:
    """Move the model to ``device``/``dtype`` (names such as ``"cuda"``, ``"bf16"`` accepted).

    Raises:
        InputError: if the device or dtype cannot be used here.
    """
    import torch

    if isinstance(dtype, str):
        name = _DTYPES.get(dtype.lower().removeprefix("torch."))
        if name is None:
            raise InputError(f"Unknown dtype {dtype!r}; use one of {', '.join(sorted(_DTYPES))} or a torch.dtype.")
        dtype = getattr(torch, name)
    try:
        return model.to(device=device or "cpu", dtype=dtype)
    except (RuntimeError, AssertionError, ValueError, TypeError) as exc:
        raise InputError(f"Cannot move the model to device={device!r}, dtype={dtype!r}: {exc}") from None


_DTYPES = {
    "float32": "float32", "fp32": "float32", "float": "float32", "float16": "float16", "fp16": "float16",
    "half": "float16", "bfloat16": "bfloat16", "bf16": "bfloat16", "float64": "float64", "fp64": "float64",
}


def load(
    name: str,
    *,
    revision: str | None = None,
    device: Any = None,
    dtype: Any = None,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    local_files_only: bool | None = None,
) -> Any:
    """Load a named checkpoint, a source, or a folder, with verified weights (like ``from_pretrained``).

    Args:
        name: a catalog name (``"l2hcount-synth"``), a source (``"hf-hub:org/repo@<commit>"``,
            ``"local-dir:path"``) or a folder path (``"./runs/x/publish"``).
        revision: a Hub revision for an ``hf-hub:`` source written without ``@rev`` (a catalog
            entry pins its own; asking for another is an error).
        device: where to put the model (default CPU), e.g. ``"cuda"``, ``torch.device("cuda:1")``.
        dtype: the floating dtype (``torch.bfloat16`` or ``"bf16"``; default: as saved, float32).
        cache_dir: the HF cache folder (default: ``HF_HUB_CACHE``/``HF_HOME``).
        token: a Hub token for private repositories (default: the logged-in one).
        local_files_only: use the cache only, as ``HF_HUB_OFFLINE=1`` does (default: the
            environment decides; ``HF_HUB_OFFLINE``/``ZOO_OFFLINE`` always win).

    Returns:
        The model in eval mode, with verified weights loaded strictly; ``model.zoo_source`` names
        where they came from.

    Raises:
        UnknownComponentError: unknown name (with close matches).
        RecipeNotPublishedError: the entry is a recipe (the message says how to train/publish).
        ChecksumMismatchError: a file does not match its pinned sha256 or the Hub's digest.
        CorruptWeightsError, UnsafeWeightsError: the weights are not valid safetensors.
        HubUnavailableError: no network (or offline mode) and the files are not cached.
        WeightsNotFoundError: the repository, revision, folder or file does not exist.
        MissingPluginError: the checkpoint needs a plugin that is not installed.
        CatalogError: the catalog entry disagrees with the checkpoint's config.json.
        ConfigError: config.json is invalid, or ``revision`` conflicts with the name.
        InputError: the device or dtype cannot be used.
    """
    target = resolve_target(name, revision)
    resolved = fetch(target, cache_dir=cache_dir, token=token, local_files_only=local_files_only)
    saved = read_saved_config(resolved.files[CONFIG_NAME])
    weights = _check_weights(resolved, saved)
    model = build_from_saved(saved)
    if resolved.entry is not None:
        _check_against_entry(resolved.entry, saved, model)
    load_weights(model, weights, migrate=_migration(saved))
    model.zoo_source = str(resolved.source)
    return _place(model, device, dtype).eval()
