"""``train-synth``: the ablation through the core runner, and a checkpoint whose numbers are its runs'."""

from __future__ import annotations

import hashlib
import json
import statistics
import tomllib

import pytest

import zoo
from zoo_l2hcount.train_synth import PINNED, effects, train_synthetic

#: The paper spec's shape at toy size: two variants × two seeds, two optimizer steps each.
TINY_SPEC = """
[ablations.paper]
recipe = "l2hcount-synth"
make_data = "zoo l2hcount make-synth {data} --train 4 --test 2"
seeds = [0, 1]
metrics = ["mae", "mse"]
overrides = ["train.max_steps=2", "dataset.repeats=4", "train.checkpoint_every=0"]
[ablations.paper.variants]
"full" = []
"w/o HDSM+GTGM" = ["dataset.simulate=false"]
"""


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("train-synth")
    (root / "spec.toml").write_text(TINY_SPEC, encoding="utf-8")
    lines: list[str] = []
    result = train_synthetic(root / "out", spec=f"{root / 'spec.toml'}:paper", echo=lines.append)
    return root / "out", result, lines


def test_every_file_goes_under_out_and_the_entry_pins_them(trained):
    out, result, _ = trained
    assert result.checkpoint == out / "l2hcount-synth"
    assert sorted(p.name for p in result.checkpoint.iterdir()) == sorted(PINNED)
    entry = tomllib.loads(result.entry)["models"]["l2hcount-synth"]
    for name in PINNED:
        digest = hashlib.sha256((result.checkpoint / name).read_bytes()).hexdigest()
        assert entry["files"][name] == f"sha256:{digest}"
    assert entry["metrics_file"] == "checkpoints/l2hcount-synth/metrics.json" and "metrics" not in entry
    model = zoo.load(str(result.checkpoint))
    assert model.encoder.config.width == 0.125 and model.encoder.config.pretrained is False


def test_metrics_are_the_runs_mean_and_std(trained):
    out, result, _ = trained
    record = json.loads((result.checkpoint / "metrics.json").read_text())
    rows = {(r["setting"].split("'")[1], r["name"]): r for r in record["metrics"] if "n" in r}
    for variant in ("full", "w/o HDSM+GTGM"):
        folder = "full" if variant == "full" else "w-o-hdsm+gtgm"
        maes = [next(m["value"] for m in json.loads((out / "ablation" / folder / f"seed-{s}" / "summary.json").read_text())["metrics"]
                     if m["name"] == "mae") for s in (0, 1)]
        row = rows[(variant, "mae")]
        assert row["n"] == 2 and row["value"] == pytest.approx(statistics.fmean(maes), abs=1e-3)
        assert row["std"] == pytest.approx(statistics.stdev(maes), abs=1e-3)
        assert "SYNTHETIC" in row["measured_on"]
    own = [r for r in record["metrics"] if r["setting"].startswith("this checkpoint")]
    seed0 = json.loads((out / "ablation" / "full" / "seed-0" / "publish" / "metrics.json").read_text())["metrics"]
    assert {r["name"]: r["value"] for r in own} == {r["name"]: r["value"] for r in seed0}
    card = (result.checkpoint / "README.md").read_text()
    assert "| w/o HDSM+GTGM |" in card and "on this synthetic data" in card
    assert "| full |" in result.table


@pytest.mark.slow
def test_a_rerun_skips_the_finished_runs(trained):
    out, result, _ = trained
    lines: list[str] = []
    again = train_synthetic(out, spec=f"{out.parent / 'spec.toml'}:paper", echo=lines.append)
    assert sum("finished earlier, skipped" in line for line in lines) == 4
    assert json.loads((again.checkpoint / "metrics.json").read_text())["metrics"] == json.loads(
        (result.checkpoint / "metrics.json").read_text())["metrics"]


def test_effects_say_plainly_when_a_claim_does_not_appear():
    def stats(mean, std):
        return {"mae": {"mean": mean, "std": std, "n": 3}}

    table = {"reference": "full", "variants": [
        {"name": "full", "metrics": stats(30.0, 1.0)},
        {"name": "w/o HDSM+GTGM", "metrics": stats(40.0, 2.0)},  # clearly worse: the claim appears
        {"name": "w/o HFEM", "metrics": stats(30.5, 1.0)},       # the claimed way, within one std
        {"name": "+ DDMEM attention consistency", "metrics": stats(33.0, 1.0)},  # worse, claimed better
    ]}
    hdsm, hfem, acl = effects(table)
    assert hdsm.endswith("appears on this synthetic data.")
    assert "points the claimed way but is not established (the difference is within one std over 3 seeds)" in hfem
    assert "does NOT appear (the mean moves the other way)" in acl
