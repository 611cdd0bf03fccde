"""Every published checkpoint predicts on its own example through ``zoo predict NAME --example --json``.

Run over the catalog (like timm's tests over ``list_models``): a plugin that adds a checkpoint is
checked without a line here. The JSON must follow docs/predict.schema.json, name the checkpoint's
task, and write a picture per input with ``--out``. Every in-tree plugin implements the predict API
(``processor()``/``predict_step()``); only a checkpoint of another plugin without it is skipped.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from zoo.catalog import get_catalog
from zoo.examples import lists_example
from zoo.plugins import get_host
from zoo.predicting import implements_predict

SCHEMA = json.loads((Path(__file__).parents[1] / "docs" / "predict.schema.json").read_text())


def _published() -> list[str]:
    return sorted(name for name, entry in get_catalog().entries.items() if entry.status == "published")


def _implements_predict_api(model_name: str) -> bool:
    return implements_predict(get_host().registry.resolve(model_name).load_class())


@pytest.mark.parametrize("name", _published())
def test_published_checkpoint_predicts_on_its_example(name: str, tmp_path: Path, in_tree_distributions) -> None:
    entry = get_catalog().get(name)
    if not _implements_predict_api(entry.model):
        assert entry.provider not in in_tree_distributions, f"{entry.model} ({entry.provider}) does not implement processor()/predict_step()"
        pytest.skip(f"{entry.model} ({entry.provider}, not an in-tree plugin) does not implement processor()/predict_step()")
    assert lists_example(entry.files), (
        f"{name}: the catalog entry must pin an example input (example.<ext> or example/...) in files"
    )
    from zoo.cli.main import build_cli

    out = tmp_path / "out"
    result = CliRunner().invoke(build_cli(), ["predict", name, "--example", "--json", "--out", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    jsonschema.validate(document, SCHEMA)
    assert document["model"] == name and document["source"] == str(entry.parsed_source())
    (prediction,) = document["predictions"]
    assert prediction["task"] == get_host().registry.resolve(entry.model).load_class().task
    assert prediction["outputs"], f"{name} predicted nothing on its example"
    assert prediction["files"], f"{name} drew no picture of its prediction"
    assert all(Path(f).is_file() and Path(f).parent == out for f in prediction["files"])
    assert json.loads((out / "predictions.json").read_text()) == document


@pytest.mark.parametrize("name", _published())
def test_building_a_published_name_gives_the_architecture_its_weights_load_into(name: str) -> None:
    # zoo.build(name) must not quietly give the model's defaults: the entry's architecture is the
    # checkpoint's config.json (a catalog entry without a config would build something else).
    import zoo

    loaded = zoo.load(name)
    built = zoo.build(name)
    assert built.config == loaded.config, f"zoo.build({name!r}) builds another architecture than zoo.load({name!r})"
    assert sorted(built.state_dict()) == sorted(loaded.state_dict())
