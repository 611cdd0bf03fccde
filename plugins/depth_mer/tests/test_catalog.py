"""The catalog: the published checkpoint loads and predicts its example; every recipe and ablation
variant resolves with a head that fits its dataset and one depth pipeline for model and data."""

import warnings

import pytest

import zoo
from zoo.sdk import RecipeNotPublishedError, catalog_ablation, catalog_entry, read_recipe
from zoo_depth_mer.features import PipelineConfig

RECIPES = ["depth-mer-synth", "depth-mer-casme3", "depth-mer-casme3-4class", "depth-mer-casme3-7class"]


def test_synthetic_checkpoint_loads_and_predicts_its_example():
    import zoo_depth_mer

    model = zoo.load("depth-mer-synth")
    [prediction] = zoo.predict(model, zoo_depth_mer.example_path())
    assert prediction["class"] in ("negative", "positive", "surprise")
    entry = catalog_entry("depth-mer-synth")
    assert {"example/onset.png", "example/apex.png", "metrics.json"} <= set(entry.files)
    assert all("SYNTHETIC" in m.measured_on for m in entry.metrics)


def test_catalog_numbers_are_the_ablation_run_mean_std_over_three_seeds():
    entry = catalog_entry("depth-mer-synth")
    rows = {(m.setting.split(":")[0], m.name): m for m in entry.metrics}
    variants = list(catalog_ablation("depth-mer:paper").spec["variants"])
    for variant in variants:
        for metric in ("uf1", "uar", "accuracy"):
            row = rows[(variant, metric)]
            assert row.n == 3 and row.std is not None and 0.0 <= row.value <= 1.0
    own = [m for m in entry.metrics if m.setting.startswith("this checkpoint")]
    assert {m.name for m in own} == {"uf1", "uar", "accuracy"}


@pytest.mark.parametrize("name", RECIPES)
def test_recipes_give_a_head_of_the_datasets_size_and_one_pipeline(name):
    recipe = read_recipe(name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = zoo.build(name)
    classes = recipe.dataset.config.get("num_classes", 3)
    assert len(model.config.class_names) == classes and model.head.config.num_classes == classes
    _assert_one_pipeline(recipe)


def test_real_recipes_are_loso_without_weights():
    for name in RECIPES[1:]:
        assert read_recipe(name).protocol.kind == "loso"
        with pytest.raises(RecipeNotPublishedError, match="recipe"):
            zoo.load(name)


def _assert_one_pipeline(recipe):
    model = PipelineConfig.model_validate(recipe.config.get("pipeline", {}))
    for spec in (recipe.dataset, recipe.eval_dataset):
        if spec is not None:
            assert PipelineConfig.model_validate(spec.config.get("pipeline", {})) == model, spec.name


def test_every_paper_variant_resolves_with_one_pipeline():
    spec = catalog_ablation("depth-mer:paper").spec
    assert spec["recipe"] == "depth-mer-synth" and spec["seeds"] == [0, 1, 2]
    variants = spec["variants"]
    assert list(variants)[0] == "PointNet++ SSG, ICP + nearest" and variants[list(variants)[0]] == []
    encoders = set()
    for overrides in variants.values():
        recipe = read_recipe("depth-mer-synth", overrides)
        _assert_one_pipeline(recipe)
        model = zoo.build(recipe.model, **recipe.config)  # a swapped encoder gets its own config, not a merge
        encoders.add(model.encoder.zoo_name)
        assert model.encoder.out_channels == model.head.config.in_channels
    assert encoders == {"encoder/pointnet2-ssg", "encoder/pointnet2-msg", "encoder/pointnet", "encoder/dgcnn"}
    pipelines = {(r.config["pipeline"].get("align", True), r.config["pipeline"].get("correspondence", "nearest"))
                 for r in (read_recipe("depth-mer-synth", o) for o in variants.values())}
    assert pipelines == {(True, "nearest"), (True, "same-pixel"), (False, "nearest")}
