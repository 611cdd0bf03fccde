"""``zoo recipe explain``: the resolved recipe, every default filled in, parts as the model builds them."""

from __future__ import annotations

import json

import pytest

from zoo.engine.config import TrainConfig
from zoo.engine.explain import augmentation_fields, from_scratch_overrides, lookup, pretrained_fields

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


IMPOSING = """
[models."blobs-imposed"]
model = "model/toy-fusion"
config = { dim = 32, classes = 5 }
status = "recipe"
recipe = { dataset = { name = "dataset/toy-blobs" } }
"""


def test_parts_show_the_values_the_model_imposes_not_their_defaults(recipe_toys, write_registry, zoo_cli):
    write_registry(IMPOSING)  # the model passes dim and classes to its parts with build_part
    code, output = zoo_cli("recipe", "explain", "blobs-imposed", "--json")
    assert code == 0, output
    explained = json.loads(output)
    assert explained["imposed"] == {"read": True, "note": ""}
    assert explained["model"]["head"] == {"name": "head/toy-linear", "config": {"in_features": 32, "classes": 5}}
    assert explained["model"]["experts"]["a"]["config"] == {"in_features": 8, "dim": 32, "tokens": 2}
    assert explained["model"]["dim"] == 32 and explained["model"]["classes"] == 5
    code, text = zoo_cli("recipe", "explain", "blobs-imposed", "model.experts.b=None")
    assert "model.head.config.classes = 5" in text.splitlines() and "model.experts.b = null" in text.splitlines()

    code, output = zoo_cli("recipe", "explain", "blobs-imposed", "model.head.config.classes=4")
    assert code == 1 and "error: Part head/toy-linear was configured with classes=4, but the model requires classes=5" in output


def test_a_model_that_cannot_be_built_here_keeps_the_resolved_parts_and_says_so(recipe_toys, write_registry, zoo_cli,
                                                                             monkeypatch):
    import zoo.factory

    write_registry(IMPOSING)

    def no_llm(*args, **kwargs):
        raise OSError("the LLM is not in the cache")

    monkeypatch.setattr(zoo.factory, "build", no_llm)
    code, output = zoo_cli("recipe", "explain", "blobs-imposed", "--json")
    assert code == 0, output
    explained = json.loads(output)
    assert explained["imposed"]["read"] is False
    assert "could not be built here" in explained["imposed"]["note"] and "OSError: the LLM is not in the cache" in explained["imposed"]["note"]
    assert explained["model"]["head"]["config"] == {"in_features": 16, "classes": 3}  # resolved defaults, announced
    code, text = zoo_cli("recipe", "explain", "blobs-imposed")
    assert text.splitlines()[1].startswith("# note: the model could not be built here")


def test_augmentations_are_the_declared_or_named_settings_not_preprocessing_choices():
    from pydantic import Field

    import zoo

    class Data(zoo.ComponentConfig):
        face_crop: str = Field("detect", description="how the face is cut out (preprocessing)")
        crop_size: int = 256
        flip: bool = True
        augment: dict = {"enabled": True}
        augment_policy: str = "randaugment"
        rotate_x_deg: float = Field(-90.0, json_schema_extra={"augmentation": False})
        training: bool = Field(True, json_schema_extra={"augmentation": True})
        root: str = ""

    assert augmentation_fields(Data()) == {
        "crop_size": 256, "flip": True, "augment": {"enabled": True}, "augment_policy": "randaugment", "training": True,
    }


def test_depth_mers_face_crop_is_preprocessing_not_augmentation():
    from zoo.engine.explain import explain_recipe
    from zoo.engine.recipe import read_recipe

    explained = explain_recipe(read_recipe("depth-mer-casme3-7class"))
    assert "face_crop" not in explained["augmentations"] and explained["dataset"]["config"]["face_crop"] == "detect"
    assert explained["augmentations"]["augment"]["enabled"] is True
    assert explained["model"]["head"]["config"]["num_classes"] == 7  # len(class_names), imposed by the model
    assert explained["model"]["encoder"]["config"]["in_channels"] == 6
