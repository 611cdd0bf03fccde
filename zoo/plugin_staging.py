"""Staging one plugin: run its registration hooks into a staging area, checking what they give.

The first phase of discovery (:mod:`zoo.plugins`): a plugin's ``zoo_register_components`` and
``zoo_register_catalog`` hooks are called with ``register``/``add`` functions that check every
component's name and target and read and validate every catalog file *now*, so that a typo fails
that plugin only. Nothing reaches the registry or the catalog here; :class:`zoo.plugins.PluginHost`
commits the staged plugins together once it has compared what they claim.
"""

from __future__ import annotations

import os
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.catalog import read_catalog_toml
from zoo.catalog_files import CatalogFile, declared_names
from zoo.errors import CatalogError, ZooError
from zoo.registry import RegistryEntry, check_entry

if TYPE_CHECKING:
    from zoo.plugins import PluginStatus


@dataclass
class StagedPlugin:
    """A plugin whose hooks ran, with what it would register (nothing is committed yet)."""

    plugin: Any
    status: PluginStatus
    #: Each component with its ``override`` flag.
    components: list[tuple[RegistryEntry, bool]] = field(default_factory=list)
    catalog: CatalogFile = field(default_factory=CatalogFile)


def stage_components(staged: StagedPlugin) -> None:
    """Run the plugin's ``zoo_register_components`` hook (if any) into ``staged.components``.

    Each registered name is also appended to ``staged.status.components`` as it is accepted, so a
    plugin failing halfway still reports (and withholds) the names it had declared.

    Raises:
        ValueError: if the plugin registers a name twice, or a name, kind, target or config that
            is malformed (:func:`zoo.registry.check_entry`).
        Exception: whatever the plugin's hook itself raises.
    """
    impl = getattr(staged.plugin, "zoo_register_components", None)
    if impl is None:
        return
    status = staged.status
    seen: set[str] = set()  # (a set: a plugin may register thousands of names)

    def register(
        name: str,
        target: str,
        config: str | None = None,
        summary: str = "",
        aliases: tuple[str, ...] | list[str] = (),
        override: bool = False,
    ) -> None:
        if name in seen:
            raise ValueError(f"{status.name} registers {name!r} twice.")
        entry = RegistryEntry(name, target, config, summary, status.distribution, status.version, tuple(aliases))
        check_entry(entry)  # now, so that a typo fails this plugin only
        seen.add(name)
        staged.components.append((entry, override))
        status.components.append(name)

    impl(register=register)


def stage_catalog(staged: StagedPlugin) -> None:
    """Run the plugin's ``zoo_register_catalog`` hook (if any) into ``staged.catalog``.

    Every file given to ``add`` is read and validated at once; its entry names go to
    ``staged.status.catalog`` (those of an invalid file too, so that asking for one says why).

    Raises:
        CatalogError: if ``add`` is given something other than a path, or the file or one of its
            entries is invalid.
        ValueError: if the plugin declares a catalog entry twice.
        Exception: whatever the plugin's hook itself raises.
    """
    impl = getattr(staged.plugin, "zoo_register_catalog", None)
    if impl is None:
        return
    status, catalog = staged.status, staged.catalog

    def add(path: str | os.PathLike[str]) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise CatalogError(
                f"add() takes the path of the plugin's catalog.toml, e.g. add(Path(__file__).with_name("
                f"'catalog.toml')), got {type(path).__name__}. Write the entries there as [models.\"<name>\"] "
                "tables (the schema of registry.toml, docs/architecture.md); dict entries are no longer accepted."
            )
        try:
            part = read_catalog_toml(Path(path), provider=status.distribution, owner=status.name)
        except CatalogError:
            status.catalog += [n for n in declared_names(Path(path)) if n not in status.catalog]
            raise
        for name in part.names():
            if name in status.catalog:
                raise ValueError(f"{status.name} declares catalog entry {name!r} twice.")
            status.catalog.append(name)
        catalog.entries += part.entries
        catalog.ablations += part.ablations

    impl(add=add)


def format_error(exc: BaseException) -> str:
    """One line for a plugin's status: the exception, and where a foreign one was raised."""
    if isinstance(exc, ZooError):  # our messages are complete; the raising line is ours, not the plugin's
        return f"{type(exc).__name__}: {exc}"
    last = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    where = f" (at {last[0].filename}:{last[0].lineno})" if last else ""
    return f"{type(exc).__name__}: {exc}{where}"
