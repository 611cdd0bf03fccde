"""Plugin discovery: our own loop over the ``zoo.plugins`` entry points, then pluggy hooks.

pluggy's ``load_setuptools_entrypoints`` silently skips a second plugin of the same name and stops
at the first one that fails to import, so we iterate the entry points ourselves: each plugin is
imported in its own try/except, failures are recorded with the distribution, version and error,
and collisions between distributions are reported by name. Loading is lazy and idempotent: it
happens on the first query (``zoo.list``, ``zoo.build``...), like ``llm``'s ``load_plugins()``.
"""

from __future__ import annotations

import os
import sys
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import pluggy

from zoo import hookspecs
from zoo.errors import DuplicateNameError, ZooError
from zoo.registry import Registry, RegistryEntry

ENTRY_POINT_GROUP = "zoo.plugins"


@dataclass
class PluginStatus:
    """What happened to one plugin during discovery (shown by ``zoo plugins``)."""

    name: str
    distribution: str
    version: str
    module: str
    loaded: bool = False
    error: str | None = None
    components: list[str] = field(default_factory=list)
    catalog: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "loaded": self.loaded,
            "error": self.error,
            "components": sorted(self.components),
            "catalog": sorted(self.catalog),
        }


def iter_entry_points() -> list[Any]:
    """The installed ``zoo.plugins`` entry points (one function, so tests can substitute it)."""
    return list(metadata.entry_points(group=ENTRY_POINT_GROUP))


def _env_list(var: str) -> set[str] | None:
    raw = os.environ.get(var)
    if raw is None:
        return None
    return {item.strip() for item in raw.split(",") if item.strip()}


def _selected(name: str, distribution: str) -> bool:
    """Apply ``ZOO_LOAD_PLUGINS`` (only these) and ``ZOO_DISABLE_PLUGINS`` (all but these)."""
    wanted = _env_list("ZOO_LOAD_PLUGINS")
    if wanted is not None and not ({name, distribution} & wanted):
        return False
    disabled = _env_list("ZOO_DISABLE_PLUGINS") or set()
    return not ({name, distribution} & disabled)


class PluginHost:
    """Owns the pluggy manager, the component registry and the raw catalog contributions."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager("zoo")
        self.manager.add_hookspecs(hookspecs)
        self.registry = Registry()
        self.statuses: dict[str, PluginStatus] = {}
        self.catalog_contributions: list[tuple[dict[str, Any], Path | None, str]] = []
        self.errors: list[ZooError] = []
        self._loaded = False

    def ensure_loaded(self) -> None:
        """Discover and register every selected plugin once."""
        if self._loaded:
            return
        self._loaded = True
        for ep in sorted(iter_entry_points(), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist else "<unknown>"
            version = ep.dist.version if ep.dist else "0"
            if _selected(ep.name, dist):
                self.add_plugin_from_entry_point(ep, dist, version)

    def add_plugin_from_entry_point(self, ep: Any, distribution: str, version: str) -> None:
        status = PluginStatus(ep.name, distribution, version, ep.value)
        self.statuses[ep.name] = status
        try:
            module = ep.load()
        except Exception as exc:  # a broken plugin must not take the others down
            status.error = _format_error(exc)
            return
        self.add_plugin(module, status)

    def add_plugin(self, plugin: Any, status: PluginStatus) -> None:
        """Register an imported plugin object and run its registration hooks.

        A plugin whose hook raises is rolled back (its partial registrations removed) and
        reported; a name clash with another distribution is recorded and re-raised on use.
        """
        self.statuses[status.name] = status
        try:
            self.manager.register(plugin, name=status.name)
        except Exception as exc:  # pluggy validates hook signatures here
            status.error = _format_error(exc)
            return
        try:
            self._run_register_components(plugin, status)
            self._run_register_catalog(plugin, status)
        except DuplicateNameError as exc:
            status.error = str(exc)
            self.errors.append(exc)
            return
        except Exception as exc:
            self.registry.remove_distribution(status.distribution)
            self.catalog_contributions = [c for c in self.catalog_contributions if c[2] != status.distribution]
            self.manager.unregister(plugin)
            status.error = _format_error(exc)
            return
        status.loaded = True

    def _run_register_components(self, plugin: Any, status: PluginStatus) -> None:
        impl = getattr(plugin, "zoo_register_components", None)
        if impl is None:
            return

        def register(
            name: str,
            target: str,
            config: str | None = None,
            summary: str = "",
            aliases: tuple[str, ...] | list[str] = (),
            override: bool = False,
        ) -> None:
            entry = RegistryEntry(
                name, target, config, summary, status.distribution, status.version, tuple(aliases)
            )
            self.registry.add(entry, override=override)
            status.components.append(name)

        impl(register=register)

    def _run_register_catalog(self, plugin: Any, status: PluginStatus) -> None:
        impl = getattr(plugin, "zoo_register_catalog", None)
        if impl is None:
            return

        def add(entry: dict[str, Any], base_dir: Path | str | None = None) -> None:
            self.catalog_contributions.append(
                (dict(entry), Path(base_dir) if base_dir else None, status.distribution)
            )
            status.catalog.append(str(entry.get("name", "?")))

        impl(add=add)


def _format_error(exc: BaseException) -> str:
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"


_HOST: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide plugin host, loading plugins on first use."""
    global _HOST
    if _HOST is None:
        _HOST = PluginHost()
    _HOST.ensure_loaded()
    return _HOST


def reset_host() -> None:
    """Forget every loaded plugin (tests, or after installing a plugin in a running process)."""
    global _HOST
    _HOST = None
    # Drop cached catalogs built from the old host.
    catalog_module = sys.modules.get("zoo.catalog")
    if catalog_module is not None:
        catalog_module.reset_catalog_cache()


def raise_collisions(host: PluginHost) -> None:
    """Re-raise the first name collision found during discovery.

    Raises:
        DuplicateNameError: naming both distributions.
    """
    if host.errors:
        raise host.errors[0]
