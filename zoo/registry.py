"""The component registry: names → import strings, resolved lazily.

An entry holds *strings* (``"zoo_l2hcount.memory:DualDensityMemory"``) plus the providing
distribution and version, so listing never imports an implementation: a heavy or broken plugin
does not slow down or break ``zoo list``. The implementation is imported when it is built.
"""

from __future__ import annotations

import fnmatch
import importlib
import re
from dataclasses import dataclass, field
from typing import Any

from zoo.errors import AmbiguousNameError, DuplicateNameError, PluginLoadError, UnknownComponentError

#: The kinds of component the zoo knows. ``model`` is an assembled network whose config names parts.
KINDS: tuple[str, ...] = ("encoder", "expert", "memory", "head", "model", "dataset")

_NAME_RE = re.compile(r"^[a-z][a-z0-9_.+-]*$")
_TARGET_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$")


def import_string(target: str) -> Any:
    """Import ``"package.module:Attribute"`` and return the attribute.

    Raises:
        PluginLoadError: if the module cannot be imported or lacks the attribute.
    """
    module_name, _, attr = target.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginLoadError(
            f"Cannot import {module_name!r} (for {target!r}): {exc}. Install the plugin's "
            "dependencies (see `zoo info` for the providing distribution)."
        ) from exc
    except Exception as exc:  # the module itself is broken (a bug, a SyntaxError): say whose it is
        raise PluginLoadError(
            f"Importing {module_name!r} (for {target!r}) raised {type(exc).__name__}: {exc}. The plugin providing "
            "it is broken: update or reinstall it (`zoo info` names the distribution), or disable it with "
            "ZOO_DISABLE_PLUGINS=<plugin>."
        ) from exc
    for part in attr.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise PluginLoadError(f"{module_name!r} has no attribute {attr!r} (for {target!r}).") from exc
    return obj


def natural_key(name: str) -> list[Any]:
    """Sort key that orders ``x2`` before ``x10`` (as timm's ``list_models`` does)."""
    return [int(tok) if tok.isdigit() else tok for tok in re.split(r"(\d+)", name)]


@dataclass(frozen=True)
class RegistryEntry:
    """One registered component: where its class and config live, and who provides it."""

    name: str
    target: str
    config: str | None = None
    summary: str = ""
    distribution: str = "<unknown>"
    version: str = "0"
    aliases: tuple[str, ...] = ()

    @property
    def kind(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def provider(self) -> str:
        return f"{self.distribution}@{self.version}"

    def load_class(self) -> type:
        """Import and return the component class."""
        return import_string(self.target)

    def load_config_class(self) -> type:
        """Import and return the config class (declared, or the class's ``Config`` attribute).

        Raises:
            PluginLoadError: if neither is importable, or the class is not a ``ComponentConfig``.
        """
        if self.config:
            config_cls = import_string(self.config)
        else:
            config_cls = getattr(self.load_class(), "Config", None)
            if config_cls is None:
                raise PluginLoadError(f"{self.target} declares no Config class and the entry names none.")
        from zoo.config import ComponentConfig

        if not (isinstance(config_cls, type) and issubclass(config_cls, ComponentConfig)):
            raise PluginLoadError(
                f"The config class {config_cls!r} of {self.name} ({self.provider}) is not a zoo.ComponentConfig "
                "subclass; the plugin is broken: update or reinstall it."
            )
        return config_cls


@dataclass
class Registry:
    """Per-kind name → :class:`RegistryEntry` maps with duplicate detection."""

    entries: dict[str, RegistryEntry] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)

    def add(self, entry: RegistryEntry, override: bool = False) -> None:
        """Add an entry.

        Raises:
            ValueError: if the name or target is malformed or the kind unknown.
            DuplicateNameError: if another distribution already provides the name and
                ``override`` is false.
        """
        check_entry(entry)
        existing = self.entries.get(entry.name)
        if existing is not None and not override and existing.distribution != entry.distribution:
            raise DuplicateNameError(entry.name, existing.provider, entry.provider)
        if existing is not None and not override and existing.distribution == entry.distribution:
            raise DuplicateNameError(entry.name, existing.provider, entry.provider + " (again)")
        self.entries[entry.name] = entry
        for alias in entry.aliases:
            self.aliases[alias] = entry.name

    def resolve(self, name: str, kind: str | None = None) -> RegistryEntry:
        """Find an entry by ``kind/name``, alias, or an unambiguous bare name.

        Raises:
            UnknownComponentError: with close matches, if nothing fits.
            AmbiguousNameError: if a bare name exists under several kinds.
        """
        if kind and "/" not in name:
            name = f"{kind}/{name}"
        name = self.aliases.get(name, name)
        if name in self.entries:
            return self.entries[name]
        if "/" not in name:
            hits = [n for n in self.entries if n.split("/", 1)[1] == name]
            if len(hits) == 1:
                return self.entries[hits[0]]
            if len(hits) > 1:
                raise AmbiguousNameError(name, hits)
        raise UnknownComponentError(name, list(self.entries) + list(self.aliases), kind)

    def list(self, pattern: str = "*", kind: str | None = None) -> list[str]:
        """Names matching an fnmatch ``pattern`` (against ``kind/name`` or the bare name)."""
        names = []
        for name, entry in self.entries.items():
            if kind and entry.kind != kind:
                continue
            bare = name.split("/", 1)[1]
            if fnmatch.fnmatchcase(name, pattern) or fnmatch.fnmatchcase(bare, pattern):
                names.append(name)
        return sorted(names, key=natural_key)


def check_entry(entry: RegistryEntry) -> None:
    """Check an entry's name (``kind/name``) and target (``pkg.module:Class``) before it is used.

    Raises:
        ValueError: naming the rule that was broken.
    """
    validate_component_name(entry.name)
    if not _TARGET_RE.match(entry.target):
        raise ValueError(f"Target {entry.target!r} of {entry.name!r} must look like 'pkg.module:Class'.")
    if entry.config is not None and not _TARGET_RE.match(entry.config):
        raise ValueError(f"Config {entry.config!r} of {entry.name!r} must look like 'pkg.module:Class'.")


def validate_component_name(name: str) -> None:
    """Check that ``name`` is ``kind/name`` with a known kind and a lower-case name.

    Raises:
        ValueError: naming the rule that was broken.
    """
    kind, sep, bare = name.partition("/")
    if not sep:
        raise ValueError(f"Component name {name!r} must be 'kind/name', e.g. 'expert/structure'.")
    if kind not in KINDS:
        raise ValueError(f"Unknown kind {kind!r} in {name!r}; expected one of {', '.join(KINDS)}.")
    if not _NAME_RE.match(bare):
        raise ValueError(
            f"Component name {bare!r} in {name!r} must be lower case: letters, digits, '.', '_', '-', '+'."
        )
