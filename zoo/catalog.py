"""The catalog of named checkpoints and recipes: plugin ``catalog.toml`` files plus ``registry.toml``.

Every catalog file has one schema (``[models."<name>"]`` tables, validated here by pydantic, and
optional ``[ablations."<name>"]`` tables kept raw for :mod:`zoo.ablation`). Plugins contribute
theirs through the ``zoo_register_catalog`` hook; the host validates them when the plugin loads
(:mod:`zoo.plugins`), so a bad entry fails only its plugin. The root ``registry.toml`` files are
read last and *override* a plugin entry of the same name: they are the user's or organisation's
word. A ``published`` entry pins its weights (a 40-hex Hub commit or a local folder) and the sha256
of every file; a ``recipe`` entry only says how to build and train.
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zoo.catalog_files import CatalogAblation, CatalogFile, read_catalog_file
from zoo.errors import CatalogError, DuplicateNameError, UnknownComponentError
from zoo.registry import natural_key, validate_component_name
from zoo.sources import HubSource, LocalSource, Source, check_filename, parse_source

_SHA_LEN = 64

__all__ = [
    "Catalog",
    "CatalogAblation",
    "CatalogEntry",
    "CatalogFile",
    "MetricRecord",
    "catalog_ablation",
    "catalog_entry",
    "get_catalog",
    "read_catalog_toml",
    "read_registry_toml",
    "registry_toml_paths",
    "reset_catalog_cache",
    "validate_entry",
]


class MetricRecord(BaseModel):
    """One measured number and the data it was measured on (never a bare number)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    value: float
    measured_on: str = Field(min_length=3, description="the data the value was measured on")
    setting: str = ""
    std: float | None = Field(default=None, description="standard deviation over n runs (seeds, folds)")
    n: int | None = Field(default=None, ge=1, description="how many runs the value is the mean of")


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
    metrics_file: str | None = None
    reproduce: str = ""
    summary: str = ""
    tags: list[str] = []
    recipe: dict[str, Any] = {}
    base_dir: Path | None = Field(default=None, exclude=True)
    provider: str = Field(default="registry.toml", exclude=True)
    #: The provider of the entry of the same name that this one replaced (registry.toml only).
    overrides: str | None = Field(default=None, exclude=True)

    @field_validator("model")
    @classmethod
    def _model_name(cls, value: str) -> str:
        validate_component_name(value)
        if not value.startswith("model/"):
            raise ValueError(f"model must name a registered model ('model/<name>'), got {value!r}")
        return value

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
            check_filename(filename, "files")
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

    @model_validator(mode="after")
    def _read_metrics_file(self) -> "CatalogEntry":
        # The numbers come from the JSON the measuring run wrote, pinned like the weights, so the
        # catalog and the card cannot drift apart (and a hand-edited number fails the sha256).
        if self.metrics_file is None:
            return self
        if self.metrics:
            raise ValueError("give metrics or metrics_file, not both (metrics_file is the run's own record)")
        self.metrics = _metrics_from_file(self)
        return self

    def parsed_source(self) -> Source:
        """The entry's source, with relative local paths resolved against the declaring file.

        Raises:
            CatalogError: if the entry has no source (a recipe).
        """
        if self.source is None:
            raise CatalogError(f"{self.name} has no source (status {self.status}).")
        return parse_source(self.source, self.base_dir)

    def metrics_path(self) -> Path | None:
        """Where ``metrics_file`` lies (relative paths resolve against the declaring file's folder)."""
        if self.metrics_file is None:
            return None
        path = Path(self.metrics_file).expanduser()
        return path if path.is_absolute() or self.base_dir is None else self.base_dir / path


def _pinned_name(entry: CatalogEntry, path: Path) -> str:
    """The key under which ``files`` must pin the metrics file: its path inside a local source
    folder, else its file name."""
    if entry.source:
        source = parse_source(entry.source, entry.base_dir)
        if isinstance(source, LocalSource):
            try:
                return path.resolve().relative_to(source.path.resolve()).as_posix()
            except ValueError:
                pass
    return path.name


def _metrics_from_file(entry: CatalogEntry) -> list[MetricRecord]:
    path = entry.metrics_path()
    assert path is not None
    key = _pinned_name(entry, path)
    if key not in entry.files:
        raise ValueError(f"metrics_file {entry.metrics_file!r} must be pinned in files as {key!r} = 'sha256:<64 hex>'")
    try:
        payload = path.read_bytes()
    except OSError as exc:
        raise ValueError(f"metrics_file {entry.metrics_file!r} cannot be read ({path}): {exc.strerror or exc}") from None
    actual = hashlib.sha256(payload).hexdigest()
    if actual != entry.files[key]:
        raise ValueError(
            f"metrics_file {path} has sha256 {actual}, but files[{key!r}] pins {entry.files[key]}: "
            "the numbers are not the ones the run wrote; re-pin it from the run's output"
        )
    try:
        rows = json.loads(payload)["metrics"]
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"metrics_file {path} must be JSON with a 'metrics' list of metric rows") from None
    return [MetricRecord.model_validate(row) for row in rows]


def validate_entry(raw: dict[str, Any], base_dir: Path | None, provider: str) -> CatalogEntry:
    """Validate one raw catalog table (``name`` included) from ``provider``.

    Raises:
        CatalogError: naming the entry, the provider and every problem.
    """
    try:
        return CatalogEntry.model_validate({**raw, "base_dir": base_dir, "provider": provider})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<entry>'}: {e['msg']}" for e in exc.errors())
        raise CatalogError(f"Invalid catalog entry {raw.get('name', '?')!r} from {provider}: {problems}") from None


def read_catalog_toml(path: Path, provider: str | None = None, owner: str = "registry") -> CatalogFile:
    """Read and validate a catalog TOML file (a plugin's ``catalog.toml`` or a ``registry.toml``).

    Args:
        path: the file; relative paths inside it resolve against its folder.
        provider: who declares it (a distribution name), shown in errors; default the path.
        owner: the name ablations are addressed under (``<owner>:<ablation>``): the plugin's
            entry-point name, or ``registry`` for registry.toml files.

    Raises:
        CatalogError: if the file is unreadable, not TOML, has an unknown top-level table, or an
            entry is invalid.
    """
    return read_catalog_file(Path(path), provider or str(path), owner, validate_entry)


def read_registry_toml(path: Path) -> list[CatalogEntry]:
    """The validated ``[models]`` entries of a ``registry.toml``.

    Raises:
        CatalogError: if the file or an entry is invalid.
    """
    return read_catalog_toml(path).entries


def registry_toml_paths() -> list[Path]:
    """Where ``registry.toml`` files are read from, in order (a later file overrides an earlier one).

    The packaged copy (wheel installs), else the repository's (editable installs), then any
    extra files listed in ``ZOO_REGISTRY`` (os.pathsep separated).
    """
    package_dir = Path(__file__).resolve().parent
    paths = [p for p in (package_dir / "registry.toml", package_dir.parent / "registry.toml") if p.is_file()][:1]
    extra = os.environ.get("ZOO_REGISTRY", "")
    paths += [Path(p) for p in extra.split(os.pathsep) if p]
    return paths


class Catalog:
    """All catalog entries and ablations by name.

    Plugin contributions come first (the plugin host already refused two plugins declaring one
    name); each registry.toml file then adds entries or replaces one of the same name.
    """

    def __init__(self, plugin_files: list[CatalogFile], registry_files: list[CatalogFile] = ()) -> None:
        self.entries: dict[str, CatalogEntry] = {}
        self.ablations: dict[str, CatalogAblation] = {}
        for part in plugin_files:
            for entry in part.entries:
                if entry.name in self.entries:  # the host resolves these; a direct caller may not
                    raise DuplicateNameError(entry.name, self.entries[entry.name].provider, entry.provider)
                self.entries[entry.name] = entry
            self.ablations.update({a.ref: a for a in part.ablations})
        for part in registry_files:
            for entry in part.entries:
                replaced = self.entries.get(entry.name)
                if replaced is not None:
                    entry = entry.model_copy(update={"overrides": replaced.provider})
                self.entries[entry.name] = entry
            self.ablations.update({a.ref: a for a in part.ablations})

    def get(self, name: str) -> CatalogEntry:
        """Return the entry called ``name``.

        Raises:
            UnknownComponentError: with close matches (and the failed plugin that declares the
                name, if one does).
        """
        try:
            return self.entries[name]
        except KeyError:
            from zoo.plugins import get_host

            raise get_host().unknown_name_error(name, self.entries, where="catalog entries") from None

    def ablation(self, ref: str) -> CatalogAblation:
        """The ablation ``<owner>:<name>`` (``l2hcount:paper``); a bare name works when unique.

        Raises:
            UnknownComponentError: listing the ablations that exist.
        """
        owner, sep, name = ref.rpartition(":")
        if sep:
            ref = f"{owner.replace('-', '_')}:{name}"
            if ref in self.ablations:
                return self.ablations[ref]
        else:
            hits = [a for a in self.ablations.values() if a.name == ref]
            if len(hits) == 1:
                return hits[0]
        raise UnknownComponentError(ref, self.ablations, where="catalog ablations (<plugin>:<name>)")

    def list(self, pattern: str = "*") -> list[str]:
        """Entry names matching an fnmatch ``pattern``, in natural order."""
        return sorted((n for n in self.entries if fnmatch.fnmatchcase(n, pattern)), key=natural_key)


_CATALOG: Catalog | None = None


def get_catalog() -> Catalog:
    """The catalog of this process: loaded plugins' entries, then registry.toml files (cached).

    Raises:
        CatalogError: if a registry.toml file or one of its entries is invalid (plugin entries
            were validated when their plugin loaded).
    """
    global _CATALOG
    if _CATALOG is None:
        from zoo.plugins import get_host

        registry_files = [read_catalog_toml(path) for path in registry_toml_paths()]
        _CATALOG = Catalog(get_host().catalog_files(), registry_files)
    return _CATALOG


def catalog_entry(name: str) -> CatalogEntry:
    """The catalog entry called ``name`` (the plugin SDK's catalog lookup).

    Raises:
        UnknownComponentError: with close matches.
    """
    return get_catalog().get(name)


def catalog_ablation(ref: str) -> CatalogAblation:
    """The ablation spec ``<plugin>:<name>`` (e.g. ``l2hcount:paper``), raw, with where it came from.

    Raises:
        UnknownComponentError: listing the ablations that exist.
    """
    return get_catalog().ablation(ref)


def reset_catalog_cache() -> None:
    """Forget the cached catalog (after plugins or ``ZOO_REGISTRY`` change)."""
    global _CATALOG
    _CATALOG = None
