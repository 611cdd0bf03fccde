"""``zoo train``, ``zoo eval``, ``zoo plot``: the engine's command line.

torch is imported inside the commands, so ``zoo --help`` stays fast. Under
``torchrun --nproc_per_node N -m zoo.cli.main train ...`` the same command trains data-parallel.
"""

from __future__ import annotations

import json
from typing import Any

import click


def _echo_result(result: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    for key, value in result.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            # One line per item (e.g. one per input file of `zoo predict`), readable at a glance.
            click.echo(f"{key}:")
            for item in value:
                click.echo("  - " + ", ".join(f"{k}: {_short(v)}" for k, v in item.items()))
            continue
        click.echo(f"{key}: {_short(value)}")


def _short(value: Any) -> str:
    return json.dumps(value, default=str) if isinstance(value, (dict, list)) else str(value)


@click.command("train")
@click.argument("recipe")
@click.argument("overrides", nargs=-1)
@click.option("--data", type=click.Path(), help="Dataset root folder (sets root of train and eval data).")
@click.option("--out", type=click.Path(), help="Run folder (default runs/<name>).")
@click.option("--resume", is_flag=True, help="Continue from the newest checkpoint in the run folder.")
@click.option("--from-scratch", is_flag=True, help="Random init: set every `pretrained` field of the model to false.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def train(
    recipe: str, overrides: tuple[str, ...], data: str | None, out: str | None, resume: bool, from_scratch: bool,
    as_json: bool,
) -> None:
    """Train RECIPE (a catalog name or a recipe .toml) and write a publishable folder.

    OVERRIDES are key=value: model.<field> (e.g. model.memory=None,
    model.experts.texture=expert/lbp-top), dataset.<field>, eval_dataset.<field>,
    train.<field> (e.g. train.epochs=3). Values are JSON/TOML literals or plain strings.
    """
    from zoo.engine.runner import run_recipe

    result = run_recipe(recipe, data=data, out=out, resume=resume, overrides=overrides, from_scratch=from_scratch)
    if result.publish_dir is None:  # not rank 0 under torchrun: rank 0 reports
        return
    _echo_result(
        {
            "run_dir": str(result.out_dir),
            "publish_dir": str(result.publish_dir),
            "step": result.summary["step"],
            "epoch": result.summary["epoch"],
            "eval": result.summary["eval"],
            "measured_on": result.summary["measured_on"],
            "synthetic": result.summary["synthetic"],
        },
        as_json,
    )


@click.command("eval")
@click.argument("name")
@click.argument("overrides", nargs=-1)
@click.option("--data", type=click.Path(), help="Dataset root folder.")
@click.option("--dataset", "dataset_name", help="Registered dataset (default: the catalog entry's eval_dataset).")
@click.option("--batch-size", type=click.IntRange(min=1), default=8, show_default=True, help="Items per batch.")
@click.option("--json", "as_json", is_flag=True, help="Print the metrics as JSON.")
def eval_(
    name: str, overrides: tuple[str, ...], data: str | None, dataset_name: str | None, batch_size: int, as_json: bool
) -> None:
    """Evaluate the checkpoint NAME on a dataset; OVERRIDES (field=value) change the dataset config."""
    from zoo.engine.evaluation import evaluate_checkpoint

    result = evaluate_checkpoint(name, data=data, dataset_name=dataset_name, overrides=overrides, batch_size=batch_size)
    _echo_result(result, as_json)


@click.command("plot")
@click.argument("run_dir", type=click.Path(exists=True, file_okay=False))
@click.option("--out", "out_dir", type=click.Path(), help="Where to write the PNGs (default: RUN_DIR).")
def plot(run_dir: str, out_dir: str | None) -> None:
    """Draw the curves of RUN_DIR/metrics.jsonl to loss.png, lr.png and eval.png."""
    from zoo.engine.plotting import plot_run

    for path in plot_run(run_dir, out_dir):  # its InputError is an `error:` line, like every verb's
        click.echo(str(path))


from zoo.cli.ablate_commands import ablate  # noqa: E402  (command groups of their own modules)
from zoo.cli.recipe_commands import recipe  # noqa: E402

# `zoo predict` lives in zoo/cli/predict_commands.py
COMMANDS = (train, eval_, plot, recipe, ablate)
