"""``zoo l2hcount ...``: write synthetic data, train the synthetic checkpoint (heavy imports inside).

Errors are the zoo's typed errors; the ``zoo`` command prints them as one line (no traceback).
"""

from __future__ import annotations

from pathlib import Path

import click


@click.group("l2hcount")
def l2hcount_group() -> None:
    """L2HCount crowd counting: synthetic data and the synthetic checkpoint."""


@l2hcount_group.command("make-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--train", "n_train", type=click.IntRange(min=0), default=200, show_default=True, help="low-density training scenes")
@click.option("--test", "n_test", type=click.IntRange(min=0), default=50, show_default=True, help="high-density test scenes")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--overwrite", is_flag=True, help="replace OUT if it exists and is not empty")
def make_synth(out: Path, n_train: int, n_test: int, seed: int, overwrite: bool) -> None:
    """Write seeded SYNTHETIC crowd scenes to OUT/part_A in the ShanghaiTech layout.

    OUT is built in a temporary folder and renamed at the end: a failed run leaves nothing.
    """
    from zoo_l2hcount.synth import make_synthetic_shanghaitech

    counts = make_synthetic_shanghaitech(out, n_train, n_test, seed, overwrite=overwrite)
    for split, values in counts.items():
        mean = sum(values) / len(values) if values else 0.0
        click.echo(f"{split}: {len(values)} images, {sum(values)} heads (mean {mean:.1f}) in {out / 'part_A' / f'{split}_data'}")


@l2hcount_group.command("train-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="synthetic data from `zoo l2hcount make-synth` (default: written to OUT/data)")
@click.option("--seeds", default="0,1,2", show_default=True, help="training seeds of every variant")
@click.option("--threads", type=click.IntRange(min=1), default=1, show_default=True,
              help="torch CPU threads (the numbers are reproducible for a fixed count)")
def train_synth(out: Path, data: Path | None, seeds: str, threads: int) -> None:
    """Run the paper's ablation (every variant × seed) on synthetic data and write OUT/l2hcount-synth.

    Everything goes under OUT (never into the installed package): OUT/data, OUT/ablation (one
    run folder per variant and seed; a re-run resumes) and OUT/l2hcount-synth (the reference
    variant's seed-0 checkpoint with metrics.json, example input and card). To ship it, copy
    OUT/l2hcount-synth into zoo_l2hcount/checkpoints/ and paste the printed entry into catalog.toml.
    """
    from zoo.sdk import InputError

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds must be comma-separated integers such as 0,1,2, got {seeds!r}.") from None
    from zoo_l2hcount.train_synth import train_synthetic

    result = train_synthetic(out, data, seed_list, echo=click.echo, threads=threads)
    click.echo(result.table)
    click.echo(f"\nCheckpoint: {result.checkpoint}\nCatalog entry (paste into zoo_l2hcount/catalog.toml):\n")
    click.echo(result.entry)
