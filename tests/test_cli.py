"""The `zoo` command line: stable JSON, readable tables, errors as one line and exit status 1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import zoo
from zoo.weights import sha256_file


@pytest.fixture
def run():
    from zoo.cli.main import build_cli

    cli = build_cli()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    return invoke


def test_list_json_is_a_stable_list_of_objects(run) -> None:
    result = run("list", "*lbp*", "--json")
    assert result.exit_code == 0
    items = json.loads(result.output)
    by_name = {i["name"]: i for i in items}
    assert set(by_name) == {"expert/lbp-top", "toy-fusion-lbp"}
    component = by_name["expert/lbp-top"]
    assert set(component) == {"name", "type", "kind", "target", "config", "summary", "provider", "aliases"}
    assert component["provider"] == {"distribution": "zoo-thirdparty-lbp", "version": "1.2.0"}
    checkpoint = by_name["toy-fusion-lbp"]
    assert checkpoint["type"] == "checkpoint" and checkpoint["status"] == "recipe"


def test_list_table_and_kind_filter(run) -> None:
    result = run("list", "--kind", "expert")
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "KIND", "STATUS/PROVIDER", "SUMMARY"]
    assert all(line.split()[1] == "expert" for line in lines[1:])
    assert run("list", "nothing-like-this*").output.startswith("Nothing matches")


def test_info_shows_defaults_and_plugins_show_providers(run) -> None:
    info = json.loads(run("info", "expert/lbp-top", "--json").output)
    assert info["defaults"] == {"in_features": 8, "dim": 16, "tokens": 2, "sharpness": 10.0}
    plugins = {p["name"]: p for p in json.loads(run("plugins", "--json").output)}
    assert plugins["thirdparty_lbp"]["components"] == ["expert/lbp-top"]
    assert plugins["thirdparty_lbp"]["catalog"] == ["toy-fusion-lbp"]


def test_an_unknown_name_is_one_red_line_and_exit_1(run) -> None:
    result = run("info", "expert/lbp-tpo")
    assert result.exit_code == 1
    assert result.output.startswith("error: Unknown name 'expert/lbp-tpo'") and "expert/lbp-top" in result.output


def test_download_and_verify_a_local_checkpoint(run, toy_model, tmp_path: Path, write_registry) -> None:
    folder = zoo.save(toy_model, tmp_path / "toy")
    sha = sha256_file(folder / "model.safetensors")
    write_registry(
        f'[models."toy-cli"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "local-dir:{folder}"\nfiles = {{ "model.safetensors" = "sha256:{sha}" }}\n'
    )
    assert "toy-cli: 2 files ready" in run("download", "toy-cli").output
    result = run("verify", "toy-cli")
    assert "model.safetensors: ok (sha256 pinned by the catalog)" in result.output and result.exit_code == 0
    report = json.loads(run("verify", "toy-cli", "--json").output)
    assert report["ok"] is True and report["source"] == f"local-dir:{folder}"
    assert report["files"]["model.safetensors"] == {"path": str(folder / "model.safetensors"),
                                                    "check": "sha256 pinned by the catalog"}
    assert json.loads(run("download", "toy-cli", "--json").output)["files"].keys() == {"config.json", "model.safetensors"}
    (folder / "model.safetensors").write_bytes(b"x" * 10)
    result = run("verify", "toy-cli")
    assert result.exit_code == 1 and "sha256 mismatch" in result.output
    failed = run("verify", "toy-cli", "--json")
    assert failed.exit_code == 1
    assert json.loads(failed.output) | {"error": ""} == {"name": "toy-cli", "ok": False, "error": "",
                                                         "error_type": "ChecksumMismatchError"}


def test_verify_never_downloads(run, write_registry, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    write_registry(
        f'[models."toy-remote"]\nmodel = "model/toy-fusion"\nstatus = "published"\n'
        f'source = "hf-hub:org/toy@{"a" * 40}"\nfiles = {{ "model.safetensors" = "sha256:{"b" * 64}" }}\n'
    )
    result = run("verify", "toy-remote")
    assert result.exit_code == 1 and "Verification never downloads, and a file is missing" in result.output


def test_convert_a_trusted_pickle_checkpoint(run, toy_model, tmp_path: Path) -> None:
    import torch

    legacy = tmp_path / "author_release.pth"
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in toy_model.state_dict().items()}}, legacy)
    refused = run("convert", str(legacy), "model/toy-fusion", str(tmp_path / "out"))
    assert refused.exit_code == 1 and "--i-trust-this-file" in refused.output
    done = run("convert", str(legacy), "model/toy-fusion", str(tmp_path / "out"), "--i-trust-this-file")
    assert done.exit_code == 0, done.output
    loaded = zoo.load(f"local-dir:{tmp_path / 'out'}")
    assert torch.equal(loaded.head.fc.weight, toy_model.head.fc.weight)
    wrong = run("convert", str(legacy), "expert/toy-mean", str(tmp_path / "bad"), "--i-trust-this-file")
    assert wrong.exit_code == 1 and "does not fit expert/toy-mean" in wrong.output
