"""``zoo cmip-cil ...``: write synthetic shapes, train the synthetic checkpoint (heavy imports inside).

Errors are the zoo's typed errors; the ``zoo`` command prints them as one line (no traceback).
"""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.group("cmip-cil")
def cmip_cil() -> None:
    """CMIP-CIL: synthetic shapes and the synthetic checkpoint."""


@cmip_cil.command("make-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--train-per-class", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--test-per-class", type=click.IntRange(min=1), default=8, show_default=True)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--no-pyvista", is_flag=True, help="Only the procedural classes (no pyvista meshes).")
@click.option("--overwrite", is_flag=True, help="replace OUT if it exists and is not empty")
def make_synth(out: Path, train_per_class: int, test_per_class: int, seed: int, no_pyvista: bool, overwrite: bool) -> None:
    """Write seeded SYNTHETIC shapes to OUT in ModelNet40's raw .off layout.

    OUT is built in a temporary folder and renamed at the end: a failed run leaves nothing.
    """
    from zoo_cmip_cil.synth import make_synthetic_modelnet

    names = make_synthetic_modelnet(out, train_per_class, test_per_class, seed, include_pyvista=not no_pyvista,
                                    overwrite=overwrite)
    click.echo(json.dumps({"out": str(out), "classes": names}))


@cmip_cil.command("train-synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--data", type=click.Path(path_type=Path), default=None,
              help="synthetic shapes from `zoo cmip-cil make-synth` (default: generated into OUT/ablation/data)")
@click.option("--seeds", default="0,1,2", show_default=True, help="training seeds of every variant")
def train_synth(out: Path, data: Path | None, seeds: str) -> None:
    """Run the paper's ablation (every variant × seed) on synthetic shapes and write OUT/cmip-cil-synth.

    Everything goes under OUT (never into the installed package): OUT/ablation (one run folder per
    variant and seed; a re-run resumes) and OUT/cmip-cil-synth (the reference variant's seed-0
    checkpoint with metrics.json, example input and card). To ship it, copy OUT/cmip-cil-synth into
    zoo_cmip_cil/checkpoints/ and paste the printed entry into catalog.toml.
    """
    from zoo.sdk import InputError

    try:
        seed_list = [int(s) for s in seeds.split(",") if s.strip()]
    except ValueError:
        raise InputError(f"--seeds must be comma-separated integers such as 0,1,2, got {seeds!r}.") from None
    if not seed_list:
        raise InputError("--seeds names no seed; give e.g. --seeds 0,1,2.")
    from zoo_cmip_cil.train_synth import train_synthetic

    result = train_synthetic(out, data, seed_list, echo=click.echo)
    click.echo(result.table)
    click.echo(f"\nCheckpoint: {result.checkpoint}\nCatalog entry (paste into zoo_cmip_cil/catalog.toml):\n")
    click.echo(result.entry)
