"""zoo.save → zoo.load through local folders: config.json, model card, strictness, safety."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from huggingface_hub import ModelCard

import zoo
from zoo.errors import (
    CatalogError,
    ChecksumMismatchError,
    ConfigError,
    MissingPluginError,
    RecipeNotPublishedError,
    UnsafeCheckpointError,
)
from zoo.weights import sha256_file

CARD = {
    "name": "toy-synth",
    "summary": "A toy model for tests.",
    "license": "apache-2.0",
    "datasets": ["toy-synthetic"],
    "tags": ["toy"],
    "training_data": "synthetic toy vectors (seed 0)",
    "task": "text-classification",
    "metrics": [{"name": "accuracy", "value": 0.75, "measured_on": "synthetic toy test split (32 samples)"}],
    "reproduce": "zoo train toy-fusion-recipe",
}


def test_save_writes_config_weights_and_a_parseable_card(toy_model, tmp_path: Path) -> None:
    out = zoo.save(toy_model, tmp_path / "toy", card=CARD)
    config = json.loads((out / "config.json").read_text())
    assert config["schema_version"] == 1 and config["zoo_version"] == zoo.__version__
    assert config["model"] == "model/toy-fusion"
    assert config["components"] == {
        "model/toy-fusion": "zoo-toy-models@0.1.0",
        "expert/toy-mean": "zoo-toy-models@0.1.0",
        "head/toy-linear": "zoo-toy-models@0.1.0",
    }
    card = ModelCard.load(out / "README.md")
    assert card.data.library_name == "zoo" and card.data.license == "apache-2.0"
    assert card.data.datasets == ["toy-synthetic"] and "toy" in card.data.tags
    result = card.data.eval_results[0]
    assert (result.metric_type, result.metric_value) == ("accuracy", 0.75)
    assert result.dataset_name == "synthetic toy test split (32 samples)"
    assert "| accuracy | 0.75 | synthetic toy test split (32 samples) |" in card.text


@pytest.mark.parametrize("umask", [0o022, 0o002, 0o077])
def test_saved_files_and_checkpoints_get_the_usual_mode_under_the_umask(toy_model, tmp_path: Path, umask: int) -> None:
    import os
    import stat

    from zoo.engine.checkpointing import Position, TrainingState, list_checkpoints, save_checkpoint

    old = os.umask(umask)
    try:
        zoo.save(toy_model, tmp_path / "new")  # a new folder (renamed)
        (tmp_path / "old").mkdir()
        zoo.save(toy_model, tmp_path / "old")  # into an existing folder (files moved in)
        optimizer = torch.optim.SGD(toy_model.parameters(), lr=0.1)
        state = TrainingState(model=toy_model.state_dict(), optimizer=optimizer.state_dict())
        save_checkpoint(tmp_path / "run", state, Position(), extra={})
    finally:
        os.umask(old)
    files = [tmp_path / d / n for d in ("new", "old") for n in ("config.json", "model.safetensors", "README.md")]
    files += sorted(list_checkpoints(tmp_path / "run")[0].iterdir())
    assert len(files) == 9
    assert {f.name: oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {f.name: oct(0o666 & ~umask) for f in files}
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o777 & ~umask


def test_local_dir_round_trip_is_bit_identical_and_in_eval_mode(toy_model, tmp_path: Path) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    loaded = zoo.load(f"local-dir:{out}")
    assert not loaded.training
    for key, value in toy_model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key


def test_a_swapped_part_is_saved_and_rebuilt(tmp_path: Path) -> None:
    model = zoo.build("model/toy-fusion", experts={"b": "expert/lbp-top"})
    out = zoo.save(model, tmp_path / "lbp")
    assert json.loads((out / "config.json").read_text())["components"]["expert/lbp-top"] == "zoo-thirdparty-lbp@1.2.0"
    assert zoo.load(f"local-dir:{out}").experts["b"].zoo_name == "expert/lbp-top"


def _publish_locally(write_registry, folder: Path, name: str = "toy-local", **extra: str) -> None:
    sha = sha256_file(folder / "model.safetensors")
    lines = "\n".join(f"{k} = {v}" for k, v in extra.items())
    write_registry(
        f'[models."{name}"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "local-dir:{folder}"\nfiles = {{ "model.safetensors" = "sha256:{sha}" }}\n{lines}\n'
    )


def test_load_by_catalog_name_verifies_and_keeps_a_local_bad_file(toy_model, tmp_path: Path, write_registry) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    _publish_locally(write_registry, out)
    assert zoo.load("toy-local").zoo_source == f"local-dir:{out}"
    with open(out / "model.safetensors", "r+b") as handle:  # flip one byte of the weights
        handle.seek(-1, 2)
        last = handle.read(1)
        handle.seek(-1, 2)
        handle.write(bytes([last[0] ^ 0xFF]))
    with pytest.raises(ChecksumMismatchError) as info:
        zoo.load("toy-local")
    assert "left in place" in str(info.value) and (out / "model.safetensors").exists()


def test_catalog_config_that_disagrees_with_the_weights_is_an_error(toy_model, tmp_path: Path, write_registry) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    _publish_locally(write_registry, out, config='{ classes = 4 }')
    with pytest.raises(CatalogError, match="differs from the config.json") as info:
        zoo.load("toy-local")
    assert f"(classes: catalog 4, config.json {toy_model.config.classes})" in str(info.value)  # names the field


def test_a_recipe_says_how_to_train_and_publish() -> None:
    with pytest.raises(RecipeNotPublishedError) as info:
        zoo.load("toy-fusion-recipe")
    message = str(info.value)
    assert "zoo train toy-fusion-recipe" in message and "zoo publish" in message and "registry.toml" in message


def test_weights_that_do_not_fit_are_a_config_error(toy_model, tmp_path: Path) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    config = json.loads((out / "config.json").read_text())
    config["config"]["classes"] = 5
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="wrong shape.*head.fc"):
        zoo.load(f"local-dir:{out}")


def test_pickle_checkpoints_are_refused(toy_model, tmp_path: Path) -> None:
    from zoo.weights import load_weights

    with pytest.raises(UnsafeCheckpointError, match="pickle"):
        load_weights(toy_model, tmp_path / "pytorch_model.bin")
    out = zoo.save(toy_model, tmp_path / "toy")
    (out / "pytorch_model.bin").write_bytes(b"not really a pickle")
    with pytest.raises(UnsafeCheckpointError):
        zoo.publish(out, "org/toy")


def test_a_checkpoint_whose_plugin_is_missing_names_it(toy_model, tmp_path: Path) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    config = json.loads((out / "config.json").read_text())
    config["model"] = "model/not-installed"
    config["components"]["model/not-installed"] = "zoo-elsewhere@3.0"
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(MissingPluginError, match="model/not-installed from zoo-elsewhere@3.0"):
        zoo.load(f"local-dir:{out}")


def test_save_refuses_a_module_not_built_by_the_zoo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="zoo.build"):
        zoo.save(torch.nn.Linear(2, 2), tmp_path / "x")


def test_a_newer_schema_is_refused(toy_model, tmp_path: Path) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    config = json.loads((out / "config.json").read_text())
    config["schema_version"] = 99
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="upgrade zoo"):
        zoo.load(f"local-dir:{out}")


def test_weights_saved_by_an_older_plugin_version_are_migrated_by_its_hook(toy_model, tmp_path: Path) -> None:
    import types

    from safetensors.torch import load_file, save_file

    from zoo.plugins import PluginStatus, get_host

    out = zoo.save(toy_model, tmp_path / "toy")
    # Pretend version 0.0.9 of the plugin called the head's layer "classifier" instead of "fc".
    old = {k.replace("head.fc", "head.classifier"): v for k, v in load_file(str(out / "model.safetensors")).items()}
    save_file(old, str(out / "model.safetensors"))
    config = json.loads((out / "config.json").read_text())
    config["components"]["model/toy-fusion"] = "zoo-toy-models@0.0.9"
    config["weights_sha256"] = sha256_file(out / "model.safetensors")  # as zoo.save 0.0.9 recorded them
    (out / "config.json").write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="missing"):
        zoo.load(f"local-dir:{out}")

    migrations = types.ModuleType("toy_migrations")
    seen = []

    @zoo.hookimpl
    def zoo_migrate_state_dict(name, from_version, state_dict):
        seen.append((name, from_version))
        return {k.replace("head.classifier", "head.fc"): v for k, v in state_dict.items()}

    migrations.zoo_migrate_state_dict = zoo_migrate_state_dict
    get_host().add_plugin(migrations, PluginStatus("toy_migrations", "zoo-toy-models", "0.1.0", "toy_migrations"))
    loaded = zoo.load(f"local-dir:{out}")
    assert seen == [("model/toy-fusion", "0.0.9")]
    assert torch.equal(loaded.head.fc.weight, toy_model.head.fc.weight)


def test_a_plain_folder_path_loads_like_local_dir(toy_model, tmp_path: Path, monkeypatch) -> None:
    out = zoo.save(toy_model, tmp_path / "runs" / "toy")
    monkeypatch.chdir(tmp_path)
    for name in (str(out), "./runs/toy", "runs/toy"):
        loaded = zoo.load(name)
        assert torch.equal(loaded.head.fc.weight, toy_model.head.fc.weight), name
    assert zoo.load("./runs/toy").zoo_source == "local-dir:runs/toy"


def test_load_takes_the_from_pretrained_keywords(toy_model, tmp_path: Path, write_registry) -> None:
    from zoo.errors import InputError

    out = zoo.save(toy_model, tmp_path / "toy")
    half = zoo.load(str(out), dtype="bf16", device="cpu")
    assert half.head.fc.weight.dtype == torch.bfloat16
    assert torch.equal(half.head.fc.weight, toy_model.head.fc.weight.to(torch.bfloat16))
    assert zoo.load(str(out), dtype=torch.float64).head.fc.weight.dtype == torch.float64
    with pytest.raises(InputError, match="Unknown dtype 'int7'"):
        zoo.load(str(out), dtype="int7")
    with pytest.raises(InputError, match="Cannot move the model to device='cuda:99'"):
        zoo.load(str(out), device="cuda:99")
    with pytest.raises(ConfigError, match="is a local folder: it has no revisions"):
        zoo.load(str(out), revision="main")
    _publish_locally(write_registry, out)
    with pytest.raises(ConfigError, match="pins local-dir:.*would load other files than the catalog verifies"):
        zoo.load("toy-local", revision="v2")


def test_a_hostile_config_json_is_a_config_error_naming_the_field(toy_model, tmp_path: Path) -> None:
    out = zoo.save(toy_model, tmp_path / "toy")
    for raw, words in [
        ({"schema_version": "abc"}, "schema_version must be a positive integer (this zoo writes 1), got 'abc'"),
        ({"schema_version": None}, "got None"),
        ({"components": {"a": 3}}, "components.a: Input should be a valid string"),
        ({"config": "not a table"}, "config: Input should be a valid dictionary"),
        ({"weights_sha256": "xyz"}, "weights_sha256: String should match pattern"),
    ]:
        config = json.loads((out / "config.json").read_text())
        (out / "config.json").write_text(json.dumps({**config, **raw}))
        with pytest.raises(ConfigError, match=re.escape(words)):
            zoo.load(str(out))
        (out / "config.json").write_text(json.dumps(config))
