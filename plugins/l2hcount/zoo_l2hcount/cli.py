"""``zoo l2hcount ...``: write synthetic data, train the synthetic checkpoint (heavy imports inside)."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("l2hcount")
def l2hcount_group() -> None:
    """L2HCount crowd counting: synthetic data and the synthetic checkpoint."""


@l2hcount_group.command("make-synth")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--train", "n_train", default=200, show_default=True, help="low-density training scenes")
@click.option("--test", "n_test", default=50, show_default=True, help="high-density test scenes")
@click.option("--seed", default=0, show_default=True)
def make_synth(out: Path, n_train: int, n_test: int, seed: int) -> None:
    """Write seeded synthetic crowd scenes to OUT/part_A in the ShanghaiTech layout."""
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    counts = make_synthetic_shanghaitech(out, n_train, n_test, seed)
    for split, values in counts.items():
        mean = sum(values) / len(values) if values else 0.0
        click.echo(f"{split}: {len(values)} images, {sum(values)} heads (mean {mean:.1f}) in {out / 'part_A' / f'{split}_data'}")


@l2hcount_group.command("train-synth")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/l2hcount-synth/publish"),
              show_default=True, help="checkpoint folder (zoo.save layout)")
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/l2hcount-synth/data"),
              show_default=True, help="where the synthetic data is (written if missing)")
@click.option("--runs", type=click.Path(file_okay=False, path_type=Path), default=Path("runs/l2hcount-synth"),
              show_default=True, help="engine run folders (logs, resumable checkpoints)")
@click.option("--steps", type=int, default=None, help="optimizer steps per variant (default: the recipe's)")
@click.option("--threads", type=int, default=2, show_default=True, help="torch CPU threads")
@click.option("--workers", type=int, default=0, show_default=True, help="data-loading processes")
def train_synth(out: Path, data: Path, runs: Path, steps: int | None, threads: int, workers: int) -> None:
    """Train l2hcount-synth and its no-HDSM ablation; save the full model and print both metrics.

    To replace the shipped checkpoint, copy OUT into zoo_l2hcount/checkpoints/l2hcount-synth and
    update SYNTH_FILES (sha256) and SYNTH_METRICS in zoo_l2hcount/catalog_entries.py.
    """
    from zoo_l2hcount.train_synth import train_synthetic

    summary = train_synthetic(out, data, runs, steps, threads, workers)
    click.echo(json.dumps(summary, indent=2))
