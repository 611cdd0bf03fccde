"""The plugin's catalog: recipes and their protocols, the release profile, the ablation spec, explain."""

import json

import pytest

from zoo.sdk import catalog_ablation, catalog_entry, read_recipe
from zoo.testing import run_cli
from zoo_cmip_cil.recipe_runner import read_stages

RELEASE = {
    "view_pooling": "after-head", "image_augment": True, "proto_reg_over": "all-rows",
    "point_augment": {"translate": 0.5, "translate_relative": True},
    "defects": {"double_softmax": True, "bn_updates_in_frozen_backbone": True, "augment_test_points": True},
}


def test_recipes_are_listed_with_their_protocols():
    mn40, sn55 = catalog_entry("cmip-cil-mn40"), catalog_entry("cmip-cil-sn55")
    assert mn40.status == sn55.status == "recipe"
    assert mn40.recipe["runner"] == sn55.recipe["runner"] == "zoo_cmip_cil.recipe_runner:run_cmip_cil"
    assert mn40.reproduce == "zoo train cmip-cil-mn40 --data ROOT"
    stages = read_stages(read_recipe("cmip-cil-mn40"))
    assert (stages.incremental.base, stages.incremental.exemplars_per_class) == (4, 20)
    assert stages.pretrain_classes == "all-train-objects" and stages.baselines == ["finetune", "simplecil", "icarl", "wa", "podnet"]
    sn = read_stages(read_recipe("cmip-cil-sn55"))
    assert sn.incremental.merge_remainder is True and sn.incremental.exemplars_per_class == 18
    assert mn40.recipe["dataset"]["config"]["masked_variants"] == 20
    assert mn40.config["image_encoder"]["config"]["pretrained"] is True  # ImageNet, as the paper


@pytest.mark.parametrize("name", ["cmip-cil-mn40-release", "cmip-cil-sn55-release"])
def test_release_profiles_switch_every_difference(name):
    entry = catalog_entry(name)
    for key, value in RELEASE.items():
        assert entry.config[key] == value, key
    assert entry.config["classifier"]["config"]["sigma"] == 1.0
    assert entry.config["image_encoder"]["config"]["pretrained"] is False  # torchvision's resnet50(), no weights
    assert read_stages(read_recipe(name)).incremental.recompute_old_prototypes is True


def test_paper_ablation_rows_are_valid_overrides_of_the_synthetic_recipe():
    spec = catalog_ablation("cmip-cil:paper").spec
    assert spec["recipe"] == "cmip-cil-synth-recipe" and spec["seeds"] == [0, 1, 2]
    assert list(spec["variants"])[0] == "CMIP-CIL (full)" and spec["variants"]["CMIP-CIL (full)"] == []
    assert {"w/o pre-training", "w/o masking", "w/o adapter", "w/o prototype regularisation"} <= set(spec["variants"])
    for overrides in spec["variants"].values():
        recipe = read_recipe(spec["recipe"], overrides)  # every row resolves to a valid recipe
        read_stages(recipe)


def test_protocol_ablation_rows_resolve_to_the_choices_they_name():
    import zoo

    spec = catalog_ablation("cmip-cil:protocol").spec
    rows = {name: read_recipe(spec["recipe"], [*spec["overrides"], *overrides]) for name, overrides in spec["variants"].items()}
    assert read_stages(rows["pre-trained on base-task-only"]).pretrain_classes == "base-task-only"
    release = zoo.build(rows["release profile"].model, **rows["release profile"].config).config
    assert (release.view_pooling, release.proto_reg_over, release.image_augment) == ("after-head", "all-rows", True)
    assert all(release.defects.model_dump().values())


def test_recipe_explain_resolves_the_release_profile():
    result = run_cli(["recipe", "explain", "cmip-cil-mn40-release", "--json"])
    assert result.exit_code == 0, result.output
    explained = json.loads(result.output)
    assert explained["model"]["view_pooling"] == "after-head"
    assert explained["model"]["classifier"]["config"]["sigma"] == 1.0


def test_published_synthetic_checkpoint_numbers_come_from_its_metrics_file():
    import zoo
    from zoo_cmip_cil.synth import class_names

    entry = catalog_entry("cmip-cil-synth")
    assert entry.status == "published" and entry.metrics_file == "checkpoints/cmip-cil-synth/metrics.json"
    assert "SYNTHETIC" in entry.data and {"example.off", "metrics.json", "model.safetensors"} <= set(entry.files)
    reference = [m for m in entry.metrics if "'CMIP-CIL (full)'" in m.setting]
    assert {m.name for m in reference} >= {"A_B", "A_mean", "forgetting", "simplecil.A_B", "icarl.A_B", "wa.A_B", "podnet.A_B"}
    assert all(m.n == 3 and m.std is not None and "SYNTHETIC" in m.measured_on for m in entry.metrics)
    assert any("'w/o masking'" in m.setting for m in entry.metrics)
    model = zoo.load("cmip-cil-synth")
    assert model.classifier.num_classes == 18 and sorted(model.config.class_names) == sorted(class_names())
    assert model.config.num_points == 256 and model.image_encoder.config.pretrained is False
