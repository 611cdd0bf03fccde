"""Reading one catalog TOML file: ``[models."<name>"]`` entries and raw ``[ablations."<name>"]`` specs.

The same reader serves a plugin's ``catalog.toml`` and the root ``registry.toml``. Model tables are
validated by :class:`zoo.catalog.CatalogEntry` (passed in as ``validate``, so this module stays
free of the schema); ablation tables are kept as written, with who declared them and the folder
their relative paths resolve against, for :mod:`zoo.ablation` (which owns their schema).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.errors import CatalogError

#: The top-level tables a catalog file may have (anything else is a typo such as ``[model."x"]``).
TABLES: tuple[str, ...] = ("models", "ablations")


@dataclass(frozen=True)
class CatalogAblation:
    """An ``[ablations."<name>"]`` table, raw, with its origin.

    Attributes:
        name: the table name (``paper``).
        owner: the plugin's entry-point name (``l2hcount``), or ``registry`` for registry.toml.
        provider: the declaring distribution (or file).
        base_dir: the folder of the declaring file (relative paths in the spec resolve against it).
        spec: the table as written.
    """

    name: str
    owner: str
    provider: str
    base_dir: Path | None
    spec: dict[str, Any] = field(hash=False)

    @property
    def ref(self) -> str:
        """How the ablation is addressed: ``<owner>:<name>`` (``zoo ablate --spec l2hcount:paper``)."""
        return f"{self.owner}:{self.name}"


@dataclass
class CatalogFile:
    """What one catalog file (or one plugin's catalog hook) contributes."""

    entries: list[Any] = field(default_factory=list)
    ablations: list[CatalogAblation] = field(default_factory=list)

    def names(self) -> list[str]:
        return [e.name for e in self.entries]


def _tables(data: dict[str, Any], key: str, path: Path) -> dict[str, dict[str, Any]]:
    tables = data.get(key, {})
    if not isinstance(tables, dict) or not all(isinstance(t, dict) for t in tables.values()):
        raise CatalogError(f"{path}: [{key}] must hold tables ([{key}.\"<name>\"]).")
    return tables


def declared_names(path: Path) -> list[str]:
    """The ``[models]`` names a file declares, without validating them ([] if it is unreadable).

    Used when a plugin's file fails validation: its names are then reported as withheld (asking
    for one says which plugin failed and why) rather than simply unknown.
    """
    try:
        models = _read_toml(path).get("models", {})
    except CatalogError:
        return []
    return [str(name) for name in models] if isinstance(models, dict) else []


#: A catalog file larger than this is refused unread (the in-tree ones are a few kB).
MAX_CATALOG_BYTES = 16 * 1024 * 1024


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML document of a catalog file.

    Raises:
        CatalogError: if it cannot be read, is too large, is not UTF-8, or is not TOML (including
            nesting too deep for the parser).
    """
    try:
        size = path.stat().st_size
        if size > MAX_CATALOG_BYTES:
            raise CatalogError(f"{path} is {size} bytes, too large for a catalog file (at most {MAX_CATALOG_BYTES}).")
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogError(f"Cannot read catalog file {path}: {exc.strerror or exc}.") from None
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path} is not a UTF-8 text file ({exc.reason} at byte {exc.start}); a catalog file is TOML.") from None
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise CatalogError(f"{path} is not valid TOML: nested too deeply.") from None


def read_catalog_file(
    path: Path, provider: str, owner: str, validate: Callable[[dict[str, Any], Path | None, str], Any]
) -> CatalogFile:
    """Read ``path`` into validated entries and raw ablations.

    Raises:
        CatalogError: if the file is unreadable, not TOML, has an unknown top-level key, or
            ``validate`` rejects an entry.
    """
    data = _read_toml(path)
    unknown = sorted(set(data) - set(TABLES))
    if unknown:
        raise CatalogError(
            f"{path}: unknown top-level key(s) {', '.join(unknown)}; a catalog file has "
            '[models."<name>"] and [ablations."<name>"] tables only.'
        )
    base_dir = path.parent
    entries = [validate({"name": name, **table}, base_dir, provider) for name, table in _tables(data, "models", path).items()]
    ablations = [
        CatalogAblation(name, owner, provider, base_dir, table) for name, table in _tables(data, "ablations", path).items()
    ]
    return CatalogFile(entries, ablations)


def toml_inline(value: Any) -> str:
    """``value`` (a JSON-like config) as a TOML inline value, for catalog entries a run prints.

    Raises:
        CatalogError: for ``None`` (TOML has no null: say what the field means, e.g. a string
            the config maps to None) or a value of another type.
    """
    if isinstance(value, dict):
        keys = (k if k.replace("_", "").replace("-", "").isalnum() else json.dumps(k) for k in value)
        return "{ " + ", ".join(f"{k} = {toml_inline(v)}" for k, v in zip(keys, value.values())) + " }"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_inline(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return json.dumps(value)  # strings, integers and finite floats are spelled alike in JSON and TOML
    raise CatalogError(f"{value!r} ({type(value).__name__}) has no TOML form; catalog configs hold tables, "
                       "arrays, strings, numbers and booleans (TOML has no null).")
