"""``zoo l2hcount train-synth OUT``: the paper's ablation on synthetic data, and the checkpoint from it.

Runs ``[ablations.paper]`` of this plugin's catalog (every variant × seed, through the engine's
recipe runner: resumable, deterministic on one machine) into ``OUT/ablation``, then writes
``OUT/l2hcount-synth``: the reference variant's seed-0 weights with a ``metrics.json`` holding
every variant's numbers as mean ± std over the seeds, the example input, and a card with the
ablation table. It never writes into the installed package: to ship the result, copy
``OUT/l2hcount-synth`` into ``zoo_l2hcount/checkpoints/`` and paste the printed entry into
``catalog.toml``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.sdk import ablation_markdown

SPEC = "l2hcount:paper"
NAME = "l2hcount-synth"
#: The files of the published folder, pinned in the catalog entry.
PINNED = ("model.safetensors", "config.json", "README.md", "metrics.json", "example.jpg", "example.points.json")


@dataclass(frozen=True)
class SynthResult:
    """What ``train-synth`` produced: the checkpoint folder, the table (markdown) and the entry (TOML)."""

    checkpoint: Path
    table: str
    entry: str
    ablation: dict[str, Any]


def train_synthetic(
    out: str | Path, data: str | Path | None = None, seeds: list[int] | None = None,
    echo: Callable[[str], None] | None = None, threads: int = 1, spec: str = SPEC,
) -> SynthResult:
    """Run the ablation into ``out/ablation`` and write ``out/l2hcount-synth``.

    Args:
        out: the output folder (created; a re-run with the same arguments resumes).
        data: synthetic data from ``zoo l2hcount make-synth`` (default: generated into ``out/ablation/data``).
        seeds: training seeds (default: the spec's, 0, 1, 2); the checkpoint is the lowest seed's.
        echo: called with one line per step.
        threads: torch CPU threads (fixed, so that a re-run on this machine gives the same numbers).
        spec: the ablation (default ``l2hcount:paper``; tests pass a smaller ``file.toml:name``).

    Returns:
        The result; ``entry`` is the ``[models."l2hcount-synth"]`` TOML to paste into catalog.toml.

    Raises:
        InputError: if ``out`` is a file, ``data`` is not synthetic data, or from the ablation (bad data, earlier runs with other arguments).
        TrainingError, CheckpointError: from the engine.
    """
    from zoo.sdk import InputError, atomic_output_dir, run_ablation

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is an existing file; give a folder for the ablation runs and the checkpoint.")
    if data is not None and not (Path(data) / "part_A").is_dir():
        raise InputError(f"{data} holds no part_A/ folder; give the output of `zoo l2hcount make-synth DIR` (or leave --data out).")
    import torch

    torch.set_num_threads(threads)  # CPU kernels reduce in another order with another thread count
    table = run_ablation(spec, data=None if data is None else str(data), seeds=seeds, out=out / "ablation", echo=echo)
    reference = table["variants"][0]
    run_dir = out / "ablation" / reference["runs"][0]  # runs are sorted by seed: the lowest first
    with atomic_output_dir(out / NAME, overwrite=True) as work:
        _write_checkpoint(work, run_dir / "publish", table)
    checkpoint = out / NAME
    return SynthResult(checkpoint, ablation_markdown(table, heading=False), catalog_entry(checkpoint), table)


def _write_checkpoint(work: Path, publish: Path, table: dict[str, Any]) -> None:
    """Weights and config of the reference run, metrics of every variant, the example, the card."""
    import zoo
    from zoo_l2hcount.synth import write_example

    model = zoo.load(str(publish))
    own = json.loads((publish / "metrics.json").read_text(encoding="utf-8"))
    metrics = _metric_rows(table, own["metrics"])
    provenance = own.get("provenance", {})
    zoo.save(model, work, card=_card(metrics, table, provenance))
    write_example(work)
    record = {"model": NAME, "synthetic": True, "metrics": metrics, "ablation": table, "provenance": provenance}
    (work / "metrics.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _metric_rows(table: dict[str, Any], own: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """This checkpoint's own numbers first, then every variant's mean ± std over the seeds."""
    seed = table["variants"][0]["seeds"][0]
    rows = [{**row, "setting": f"this checkpoint: variant {table['reference']!r}, seed {seed}"} for row in own
            if row["name"] in table["metrics"]]
    for variant in table["variants"]:
        for name in table["metrics"]:
            stats = variant["metrics"].get(name)
            if stats is None:
                continue
            rows.append({
                "name": name, "value": round(stats["mean"], 3), "std": None if stats["std"] is None else round(stats["std"], 3),
                "n": stats["n"], "measured_on": variant["measured_on"],
                "setting": f"variant {variant['name']!r}, seeds {', '.join(map(str, variant['seeds']))}",
            })
    return rows


#: What the paper (and the method spec) claims for each variant, relative to the reference.
CLAIMS = {
    "w/o HDSM+GTGM": ("worse", "the paper's density simulation (HDSM+GTGM) improves high-density counting"),
    "w/o HFEM": ("worse", "HFEM improves counting on simulated dense crowds"),
    "w/o DDMEM": ("worse", "the dual-density memory improves low→high generalisation"),
    "+ HFEM feature consistency": ("better", "the optional feature-consistency term helps"),
    "+ DDMEM attention consistency": ("better", "MPCount's attention consistency helps"),
}


def effects(table: dict[str, Any], metric: str = "mae") -> list[str]:
    """One plain sentence per variant: does the claimed effect appear on this data?

    The effect *appears* when the mean moves the claimed way by more than the larger of the two
    seed spreads (std); it *points the claimed way but is not established* when it moves that way
    by less; it *does NOT appear* when the mean moves the other way.
    """
    ref = table["variants"][0]["metrics"].get(metric)
    sentences = []
    for row in table["variants"][1:]:
        claim, stats = CLAIMS.get(row["name"]), row["metrics"].get(metric)
        if claim is None or stats is None or ref is None:
            continue
        direction, what = claim
        gain = (stats["mean"] - ref["mean"]) * (1 if direction == "worse" else -1)  # > 0: the claimed way
        spread = max(ref["std"] or 0.0, stats["std"] or 0.0)
        if gain > spread:
            verdict = "appears"
        elif gain > 0:
            verdict = f"points the claimed way but is not established (the difference is within one std over {stats['n']} seeds)"
        else:
            verdict = "does NOT appear (the mean moves the other way)"
        sentences.append(
            f"{row['name']}: {metric.upper()} {stats['mean']:.1f} ± {stats['std'] or 0:.1f} vs {ref['mean']:.1f} ± "
            f"{ref['std'] or 0:.1f} for {table['reference']!r}; the claim that {what} {verdict} on this synthetic data."
        )
    return sentences


def _card(metrics: list[dict[str, Any]], table: dict[str, Any], provenance: dict[str, Any]) -> dict[str, Any]:
    seeds = ", ".join(map(str, table["seeds"]))
    notes = (
        f"Ablation `{table['ablation']}` (`zoo l2hcount train-synth OUT`), every variant trained with seeds {seeds} on the same "
        f"SYNTHETIC data; each cell is the mean ± sample std over the seeds:\n\n{ablation_markdown(table, heading=False)}\n"
        + "\n".join(f"- {s}" for s in effects(table))
        + "\n\n`train s` is each run's wall-clock time on the machine that ran it (it varies with that machine's "
        "load). MSE is the field's root mean squared error. The weights are the reference variant's lowest seed. "
        "All data is synthetic; no real benchmark result."
    )
    return {
        "name": NAME,
        "summary": "L2HCount (reduced width) trained on SYNTHETIC low-density crowd scenes and tested on SYNTHETIC "
        "high-density scenes: the paper's low→high setting at small scale. Not a result on any real benchmark.",
        "license": "apache-2.0",
        "tags": ["crowd-counting", "synthetic", "l2hcount"],
        "training_data": "SYNTHETIC low-density scenes (zoo l2hcount make-synth, seed 0, 200 images, 10-60 heads)",
        "task": "crowd-counting",
        "metrics": metrics,
        "reproduce": "zoo l2hcount train-synth OUT",
        "notes": notes,
        "synthetic": True,
        "provenance": provenance,
    }


def catalog_entry(checkpoint: Path) -> str:
    """The ``[models."l2hcount-synth"]`` TOML of the catalog, re-pinned to ``checkpoint``'s files."""
    import tomllib

    import tomli_w

    catalog = tomllib.loads(Path(__file__).with_name("catalog.toml").read_text(encoding="utf-8"))
    entry = dict(catalog["models"][NAME])
    entry["files"] = {name: f"sha256:{hashlib.sha256((checkpoint / name).read_bytes()).hexdigest()}" for name in PINNED}
    return tomli_w.dumps({"models": {NAME: entry}})

