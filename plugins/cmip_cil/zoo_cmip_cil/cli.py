"""``zoo cmip-cil ...`` verbs (heavy imports happen inside each command)."""

from __future__ import annotations

import json

import click


@click.group("cmip-cil")
def cmip_cil() -> None:
    """CMIP-CIL: synthetic data, incremental runs and the synthetic checkpoint."""


@cmip_cil.command("make-synth")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--train-per-class", default=16, show_default=True)
@click.option("--test-per-class", default=6, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--no-pyvista", is_flag=True, help="Only the procedural classes (no pyvista meshes).")
def make_synth(out: str, train_per_class: int, test_per_class: int, seed: int, no_pyvista: bool) -> None:
    """Write the seeded synthetic shape set to OUT in ModelNet40's raw .off layout."""
    from zoo_cmip_cil.synth import make_synthetic_modelnet

    names = make_synthetic_modelnet(out, train_per_class, test_per_class, seed, include_pyvista=not no_pyvista)
    click.echo(json.dumps({"out": out, "classes": names}))


@cmip_cil.command("train-synth")
@click.argument("out", type=click.Path(file_okay=False))
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Where to write the synthetic shapes.")
@click.option("--pretrain-epochs", type=int, default=None)
@click.option("--incremental-epochs", type=int, default=None)
def train_synth(out: str, data_dir: str | None, pretrain_epochs: int | None, incremental_epochs: int | None) -> None:
    """Pre-train and run CMIP-CIL and the baselines incrementally on synthetic shapes; save to OUT."""
    from zoo_cmip_cil.training import markdown_table, train_synth as run

    settings = {k: v for k, v in {"pretrain_epochs": pretrain_epochs, "incremental_epochs": incremental_epochs}.items() if v}
    summary = run(out, data_dir, settings)
    click.echo(markdown_table(summary["methods"]))
    click.echo(f"saved to {out} in {summary['seconds']} s")
