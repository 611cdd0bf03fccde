from pathlib import Path

import numpy as np
import pytest

import zoo
from zoo.catalog import get_catalog
from zoo_cmip_cil import catalog_entries as entries
from zoo_cmip_cil.synth import PROCEDURAL, class_names

PACKAGE = Path(entries.__file__).parent
CHECKPOINT = PACKAGE / entries.SYNTH_DIR


def test_recipes_are_listed_with_their_protocols():
    catalog = get_catalog()
    mn40, sn55 = catalog.get("cmip-cil-mn40"), catalog.get("cmip-cil-sn55")
    assert mn40.status == sn55.status == "recipe"
    assert mn40.recipe["runner"] == sn55.recipe["runner"] == "zoo_cmip_cil.recipe_runner:run_cmip_cil"
    assert mn40.reproduce == "zoo train cmip-cil-mn40 --data ROOT"
    inc_mn40, inc_sn55 = mn40.recipe["stages"]["incremental"], sn55.recipe["stages"]["incremental"]
    assert inc_mn40["base"] == 4 and inc_mn40["exemplars_per_class"] == 20
    assert inc_sn55["merge_remainder"] is True and sn55.config["up_axis"] == 1
    assert mn40.recipe["dataset"]["config"]["masked_variants"] == 20


def test_synth_checkpoint_is_published_and_small():
    entry = get_catalog().get(entries.SYNTH_NAME)
    assert entry.status == "published" and "synthetic" in entry.data.lower()
    assert (CHECKPOINT / "model.safetensors").stat().st_size < 20e6
    methods = {m.setting.split(",")[0] for m in entry.metrics}
    assert methods == {"cmip-cil", "finetune", "simplecil", "icarl-nme"}
    assert all("synthetic" in m.measured_on for m in entry.metrics)


def test_synth_checkpoint_loads_and_classifies_a_synthetic_shape(tmp_path):
    from zoo_cmip_cil.mesh import normalise, write_off

    model = zoo.load(entries.SYNTH_NAME)
    assert model.classifier.num_classes == len(class_names()) == len(model.config.class_names)
    assert sorted(model.config.class_names) == sorted(class_names())
    mesh = PROCEDURAL["torus"](np.random.default_rng(123))
    write_off(normalise(mesh), tmp_path / "torus.off")
    out = model.predict_files([str(tmp_path / "torus.off")])
    assert out[str(tmp_path / "torus.off")]["class"] in class_names()


def test_train_synth_pipeline_end_to_end(tmp_path):
    """The whole ``train-synth`` pipeline at toy scale (seconds), with the class-subset defect on."""
    import json

    from zoo_cmip_cil.training import train_synth

    settings = {"train_per_class": 2, "test_per_class": 1, "pretrain_epochs": 1, "incremental_epochs": 1,
                "exemplars_per_class": 1, "image_size": 16, "num_points": 64,
                "model_overrides": {"defects": {"pretrain_class_subset": 9}}}
    summary = train_synth(str(tmp_path / "out"), str(tmp_path / "data"), settings)
    assert summary["pretrain_items"] == 9 * 2 * 2  # first 9 classes only, 2 objects, full + 1 masked copy
    assert [r["method"] for r in summary["methods"]] == ["cmip-cil", "finetune", "simplecil", "icarl-nme"]
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"model.safetensors", "config.json", "README.md",
                                                             "results.json", "accuracy_per_task.png"}
    saved = json.loads((tmp_path / "out" / "config.json").read_text())["config"]
    assert len(saved["class_names"]) == 18 and saved["classifier"]["config"]["initial_classes"] == 18
    assert "SYNTHETIC" in (tmp_path / "out" / "README.md").read_text()
