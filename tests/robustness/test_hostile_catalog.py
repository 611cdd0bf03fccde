"""A registry.toml (or ZOO_REGISTRY) with garbage, and catalog file names that try to leave the cache:
each is a CatalogError (or SourceError) naming the file and the problem, one line from the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from zoo.catalog import reset_catalog_cache
from zoo.errors import SourceError
from zoo.hub import fetch_file
from zoo.sources import HubSource, check_filename
from zoo.testing import run_cli


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return path


@pytest.mark.parametrize("content, words", [
    (None, "Cannot read catalog file {path}: Is a directory."),
    (b"\x84\xff\x00 binary", "is not a UTF-8 text file (invalid start byte at byte 0)"),
    ("a = " + "[" * 50_000 + "]" * 50_000, "is not valid TOML: nested too deeply."),
    ("garbage [[[", "is not valid TOML: Expected '=' after a key"),
    ("models = 5\n", "[models] must hold tables"),
    ('[models."x"]\nmodel = 5\n', "Invalid catalog entry 'x'"),
    ("[surprise]\n", "unknown top-level key(s) surprise"),
], ids=["directory", "binary", "deep", "garbage", "models-not-tables", "bad-entry", "unknown-table"])
def test_a_bad_registry_is_one_error_line_naming_the_file(content, words, tmp_path, monkeypatch) -> None:
    path = tmp_path / "reg" if content is None else _write(tmp_path, "registry.toml", content)
    if content is None:
        path.mkdir()
    before = None if content is None else path.read_bytes()
    monkeypatch.setenv("ZOO_REGISTRY", str(path))
    reset_catalog_cache()
    result = run_cli(["list", "--kind", "checkpoint"])
    assert result.exit_code == 1, result.output
    assert result.output.startswith("error: ") and words.format(path=path) in result.output, result.output
    assert "Traceback" not in result.output and "unexpected" not in result.output
    assert content is None or path.read_bytes() == before
    assert run_cli(["list", "--kind", "model"]).exit_code == 0  # components do not need the catalog


def test_an_empty_registry_path_list_is_ignored(monkeypatch) -> None:
    monkeypatch.setenv("ZOO_REGISTRY", "::")
    reset_catalog_cache()
    assert run_cli(["list", "--kind", "checkpoint"]).exit_code == 0


@pytest.mark.parametrize("filename", ["../../../../tmp/pwned", "/etc/passwd", "a/../../b", "a\\..\\b", "", "a//b", "./x"])
def test_a_file_name_that_leaves_the_repository_is_refused(filename, tmp_path, monkeypatch) -> None:
    with pytest.raises(SourceError, match="Bad file name"):
        check_filename(filename)
    with pytest.raises(SourceError, match="Bad file name"):
        fetch_file(HubSource("org/x", "a" * 40), filename)
    toml = (f'[models."evil"]\nmodel = "model/toy-fusion"\nstatus = "published"\nsource = "hf-hub:org/x@{"a" * 40}"\n'
            f'files = {{ "model.safetensors" = "sha256:{"b" * 64}", {filename!r} = "sha256:{"c" * 64}" }}\n')
    path = _write(tmp_path, "registry.toml", toml.replace("'", '"').replace("\\", "\\\\"))
    monkeypatch.setenv("ZOO_REGISTRY", str(path))
    reset_catalog_cache()
    result = run_cli(["download", "evil"])
    assert result.exit_code == 1 and "Invalid catalog entry 'evil'" in result.output and "Bad file name" in result.output
    assert not (Path("/tmp") / "pwned").exists()


def test_nested_example_files_are_fine() -> None:
    assert check_filename("example/onset.png") == "example/onset.png"


def test_a_broken_registry_does_not_stop_building_components(tmp_path, monkeypatch) -> None:
    import zoo
    from zoo.errors import CatalogError

    monkeypatch.setenv("ZOO_REGISTRY", str(_write(tmp_path, "registry.toml", "garbage [[[")))
    reset_catalog_cache()
    assert zoo.build("model/toy-fusion").zoo_name == "model/toy-fusion"
    with pytest.raises(CatalogError, match="is not valid TOML"):
        zoo.build("toy-fusion-recipe")  # a catalog name needs the catalog
