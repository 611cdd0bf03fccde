"""The recipes through the engine: both readings as metrics, the real LOSO and cross-dataset protocols, determinism."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest

import zoo
from zoo.sdk import read_recipe, run_recipe

#: The real recipes' model made tiny (test_resnet experts, the 2-layer Llama with the builtin tokenizer).
TINY_REAL = [
    "model.experts.structure.config.backbone=test_resnet", "model.experts.texture.config.backbone=test_resnet",
    "model.experts.structure.config.pretrained=false", "model.experts.texture.config.pretrained=false",
    "model.experts.structure.config.dim=16", "model.experts.texture.config.dim=16", "model.experts.motion.config.dim=16",
    "model.llm.pretrained=None", "model.llm.tokenizer=builtin", "model.llm.tuning=full", "model.llm.max_new_tokens=8",
    "model.image_size=32", "dataset.image_size=32", "train.max_steps=1", "train.batch_size=2",  # 2 x 2 accumulated: no 1-clip BatchNorm batch
]


def _digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_synthetic_recipe_reports_both_readings_and_is_deterministic(synth_data, tiny_recipe, tmp_path):
    first = run_recipe("deft-llm-synth", data=str(synth_data), out=str(tmp_path / "a"), overrides=tiny_recipe)
    metrics = first.summary["eval"]
    assert {"uf1", "uar", "accuracy", "uf1_generated", "uar_generated", "unparsed_generated"} <= set(metrics)
    assert 0 <= metrics["uf1"] <= 1 and 0 <= metrics["uf1_generated"] <= 1
    assert first.summary["synthetic"] and "SYNTHETIC" in first.summary["measured_on"]
    assert "subjects=['sub02']" in first.summary["measured_on"]  # the held-out subject, as the recipe says
    published = json.loads((first.publish_dir / "metrics.json").read_text())
    assert {m["name"] for m in published["metrics"]} >= {"uf1", "uf1_generated"} and published["synthetic"]
    again = run_recipe("deft-llm-synth", data=str(synth_data), out=str(tmp_path / "b"), overrides=tiny_recipe)
    assert _digest(again.publish_dir / "model.safetensors") == _digest(first.publish_dir / "model.safetensors")
    assert again.summary["eval"] == metrics


def test_a_real_recipe_runs_leave_one_subject_out_with_bf16_and_accumulation(synth_data, tmp_path):
    recipe = read_recipe("deft-llm-casme2")
    assert (recipe.protocol.kind, recipe.train.precision, recipe.train.accumulate) == ("loso", "bf16", 2)
    result = run_recipe("deft-llm-casme2", data=str(synth_data), out=str(tmp_path / "loso"), overrides=TINY_REAL)
    assert result.summary["measured_on"].startswith("leave-one-subject-out over 2 subjects")
    assert {"uf1", "uar", "uf1_generated"} <= set(result.summary["eval"])
    assert sorted(p.name for p in (tmp_path / "loso" / "folds").iterdir()) == ["sub01", "sub02"]


def test_the_cross_dataset_recipe_trains_on_one_file_and_tests_on_the_other(synth_data, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(synth_data, data)
    records = [json.loads(line) for line in (data / "unimer.jsonl").read_text().splitlines()]
    for name, subject in (("casme2.jsonl", "sub01"), ("samm.jsonl", "sub02")):
        (data / name).write_text("".join(json.dumps(r) + "\n" for r in records if r["subject"] == subject))
    recipe = read_recipe("deft-llm-casme2-to-samm", data=str(data))
    train, test = (zoo.build(spec.name, **spec.config) for spec in (recipe.dataset, recipe.eval_dataset))
    assert set(train.subjects) == {"sub01"} and set(test.subjects) == {"sub02"}
    # MEGC2019 label space: disgust/repression -> negative, happiness -> positive; others and fear left out
    assert {r["emotion"] for r in train.records} == {"happiness", "surprise", "disgust", "repression"}
    assert sorted({train.label(i) for i in range(len(train))}) == [0, 1, 2]
    result = run_recipe("deft-llm-casme2-to-samm", data=str(data), out=str(tmp_path / "run"),
                        overrides=[*TINY_REAL, "eval_dataset.image_size=32"])
    assert "file=samm.jsonl" in result.summary["measured_on"] and "uf1_generated" in result.summary["eval"]


@pytest.mark.parametrize("variant, check", [
    ("texture: raw apex", lambda m: type(m.experts["texture"]).__name__ == "RawApexExpert"
     and m.experts["texture"].config.backbone == "test_resnet"),
    ("w/o motion-semantics", lambda m: list(m.experts) == ["structure", "texture"]),
    ("w/o LM CE", lambda m: m.config.loss_weights.lm == 0 and m.config.loss_weights.emotion == 1),
])
def test_the_paper_ablation_variants_build_what_they_say(variant, check):
    from zoo.sdk import catalog_ablation

    overrides = catalog_ablation("deft_llm:paper").spec["variants"][variant]
    recipe = read_recipe("deft-llm-synth", overrides)
    assert check(zoo.build(recipe.model, **recipe.config))
