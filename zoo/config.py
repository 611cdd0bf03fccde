"""Typed component configurations and the part references that make ablations a one-line override.

Every component is built from a pydantic config with ``extra="forbid"`` so that a typo in a field
name is an error, not a silently ignored keyword. A model config names its parts by registry name
(:class:`PartRef`), which is what lets ``zoo.build("model/x", encoder="encoder/y")`` swap a part.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from zoo.errors import ConfigError


class ComponentConfig(BaseModel):
    """Base class of every component's config: strict, validated on assignment, JSON round-trips."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class PartRef(BaseModel):
    """A reference to a registered component plus overrides of its config.

    Written in configs either as the bare name (``"expert/structure"``) or as a table
    (``{name = "expert/structure", config = {tokens = 8}}``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    config: dict[str, Any] = {}


def _coerce_part(value: Any) -> Any:
    if isinstance(value, str):
        return {"name": value}
    return value


#: A required part: a registry name or ``{name, config}``.
Part = Annotated[PartRef, BeforeValidator(_coerce_part)]
#: A part that can be switched off with ``None`` (an ablation).
OptionalPart = Annotated[PartRef | None, BeforeValidator(_coerce_part)]


def deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Merge ``overrides`` into a copy of ``base``; nested dicts merge, anything else replaces.

    Merging (not replacing) nested tables is what makes ``experts={"texture": None}`` drop one
    expert and keep the others.
    """
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, BaseModel):
            value = value.model_dump()
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def dotted_to_nested(overrides: dict[str, Any]) -> dict[str, Any]:
    """Turn ``{"experts.texture": "expert/x"}`` into ``{"experts": {"texture": "expert/x"}}``.

    Raises:
        ConfigError: if a key is empty or has an empty segment.
    """
    nested: dict[str, Any] = {}
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        if not all(parts):
            raise ConfigError(f"Override key {dotted!r} has an empty segment; expected a.b.c=value.")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def normalise_part_overrides(config: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Expand shorthand part overrides so they merge with the config's ``{name, config}`` tables.

    An override naming another component (``encoder="encoder/y"`` or ``encoder={"name":
    "encoder/y", "config": {...}}``) replaces the part *and* its config overrides (a different
    component's config would not fit); one naming the same component, or none
    (``encoder={"config": {...}}``), merges into the part's config (docs/architecture.md).
    """
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        current = config.get(key)
        if isinstance(current, str) and isinstance(value, dict) and set(value) <= {"name", "config"}:
            current = {"name": current, "config": {}}  # a part default written as a bare name
            config = {**config, key: current}
            value = _Replace({**current, **value})
        if isinstance(current, dict) and "name" in current and isinstance(value, dict) and value.get("name") not in (None, current["name"]):
            out[key] = _Replace({"config": {}, **value})  # another component: its own config, never merged with the old one
        elif isinstance(current, dict) and "name" in current and isinstance(value, str):
            out[key] = _Replace({"name": value, "config": {}})
        elif isinstance(current, dict) and isinstance(value, dict) and "name" not in current:
            out[key] = normalise_part_overrides(current, value)
        else:
            out[key] = value
    return out


class _Replace(dict):
    """Marks a dict override that replaces instead of merging."""


def merge_overrides(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Apply user overrides (nested or dotted keys) to a config dict, part-aware."""
    nested = dotted_to_nested(overrides) if overrides else {}
    normalised = normalise_part_overrides(base, nested)
    return _merge_with_replace(base, normalised)


def _merge_with_replace(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, _Replace):
            merged[key] = dict(value)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge_with_replace(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value.model_dump() if isinstance(value, BaseModel) else value)
    return merged


def validate_config(config_cls: type[ComponentConfig], data: dict[str, Any], name: str) -> ComponentConfig:
    """Validate ``data`` against ``config_cls``, turning pydantic's error into a :class:`ConfigError`.

    Raises:
        ConfigError: naming the component, each bad field and the fields the config accepts.
    """
    try:
        return config_cls.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        fields = ", ".join(config_cls.model_fields) or "(none)"
        raise ConfigError(
            f"Invalid config for {name}: {problems}. Accepted fields: {fields}. "
            f"See `zoo info {name}` for the defaults."
        ) from None
