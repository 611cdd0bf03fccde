"""zoo.build: names, catalog architectures, part swaps (including a third-party expert)."""

from __future__ import annotations

import pytest

import zoo
from zoo.errors import ConfigError, UnknownComponentError


def test_build_by_full_and_bare_name_sets_name_and_config() -> None:
    model = zoo.build("model/toy-fusion")
    assert model.zoo_name == "model/toy-fusion"
    assert sorted(model.experts) == ["a", "b"]
    assert zoo.build("toy-fusion").zoo_name == "model/toy-fusion"
    assert model.config.experts["a"].name == "expert/toy-mean"


def test_swap_in_a_third_party_expert_by_name() -> None:
    model = zoo.build("model/toy-fusion", experts={"b": "expert/lbp-top"})
    assert type(model.experts["b"]).__module__ == "zoo_thirdparty_lbp.expert"
    assert type(model.experts["a"]).__name__ == "MeanExpert"
    assert model.experts["b"].zoo_name == "expert/lbp-top"
    # The alias the third party declared works too.
    assert zoo.build("model/toy-fusion", experts={"a": "lbp"}).experts["a"].zoo_name == "expert/lbp-top"


def test_switching_a_part_off_and_dotted_overrides() -> None:
    model = zoo.build("model/toy-fusion", experts={"a": None})
    assert list(model.experts) == ["b"]
    model = zoo.build("model/toy-fusion", **{"experts.b.config.tokens": 5})
    assert model.experts["b"].config.tokens == 5 and model.experts["a"].config.tokens == 2


def test_the_model_imposes_widths_on_its_parts() -> None:
    model = zoo.build("model/toy-fusion", dim=32)
    assert model.experts["a"].config.dim == 32 and model.head.config.in_features == 32
    with pytest.raises(ConfigError, match="requires dim=16"):
        zoo.build("model/toy-fusion", experts={"a": {"name": "expert/toy-mean", "config": {"dim": 8}}})


def test_build_a_catalog_recipe_gives_its_architecture() -> None:
    model = zoo.build("toy-fusion-lbp")
    assert model.experts["b"].zoo_name == "expert/lbp-top"
    assert zoo.build("toy-fusion-recipe", classes=5).head.config.classes == 5


def test_build_from_a_config_instance_or_a_table() -> None:
    config = zoo.build("model/toy-fusion", classes=7).config
    assert zoo.build(config).head.config.classes == 7
    assert zoo.build({"name": "expert/toy-mean", "config": {"tokens": 3}}).config.tokens == 3


def test_unknown_names_and_bad_overrides_are_actionable() -> None:
    with pytest.raises(UnknownComponentError, match="Did you mean: model/toy-fusion"):
        zoo.build("model/toy-fusoin")
    with pytest.raises(UnknownComponentError, match="expert/lbp-top"):
        zoo.build("model/toy-fusion", experts={"b": "expert/lbp-tpo"})
    with pytest.raises(ConfigError, match="clases"):
        zoo.build("model/toy-fusion", clases=3)


def test_list_and_info() -> None:
    assert "expert/lbp-top" in zoo.list("*lbp*")
    assert zoo.list("toy-fusion*", kind="checkpoint") == ["toy-fusion-lbp", "toy-fusion-recipe"]
    assert zoo.list(kind="head") == [n for n in zoo.list() if n.startswith("head/")]
    info = zoo.info("expert/lbp-top")
    assert info["provider"] == {"distribution": "zoo-thirdparty-lbp", "version": "1.2.0"}
    assert zoo.info("lbp-top", defaults=True)["defaults"]["sharpness"] == 10.0
    with pytest.raises(ValueError, match="Unknown kind 'experts'"):
        zoo.list(kind="experts")
