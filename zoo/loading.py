"""``zoo.load``: resolve → fetch at the pinned revision → verify sha256 → build → load strictly.

The order matters: files are verified before anything parses them, and the model is built from the
``config.json`` that travelled with the weights (checked against the catalog entry), so a drifted
catalog or a tampered file is an error, never a silently different model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.catalog import CatalogEntry, get_catalog
from zoo.errors import (
    CatalogError,
    MissingPluginError,
    RecipeNotPublishedError,
    UnknownComponentError,
    WeightsNotFoundError,
)
from zoo.saving import SavedConfig, read_saved_config
from zoo.sources import HubSource, LocalSource, Source, is_source, parse_source
from zoo.weights import CONFIG_NAME, WEIGHTS_NAME, load_weights, verify_sha256


@dataclass
class ResolvedWeights:
    """Local paths of a checkpoint's files, verified."""

    source: Source
    files: dict[str, Path]
    entry: CatalogEntry | None


def recipe_message(entry: CatalogEntry) -> str:
    """How to train and publish a recipe entry (the text of :class:`RecipeNotPublishedError`)."""
    reproduce = entry.reproduce or f"zoo train {entry.name} --data <dataset root>"
    return (
        f"{entry.name!r} is a recipe: its weights are not published yet. Build the architecture "
        f"without weights with zoo.build({entry.name!r}); train it with `{reproduce}`, then "
        "`zoo publish runs/<name>/publish <org>/<repo>` and add the printed entry to registry.toml."
    )


def _entry_and_source(name: str) -> tuple[CatalogEntry | None, Source]:
    if is_source(name):
        return None, parse_source(name)
    entry = get_catalog().get(name)
    if entry.status == "recipe":
        raise RecipeNotPublishedError(recipe_message(entry))
    return entry, entry.parsed_source()


def fetch(name: str, filenames: tuple[str, ...] = (CONFIG_NAME, WEIGHTS_NAME), full_check: bool = False) -> ResolvedWeights:
    """Get a checkpoint's files (download into the HF cache if needed) and verify their sha256.

    Raises:
        RecipeNotPublishedError: for a ``recipe`` entry.
        ChecksumMismatchError: if a file differs from the pinned sha256 (a cached Hub file is
            removed so that no later load trusts it).
        HubUnavailableError, WeightsNotFoundError: see :func:`zoo.hub.fetch_file`.

    ``full_check`` hashes every file even if this process verified it before (``zoo verify``).
    """
    entry, source = _entry_and_source(name)
    wanted = tuple(dict.fromkeys((*filenames, *(entry.files if entry else ()))))
    files: dict[str, Path] = {}
    for filename in wanted:
        files[filename] = _fetch_one(source, filename)
        if entry is not None and filename in entry.files:
            verify_sha256(
                files[filename], entry.files[filename],
                remove_on_mismatch=isinstance(source, HubSource), use_memo=not full_check,
            )
    return ResolvedWeights(source, files, entry)


def _fetch_one(source: Source, filename: str) -> Path:
    if isinstance(source, LocalSource):
        path = source.path / filename
        if not path.is_file():
            raise WeightsNotFoundError(f"{path} does not exist (source {source}).")
        return path
    from zoo.hub import fetch_file

    return fetch_file(source, filename)


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
    from zoo.factory import resolve_config

    if entry.model != saved.model:
        raise CatalogError(f"{entry.name}: catalog says {entry.model}, config.json says {saved.model}.")
    expected = resolve_config(entry.name)[1] if entry.config else None
    if expected is not None and expected != model.config:
        raise CatalogError(
            f"{entry.name}: the catalog entry's config differs from the config.json stored with the "
            "weights. Fix the catalog entry (the weights' config.json is authoritative)."
        )


def load(name: str, device: str = "cpu") -> Any:
    """Load a named checkpoint or a source (``hf-hub:org/repo@rev``, ``local-dir:path``).

    Args:
        name: a catalog name (``"l2hcount-synth"``) or a source string.
        device: where to put the model.

    Returns:
        The model in eval mode, with verified weights loaded strictly.

    Raises:
        UnknownComponentError: unknown name (with close matches).
        RecipeNotPublishedError: the entry is a recipe (the message says how to train/publish).
        ChecksumMismatchError: a file does not match its pinned sha256.
        HubUnavailableError: no network (or offline mode) and the files are not cached.
        WeightsNotFoundError: the repository, revision or file does not exist.
        MissingPluginError: the checkpoint needs a plugin that is not installed.
        CatalogError: the catalog entry disagrees with the checkpoint's config.json.
    """
    resolved = fetch(name)
    saved = read_saved_config(resolved.files[CONFIG_NAME])
    model = build_from_saved(saved)
    if resolved.entry is not None:
        _check_against_entry(resolved.entry, saved, model)
    load_weights(model, resolved.files[WEIGHTS_NAME], migrate=_migration(saved))
    model.zoo_source = str(resolved.source)
    return model.to(device).eval()
