"""``zoo recipe explain NAME``: what a recipe will run, every default resolved (built on the meta device only)."""

from __future__ import annotations

import json
from typing import Any

import click

#: Sections of the explained recipe, in the order people read them.
SECTIONS = ("model", "pretrained", "dataset", "augmentations", "eval_dataset", "protocol", "runner", "stages", "train")


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"a": {"b": 1}}`` → ``[("a.b", 1)]``: the dotted keys the docs tables and overrides use.

    Empty tables stay as one row (``{}``) so that nothing silently disappears.
    """
    if isinstance(value, dict) and value:
        rows = []
        for key, item in value.items():
            rows += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return rows
    return [(prefix, value)]


def _literal(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def render_text(explained: dict[str, Any]) -> str:
    """One ``dotted.key = literal`` line per setting, grouped by section."""
    lines = [f"recipe {explained['name']} ({explained['architecture']})"]
    if not explained["imposed"]["read"]:
        lines.append(f"# note: {explained['imposed']['note']}")
    for section in SECTIONS:
        lines.append("")
        lines += [f"{key} = {_literal(value)}" for key, value in flatten(explained[section], section)]
    return "\n".join(lines) + "\n"


def render_markdown(explained: dict[str, Any]) -> str:
    """One markdown table per section (``| key | value |``), keys as ``zoo train`` overrides name them."""
    out = [f"# Recipe `{explained['name']}` (`{explained['architecture']}`)", ""]
    if not explained["imposed"]["read"]:
        out += [f"> Note: {explained['imposed']['note']}", ""]
    for section in SECTIONS:
        out += [f"## {section}", "", "| key | value |", "|---|---|"]
        out += [f"| `{key}` | `{_literal(value)}` |" for key, value in flatten(explained[section], section)]
        out.append("")
    return "\n".join(out)


@click.group("recipe")
def recipe() -> None:
    """Inspect recipes (catalog entries with a recipe table, or recipe .toml files)."""


@recipe.command("explain")
@click.argument("name")
@click.argument("overrides", nargs=-1)
@click.option("--data", type=click.Path(), help="Dataset root folder (as for zoo train).")
@click.option("--from-scratch", is_flag=True, help="Show the recipe with every pretrained field switched off.")
@click.option("--json", "as_json", is_flag=True, help="Print the resolved recipe as JSON.")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print it as markdown tables.")
def explain(
    name: str, overrides: tuple[str, ...], data: str | None, from_scratch: bool, as_json: bool, as_markdown: bool
) -> None:
    """Print what `zoo train NAME [OVERRIDES]` would run: the model config with every default (parts
    as the model builds them), datasets with their defaults, pretrained backbones, augmentations, protocol,
    runner and stages, train settings. Keys are the dotted keys overrides use."""
    from zoo.engine.explain import explain_recipe
    from zoo.engine.runner import resolve_run

    if as_json and as_markdown:
        raise click.UsageError("choose one of --json and --markdown")
    resolved, _ = resolve_run(name, data, None, overrides, from_scratch)
    explained = explain_recipe(resolved)
    if as_json:
        click.echo(json.dumps(explained, indent=2, ensure_ascii=False))
    elif as_markdown:
        click.echo(render_markdown(explained))
    else:
        click.echo(render_text(explained), nl=False)


COMMANDS = (recipe,)
