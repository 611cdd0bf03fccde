"""The ablation spec: a recipe, its variants as override lists, seeds (docs/ablation.md).

Written as an ``[ablations."<name>"]`` table in a plugin's catalog.toml (or the root
registry.toml, addressed as ``registry:<name>``, or any TOML file as ``path/to/file.toml:<name>``)::

    [ablations.paper]
    recipe = "l2hcount-synth"                       # catalog entry (or recipe .toml, relative to this file)
    make_data = "zoo l2hcount make-synth {data}"    # run when no --data is given ({data}: a folder)
    seeds = [0, 1, 2]
    summary = "L2HCount paper ablation (synthetic data)"
    overrides = ["train.progress=false"]            # optional: applied to every variant
    from_scratch = false                            # optional: every variant from random init
    metrics = ["mae", "mse"]                        # optional: the columns (default: every metric)
    [ablations.paper.variants]                      # name -> overrides; the first is the reference
    "full" = []
    "w/o HFEM" = ["model.enhance=None"]

``zoo ablate RECIPE --swap KEY=VALUE ...`` builds the same object from the command line
(:func:`spec_from_swaps`): one variant per swap (one at a time), or every combination with
``grid=True``; the recipe as written is the reference.
"""

from __future__ import annotations

import itertools
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zoo.errors import ConfigError, InputError
from zoo.provenance import display_path

#: The name of the variant that is the recipe as written (``zoo ablate RECIPE --swap ...``).
REFERENCE = "reference"


def slug(text: str) -> str:
    """A folder name for a variant: ``"w/o HDSM+GTGM"`` → ``"w-o-hdsm+gtgm"``."""
    return re.sub(r"[^a-z0-9_.+-]+", "-", text.lower()).strip("-.") or "variant"


class AblationSpec(BaseModel):
    """A validated ablation (see the module docstring for the TOML form)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field("ablation", description="how the ablation is addressed, e.g. l2hcount:paper")
    recipe: str = Field(min_length=1)
    make_data: str | None = Field(None, description="command that writes the data into {data}")
    seeds: list[int] = Field([0, 1, 2], min_length=1)
    summary: str = ""
    overrides: list[str] = Field([], description="applied to every variant, before its own")
    from_scratch: bool = False
    metrics: list[str] | None = Field(None, description="metric columns (default: every metric the runs report)")
    variants: dict[str, list[str]] = Field(min_length=1, description="name -> overrides; the first is the reference")

    @field_validator("seeds")
    @classmethod
    def _distinct_seeds(cls, seeds: list[int]) -> list[int]:
        if len(set(seeds)) != len(seeds):
            raise ValueError(f"seeds repeat: {seeds}")
        return seeds

    @field_validator("make_data")
    @classmethod
    def _data_placeholder(cls, command: str | None) -> str | None:
        if command is not None and "{data}" not in command:
            raise ValueError("make_data must contain {data} (the folder the command writes)")
        return command

    @model_validator(mode="after")
    def _valid_overrides_and_folders(self) -> "AblationSpec":
        from zoo.engine.overrides import parse_overrides  # the engine imports torch: only when validating

        for name, items in {"overrides": self.overrides, **self.variants}.items():
            try:
                parse_overrides([i for i in items if not i.startswith("stages.")])
            except InputError as exc:
                raise ValueError(f"{name}: {exc}") from None
        folders: dict[str, str] = {}
        for name in self.variants:
            clash = folders.setdefault(slug(name), name)
            if clash != name:
                raise ValueError(f"variants {clash!r} and {name!r} share the folder name {slug(name)!r}; rename one")
        return self

    @property
    def reference(self) -> str:
        """The variant the others are compared with (the first)."""
        return next(iter(self.variants))


def validate_spec(raw: dict[str, Any], where: str = "") -> AblationSpec:
    """Validate a raw ``[ablations.*]`` table (``where`` names it in the error).

    Raises:
        ConfigError: naming each bad field.
    """
    try:
        return AblationSpec.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<spec>'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Invalid ablation spec {where}: {problems}.") from None


def _with_base(raw: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    # A recipe file named by the spec is relative to the file that declares the spec.
    recipe = raw.get("recipe")
    if base_dir is not None and isinstance(recipe, str) and recipe.endswith(".toml") and not Path(recipe).is_absolute():
        return {**raw, "recipe": str(base_dir / recipe)}
    return raw


def load_spec(ref: str) -> AblationSpec:
    """The spec ``<plugin>:<name>`` from the catalog, or ``<file.toml>:<name>`` from a TOML file.

    Raises:
        InputError: if the TOML file cannot be read or lacks the table.
        UnknownComponentError: if the catalog has no such ablation (listing those it has).
        ConfigError: if the spec does not validate.
    """
    source, sep, name = ref.rpartition(":")
    if sep and source.endswith(".toml"):
        path = Path(source)
        try:
            tables = tomllib.loads(path.read_text(encoding="utf-8")).get("ablations", {})
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"Cannot read ablation specs from {path}: {exc}") from None
        if name not in tables:
            raise InputError(f"{path} has no [ablations.{name}] table; it has: {', '.join(tables) or 'none'}.")
        shown = f"{display_path(path)}:{name}"  # the name goes into tables and cards: no absolute path
        return validate_spec({"name": shown, **_with_base(tables[name], path.parent)}, shown)
    from zoo.catalog import catalog_ablation

    found = catalog_ablation(ref)
    return validate_spec({"name": found.ref, **_with_base(found.spec, found.base_dir)}, f"{found.ref} ({found.provider})")


def normalise_swap(swap: str) -> str:
    """``experts.texture=expert/x`` → ``model.experts.texture=expert/x`` (the model is the default target).

    Raises:
        InputError: if the swap is not ``KEY=VALUE``.
    """
    key, sep, value = swap.partition("=")
    if not sep or not key.strip():
        raise InputError(f"--swap {swap!r} must be KEY=VALUE, e.g. model.experts.texture=expert/lbp-top or model.memory=None.")
    from zoo.engine.overrides import TARGETS

    key = key.strip()
    if key.split(".", 1)[0] not in (*TARGETS, "stages"):
        key = f"model.{key}"
    return f"{key}={value.strip()}"


def spec_from_swaps(
    recipe: str,
    swaps: list[str] | tuple[str, ...],
    *,
    grid: bool = False,
    seeds: list[int] | None = None,
    overrides: list[str] | tuple[str, ...] = (),
    make_data: str | None = None,
) -> AblationSpec:
    """The spec of ``zoo ablate RECIPE --swap ...``: the recipe as written, then the variants.

    One at a time (default): one variant per swap. ``grid``: every combination of the swapped
    keys' values (each key also at its recipe value).

    Raises:
        InputError: if a swap is malformed or there is none.
        ConfigError: if the resulting spec does not validate.
    """
    if not swaps:
        raise InputError("Name at least one --swap KEY=VALUE (a variant of the recipe to compare with it).")
    items = [normalise_swap(s) for s in swaps]
    variants: dict[str, list[str]] = {REFERENCE: []}
    if not grid:
        variants.update({item: [item] for item in items})
    else:
        by_key: dict[str, list[str | None]] = {}
        for item in items:
            by_key.setdefault(item.partition("=")[0], [None]).append(item)
        for combination in itertools.product(*by_key.values()):
            chosen = [c for c in combination if c is not None]
            if chosen:
                variants[", ".join(chosen)] = chosen
    raw = {"name": f"{recipe} ({'grid' if grid else 'one at a time'})", "recipe": recipe, "variants": variants,
           "overrides": list(overrides), "make_data": make_data, "seeds": seeds or [0, 1, 2]}
    return validate_spec(raw, f"for {recipe}")
