"""Plugin discovery: our own loop over the ``zoo.plugins`` entry points, then pluggy hooks.

pluggy's ``load_setuptools_entrypoints`` silently skips a second plugin of the same name and stops
at the first one that fails to import, so we iterate the entry points ourselves. Loading is lazy
and idempotent: it happens on the first query (``zoo.list``, ``zoo.build``...), like ``llm``'s
``load_plugins()``, in two phases:

1. **Stage** each selected plugin on its own: import it, let pluggy check its hook signatures, run
   its registration hooks into a staging area (:mod:`zoo.plugin_staging`: components checked for
   name and target, catalog files read and every entry validated). Anything raising fails only
   that plugin.
2. **Commit**: compare what every staged plugin claims. A name claimed by two plugins fails *every*
   plugin involved, whatever the load order, unless exactly one of them registered it with
   ``override=True`` (that one wins). The survivors are committed whole; a failed plugin leaves
   nothing behind, and the names it would have provided say why they are missing.

Why symmetric: entry points load in name order, so "first come, first served" let a third-party
plugin called ``aaa`` silently take ``memory/dual-density`` from ``zoo-l2hcount``. The zoo cannot
know which provider the user meant; it reports both and says how to choose
(``ZOO_DISABLE_PLUGINS=<plugin>`` or ``override=True``), and everything else keeps working.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from zoo import hookspecs
from zoo.catalog_files import CatalogFile
from zoo.errors import DuplicateNameError, UnknownComponentError, ZooError
from zoo.plugin_staging import StagedPlugin, format_error, stage_catalog, stage_components
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

    @property
    def provider(self) -> str:
        return f"{self.distribution}@{self.version} (plugin {self.name})"

    @property
    def ok(self) -> bool:
        """Loaded with every hook done (a plugin whose commands failed is loaded but not ok)."""
        return self.loaded and self.error is None

    @property
    def state(self) -> str:
        """``ok``, ``FAILED``, or ``FAILED (commands)`` for a plugin loaded without its CLI verbs."""
        if self.ok:
            return "ok"
        return "FAILED (commands)" if self.loaded else "FAILED"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "distribution": self.distribution,
            "version": self.version,
            "module": self.module,
            "loaded": self.loaded,
            "ok": self.ok,
            "state": self.state,
            "error": self.error,
            "components": sorted(self.components),
            "catalog": sorted(self.catalog),
        }


class PluginConflictError(DuplicateNameError):
    """Several plugins provide one name; none of them was loaded (the message says how to choose)."""

    def __init__(self, kind: str, name: str, claimants: list[PluginStatus]) -> None:
        self.name = name
        self.providers = tuple(s.provider for s in claimants)
        choices = "; ".join(
            f"ZOO_DISABLE_PLUGINS={s.name} keeps {', '.join(o.distribution for o in claimants if o is not s)}"
            for s in claimants
        )
        ZooError.__init__(
            self,
            f"{kind} {name!r} is provided by {' and '.join(self.providers)}, so none of these plugins "
            f"was loaded (which one you meant cannot be guessed). Choose one: {choices}; or have the "
            "plugin that should win register the name with override=True.",
        )


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


def _selection_errors(known: dict[str, str]) -> list[str]:
    """Names in ``ZOO_LOAD_PLUGINS``/``ZOO_DISABLE_PLUGINS`` that match no installed plugin."""
    installed = ", ".join(f"{n} ({d})" for n, d in sorted(known.items())) or "none"
    errors = []
    for var in ("ZOO_LOAD_PLUGINS", "ZOO_DISABLE_PLUGINS"):
        unknown = sorted((_env_list(var) or set()) - set(known) - set(known.values()))
        if unknown:
            errors.append(
                f"{var} names {', '.join(unknown)}, which no installed plugin is called "
                f"(by entry-point or distribution name). Installed plugins: {installed}."
            )
    return errors


class PluginHost:
    """Owns the pluggy manager, the component registry and the plugins' catalog contributions."""

    def __init__(self) -> None:
        self.manager = pluggy.PluginManager("zoo")
        self.manager.add_hookspecs(hookspecs)
        self.registry = Registry()
        self.statuses: dict[str, PluginStatus] = {}
        #: Problems with the plugin selection itself (ZOO_LOAD_PLUGINS naming nothing installed).
        self.selection_errors: list[str] = []
        self._catalog: dict[str, CatalogFile] = {}
        #: Names a failed plugin would have provided → that plugin (so "unknown" can say why).
        self._withheld: dict[str, str] = {}
        self._loaded = False

    def ensure_loaded(self) -> None:
        """Discover, stage and commit every selected plugin once."""
        if self._loaded:
            return
        self._loaded = True
        eps = sorted(iter_entry_points(), key=lambda e: e.name)
        known = {ep.name: (ep.dist.name if ep.dist else "<unknown>") for ep in eps}
        self.selection_errors = _selection_errors(known)
        staged = []
        for ep in eps:
            dist = ep.dist.name if ep.dist else "<unknown>"
            version = ep.dist.version if ep.dist else "0"
            if _selected(ep.name, dist):
                staged.append(self._stage_entry_point(ep, dist, version))
        self._commit([s for s in staged if s is not None])

    def add_plugin(self, plugin: Any, status: PluginStatus) -> None:
        """Stage and commit one imported plugin object (tests; a plugin added in a running process).

        A name it shares with an already committed plugin fails it (not the committed one, which
        other objects of this process may already use), unless it registered with ``override=True``.
        """
        staged = self._stage(plugin, status)
        if staged is not None:
            self._commit([staged])

    def failed(self) -> list[PluginStatus]:
        """The plugins that did not load, in name order."""
        return [s for _, s in sorted(self.statuses.items()) if not s.loaded]

    def catalog_files(self) -> list[CatalogFile]:
        """What every loaded plugin contributed to the catalog, in plugin name order."""
        return [self._catalog[name] for name in sorted(self._catalog)]

    def unknown_name_error(
        self, name: str, candidates: Iterable[str], kind: str | None = None, where: str | None = None
    ) -> UnknownComponentError:
        """The error for a name nothing provides, saying so when a failed plugin declares it."""
        error = UnknownComponentError(name, candidates, kind, where)
        owner = self._withheld.get(name) or (self._withheld.get(f"{kind}/{name}") if kind else None)
        if owner is not None:
            status = self.statuses[owner]
            error.args = (
                f"{name!r} is provided by plugin {status.name} ({status.distribution} {status.version}), "
                f"which failed to load: {status.error} (`zoo plugins --errors` lists every failure.)",
            )
        elif self.failed() or self.selection_errors:
            problems = [f"{s.name} ({s.distribution})" for s in self.failed()]
            what = f"plugin(s) {', '.join(problems)} failed to load" if problems else "the plugin selection is wrong"
            error.args = (f"{error.args[0]} Note: {what}; see `zoo plugins --errors`.",)
        return error

    # -- staging -------------------------------------------------------------------------------

    def _stage_entry_point(self, ep: Any, distribution: str, version: str) -> StagedPlugin | None:
        status = PluginStatus(ep.name, distribution, version, ep.value)
        self.statuses[ep.name] = status
        try:
            module = ep.load()
        except (Exception, SystemExit) as exc:  # a broken plugin must not take the others down (nor exit)
            status.error = format_error(exc)
            return None
        return self._stage(module, status)

    def _stage(self, plugin: Any, status: PluginStatus) -> StagedPlugin | None:
        self.statuses[status.name] = status
        try:
            self.manager.register(plugin, name=status.name)
        except (Exception, SystemExit) as exc:  # pluggy validates hook signatures here
            status.error = format_error(exc)
            return None
        staged = StagedPlugin(plugin, status)
        try:
            stage_components(staged)
            stage_catalog(staged)
        except (Exception, SystemExit) as exc:
            self._fail(staged, format_error(exc))
            return None
        return staged

    # -- commit --------------------------------------------------------------------------------

    def _commit(self, staged: list[StagedPlugin]) -> None:
        conflicts = self._conflicts(staged)
        for item in staged:
            if item.status.name in conflicts:
                self._fail(item, str(conflicts[item.status.name]))
        survivors = [s for s in staged if s.status.name not in conflicts]
        # Plain registrations first, so that an override=True registration replaces them.
        for override in (False, True):
            for item in survivors:
                for entry, wins in item.components:
                    if wins == override:
                        self.registry.add(entry, override=override)
        for item in survivors:
            self._catalog[item.status.name] = item.catalog
            item.status.loaded = True
        _forget_cached_catalog()

    def _conflicts(self, staged: list[StagedPlugin]) -> dict[str, ZooError]:
        """Plugin name → the collision that fails it (see the module docstring for the rule)."""
        claims: dict[tuple[str, str], list[tuple[PluginStatus, bool, bool]]] = {}  # (who, override, new)

        def claim(kind: str, name: str, status: PluginStatus, override: bool, new: bool) -> None:
            claims.setdefault((kind, name), []).append((status, override, new))

        holders = self._committed_holders()
        for entry in self.registry.entries.values():
            holder = holders.get((entry.distribution, entry.name)) or self._stand_in(entry)
            claim("component", entry.name, holder, False, False)
            for alias in entry.aliases:
                claim("alias", alias, holder, False, False)
        for name, part in self._catalog.items():
            for entry_name in part.names():
                claim("catalog entry", entry_name, self.statuses[name], False, False)
        for item in staged:
            for entry, override in item.components:
                claim("component", entry.name, item.status, override, True)
                for alias in entry.aliases:
                    claim("alias", alias, item.status, override, True)
            for entry_name in item.catalog.names():
                claim("catalog entry", entry_name, item.status, False, True)
        failed: dict[str, ZooError] = {}
        for (kind, name), holders in sorted(claims.items()):
            if len({s.name for s, _, _ in holders}) < 2 or sum(1 for _, override, _ in holders if override) == 1:
                continue
            error = PluginConflictError(kind, name, [s for s, _, _ in holders])
            for status, _, new in holders:
                if new:  # a plugin committed earlier in this process stays (objects may use it)
                    failed.setdefault(status.name, error)
        return failed

    def _committed_holders(self) -> dict[tuple[str, str], PluginStatus]:
        """``(distribution, component name)`` → the loaded plugin that registered it."""
        holders: dict[tuple[str, str], PluginStatus] = {}
        for status in self.statuses.values():
            if status.loaded:
                for name in status.components:
                    holders.setdefault((status.distribution, name), status)
        return holders

    @staticmethod
    def _stand_in(entry: RegistryEntry) -> PluginStatus:
        """The holder of an entry added directly with ``registry.add`` (no plugin)."""
        return PluginStatus(entry.distribution, entry.distribution, entry.version, "")

    def _fail(self, staged: StagedPlugin, message: str) -> None:
        """Record a failure; nothing of the plugin stays registered (pluggy included)."""
        status = staged.status
        status.error, status.loaded = message, False
        for name in (*status.components, *status.catalog):
            self._withheld.setdefault(name, status.name)
        if self.manager.is_registered(staged.plugin):
            self.manager.unregister(staged.plugin)


def _forget_cached_catalog() -> None:
    catalog_module = sys.modules.get("zoo.catalog")
    if catalog_module is not None:
        catalog_module.reset_catalog_cache()


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
    _forget_cached_catalog()
