"""``zoo train cmip-cil-mn40 --data ROOT`` runs both stages (tiny model, synthetic shapes, seconds)."""

import json

import pytest
import torch
from click.testing import CliRunner
from safetensors.torch import load_file

import zoo
from zoo.engine.checkpointing import load_latest_checkpoint
from zoo.engine.recipe import apply_overrides, read_recipe_source
from zoo.errors import ConfigError, InputError
from zoo_cmip_cil.synth import make_synthetic_modelnet

#: Overrides that shrink cmip-cil-mn40 to a unit-test size: tiny parts, 16x16 renders, 64 points,
#: 1 masked copy per object, 1 pre-training epoch, 14 classes as 6 + 4 + 4, 1 epoch per task.
TINY_RUN = [
    'model.point_encoder={"name": "encoder/dgcnn", "config": {"k": 4, "edge_channels": [8, 8], "emb_dims": 16}}',
    'model.image_encoder={"name": "encoder/resnet50-views", "config": {"backbone": "lcnet_050"}}',
    'model.point_head={"name": "head/projection", "config": {"hidden_dim": 16}}',
    'model.image_head={"name": "head/projection", "config": {"hidden_dim": 16}}',
    'model.adapter={"name": "head/adapter", "config": {"bottleneck": 8}}',
    "model.embed_dim=16", "model.temperature=0.1",
    "dataset.image_size=16", "dataset.num_points=64", "dataset.masked_variants=1",
    "eval_dataset.num_points=64",
    "train.epochs=1", "train.batch_size=8", "train.optimizer=adamw", "train.lr=1e-3", "train.progress=false",
    "stages.incremental.base=6", "stages.incremental.increment=4", "stages.incremental.epochs=1",
    "stages.incremental.exemplars_per_class=1", "stages.incremental.batch_size=8",
]


@pytest.fixture
def synthetic(tmp_path):
    """Synthetic shapes in ModelNet40's raw layout: 14 procedural classes, 2 train / 1 test objects each."""
    classes = make_synthetic_modelnet(tmp_path / "shapes", 2, 1, seed=0, include_pyvista=False)
    assert len(classes) == 14
    return tmp_path / "shapes", classes


def test_zoo_train_runs_pretraining_then_the_incremental_stage(synthetic, tmp_path):
    from zoo.cli.main import build_cli

    root, _ = synthetic
    test = zoo.build("dataset/modelnet40", root=str(root), split="test", render=False, num_points=64)
    classes = test.classes  # label i is the i-th class folder in sorted order
    out = tmp_path / "run"
    result = CliRunner().invoke(build_cli(), ["train", "cmip-cil-mn40", "--data", str(root), "--out", str(out),
                                              "--json", *TINY_RUN], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["step"] == 4 and summary["epoch"] == 1  # pre-training: 28 masked copies / batch 8
    assert summary["measured_on"].startswith("14 test point clouds of dataset/modelnet40 (split=test")

    saved = json.loads((out / "incremental" / "results.json").read_text())["methods"]
    assert [r["method"] for r in saved] == ["cmip-cil", "finetune", "simplecil", "icarl-nme"]
    for r in saved:
        assert [len(t) for t in r["tasks"]] == [6, 4, 4] and len(r["stage_accuracy"]) == 3
        assert r["A_B"] == pytest.approx(r["stage_accuracy"][-1])
        assert r["A_mean"] == pytest.approx(sum(r["stage_accuracy"]) / 3)
    cmip, finetune = saved[0], saved[1]
    assert summary["eval"]["A_B"] == pytest.approx(cmip["A_B"])
    assert summary["eval"]["finetune.forgetting"] == pytest.approx(finetune["forgetting"])

    # The published model is CMIP-CIL after its last task: 14 rows named in task order, and it
    # reproduces the runner's last-stage accuracy on the test clouds.
    card = json.loads((out / "publish" / "config.json").read_text())["card"]
    assert {m["name"] for m in card["metrics"]} >= {"A_B", "A_mean", "forgetting", "simplecil.A_B"}
    assert all(m["measured_on"] == summary["measured_on"] and "3 tasks" in m["setting"] for m in card["metrics"])
    assert card["reproduce"].startswith("zoo train cmip-cil-mn40 --data <DATA>")
    model = zoo.load(f"local-dir:{out / 'publish'}").eval()
    assert model.config.stage == "incremental" and model.classifier.num_classes == 14
    assert model.config.class_names == [classes[c] for block in cmip["tasks"] for c in block]
    with torch.no_grad():
        rows = model(torch.stack([test[i]["points"] for i in range(len(test))])).argmax(-1)
    predicted = [model.config.class_names[r] for r in rows.tolist()]
    correct = sum(p == classes[test[i]["label"]] for i, p in enumerate(predicted))
    assert correct / len(test) == pytest.approx(cmip["A_B"])

    # Stage 2 started from stage 1's weights: the frozen backbone is the pre-training checkpoint's.
    pretrained = load_latest_checkpoint(out).tensors
    published = load_file(str(out / "publish" / "model.safetensors"))
    backbone = [k for k in published if k.startswith(("point_encoder.", "image_encoder.", "point_head.", "image_head."))]
    assert backbone and all(torch.equal(pretrained[f"model.{k}"], published[k]) for k in backbone)


def test_bad_stages_are_refused_before_training(tmp_path):
    from zoo_cmip_cil.recipe_runner import read_stages

    raw = read_recipe_source("cmip-cil-mn40")
    with pytest.raises(ConfigError, match="stages.incremental.epochs"):
        read_stages(apply_overrides(raw, ["stages.incremental.epochs=0"]))
    with pytest.raises(ConfigError, match="stages.baselines"):
        read_stages(apply_overrides(raw, ["stages.baselines=['lwf']"]))
    with pytest.raises(ConfigError, match="method is not read"):
        read_stages(apply_overrides(raw, ["stages.incremental.method=finetune"]))


def test_what_the_incremental_stage_cannot_do_is_refused_before_pretraining(tmp_path):
    from zoo_cmip_cil.recipe_runner import run_cmip_cil

    raw = read_recipe_source("cmip-cil-mn40")
    out = tmp_path / "run"
    with pytest.raises(InputError, match="needs an eval_dataset"):
        run_cmip_cil(apply_overrides({k: v for k, v in raw.items() if k != "eval_dataset"}, out=str(out)), False)
    with pytest.raises(InputError, match="pretrain_class_subset is applied by `zoo cmip-cil train-synth` only"):
        run_cmip_cil(apply_overrides(raw, ["model.defects.pretrain_class_subset=3"], out=str(out)), False)
    assert not out.exists()  # nothing was trained
