"""Catalog entries: validation, the compact metrics form, pinned sources, duplicates."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

import zoo
from zoo.catalog import CatalogEntry, catalog_ablation, get_catalog, read_catalog_toml, read_registry_toml
from zoo.errors import CatalogError, UnknownComponentError
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


def test_a_registry_toml_entry_overrides_the_plugin_entry_of_the_same_name(write_registry) -> None:
    write_registry('[models."toy-fusion-lbp"]\nmodel = "model/toy-fusion"\nstatus = "recipe"\nsummary = "mine"\n')
    entry = get_catalog().get("toy-fusion-lbp")
    assert entry.summary == "mine" and entry.provider.endswith("registry.toml")
    assert entry.overrides == "zoo-thirdparty-lbp" and zoo.info("toy-fusion-lbp")["overrides"] == "zoo-thirdparty-lbp"
    assert zoo.list("toy-fusion-lbp") == ["toy-fusion-lbp"]


def test_a_later_registry_file_overrides_an_earlier_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "org.toml", tmp_path / "user.toml"
    first.write_text('[models."toy-x"]\nmodel = "model/toy-fusion"\nstatus = "recipe"\nsummary = "org"\n')
    second.write_text('[models."toy-x"]\nmodel = "model/toy-fusion"\nstatus = "recipe"\nsummary = "user"\n')
    monkeypatch.setenv("ZOO_REGISTRY", os.pathsep.join(map(str, (first, second))))
    assert get_catalog().get("toy-x").summary == "user"
    assert get_catalog().get("toy-x").overrides == str(first)


def test_the_shipped_registry_toml_adds_nothing_and_its_example_of_every_field_validates(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    shipped = (root / "registry.toml").read_text(encoding="utf-8")
    assert read_catalog_toml(root / "registry.toml").entries == []
    assert "OVERRIDES plugin entries" in shipped.splitlines()[0]
    digest = _metrics_json(tmp_path / "checkpoints" / "l2hcount-sha", _ROWS)
    lines = shipped.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("# [models."))
    example = "\n".join(line.removeprefix("#").removeprefix(" ") for line in lines[start:])
    example = example.replace("<name>", "my-l2hcount").replace(
        '"metrics.json" = "sha256:<64 hex>"', f'"metrics.json" = "sha256:{digest}"'
    ).replace("<64 hex>", "ab" * 32)
    part = read_catalog_toml(_toml(example, tmp_path))
    (entry,) = part.entries
    assert entry.status == "published" and entry.metrics[0].measured_on == _ROWS[0]["measured_on"]
    assert [a.ref for a in part.ablations] == ["registry:my-l2hcount"]
    internal = {"name", "base_dir", "provider", "overrides"}
    documented = {field for field in CatalogEntry.model_fields if field not in internal}
    shown = {f for f in documented if f"\n{f} = " in example or f"\n# {f} = " in example or f'.{f}]' in example}
    assert documented - shown == set()


def _metrics_json(folder: Path, rows: list[dict]) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    payload = json.dumps({"metrics": rows, "steps": 10}).encode()
    (folder / "metrics.json").write_bytes(payload)
    return hashlib.sha256(payload).hexdigest()


_ROWS = [
    {"name": "mae", "value": 3.5, "measured_on": "synthetic test set (5 scenes)", "setting": "full", "std": 0.5, "n": 3},
    {"name": "mse", "value": 4.25, "measured_on": "synthetic test set (5 scenes)"},
]


def _published(metrics_sha: str, extra: str = "") -> str:
    return f'''
[models."toy-m"]
model = "model/toy-fusion"
status = "published"
source = "local-dir:checkpoints/toy-m"
metrics_file = "checkpoints/toy-m/metrics.json"
files = {{ "model.safetensors" = "sha256:{SHA}", "metrics.json" = "sha256:{metrics_sha}" }}
{extra}'''


def test_metrics_come_from_the_pinned_metrics_file_of_the_run(tmp_path: Path) -> None:
    digest = _metrics_json(tmp_path / "checkpoints" / "toy-m", _ROWS)
    (entry,) = read_registry_toml(_toml(_published(digest), tmp_path))
    assert [(m.name, m.value, m.std, m.n) for m in entry.metrics] == [("mae", 3.5, 0.5, 3), ("mse", 4.25, None, None)]
    assert entry.metrics_path() == tmp_path / "checkpoints" / "toy-m" / "metrics.json"


@pytest.mark.parametrize(
    "case, message",
    [
        ("tampered", "the numbers are not the ones the run wrote"),
        ("unpinned", "must be pinned in files as 'metrics.json'"),
        ("missing", "cannot be read"),
        ("both", "give metrics or metrics_file, not both"),
        ("no-list", "must be JSON with a 'metrics' list"),
    ],
)
def test_a_bad_metrics_file_is_a_catalog_error(tmp_path: Path, case: str, message: str) -> None:
    folder = tmp_path / "checkpoints" / "toy-m"
    digest = _metrics_json(folder, _ROWS)
    text = _published(digest)
    if case == "tampered":
        (folder / "metrics.json").write_text(json.dumps({"metrics": [{**_ROWS[0], "value": 1.0}]}))
    elif case == "unpinned":
        text = text.replace(f', "metrics.json" = "sha256:{digest}"', "")
    elif case == "missing":
        (folder / "metrics.json").unlink()
    elif case == "both":
        text += 'metrics = { mae = 1.0, measured_on = "synthetic" }\n'
    elif case == "no-list":
        payload = b'{"mae": 1.0}'
        (folder / "metrics.json").write_bytes(payload)
        text = _published(hashlib.sha256(payload).hexdigest())
    with pytest.raises(CatalogError, match="toy-m") as info:
        read_registry_toml(_toml(text, tmp_path))
    assert message in str(info.value)


def test_ablation_tables_are_kept_raw_with_their_origin(tmp_path: Path) -> None:
    path = _toml(
        '[ablations.paper]\nrecipe = "toy-fusion-recipe"\nseeds = [0, 1]\n'
        '[ablations.paper.variants]\n"full" = []\n"w/o b" = ["model.experts.b=None"]\n',
        tmp_path,
    )
    part = read_catalog_toml(path, provider="zoo-toy", owner="toy_models")
    (ablation,) = part.ablations
    assert ablation.ref == "toy_models:paper" and ablation.base_dir == tmp_path and ablation.provider == "zoo-toy"
    assert ablation.spec == {"recipe": "toy-fusion-recipe", "seeds": [0, 1], "variants": {"full": [], "w/o b": ["model.experts.b=None"]}}
    assert part.entries == []


def test_an_unknown_top_level_table_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"unknown top-level key\(s\) model;"):
        read_catalog_toml(_toml('[model."x"]\nmodel = "model/toy-fusion"\nstatus = "recipe"\n', tmp_path))


def test_a_registry_ablation_is_found_by_reference_or_unique_bare_name(write_registry) -> None:
    write_registry('[ablations.mine]\nrecipe = "toy-fusion-recipe"\n')
    assert catalog_ablation("registry:mine").spec == {"recipe": "toy-fusion-recipe"}
    assert catalog_ablation("mine").owner == "registry"
    with pytest.raises(UnknownComponentError, match="registry:mine"):
        catalog_ablation("registry:mien")
