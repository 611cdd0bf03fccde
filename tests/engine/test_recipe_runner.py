"""A recipe's ``runner``: a plugin's multi-stage runner replaces holdout/LOSO, publishing the same way."""

import json

import pytest
import torch
from safetensors.torch import load_file

from zoo.engine.checkpointing import load_latest_checkpoint
from zoo.engine.recipe import apply_overrides
from zoo.errors import ConfigError

RUNNER_TOML = """
model = "model/engine-toy"
runner = "toys:two_stage_runner"
[dataset]
name = "dataset/engine-toy"
config = { size = 24 }
[eval_dataset]
name = "dataset/engine-toy"
config = { size = 12, seed = 0 }
[stages]
finetune = { lr = 0.5 }
[train]
epochs = 1
batch_size = 6
lr = 0.05
progress = false
"""


@pytest.fixture
def toys(sandbox):
    from toys import RUNNER_CALLS, register_toys

    register_toys()
    RUNNER_CALLS.clear()
    return RUNNER_CALLS


def test_runner_is_called_with_its_stages_and_its_model_is_published(toys, run, tmp_path):
    recipe_file = tmp_path / "two-stage.toml"
    recipe_file.write_text(RUNNER_TOML)
    out = tmp_path / "run"
    result = run("train", recipe_file, "--data", tmp_path, "--out", out, "--json", "stages.finetune.lr=0.2")
    assert result.exit_code == 0, result.output
    assert toys == [{"name": "two-stage", "stages": {"finetune": {"lr": 0.2}}, "resume": False}]
    summary = json.loads(result.output)
    assert summary["measured_on"] == "toy eval blobs" and summary["step"] == 4  # 24 / 6, the second stage

    # The published weights are the second stage's (not the first stage's holdout run's).
    second = load_latest_checkpoint(out / "finetune").tensors
    first = load_latest_checkpoint(out).tensors
    published = load_file(str(out / "publish" / "model.safetensors"))
    assert all(torch.equal(second[f"model.{k}"], v.cpu()) for k, v in published.items())
    assert not all(torch.equal(first[f"model.{k}"], v.cpu()) for k, v in published.items())
    card = json.loads((out / "publish" / "config.json").read_text())["card"]
    assert card["metrics"][0] == {"name": "accuracy", "value": pytest.approx(summary["eval"]["accuracy"]),
                                  "measured_on": "toy eval blobs", "setting": "holdout, then fine-tuned at lr 0.2",
                                  "std": None, "n": None}  # std, n: only for means over seeds
    resolved = json.loads((out / "recipe.json").read_text())
    assert resolved["runner"] == "toys:two_stage_runner" and resolved["stages"] == {"finetune": {"lr": 0.2}}


def test_runner_errors_say_what_is_wrong(toys, run, tmp_path):
    raw = {"name": "r", "model": "model/engine-toy", "dataset": {"name": "dataset/engine-toy"}}
    with pytest.raises(ConfigError, match="`stages` is read only by a `runner`"):
        apply_overrides(raw, ["stages.finetune.lr=1"])
    with pytest.raises(ConfigError, match="runner"):
        apply_overrides({**raw, "runner": "not an import string"})

    missing = tmp_path / "missing.toml"
    missing.write_text(RUNNER_TOML.replace("toys:two_stage_runner", "toys:no_such_runner"))
    result = run("train", missing, "--data", tmp_path, "--out", tmp_path / "m")
    assert result.exit_code == 1 and "has no attribute 'no_such_runner'" in result.output

    # A runner that returns a summary without the data its metrics were measured on is refused.
    bad = tmp_path / "bad.toml"
    bad.write_text(RUNNER_TOML.replace("toys:two_stage_runner", "toys:run_holdout_without_setting"))
    import toys as toy_module

    def run_holdout_without_setting(recipe, resume):
        from zoo.engine.runner import run_holdout

        trainer, summary = run_holdout(recipe, resume)
        return trainer, {k: v for k, v in summary.items() if k != "setting"}

    toy_module.run_holdout_without_setting = run_holdout_without_setting
    try:
        result = run("train", bad, "--data", tmp_path, "--out", tmp_path / "b")
    finally:
        del toy_module.run_holdout_without_setting
    assert result.exit_code == 1 and "without ['setting']" in result.output
    assert not (tmp_path / "b" / "publish").exists()
