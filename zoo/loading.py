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

from pathlib import Path
from typing import Any

from zoo.catalog import CatalogEntry
from zoo.errors import (
    CatalogError,
    CorruptWeightsError,
    HubUnavailableError,
    InputError,
    MissingPluginError,
    UnknownComponentError,
    UnsafeWeightsError,
)
from zoo.fetching import ResolvedWeights, Target, fetch, recipe_message, resolve_target
from zoo.saving import SavedConfig, read_saved_config
from zoo.weights import CONFIG_NAME, WEIGHTS_NAME, load_weights, verify_file

__all__ = ["ResolvedWeights", "Target", "fetch", "load", "recipe_message", "resolve_target"]


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
    """Build the architecture a ``config.json`` describes, without fetching pretrained weights.

    Its ``pretrained`` backbones are built with random weights (``skip_pretrained_weights``): the
    checkpoint's state dict, loaded strictly next, replaces every one of them, so a checkpoint
    trained from ImageNet loads offline with no backbone in the cache.

    Raises:
        MissingPluginError: if a component it needs is not registered (names the distribution).
    """
    from zoo.factory import build
    from zoo.pretrained import skip_pretrained_weights

    try:
        with skip_pretrained_weights():
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
        diff = _differences(expected.model_dump(mode="json"), model.config.model_dump(mode="json"))
        raise CatalogError(
            f"{entry.name}: the catalog entry's config differs from the config.json stored with the "
            f"weights ({diff}). Fix the catalog entry (the weights' config.json is authoritative)."
        )


def _differences(catalog: Any, saved: Any, prefix: str = "", limit: int = 5) -> str:
    """``key: catalog X, config.json Y`` for the first fields that differ (nested keys dotted)."""
    rows: list[str] = []

    def walk(a: Any, b: Any, key: str) -> None:
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                walk(a.get(k), b.get(k), f"{key}.{k}" if key else str(k))
        elif a != b:
            rows.append(f"{key or '<root>'}: catalog {a!r}, config.json {b!r}")

    walk(catalog, saved, prefix)
    more = f"; {len(rows) - limit} more" if len(rows) > limit else ""
    return "; ".join(rows[:limit]) + more


def _check_weights(resolved: ResolvedWeights, saved: SavedConfig, use_memo: bool = True) -> Path:
    """The weights' digest against config.json's record (when no catalog pins them), and their format.

    Records the checks passed in ``resolved.checks``.

    Raises:
        ChecksumMismatchError: the weights are not the ones this config.json was saved with.
        CorruptWeightsError, UnsafeWeightsError: the file is not valid safetensors (a cached copy
            is purged first, so the next load fetches it again).
    """
    from zoo.fetching import CHECK_NONE
    from zoo.weights import check_safetensors

    path = resolved.files[WEIGHTS_NAME]
    pinned = resolved.entry is not None and WEIGHTS_NAME in resolved.entry.files
    if saved.weights_sha256 and not pinned:
        verify_file(path, saved.weights_sha256, cache=resolved.cache, use_memo=use_memo, hint=(
            f"The expected value is the weights_sha256 that zoo.save recorded in {CONFIG_NAME}: these are not "
            "the weights it was saved with. Save the model again (zoo.save) to record new weights."))
        done = resolved.checks.get(WEIGHTS_NAME, CHECK_NONE)
        record = f"sha256 recorded by zoo.save in {CONFIG_NAME}"
        resolved.checks[WEIGHTS_NAME] = record if done == CHECK_NONE else f"{done}; {record}"
    try:
        check_safetensors(path)
    except (CorruptWeightsError, UnsafeWeightsError) as exc:
        raise _purged(exc, path, resolved.cache) from None
    return path


def check_checkpoint(
    name: str,
    *,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    token: str | bool | None = None,
    download: bool = True,
) -> tuple[ResolvedWeights, SavedConfig]:
    """Everything :func:`load` checks before building, on every byte (``zoo download``/``verify``).

    Args:
        name, revision, cache_dir, token: as :func:`load`.
        download: fetch what is missing (``zoo download``); False judges only what is on disk
            (``zoo verify``: offline, every file hashed again).

    Raises:
        The errors of :func:`load` before the build: ChecksumMismatchError, CorruptWeightsError,
        UnsafeWeightsError, HubUnavailableError, WeightsNotFoundError, ConfigError, ...
    """
    try:
        resolved = fetch(name, full_check=not download, revision=revision, cache_dir=cache_dir, token=token,
                         local_files_only=not download or None, with_example=True)
    except HubUnavailableError as exc:
        if download:
            raise
        raise HubUnavailableError(f"Verification never downloads, and a file is missing: {exc}") from None
    saved = read_saved_config(resolved.files[CONFIG_NAME])
    _check_weights(resolved, saved, use_memo=download)
    return resolved, saved


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
