"""``zoo cmip-cil train-synth OUT`` at toy scale: ablation runs, the checkpoint folder, its card and pins."""

import json

import pytest

import zoo
from zoo_cmip_cil.synth import make_synthetic_modelnet
from zoo_cmip_cil.train_synth import PINNED, train_synthetic

SPEC = """
[ablations.tiny]
recipe = "cmip-cil-synth-recipe"
seeds = [0, 1]
overrides = {overrides}
[ablations.tiny.variants]
"full" = []
"w/o adapter" = ["model.adapter=None", "stages.baselines=[]"]
"""


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("synth") / "shapes"
    make_synthetic_modelnet(root, 2, 1, seed=0)
    return root


@pytest.mark.slow
def test_train_synth_writes_the_checkpoint_with_mean_and_std(shapes, tmp_path, tiny_run):
    toy = [o for o in tiny_run if not o.startswith("stages.incremental.base")] + ["stages.incremental.base=6",
                                                                                "stages.baselines=[\"simplecil\"]"]
    (tmp_path / "spec.toml").write_text(SPEC.replace("{overrides}", json.dumps(toy)))
    result = train_synthetic(tmp_path / "out", data=shapes, seeds=[0, 1], spec=f"{tmp_path / 'spec.toml'}:tiny")
    folder = tmp_path / "out" / "cmip-cil-synth"
    assert result.checkpoint == folder
    assert {p.name for p in folder.iterdir()} >= {*PINNED, "accuracy_per_task.png", "ablation.md", "ablation.png"}
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["synthetic"] is True
    rows = {(m["name"], m["setting"].split("'")[1]): m for m in metrics["metrics"]}
    full = rows[("A_B", "full")]
    assert full["n"] == 2 and "SYNTHETIC" in full["measured_on"] and full["std"] is not None
    values = [json.loads((tmp_path / "out" / "ablation" / "full" / f"seed-{s}" / "summary.json").read_text())
              for s in (0, 1)]
    a_b = [next(m["value"] for m in v["metrics"] if m["name"] == "A_B") for v in values]
    assert full["value"] == pytest.approx(sum(a_b) / 2)
    assert ("simplecil.A_B", "full") in rows and ("A_B", "w/o adapter") in rows
    card = (folder / "README.md").read_text()
    assert "SYNTHETIC" in card and "w/o adapter" in card and "±" in card
    model = zoo.load(str(folder))
    (prediction,) = zoo.predict(model, [folder / "example.off"])
    assert prediction["label"] in model.config.class_names
    for name in PINNED:
        assert f'"{name}" = "sha256:' in result.entry
    assert 'metrics_file = "checkpoints/cmip-cil-synth/metrics.json"' in result.entry
