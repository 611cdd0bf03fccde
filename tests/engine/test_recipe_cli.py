"""Recipes, overrides and the train/eval/predict/plot commands on the toy model."""

import json
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file
from toys import ToyData

import zoo
from zoo.engine.checkpointing import list_checkpoints
from zoo.engine.overrides import parse_overrides, parse_value
from zoo.engine.recipe import apply_overrides, read_recipe_source
from zoo.errors import ConfigError, InputError

RECIPE_TOML = """
model = "model/engine-toy"
[config]
dropout = 0.0
[train_data]
name = "dataset/engine-toy"
config = { size = 24 }
[eval_dataset]
name = "dataset/engine-toy"
config = { size = 12, seed = 0 }
[train]
epochs = 1
batch_size = 6
lr = 0.05
progress = false
[card]
summary = "engine test toy"
license = "mit"
"""


def test_parse_value_reads_json_toml_and_strings():
    assert parse_value("3") == 3 and parse_value("1e-4") == 1e-4
    assert parse_value("None") is None and parse_value("null") is None
    assert parse_value("true") is True and parse_value("[1, 2]") == [1, 2]
    assert parse_value("'quoted'") == "quoted" and parse_value("{ a = 1 }") == {"a": 1}
    assert parse_value("expert/lbp-top") == "expert/lbp-top"


def test_parse_overrides_routes_and_rejects():
    routed = parse_overrides(["train.epochs=3", "model.experts.texture=expert/x", "dataset.split=val"])
    assert routed["train"] == {"epochs": 3}
    assert routed["model"] == {"experts.texture": "expert/x"}
    assert routed["dataset"] == {"split": "val"}
    for bad in ("epochs=3", "optim.lr=1", "train.=1", "train.epochs"):
        with pytest.raises(InputError, match="target"):
            parse_overrides([bad])


def test_overrides_swap_and_drop_parts_and_set_data_and_out():
    raw = {
        "name": "r",
        "model": "model/x",
        "config": {"memory": {"name": "memory/a", "config": {"slots": 4}}, "experts": {"texture": {"name": "expert/t", "config": {"k": 1}}}},
        "dataset": {"name": "dataset/d", "config": {"split": "train"}},
        "eval_data": {"name": "dataset/d"},
        "train": {"epochs": 300},
    }
    recipe = apply_overrides(
        raw, ["model.memory=None", "model.experts.texture=expert/lbp-top", "train.epochs=2", "dataset.split=val"], data="/data"
    )
    assert recipe.config == {"memory": None, "experts": {"texture": {"name": "expert/lbp-top", "config": {}}}}
    assert recipe.train.epochs == 2 and recipe.train.out_dir == "runs/r"
    assert recipe.dataset.config == {"split": "val", "root": "/data"}
    assert recipe.eval_dataset.config == {"root": "/data"}
    with pytest.raises(ConfigError, match="train.epoch"):
        apply_overrides(raw, ["train.epoch=2"])


def test_train_eval_predict_plot_from_a_toml_recipe(toys, run, tmp_path):
    recipe_file = tmp_path / "toy-recipe.toml"
    recipe_file.write_text(RECIPE_TOML)
    out = tmp_path / "run"
    result = run("train", recipe_file, "--data", tmp_path, "--out", out, "--json", "train.epochs=3", "model.dropout=0.1")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["step"] == 12 and summary["epoch"] == 3  # 24 samples / 6 * 3 epochs
    assert summary["measured_on"] == f"dataset/engine-toy (size=12, seed=0) at …/{tmp_path.name}"  # never absolute

    publish = out / "publish"
    saved = json.loads((publish / "config.json").read_text())
    assert saved["model"] == "model/engine-toy" and saved["config"]["dropout"] == 0.1
    assert saved["card"]["metrics"][0]["measured_on"] == summary["measured_on"]
    assert saved["card"]["metrics"][0]["value"] == pytest.approx(summary["eval"]["accuracy"])
    assert "engine test toy" in (publish / "README.md").read_text()
    final = load_file(str(list_checkpoints(out)[-1] / "state.safetensors"))
    published = load_file(str(publish / "model.safetensors"))
    assert all(torch.equal(final[f"model.{k}"], v.cpu()) for k, v in published.items())

    evaluated = run("eval", f"local-dir:{publish}", "--dataset", "dataset/engine-toy", "--data", tmp_path, "size=12", "seed=0", "--json")
    assert evaluated.exit_code == 0, evaluated.output
    assert json.loads(evaluated.output)["metrics"] == pytest.approx(summary["eval"])

    features = tmp_path / "one.txt"
    features.write_text(",".join(str(float(v)) for v in ToyData(size=12, seed=0).x[0]))
    predicted = run("predict", f"local-dir:{publish}", features, "--json")
    assert predicted.exit_code == 0, predicted.output
    prediction = json.loads(predicted.output)["predictions"][0]
    model = zoo.load(f"local-dir:{publish}")
    assert prediction["outputs"]["class"] == int(model(ToyData(size=12, seed=0).x[:1]).argmax())

    plotted = run("plot", out)
    assert plotted.exit_code == 0, plotted.output
    pngs = [Path(line) for line in plotted.output.split()]
    assert {p.name for p in pngs} == {"loss.png", "lr.png", "eval.png"}
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)

    # What `zoo publish` would print for this folder is a valid published catalog entry.
    from zoo.catalog import CatalogEntry
    from zoo.publishing import catalog_entry_for

    (name, table), = catalog_entry_for(publish, "org/engine-toy", "0" * 40)["models"].items()
    entry = CatalogEntry.model_validate({"name": name, **table})
    assert entry.name == "toy-recipe" and entry.metrics[0].measured_on == summary["measured_on"]

    resumed = run("train", recipe_file, "--data", tmp_path, "--out", out, "--resume", "--json", "train.epochs=3", "model.dropout=0.1")
    assert json.loads(resumed.output)["step"] == 12  # nothing left to do


def test_train_a_catalog_recipe(toys, run, tmp_path, write_registry):
    write_registry(
        '[models."engine-toy-recipe"]\nmodel = "model/engine-toy"\nstatus = "recipe"\nlicense = "mit"\n'
        'data = "synthetic toy blobs"\n'
        'recipe = { dataset = { name = "dataset/engine-toy" }, train = { epochs = 1, batch_size = 8, progress = false } }\n'
    )
    raw = read_recipe_source("engine-toy-recipe")
    assert raw["card"]["training_data"] == "synthetic toy blobs"
    result = run("train", "engine-toy-recipe", "--data", tmp_path, "--out", tmp_path / "run", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["eval"] == {}  # no eval data: no metric is claimed
    assert json.loads((tmp_path / "run" / "publish" / "config.json").read_text())["card"]["metrics"] == []


def test_cli_errors_are_one_line(toys, run, tmp_path):
    result = run("train", "no-such-recipe")
    assert result.exit_code == 1 and "Unknown name 'no-such-recipe'" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(RECIPE_TOML + "\nunknown_key = 1\n")
    result = run("train", bad, "--data", tmp_path)
    assert result.exit_code == 1 and "unknown_key" in result.output
    assert run("plot", tmp_path).exit_code == 1


LOSO_TOML = """
model = "model/engine-toy"
protocol = "loso"
[dataset]
name = "dataset/engine-toy"
config = { size = 18, subjects = 3, seed = 2 }
[train]
epochs = 2
batch_size = 4
lr = 0.05
progress = false
"""


def test_loso_recipe_pools_folds_and_publishes_a_model_trained_on_all_subjects(toys, run, tmp_path):
    from toys import ToyClassifier

    from zoo.engine.checkpointing import load_latest_checkpoint

    recipe_file = tmp_path / "loso.toml"
    recipe_file.write_text(LOSO_TOML)
    out = tmp_path / "run"
    result = run("train", recipe_file, "--data", tmp_path, "--out", out, "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["measured_on"].startswith("leave-one-subject-out over 3 subjects of dataset/engine-toy")

    # Recompute the pooled accuracy from each fold's own final weights on its held-out subject.
    data = ToyData(size=18, subjects=3, seed=2)
    correct = 0
    for index, subject in enumerate(["s0", "s1", "s2"]):
        model = ToyClassifier()
        state = load_latest_checkpoint(out / "folds" / subject).tensors
        model.load_state_dict({k[6:]: v for k, v in state.items() if k.startswith("model.")})
        test = [i for i in range(18) if i % 3 == index]
        with torch.no_grad():
            correct += int((model(data.x[test]).argmax(1) == data.y[test]).sum())
    assert summary["eval"]["accuracy"] == pytest.approx(correct / 18)

    # The published weights are those of the model trained on all subjects.
    final = load_latest_checkpoint(out / "final").tensors
    published = load_file(str(out / "publish" / "model.safetensors"))
    assert all(torch.equal(final[f"model.{k}"], v.cpu()) for k, v in published.items())
    card = json.loads((out / "publish" / "config.json").read_text())["card"]
    assert "pooled over folds" in card["metrics"][0]["setting"]

    only = run("train", recipe_file, "--data", tmp_path, "--out", tmp_path / "one", "--json", "protocol.test_subjects=['s1']")
    assert only.exit_code == 0, only.output
    assert json.loads(only.output)["measured_on"].startswith("leave-one-subject-out over 1 subjects")


def test_loso_needs_subjects(toys, run, tmp_path):
    recipe_file = tmp_path / "loso.toml"
    recipe_file.write_text(LOSO_TOML.replace("subjects = 3, ", ""))
    result = run("train", recipe_file, "--data", tmp_path)
    assert result.exit_code == 1 and "no `subjects` property" in result.output


def test_eval_a_published_catalog_entry_on_its_recipe_eval_dataset(toys, run, tmp_path, write_registry):
    from zoo.weights import sha256_file

    recipe_file = tmp_path / "toy-recipe.toml"
    recipe_file.write_text(RECIPE_TOML)
    trained = run("train", recipe_file, "--data", tmp_path, "--out", tmp_path / "run", "--json")
    assert trained.exit_code == 0, trained.output
    publish = tmp_path / "run" / "publish"
    digest = sha256_file(publish / "model.safetensors")
    write_registry(
        '[models."engine-toy-pub"]\nmodel = "model/engine-toy"\nstatus = "published"\n'
        f'source = "local-dir:{publish}"\nfiles = {{ "model.safetensors" = "sha256:{digest}" }}\n'
        'recipe = { dataset = { name = "dataset/engine-toy" }, '
        'eval_dataset = { name = "dataset/engine-toy", config = { size = 12, seed = 0 } } }\n'
    )
    result = run("eval", "engine-toy-pub", "--data", tmp_path, "--json")
    assert result.exit_code == 0, result.output
    evaluated = json.loads(result.output)
    assert evaluated["measured_on"] == f"dataset/engine-toy (size=12, seed=0) at …/{tmp_path.name}"
    assert evaluated["metrics"] == pytest.approx(json.loads(trained.output)["eval"])
    missing = run("eval", "engine-toy-pub", "--dataset", "dataset/engine-toy", "size", "--data", tmp_path)
    assert missing.exit_code == 1 and "field=value" in missing.output
