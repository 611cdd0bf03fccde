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


def test_a_part_override_of_the_same_component_merges_and_another_component_replaces() -> None:
    base = {"encoder": {"name": "encoder/a", "config": {"k": 3, "j": 1}}, "width": 8}
    same = merge_overrides(base, {"encoder": {"name": "encoder/a", "config": {"k": 5}}})
    assert same["encoder"] == {"name": "encoder/a", "config": {"k": 5, "j": 1}}  # merged into the old config
    other = merge_overrides(base, {"encoder": {"name": "encoder/b", "config": {"m": 2}}})
    assert other["encoder"] == {"name": "encoder/b", "config": {"m": 2}}  # its own config: k and j are encoder/a's
    bare = merge_overrides(base, {"encoder": {"name": "encoder/b"}})
    assert bare["encoder"] == {"name": "encoder/b", "config": {}} and bare["width"] == 8
    # A default written as a bare name, overridden by a table naming another component.
    assert merge_overrides({"encoder": "encoder/a"}, {"encoder": {"name": "encoder/b", "config": {"m": 2}}})["encoder"] == {
        "name": "encoder/b", "config": {"m": 2}}
    assert base["encoder"]["config"] == {"k": 3, "j": 1}  # the base is never changed


def test_a_recipe_swapping_a_configured_part_for_another_component_builds(sandbox) -> None:
    """Through `zoo train`'s override path: the recipe configures expert a (lbp-top's sharpness); a swap to
    toy-mean (which has no sharpness) with a config of its own builds, and a same-name override merges."""
    import zoo
    from zoo.engine.recipe import apply_overrides

    raw = {"name": "swap", "model": "model/toy-fusion", "dataset": {"name": "dataset/toy-blobs"},
           "config": {"experts": {"a": {"name": "expert/lbp-top", "config": {"sharpness": 3.0}}}}}
    swapped = apply_overrides(raw, ['model.experts.a={name = "expert/toy-mean", config = {tokens = 4}}'])
    assert swapped.config["experts"]["a"] == {"name": "expert/toy-mean", "config": {"tokens": 4}}
    model = zoo.build(swapped.model, **swapped.config)
    assert model.experts["a"].zoo_name == "expert/toy-mean" and model.experts["a"].config.tokens == 4
    merged = apply_overrides(raw, ['model.experts.a={name = "expert/lbp-top", config = {tokens = 4}}'])
    expert = zoo.build(merged.model, **merged.config).experts["a"]
    assert (expert.config.sharpness, expert.config.tokens) == (3.0, 4)


def test_validation_error_names_the_field_and_the_accepted_ones() -> None:
    with pytest.raises(ConfigError) as info:
        validate_config(Demo, {"widht": 3}, "model/demo")
    message = str(info.value)
    assert "widht" in message and "Extra inputs are not permitted" in message
    assert "Accepted fields: encoder, experts, width" in message
    with pytest.raises(ConfigError, match="width"):
        validate_config(Demo, {"width": "wide"}, "model/demo")
