"""``zoo.list`` and ``zoo.info``: what is registered and catalogued, without importing any of it."""

from __future__ import annotations

from typing import Any

from zoo.catalog import CatalogEntry, get_catalog
from zoo.plugins import get_host
from zoo.registry import KINDS, RegistryEntry, natural_key

#: The pseudo-kind of catalog entries in ``zoo.list(kind=...)``.
CHECKPOINT = "checkpoint"


def list_names(pattern: str = "*", kind: str | None = None) -> list[str]:
    """Names of components (``kind/name``) and catalog entries matching an fnmatch pattern.

    Args:
        pattern: fnmatch pattern, matched against ``kind/name`` and the bare name
            (``"l2h*"`` finds ``model/l2hcount`` and ``l2hcount-sha``).
        kind: one of ``encoder, expert, memory, head, model, dataset`` or ``"checkpoint"``
            for catalog entries only; ``None`` for everything.

    Raises:
        ValueError: if ``kind`` is unknown.
    """
    if kind is not None and kind not in (*KINDS, CHECKPOINT):
        from zoo.errors import InputError  # a ValueError, as documented

        raise InputError(f"Unknown kind {kind!r}; expected one of {', '.join((*KINDS, CHECKPOINT))}.")
    host = get_host()
    names: list[str] = []
    if kind in (None, CHECKPOINT):
        names += get_catalog().list(pattern)
    if kind != CHECKPOINT:
        names += host.registry.list(pattern, kind)
    return sorted(names, key=natural_key)


def describe_component(entry: RegistryEntry) -> dict[str, Any]:
    """The stable JSON description of a registered component (imports nothing)."""
    return {
        "name": entry.name,
        "type": "component",
        "kind": entry.kind,
        "target": entry.target,
        "config": entry.config,
        "summary": entry.summary,
        "provider": {"distribution": entry.distribution, "version": entry.version},
        "aliases": list(entry.aliases),
    }


def describe_checkpoint(entry: CatalogEntry) -> dict[str, Any]:
    """The stable JSON description of a catalog entry."""
    return {
        "name": entry.name,
        "type": "checkpoint",
        "kind": CHECKPOINT,
        "model": entry.model,
        "config": entry.config,
        "status": entry.status,
        "source": entry.source,
        "files": {k: f"sha256:{v}" for k, v in entry.files.items()},
        "license": entry.license,
        "data": entry.data,
        "metrics": [m.model_dump() for m in entry.metrics],
        "reproduce": entry.reproduce,
        "summary": entry.summary,
        "tags": entry.tags,
        "provider": entry.provider,
        "overrides": entry.overrides,  # the provider of the entry a registry.toml entry replaced
    }


def info(name: str, defaults: bool = False) -> dict[str, Any]:
    """Describe a component or catalog entry.

    Args:
        name: a component or catalog name.
        defaults: also import the config class and include its default values.

    Raises:
        UnknownComponentError: with close matches.
    """
    from zoo.factory import field_defaults, resolve

    entry = resolve(name)
    if isinstance(entry, CatalogEntry):
        return describe_checkpoint(entry)
    described = describe_component(entry)
    if defaults:
        described["defaults"] = field_defaults(entry.load_config_class())
    return described
