"""Catalog entries: validation, the compact metrics form, pinned sources, duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

import zoo
from zoo.catalog import CatalogEntry, get_catalog, read_registry_toml
from zoo.errors import CatalogError, DuplicateNameError, UnknownComponentError
from zoo.sources import HubSource, LocalSource, parse_source

SHA = "ab" * 32


def _toml(body: str, tmp_path: Path) -> Path:
    path = tmp_path / "registry.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_a_published_entry_reads_with_metrics_and_a_relative_local_dir(tmp_path: Path) -> None:
    path = _toml(
        f'''
[models."toy-a"]
model = "model/toy-fusion"
status = "published"
source = "local-dir:ckpt/toy-a"
files = {{ "model.safetensors" = "sha256:{SHA}" }}
metrics = {{ accuracy = 0.5, measured_on = "synthetic toy test set (10 samples)" }}
''',
        tmp_path,
    )
    (entry,) = read_registry_toml(path)
    assert entry.parsed_source() == LocalSource(tmp_path / "ckpt/toy-a")
    assert entry.files == {"model.safetensors": SHA}
    assert entry.metrics[0].name == "accuracy" and entry.metrics[0].measured_on.startswith("synthetic")


@pytest.mark.parametrize(
    "table, message",
    [
        ('status = "published"\nsource = "hf-hub:org/m@main"\nfiles = {"model.safetensors" = "sha256:' + SHA + '"}', "must pin a 40-hex commit"),
        ('status = "published"\nsource = "hf-hub:org/m@' + "a" * 40 + '"', "must list model.safetensors"),
        ('status = "published"', "needs a source"),
        ('status = "recipe"\nfiles = {"model.safetensors" = "md5:00"}', "sha256:<64 hex>"),
        ('status = "draft"', "status"),
        ('status = "recipe"\nmetrics = [{name = "mae", value = 1.0}]', "measured_on"),
        ('status = "recipe"\nweights = "x"', "weights"),
    ],
)
def test_invalid_entries_name_the_problem(tmp_path: Path, table: str, message: str) -> None:
    path = _toml(f'[models."bad-one"]\nmodel = "model/toy-fusion"\n{table}\n', tmp_path)
    with pytest.raises(CatalogError, match="bad-one") as info:
        read_registry_toml(path)
    assert message in str(info.value)


def test_invalid_toml_is_a_catalog_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="not valid TOML"):
        read_registry_toml(_toml("[models.x\n", tmp_path))


def test_sources_parse() -> None:
    assert parse_source("hf-hub:org/m@" + "c" * 40) == HubSource("org/m", "c" * 40)
    assert parse_source("hf-hub:org/m").revision == "main" and not parse_source("hf-hub:org/m").pinned
    with pytest.raises(ValueError, match="Bad Hub repository"):
        parse_source("hf-hub:no-org")
    with pytest.raises(ValueError, match="Unknown source"):
        parse_source("s3://bucket/x")


def test_registry_toml_entries_join_plugin_entries(write_registry) -> None:
    write_registry('[models."toy-extra"]\nmodel = "model/toy-fusion"\nstatus = "recipe"\n', "extra.toml")
    assert {"toy-extra", "toy-fusion-lbp", "toy-fusion-recipe"} <= set(zoo.list(kind="checkpoint"))
    assert get_catalog().get("toy-extra").provider.endswith("extra.toml")
    with pytest.raises(UnknownComponentError, match="toy-extra"):
        get_catalog().get("toy-extr")


def test_the_same_catalog_name_twice_is_an_error(write_registry) -> None:
    write_registry('[models."toy-fusion-lbp"]\nmodel = "model/toy-fusion"\nstatus = "recipe"\n')
    with pytest.raises(DuplicateNameError, match="zoo-thirdparty-lbp"):
        zoo.list()


def test_the_repository_registry_toml_validates() -> None:
    root = Path(__file__).resolve().parents[1]
    for entry in read_registry_toml(root / "registry.toml"):
        assert isinstance(entry, CatalogEntry)
        assert entry.status == "recipe" or entry.files
