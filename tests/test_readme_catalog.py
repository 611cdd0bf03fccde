"""The README's catalog table quotes each synthetic checkpoint's numbers from its own metrics.json.

A number typed by hand (or left from an earlier run) fails here: every figure in a row's result
cell must be a value, mean or std that the checkpoint's metrics.json records, at the printed
precision (CMIP-CIL's accuracies are printed as percentages).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ROW = re.compile(r"^\s*\| `(?P<name>[a-z0-9-]+-synth)` \| (?P<data>[^|]+) \| (?P<result>[^|]+) \|\s*$")
NUMBER = re.compile(r"(?<![\w.-])\d+\.\d+")


def _rows() -> dict[str, str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return {m["name"]: m["result"] for m in map(ROW.match, text.splitlines()) if m}


def _recorded(name: str) -> set[float]:
    (path,) = ROOT.glob(f"plugins/*/zoo_*/checkpoints/{name}/metrics.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    values = {float(m[k]) for m in data["metrics"] for k in ("value", "std") if m.get(k) is not None}
    for variant in (data.get("ablation") or {}).get("variants", []):
        values |= {float(s[k]) for s in variant["metrics"].values() for k in ("mean", "std") if s.get(k) is not None}
    return values


def _published_synthetic() -> list[str]:
    return sorted(p.parent.name for p in ROOT.glob("plugins/*/zoo_*/checkpoints/*-synth/metrics.json"))


def test_every_shipped_synthetic_checkpoint_has_a_row():
    assert set(_published_synthetic()) <= set(_rows()), "add a README catalog row for each shipped *-synth checkpoint"


@pytest.mark.parametrize("name", _published_synthetic())
def test_every_number_in_the_row_comes_from_the_checkpoints_metrics(name):
    result = _rows()[name]
    recorded = _recorded(name)
    printed = NUMBER.findall(result)
    assert printed, f"the README row of {name} quotes no number"
    for text in printed:
        decimals = len(text.split(".")[1])
        matches = [v for v in recorded if round(v, decimals) == float(text) or round(100 * v, decimals) == float(text)]
        assert matches, f"README quotes {text} for {name}, which its metrics.json does not record"
