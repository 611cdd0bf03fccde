"""``zoo recipe explain``: the resolved recipe, every default filled in, nothing built."""

from __future__ import annotations

import json

import pytest

from zoo.engine.config import TrainConfig
from zoo.engine.explain import from_scratch_overrides, lookup, pretrained_fields

ENTRY = """
[models."blobs-explained"]
model = "model/toy-fusion"
config = { experts = { a = "expert/test-backbone" }, classes = 3 }
status = "recipe"
recipe = { dataset = { name = "dataset/toy-blobs" }, eval_dataset = { name = "dataset/toy-blobs", config = { split = "test" } }, train = { epochs = 7, lr = 0.01 }, stages = {}, notes = { source = "tests" } }
"""


@pytest.fixture
def entry(recipe_toys, write_registry):
    write_registry(ENTRY)
    return "blobs-explained"


def test_explain_json_resolves_every_default_through_the_config_classes(entry, zoo_cli):
    code, output = zoo_cli("recipe", "explain", entry, "--json")
    assert code == 0, output
    explained = json.loads(output)
    assert explained["architecture"] == "model/toy-fusion"
    # Parts are {name, config} with the part's own defaults; the untouched expert b keeps its default.
    assert explained["model"]["experts"] == {
        "a": {"name": "expert/test-backbone", "config": {"in_features": 8, "dim": 16, "tokens": 2, "pretrained": True}},
        "b": {"name": "expert/toy-mean", "config": {"in_features": 8, "dim": 16, "tokens": 2}},
    }
    assert explained["model"]["head"] == {"name": "head/toy-linear", "config": {"in_features": 16, "classes": 3}}
    assert explained["dataset"] == {"name": "dataset/toy-blobs",
                                    "config": {"root": "", "split": "train", "augment": False, "delay": 0.0}}
    assert explained["eval_dataset"]["config"]["split"] == "test"
    assert explained["train"] == {**TrainConfig().model_dump(mode="json"), "epochs": 7, "lr": 0.01,
                                  "out_dir": "runs/blobs-explained"}
    assert explained["pretrained"] == {"experts.a": {"component": "expert/test-backbone", "pretrained": True}}
    assert explained["augmentations"] == {"augment": False}
    assert explained["protocol"] == {"kind": "holdout", "test_subjects": None} and explained["runner"] is None
    assert explained["notes"] == {"source": "tests"}
    assert lookup(explained, "model.experts.a.config.pretrained") is True


def test_explain_applies_overrides_and_from_scratch(entry, zoo_cli):
    code, output = zoo_cli("recipe", "explain", entry, "--json", "--from-scratch", "model.experts.b=None",
                           "dataset.augment=true")
    assert code == 0, output
    explained = json.loads(output)
    assert explained["model"]["experts"]["a"]["config"]["pretrained"] is False and explained["model"]["experts"]["b"] is None
    assert explained["dataset"]["config"]["augment"] is True


def test_text_and_markdown_list_one_dotted_key_per_setting(entry, zoo_cli):
    code, text = zoo_cli("recipe", "explain", entry)
    assert code == 0, text
    assert text.splitlines()[0] == "recipe blobs-explained (model/toy-fusion)"
    assert 'model.experts.a.name = "expert/test-backbone"' in text.splitlines()
    assert "train.epochs = 7" in text.splitlines() and "stages = {}" in text.splitlines()
    code, markdown = zoo_cli("recipe", "explain", entry, "--markdown")
    assert code == 0 and "| `model.experts.a.config.pretrained` | `true` |" in markdown.splitlines()
    code, output = zoo_cli("recipe", "explain", entry, "--markdown", "--json")
    assert code == 2 and "choose one" in output


def test_explain_errors_are_one_line(recipe_toys, zoo_cli):
    code, output = zoo_cli("recipe", "explain", "no-such-recipe")
    assert code == 1 and output.startswith("error: ") and "Traceback" not in output


def test_pretrained_fields_and_from_scratch_handle_bools_and_weight_ids():
    config = {
        "encoder": {"name": "encoder/x", "config": {"pretrained": True}},
        "llm": {"pretrained": "Qwen/Qwen2.5-0.5B-Instruct", "lora_r": 16},
        "experts": {"a": {"name": "expert/y", "config": {"pretrained": False}}, "b": None},
    }
    assert pretrained_fields(config) == {
        "encoder.config.pretrained": True, "llm.pretrained": "Qwen/Qwen2.5-0.5B-Instruct",
        "experts.a.config.pretrained": False,
    }
    assert from_scratch_overrides(config) == ["model.encoder.config.pretrained=false", "model.llm.pretrained=None"]
    with pytest.raises(KeyError, match=r"no 'nope' under model.encoder.config \(has: pretrained\)"):
        lookup({"model": config}, "model.encoder.config.nope")
