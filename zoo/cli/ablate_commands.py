"""``zoo ablate``: variants × seeds of any recipe through the engine, as a table with error bars.

``zoo ablate RECIPE --swap KEY=VALUE ... [--grid]``, ``zoo ablate --spec <plugin>:<name>``, each with
``--seeds 0,1,2 --out DIR [--data PATH] [--plan]``, and ``zoo ablate collect DIR...``. The verb is the
core's: a plugin's own ``ablate`` is no longer added. The package doing the work is
:mod:`zoo.ablation` (imported inside the commands so that ``zoo --help`` stays fast).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click


class _DefaultToRun(click.Group):
    """``zoo ablate ARGS`` means ``zoo ablate run ARGS`` unless ARGS start with a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _seeds(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        seeds = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected integers separated by commas, e.g. 0,1,2") from None
    if not seeds:
        raise click.BadParameter("name at least one seed, e.g. --seeds 0,1,2")
    return seeds


def _echo(line: str) -> None:
    click.echo(line, err=True)


@click.group("ablate", cls=_DefaultToRun, invoke_without_command=False)
def ablate() -> None:
    """Ablations: train and evaluate variants of a recipe over seeds; mean ± std tables and a chart.

    \b
    zoo ablate RECIPE --swap KEY=VALUE [--swap ...] [--grid] [--seeds 0,1,2] [--out DIR] [--data PATH]
    zoo ablate --spec l2hcount:paper [--seeds ...] [--out DIR] [--data PATH] [--plan]
    zoo ablate collect DIR [DIR ...]
    """


@ablate.command("run")
@click.argument("args", nargs=-1)
@click.option("--spec", "spec_ref", help="An ablation spec: <plugin>:<name> (catalog) or FILE.toml:<name>.")
@click.option("--swap", "swaps", multiple=True, help="A variant: KEY=VALUE (model.memory=None, model.experts.b=expert/lbp-top).")
@click.option("--grid", is_flag=True, help="Every combination of the swapped keys (default: one swap at a time).")
@click.option("--seeds", help="Comma-separated seeds (default: the spec's; 0,1,2 for --swap).")
@click.option("--data", type=click.Path(), help="Dataset root (default: the spec's make_data writes OUT/data).")
@click.option("--out", type=click.Path(file_okay=False), help="Ablation folder (default runs/ablation-<name>).")
@click.option("--from-scratch", is_flag=True, help="Every variant from random init (every `pretrained` field false).")
@click.option("--plan", "plan_only", is_flag=True, help="Print one `zoo train` command per run instead of running.")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON (default: markdown).")
def run(args: tuple[str, ...], spec_ref: str | None, swaps: tuple[str, ...], grid: bool, seeds: str | None,
        data: str | None, out: str | None, from_scratch: bool, plan_only: bool, as_json: bool) -> None:
    """Run (or --plan) an ablation. ARGS: RECIPE then KEY=VALUE overrides for every variant; with
    --spec, ARGS are only overrides. Finished runs in OUT are skipped, interrupted ones resumed."""
    from zoo.ablation import make_plan, run_plan, spec_from_swaps
    from zoo.ablation.spec import load_spec, slug

    if spec_ref is not None:
        if swaps or grid:
            raise click.UsageError("--swap/--grid build a spec from RECIPE; they do not combine with --spec")
        spec = load_spec(spec_ref)
        spec = spec.model_copy(update={"overrides": [*spec.overrides, *args]}) if args else spec
    else:
        if not args:
            raise click.UsageError("name a RECIPE (or --spec <plugin>:<name>)")
        spec = spec_from_swaps(args[0], swaps, grid=grid, overrides=args[1:])
    if from_scratch:
        spec = spec.model_copy(update={"from_scratch": True})
    folder = Path(out or f"runs/ablation-{slug(spec.name.replace(':', '-'))}")
    plan = make_plan(spec, folder, data, _seeds(seeds))
    if plan_only:
        from zoo.ablation.run import write_plan

        write_plan(plan)
        click.echo("\n".join(plan.commands()))
        return
    run_plan(plan, _echo)
    _report(folder, [folder], as_json)


@ablate.command("collect")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False))
@click.option("--out", type=click.Path(file_okay=False), help="Where to write ablation.json/.md/.png (default: the first DIR).")
@click.option("--json", "as_json", is_flag=True, help="Print the table as JSON (default: markdown).")
def collect(folders: tuple[str, ...], out: str | None, as_json: bool) -> None:
    """Build the table from finished runs: ablation folders (--out of zoo ablate, e.g. after running
    the --plan commands elsewhere) or folders holding zoo train run folders."""
    _report(Path(out or folders[0]), [Path(f) for f in folders], as_json)


def _report(out: Path, folders: list[Path], as_json: bool) -> None:
    import json

    from zoo.ablation import collect_dirs, markdown_table, write_outputs

    table: dict[str, Any] = collect_dirs(folders, base=out)
    written = write_outputs(table, out)
    click.echo(json.dumps(table, indent=2) if as_json else markdown_table(table))
    if table["missing"]:
        _echo(f"not finished (left out of the table): {', '.join(table['missing'])}")
    _echo("wrote " + ", ".join(str(p) for p in written))


COMMANDS = (ablate,)
