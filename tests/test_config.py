"""Config validation and the override rules that make ablations one line."""

from __future__ import annotations

import pytest

from zoo.config import ComponentConfig, OptionalPart, Part, PartRef, dotted_to_nested, merge_overrides, validate_config
from zoo.errors import ConfigError


class Demo(ComponentConfig):
    encoder: Part = "encoder/a"
    experts: dict[str, OptionalPart] = {"x": "expert/x", "y": "expert/y"}
    width: int = 4


def test_parts_accept_a_name_or_a_table() -> None:
    cfg = Demo.model_validate({"encoder": {"name": "encoder/b", "config": {"k": 3}}, "experts": {"x": None}})
    assert cfg.encoder == PartRef(name="encoder/b", config={"k": 3})
    assert cfg.experts == {"x": None}
    assert Demo().encoder == "encoder/a"  # defaults are stored as written until validated


def test_dotted_keys_nest() -> None:
    assert dotted_to_nested({"a.b.c": 1, "a.d": 2}) == {"a": {"b": {"c": 1}, "d": 2}}
    with pytest.raises(ConfigError, match="empty segment"):
        dotted_to_nested({"a..b": 1})


def test_merge_keeps_sibling_parts_and_replaces_a_named_part() -> None:
    base = {"encoder": {"name": "encoder/a", "config": {"k": 3}}, "experts": {"x": "expert/x", "y": "expert/y"}}
    merged = merge_overrides(base, {"experts": {"y": None}, "encoder": "encoder/b"})
    assert merged["experts"] == {"x": "expert/x", "y": None}
    # A different component's config would not fit: the old overrides are dropped with the name.
    assert merged["encoder"] == {"name": "encoder/b", "config": {}}


def test_merge_part_config_keeps_the_name() -> None:
    base = {"encoder": {"name": "encoder/a", "config": {"k": 3, "j": 1}}}
    merged = merge_overrides(base, {"encoder.config.k": 5})
    assert merged["encoder"] == {"name": "encoder/a", "config": {"k": 5, "j": 1}}
    merged = merge_overrides({"encoder": "encoder/a"}, {"encoder": {"config": {"k": 5}}})
    assert merged["encoder"] == {"name": "encoder/a", "config": {"k": 5}}


def test_validation_error_names_the_field_and_the_accepted_ones() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config(Demo, {"widht": 3}, "model/demo")
    message = str(info.value)
    assert "widht" in message and "Extra inputs are not permitted" in message
    assert "Accepted fields: encoder, experts, width" in message
    with pytest.raises(ConfigError, match="width"):
        validate_config(Demo, {"width": "wide"}, "model/demo")
