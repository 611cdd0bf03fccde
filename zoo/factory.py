"""``zoo.build``: turn a name, a part reference or a config into a component instance."""

from __future__ import annotations

from typing import Any

from zoo.catalog import CatalogEntry, get_catalog
from zoo.config import ComponentConfig, PartRef, merge_overrides, validate_config
from zoo.errors import CatalogError, UnknownComponentError
from zoo.plugins import get_host
from zoo.registry import RegistryEntry


def resolve(name: str, kind: str | None = None) -> RegistryEntry | CatalogEntry:
    """Resolve a component name (``kind/name``, alias, bare name) or a catalog entry name.

    Raises:
        UnknownComponentError: listing close matches among components and catalog entries.
        AmbiguousNameError: if a bare name names several kinds.
    """
    host = get_host()
    if "/" not in name and kind is None:
        catalog = get_catalog().entries
        if name in catalog:
            return catalog[name]
    try:
        return host.registry.resolve(name, kind)
    except UnknownComponentError:
        pool = list(host.registry.entries)
        try:
            pool += list(get_catalog().entries)
        except CatalogError:  # a broken registry.toml must not hide this error (nor stop zoo.build("model/x"))
            pass
        raise host.unknown_name_error(name, pool, kind) from None


def _config_for(entry: RegistryEntry, base: dict[str, Any], overrides: dict[str, Any]) -> ComponentConfig:
    config_cls = entry.load_config_class()
    merged = merge_overrides(merge_overrides(field_defaults(config_cls), base), overrides)
    return validate_config(config_cls, merged, entry.name)


def field_defaults(config_cls: type[ComponentConfig]) -> dict[str, Any]:
    """The defaults of a config's optional fields, as plain data (parts as ``{name, config}``).

    Overrides are merged into these, so that ``experts={"texture": None}`` keeps the other
    default experts even though the caller never wrote them.
    """
    defaults: dict[str, Any] = {}
    for key, field in config_cls.model_fields.items():
        if field.is_required():
            continue
        value = field.get_default(call_default_factory=True)
        defaults[key] = _plain(value)
    return defaults


def _plain(value: Any) -> Any:
    if isinstance(value, PartRef):
        return value.model_dump()
    if isinstance(value, ComponentConfig):
        return value.model_dump(mode="python")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def resolve_config(
    name_or_config: str | PartRef | ComponentConfig | dict[str, Any], **overrides: Any
) -> tuple[RegistryEntry, ComponentConfig]:
    """The registry entry and the validated config that :func:`build` would use (builds nothing).

    Raises:
        UnknownComponentError: if the name is unknown (with close matches).
        ConfigError: if the config or an override does not validate.
    """
    base: dict[str, Any] = {}
    if isinstance(name_or_config, ComponentConfig):
        entry = _entry_for_config_class(type(name_or_config))
        base = name_or_config.model_dump(mode="python")
    else:
        if isinstance(name_or_config, dict):
            name_or_config = PartRef.model_validate(name_or_config)
        if isinstance(name_or_config, PartRef):
            base, name = dict(name_or_config.config), name_or_config.name
        else:
            name = name_or_config
        resolved = resolve(name)
        if isinstance(resolved, CatalogEntry):
            base = merge_overrides(resolved.config, base)
            resolved = resolve(resolved.model, kind="model")
        entry = resolved
    return entry, _config_for(entry, base, overrides)


def config_class(name: str, kind: str | None = None) -> type[ComponentConfig]:
    """The config class of a registered component (imports its module; builds nothing).

    A model uses it to ask what a part accepts before imposing a value, e.g. whether a swapped-in
    expert's config has ``num_aus``.

    Raises:
        UnknownComponentError: if the name is unknown or names a catalog entry (with close matches).
        PluginLoadError: if the implementation cannot be imported.
    """
    entry = get_host().registry.resolve(name, kind) if kind else resolve(name)
    if isinstance(entry, CatalogEntry):
        entry = get_host().registry.resolve(entry.model, "model")
    return entry.load_config_class()


def build(name_or_config: str | PartRef | ComponentConfig | dict[str, Any], **overrides: Any) -> Any:
    """Build a component, model or catalog architecture (without weights) from its config.

    Args:
        name_or_config: a registry name (``"model/l2hcount"``, ``"l2hcount"``), a catalog name
            (``"l2hcount-sha"``: its architecture and config, no weights), a ``PartRef`` or
            ``{"name": ..., "config": {...}}`` table, or a config instance of a registered class.
        **overrides: config fields to change. Nested tables merge and dotted keys reach inside
            (``**{"memory.config.slots": 512}``); a part given as a name replaces that part
            (``experts={"texture": "expert/x"}``) and ``None`` switches it off.

    Returns:
        The component, with ``.config`` (validated) and ``.zoo_name`` set.

    Raises:
        UnknownComponentError: if the name is unknown (with close matches).
        ConfigError: if the config or an override does not validate.
        PluginLoadError: if the implementation cannot be imported.
    """
    entry, config = resolve_config(name_or_config, **overrides)
    return _instantiate(entry, config)


def build_entry(entry: RegistryEntry, **overrides: Any) -> Any:
    """Build an already resolved registry entry from its defaults and ``overrides`` (no second lookup).

    Raises:
        ConfigError: if an override does not validate.
        PluginLoadError: if the implementation cannot be imported.
    """
    return _instantiate(entry, _config_for(entry, {}, overrides))


def _instantiate(entry: RegistryEntry, config: ComponentConfig) -> Any:
    cls = entry.load_class()
    try:
        component = cls(config)
    except Exception as exc:
        # The error keeps its type (callers may catch it); the note says whose code raised it (the
        # CLI prints it on its one error line).
        exc.add_note(f"while building {entry.name} ({entry.provider})")
        raise
    component.zoo_name = entry.name
    return component


def _entry_for_config_class(config_cls: type) -> RegistryEntry:
    host = get_host()
    target = f"{config_cls.__module__}:{config_cls.__qualname__}"
    hits = [e for e in host.registry.entries.values() if e.config == target]
    if not hits:
        hits = [e for e in host.registry.entries.values() if e.config is None and _config_attr_is(e, config_cls)]
    if len(hits) != 1:
        raise UnknownComponentError(
            target, [e.name for e in host.registry.entries.values()], None
        )
    return hits[0]


def _config_attr_is(entry: RegistryEntry, config_cls: type) -> bool:
    try:
        return getattr(entry.load_class(), "Config", None) is config_cls
    except Exception:  # an unrelated broken plugin must not break this lookup
        return False
