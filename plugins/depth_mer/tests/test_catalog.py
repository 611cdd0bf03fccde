"""The catalog: depth-mer-synth (committed checkpoint) loads, verifies and predicts; depth-mer-casme3 is a recipe."""

from pathlib import Path

import pytest

import zoo
import zoo_depth_mer
from zoo.errors import RecipeNotPublishedError

CHECKPOINT = Path(zoo_depth_mer.__file__).parent / "checkpoints" / "depth-mer-synth"


def test_synthetic_checkpoint_loads_and_recognises_its_embedded_sample():
    model = zoo.load("depth-mer-synth")
    onset = next((CHECKPOINT / "samples").glob("*_onset.png"))
    apex = onset.with_name(onset.name.replace("_onset", "_apex"))
    prediction = model.predict_files([str(onset), str(apex)])["predictions"][0]
    assert prediction["class"] == "positive"  # the embedded clip is a (synthetic) happy clip it was trained on


def test_synthetic_entry_reports_loso_of_every_network_on_synthetic_data():
    from zoo.catalog import get_catalog

    entry = get_catalog().get("depth-mer-synth")
    settings = {m.setting.split(" (")[0] for m in entry.metrics}
    assert settings == {"PointNet++ SSG", "PointNet++ MSG", "PointNet", "DGCNN", "PointNet++ SSG without ICP alignment"}
    assert {m.name for m in entry.metrics} == {"uf1", "uar"}
    assert all("SYNTHETIC" in m.measured_on and 0.0 <= m.value <= 1.0 for m in entry.metrics)


def test_casme3_recipe_builds_but_has_no_weights():
    model = zoo.build("depth-mer-casme3")
    assert model.config.encoder.name == "encoder/pointnet2-ssg" and model.config.pipeline.num_points == 2048
    with pytest.raises(RecipeNotPublishedError, match="recipe"):
        zoo.load("depth-mer-casme3")


def test_recipe_round_trip_trains_saves_and_loads(tmp_path):
    from zoo_depth_mer import synth_recipe

    results = synth_recipe.run(tmp_path, tmp_path / "data", epochs=1, loso_folds=1, variants=["pointnet"],
                               synth={"subjects": 2, "clips_per_subject": 3, "seed": 1, "size": (48, 60)})
    final = results.pop("final")
    assert results["pointnet"]["folds"] == 1 and 0.0 <= results["pointnet"]["uf1"] <= 1.0
    folder = synth_recipe.save_checkpoint(final, results, tmp_path / "ckpt", tmp_path / "data", 1, 1)
    loaded = zoo.load(f"local-dir:{folder}")
    onset = next((folder / "samples").glob("*_onset.png"))
    apex = onset.with_name(onset.name.replace("_onset", "_apex"))
    final.eval()
    assert loaded.predict_files([str(onset), str(apex)]) == final.predict_files([str(onset), str(apex)])
    assert "SYNTHETIC" in (folder / "README.md").read_text()
