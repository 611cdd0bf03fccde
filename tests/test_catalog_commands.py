"""``zoo list``, ``zoo info``, ``zoo plugins``: choices checked by click, --published, sources, --errors."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

import zoo
from zoo.cli.main import build_cli
from zoo.plugins import PluginStatus, get_host

SHA = "ab" * 32


def invoke(*args: str):
    return CliRunner().invoke(build_cli(), list(args))


def test_a_bad_kind_is_a_usage_error_listing_the_kinds() -> None:
    result = invoke("list", "--kind", "experts")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'experts' is not one of 'encoder', 'expert', 'memory', 'head', 'model', 'dataset', 'checkpoint'" in result.output


def test_list_published_shows_only_entries_with_weights(write_registry, tmp_path: Path) -> None:
    write_registry(
        f'[models."toy-pub"]\nmodel = "model/toy-fusion"\nstatus = "published"\nsource = "local-dir:x"\n'
        f'files = {{ "model.safetensors" = "sha256:{SHA}" }}\n'
    )
    result = invoke("list", "toy*", "--published", "--json")
    assert result.exit_code == 0, result.output
    assert [(i["name"], i["status"]) for i in json.loads(result.output)] == [("toy-pub", "published")]
    assert "toy-fusion-recipe" in invoke("list", "toy*", "--kind", "checkpoint").output
    refused = invoke("list", "--published", "--kind", "expert")
    assert refused.exit_code == 2 and "cannot be combined with --kind expert" in refused.output


def test_info_of_a_source_reads_its_config_json_through_the_loading_code(toy_model, tmp_path: Path) -> None:
    folder = zoo.save(toy_model, tmp_path / "toy", card={"summary": "a toy"})
    result = invoke("info", f"local-dir:{folder}", "--json")
    assert result.exit_code == 0, result.output
    described = json.loads(result.output)
    assert described["type"] == "source" and described["model"] == "model/toy-fusion"
    assert described["config"]["classes"] == 3 and described["summary"] == "a toy"
    assert described["components"]["model/toy-fusion"].startswith("zoo-toy-models@")


@pytest.mark.hub
def test_info_of_a_hub_source_at_a_revision(hub, toy_model, tmp_path: Path) -> None:
    folder = zoo.save(toy_model, tmp_path / "toy")
    commit = hub.add_repo("zoo-tests/info-toy", folder)
    result = invoke("info", f"hf-hub:zoo-tests/info-toy@{commit}")
    assert result.exit_code == 0, result.output
    assert "model: model/toy-fusion" in result.output and f"@{commit}" in result.output


def test_plugins_errors_exits_0_when_all_loaded_and_1_with_a_failure() -> None:
    ok = invoke("plugins", "--errors")
    assert ok.exit_code == 0 and ok.output.strip() == "No plugin errors."
    broken = types.ModuleType("broken")

    @zoo.hookimpl
    def zoo_register_components(register):
        raise RuntimeError("boom")

    broken.zoo_register_components = zoo_register_components
    get_host().add_plugin(broken, PluginStatus("broken", "zoo-broken", "0.1", "broken"))
    result = invoke("plugins", "--errors", "--json")
    assert result.exit_code == 1
    (status,) = json.loads(result.output)
    assert status["name"] == "broken" and "RuntimeError: boom" in status["error"]
    listed = invoke("list", "toy*")
    assert listed.exit_code == 0 and "warning: 1 plugin(s) failed to load (broken)" in listed.output
