"""``train-synth`` end to end on a tiny spec: ablation → checkpoint folder with metrics, card, example,
the printed catalog entry pins every file; the same seed re-runs to the same numbers."""

import json
import tomllib

import pytest

import zoo

#: The synthetic recipe shrunk to the tiny test data (3 subjects): two variants x two seeds, 2 epochs.
TINY = '''
[ablations.tiny]
recipe = "depth-mer-synth"
seeds = [0, 1]
metrics = ["uf1", "uar", "accuracy"]
overrides = [
  "train.epochs=2", "train.batch_size=4",
  'model.encoder={name = "encoder/pointnet2-ssg", config = {npoints = [32, 8], nsamples = [[8], [8]], mlps = [[[16]], [[32]]], global_mlp = [32]}}',
  "model.pipeline.num_points=128", "dataset.pipeline.num_points=128", "eval_dataset.pipeline.num_points=128",
  'dataset.subjects=["spNO.1", "spNO.2"]', 'eval_dataset.subjects=["spNO.3"]',
]
[ablations.tiny.variants]
"reference" = []
"no alignment" = ["model.pipeline.align=false", "dataset.pipeline.align=false", "eval_dataset.pipeline.align=false"]
'''


@pytest.fixture(scope="module")
def result(synth_root, tmp_path_factory):
    from zoo_depth_mer.train_synth import train_synthetic

    folder = tmp_path_factory.mktemp("train_synth")
    spec = folder / "tiny.toml"
    spec.write_text(TINY)
    return train_synthetic(folder / "out", data=synth_root[0], spec=f"{spec}:tiny")


def test_checkpoint_folder_loads_and_predicts_its_held_out_example(result):
    folder = result.checkpoint
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json", "example", "metrics.json", "model.safetensors"]
    model = zoo.load(str(folder))
    [prediction] = zoo.predict(model, folder / "example")
    assert prediction["class"] in model.config.class_names


def test_metrics_hold_this_run_and_every_variant_as_mean_std_n(result):
    record = json.loads((result.checkpoint / "metrics.json").read_text())
    assert record["synthetic"] is True and record["model"] == "depth-mer-synth"
    rows = record["metrics"]
    own = [r for r in rows if r["setting"].startswith("this checkpoint")]
    means = [r for r in rows if "mean ± std" in r["setting"]]
    assert {r["name"] for r in own} == {"uf1", "uar", "accuracy"}
    assert len(means) == 6 and all(r["n"] == 2 and r["std"] is not None for r in means)
    assert all(r["measured_on"].startswith("SYNTHETIC") for r in rows)
    reference = result.ablation["variants"][0]
    seed0_uf1 = reference["metrics"]["uf1"]["values"][0]
    assert next(r for r in own if r["name"] == "uf1")["value"] == pytest.approx(seed0_uf1)


def test_card_has_the_table_and_says_synthetic(result):
    card = (result.checkpoint / "README.md").read_text()
    assert "SYNTHETIC" in card.upper() and "| no alignment |" in card
    assert "the paper aligns onset and apex" in card  # the claim and whether it shows on this data


def test_printed_entry_pins_every_file_and_parses(result):
    entry = tomllib.loads(result.entry)["models"]["depth-mer-synth"]
    assert entry["metrics_file"] == "checkpoints/depth-mer-synth/metrics.json"
    files = {str(p.relative_to(result.checkpoint)) for p in result.checkpoint.rglob("*") if p.is_file()}
    assert set(entry["files"]) == files
    assert entry["config"]["pipeline"]["num_points"] == 128


def test_a_rerun_skips_finished_runs_and_the_same_seed_gives_the_same_numbers(result, synth_root):
    from zoo.sdk import run_recipe
    from zoo_depth_mer.train_synth import train_synthetic

    out = result.checkpoint.parent
    again = train_synthetic(out, data=synth_root[0], spec=f"{out.parent / 'tiny.toml'}:tiny")
    assert again.ablation["variants"] == result.ablation["variants"]  # every run was finished: nothing retrained
    run = json.loads((out / "ablation" / result.ablation["variants"][0]["runs"][0] / "summary.json").read_text())
    rerun = run_recipe("depth-mer-synth", data=str(synth_root[0]), out=str(out / "rerun"),
                       overrides=run["arguments"]["overrides"])
    assert rerun.summary["eval"] == {m["name"]: m["value"] for m in run["metrics"]}
