"""The catalog of named checkpoints and recipes: ``registry.toml`` plus plugin contributions.

Each entry is validated by pydantic. A ``published`` entry pins its weights (a 40-hex Hub commit or
a local folder) and the sha256 of every file; a ``recipe`` entry only says how to build and train.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zoo.errors import CatalogError, DuplicateNameError, UnknownComponentError
from zoo.registry import natural_key
from zoo.sources import HubSource, Source, parse_source

_SHA_LEN = 64


class MetricRecord(BaseModel):
    """One measured number and the data it was measured on (never a bare number)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    value: float
    measured_on: str = Field(min_length=3, description="the data the value was measured on")
    setting: str = ""


class CatalogEntry(BaseModel):
    """A named checkpoint (``published``) or a trainable recipe (``recipe``)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.+-]*$")
    model: str
    config: dict[str, Any] = {}
    status: Literal["published", "recipe"]
    source: str | None = None
    files: dict[str, str] = {}
    license: str = "unknown"
    data: str = ""
    metrics: list[MetricRecord] = []
    reproduce: str = ""
    summary: str = ""
    tags: list[str] = []
    recipe: dict[str, Any] = {}
    base_dir: Path | None = Field(default=None, exclude=True)
    provider: str = Field(default="registry.toml", exclude=True)

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics_table(cls, value: Any) -> Any:
        # Accept the compact TOML form {mae = 1.0, mse = 2.0, measured_on = "..."}.
        if isinstance(value, dict):
            measured_on = value.get("measured_on", "")
            return [{"name": k, "value": v, "measured_on": measured_on} for k, v in value.items() if k != "measured_on"]
        return value

    @field_validator("files")
    @classmethod
    def _sha256(cls, files: dict[str, str]) -> dict[str, str]:
        out = {}
        for filename, digest in files.items():
            hexdigest = digest.removeprefix("sha256:").lower()
            if len(hexdigest) != _SHA_LEN or any(c not in "0123456789abcdef" for c in hexdigest):
                raise ValueError(f"files[{filename!r}] must be 'sha256:<64 hex>', got {digest!r}")
            out[filename] = hexdigest
        return out

    @model_validator(mode="after")
    def _published_is_pinned(self) -> "CatalogEntry":
        if self.status == "recipe":
            return self
        if not self.source:
            raise ValueError("a published entry needs a source")
        source = parse_source(self.source, self.base_dir)
        if isinstance(source, HubSource) and not source.pinned:
            raise ValueError(f"a published Hub source must pin a 40-hex commit, got {self.source!r}")
        if "model.safetensors" not in self.files:
            raise ValueError("a published entry must list model.safetensors with its sha256 in files")
        return self

    def parsed_source(self) -> Source:
        """The entry's source, with relative local paths resolved against the declaring file."""
        if self.source is None:
            raise CatalogError(f"{self.name} has no source (status {self.status}).")
        return parse_source(self.source, self.base_dir)


def _validate_entry(raw: dict[str, Any], base_dir: Path | None, provider: str) -> CatalogEntry:
    try:
        return CatalogEntry.model_validate({**raw, "base_dir": base_dir, "provider": provider})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<entry>'}: {e['msg']}" for e in exc.errors())
        raise CatalogError(f"Invalid catalog entry {raw.get('name', '?')!r} from {provider}: {problems}") from None


def read_registry_toml(path: Path) -> list[CatalogEntry]:
    """Read and validate a ``registry.toml`` (``[models."<name>"]`` tables).

    Raises:
        CatalogError: if the file is not valid TOML or an entry is invalid.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"{path} is not valid TOML: {exc}") from None
    entries = []
    for name, table in data.get("models", {}).items():
        entries.append(_validate_entry({"name": name, **table}, path.parent, str(path)))
    return entries


def registry_toml_paths() -> list[Path]:
    """Where ``registry.toml`` files are read from, in order.

    The packaged copy (wheel installs), else the repository's (editable installs), then any
    extra files listed in ``ZOO_REGISTRY`` (os.pathsep separated).
    """
    package_dir = Path(__file__).resolve().parent
    paths = [p for p in (package_dir / "registry.toml", package_dir.parent / "registry.toml") if p.is_file()][:1]
    extra = os.environ.get("ZOO_REGISTRY", "")
    paths += [Path(p) for p in extra.split(os.pathsep) if p]
    return paths


class Catalog:
    """All catalog entries by name, with duplicate detection across providers."""

    def __init__(self, entries: list[CatalogEntry]) -> None:
        self.entries: dict[str, CatalogEntry] = {}
        for entry in entries:
            if entry.name in self.entries:
                raise DuplicateNameError(entry.name, self.entries[entry.name].provider, entry.provider)
            self.entries[entry.name] = entry

    def get(self, name: str) -> CatalogEntry:
        """Return the entry called ``name``.

        Raises:
            UnknownComponentError: with close matches.
        """
        try:
            return self.entries[name]
        except KeyError:
            raise UnknownComponentError(name, self.entries, where="catalog entries") from None

    def list(self, pattern: str = "*") -> list[str]:
        return sorted((n for n in self.entries if fnmatch.fnmatchcase(n, pattern)), key=natural_key)


_CATALOG: Catalog | None = None


def get_catalog() -> Catalog:
    """The catalog of this process: registry.toml files plus plugin contributions (cached).

    Raises:
        CatalogError: if an entry is invalid.
        DuplicateNameError: if two providers declare the same name.
    """
    global _CATALOG
    if _CATALOG is None:
        from zoo.plugins import get_host

        entries: list[CatalogEntry] = []
        for path in registry_toml_paths():
            entries += read_registry_toml(path)
        for raw, base_dir, distribution in get_host().catalog_contributions:
            entries.append(_validate_entry(raw, base_dir, distribution))
        _CATALOG = Catalog(entries)
    return _CATALOG


def catalog_entry(name: str) -> CatalogEntry:
    """The catalog entry called ``name`` (the plugin SDK's catalog lookup).

    Raises:
        UnknownComponentError: with close matches.
    """
    return get_catalog().get(name)


def reset_catalog_cache() -> None:
    """Forget the cached catalog (after plugins or ``ZOO_REGISTRY`` change)."""
    global _CATALOG
    _CATALOG = None
