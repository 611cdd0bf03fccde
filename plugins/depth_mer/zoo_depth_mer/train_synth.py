"""``zoo depth-mer train-synth OUT``: the paper's comparison on synthetic data, and the checkpoint from it.

Runs ``[ablations.paper]`` of this plugin's catalog (every variant × seed through the engine's
recipe runner: resumable, deterministic on one machine) into ``OUT/ablation``, then writes
``OUT/depth-mer-synth``: the reference variant's lowest-seed weights, a ``metrics.json`` with that
run's numbers and every variant's mean ± std over the seeds, the example input (a held-out clip's
onset and apex depth) and a card with the table and, per variant, whether the paper's claimed
effect shows on this data. It never writes into the installed package: to ship the result, copy
``OUT/depth-mer-synth`` into ``zoo_depth_mer/checkpoints/`` and paste the printed entry into
``catalog.toml``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.sdk import ablation_markdown, toml_inline

SPEC = "depth-mer:paper"
NAME = "depth-mer-synth"
#: What the paper claims for a variant, relative to the reference (PointNet++ with ICP alignment).
CLAIMS = {
    "PointNet": "the paper found PointNet++ better than the other point networks",
    "DGCNN": "the paper found PointNet++ better than the other point networks",
    "no alignment": "the paper aligns onset and apex to remove head motion",
}


@dataclass(frozen=True)
class SynthResult:
    """What ``train-synth`` produced: the checkpoint folder, the table (markdown) and the entry (TOML)."""

    checkpoint: Path
    table: str
    entry: str
    ablation: dict[str, Any]


def train_synthetic(out: str | Path, data: str | Path | None = None, seeds: list[int] | None = None,
                    echo: Callable[[str], None] | None = None, threads: int = 1, spec: str = SPEC) -> SynthResult:
    """Run the ablation into ``out/ablation`` and write ``out/depth-mer-synth``.

    Args:
        out: the output folder (created; a re-run with the same arguments resumes the ablation).
        data: synthetic data from ``zoo depth-mer make-synth`` (default: generated into ``out/ablation/data``).
        seeds: training seeds (default: the spec's, 0, 1, 2); the checkpoint is the lowest seed's.
        echo: called with one line per step.
        threads: torch CPU threads (fixed, so that a re-run on this machine gives the same numbers).
        spec: the ablation (default ``depth-mer:paper``; tests pass a smaller ``file.toml:name``).

    Returns:
        The result; ``entry`` is the ``[models."depth-mer-synth"]`` TOML to paste into catalog.toml.

    Raises:
        InputError: if ``out`` is a file, ``data`` is not synthetic CAS(ME)^3 data, or from the
            ablation (bad data, earlier runs with other arguments).
        TrainingError, CheckpointError: from the engine.
    """
    import torch

    from zoo.sdk import InputError, atomic_output_dir, run_ablation

    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{out} is an existing file; give a folder for the ablation runs and the checkpoint.")
    if data is not None and not (Path(data) / "SYNTHETIC.json").is_file():
        raise InputError(f"{data} is not synthetic data (no SYNTHETIC.json); give the output of "
                         "`zoo depth-mer make-synth DIR`, or leave --data out to generate it.")
    torch.set_num_threads(threads)  # CPU kernels reduce in another order with another thread count
    table = run_ablation(spec, data=None if data is None else str(data), seeds=seeds, out=out / "ablation", echo=echo)
    reference = table["variants"][0]
    run_dir = out / "ablation" / reference["runs"][0]  # runs are sorted by seed: the lowest first
    data_root = Path(data) if data is not None else out / "ablation" / "data"
    recipe = json.loads((run_dir / "recipe.json").read_text(encoding="utf-8"))
    subjects = {"train": recipe["dataset"]["config"].get("subjects"), "test": recipe["eval_dataset"]["config"].get("subjects")}
    with atomic_output_dir(out / NAME, overwrite=True) as work:
        _write_checkpoint(work, run_dir / "publish", table, data_root, subjects)
    checkpoint = out / NAME
    return SynthResult(checkpoint, ablation_markdown(table, heading=False), catalog_entry(checkpoint), table)


def _write_checkpoint(work: Path, publish: Path, table: dict[str, Any], data_root: Path,
                      subjects: dict[str, list[str] | None]) -> None:
    """Weights and config of the reference run, metrics of every variant, the example, the card."""
    import zoo

    model = zoo.load(str(publish))
    own = json.loads((publish / "metrics.json").read_text(encoding="utf-8"))
    metrics = metric_rows(table, own["metrics"])
    provenance = own.get("provenance", {})
    zoo.save(model, work, card=_card(metrics, table, provenance, subjects))
    write_example(data_root, work / "example", subjects["test"])
    record = {"model": NAME, "synthetic": True, "metrics": metrics, "ablation": table, "provenance": provenance}
    (work / "metrics.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def write_example(data_root: Path, folder: Path, subjects: list[str] | None) -> Path:
    """Copy the onset and apex depth of the first clean 3-class clip of the test subjects into ``folder``.

    Raises:
        InputError: if the data has no such clip.
    """
    import warnings

    import zoo
    from zoo.sdk import InputError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the planted quirks are reported elsewhere
        data = zoo.build("dataset/casme3-depth", root=str(data_root), subjects=subjects)
    quirky = {q.sample_id for q in data.report.quirks}
    clean = [item for item in data.items if item["sample_id"] not in quirky]
    if not clean:
        raise InputError(f"{data_root} has no clean clip of the test subjects {subjects} for the example.")
    folder.mkdir(parents=True, exist_ok=True)
    for role in ("onset", "apex"):
        shutil.copyfile(clean[0]["depth_files"][role], folder / f"{role}.png")
    return folder


def metric_rows(table: dict[str, Any], own: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
                "name": name, "value": round(stats["mean"], 4),
                "std": None if stats["std"] is None else round(stats["std"], 4), "n": stats["n"],
                "measured_on": variant["measured_on"],
                "setting": f"{variant['name']}: mean ± std over seeds {', '.join(map(str, variant['seeds']))}",
            })
    return rows


def effects(table: dict[str, Any], metric: str = "uf1") -> list[str]:
    """One plain sentence per claimed variant: does the paper's effect appear here (by the mean ± std)?"""
    ref = table["variants"][0]["metrics"].get(metric)
    sentences = []
    for row in table["variants"][1:]:
        claim, stats = CLAIMS.get(row["name"]), row["metrics"].get(metric)
        if claim is None or stats is None or ref is None:
            continue
        drop = ref["mean"] - stats["mean"]
        spread = max(ref["std"] or 0.0, stats["std"] or 0.0)
        verdict = "appears" if drop > spread else "does NOT appear (the difference is within one std, or reversed)"
        sentences.append(f"- {row['name']}: {claim}; on this synthetic data the effect {verdict}: {metric} "
                         f"{stats['mean']:.3f} vs {ref['mean']:.3f} for the reference.")
    return sentences


def _card(metrics: list[dict[str, Any]], table: dict[str, Any], provenance: dict[str, Any],
          subjects: dict[str, list[str] | None]) -> dict[str, Any]:
    train, test = (", ".join(subjects[k] or ["all"]) for k in ("train", "test"))
    notes = "\n".join([
        "Synthetic data only: these numbers say nothing about CAS(ME)^3.", "",
        f"The paper's comparison (`zoo ablate --spec {table['ablation']}`), mean ± sample std over seeds "
        f"{', '.join(map(str, table['seeds']))}, trained on subjects {train} and tested on the held-out {test}:",
        "", ablation_markdown(table, heading=False), *effects(table),
    ])
    return {
        "name": NAME,
        "summary": "Depth-MER (PointNet++ SSG, reduced width, 512 points) trained on SYNTHETIC CAS(ME)^3-format depth clips; demo and tests only",
        "license": "apache-2.0", "tags": ["micro-expression", "depth", "point-cloud", "synthetic"],
        "training_data": f"SYNTHETIC CAS(ME)^3-format depth clips (zoo depth-mer make-synth), subjects {train}",
        "metrics": metrics, "reproduce": "zoo depth-mer train-synth OUT", "notes": notes, "synthetic": True,
        "provenance": provenance,
    }


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def catalog_entry(folder: Path) -> str:
    """The ``[models."depth-mer-synth"]`` tables that pin the checkpoint in ``folder`` (for catalog.toml)."""
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))["config"]
    architecture = {"encoder": config["encoder"], "pipeline": {"num_points": config["pipeline"]["num_points"],
                                                               "depth_unit_mm": config["pipeline"]["depth_unit_mm"]}}
    return "\n".join([
        f'[models."{NAME}"]',
        'model = "model/depth-mer"',
        'status = "published"',
        f'source = "local-dir:checkpoints/{NAME}"',
        f'metrics_file = "checkpoints/{NAME}/metrics.json"',
        'license = "apache-2.0"',
        f"config = {toml_inline(architecture)}",
        "",
        f'[models."{NAME}".files]',
        *(f'"{p.relative_to(folder).as_posix()}" = "sha256:{_sha256(p)}"' for p in files),
    ]) + "\n"

