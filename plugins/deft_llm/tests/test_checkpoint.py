"""The shipped deft-llm-synth checkpoint: catalog pins, numbers from its one run, verified load, its example."""

from __future__ import annotations

import json
from pathlib import Path

import zoo
from zoo.sdk import catalog_entry

FOLDER = Path(__file__).resolve().parents[1] / "zoo_deft_llm" / "checkpoints" / "deft-llm-synth"


def test_catalog_card_and_metrics_come_from_the_one_ablation_run():
    entry = catalog_entry("deft-llm-synth")
    assert entry.status == "published" and entry.metrics_file
    assert {"model.safetensors", "config.json", "metrics.json", "example/onset.jpg", "example/apex.jpg"} <= set(entry.files)
    record = json.loads((FOLDER / "metrics.json").read_text())
    table = record["ablation"]
    assert table["ablation"] == "deft_llm:paper" and table["seeds"] == [0, 1, 2] and record["synthetic"]
    assert [v["name"] for v in table["variants"]] == list(zoo.sdk.catalog_ablation("deft_llm:paper").spec["variants"])
    reference = table["variants"][0]["metrics"]
    means = {m.name: m.value for m in entry.metrics if m.std is not None and "'all experts'" in m.setting}
    assert means == {name: round(stats["mean"], 4) for name, stats in reference.items()}
    seed0 = {m.name: m.value for m in entry.metrics if m.setting.startswith("this checkpoint")}
    assert seed0["uf1"] == reference["uf1"]["values"][0]  # the shipped weights are the reference's seed 0
    assert all("SYNTHETIC" in m.measured_on for m in entry.metrics)
    card = (FOLDER / "README.md").read_text()
    assert f"{reference['uf1']['mean']:.3f} ± {reference['uf1']['std']:.3f} (n=3)" in card and "NOT appear" in card


def test_the_checkpoint_recipe_is_the_catalog_recipe():
    saved = json.loads((FOLDER / "config.json").read_text())["config"]
    built = zoo.build("deft-llm-synth").config.model_dump(mode="json")
    assert saved == built  # what the catalog entry builds is what was trained


def test_load_and_predict_the_example_held_out_happiness_clip(tmp_path):
    model = zoo.load("deft-llm-synth")
    (prediction,) = zoo.predict(model, zoo.example_input("deft-llm-synth"), out_dir=tmp_path)
    outputs = prediction.outputs
    assert outputs["label"] == "happiness"  # the example is a held-out synthetic happiness clip
    assert outputs["onset"].endswith("onset.jpg") and outputs["apex"].endswith("apex.jpg")
    assert outputs["text"].startswith("Caption:") and outputs["generated_label"] in model.config.classes
    assert prediction.files and prediction.files[0].is_file()
