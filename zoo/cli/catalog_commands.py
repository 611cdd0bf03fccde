"""``zoo list``, ``zoo info``, ``zoo plugins``: read-only views that import no implementation.

``--json`` output is a stable interface (documented in docs/cli.md): a list of objects for
``list`` and ``plugins``, one object for ``info``. Fields are only ever added, never renamed.
"""

from __future__ import annotations

import json

import click


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


@click.command("list")
@click.argument("pattern", default="*")
@click.option("--kind", help="encoder, expert, memory, head, model, dataset, or checkpoint.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a JSON list).")
def list_command(pattern: str, kind: str | None, as_json: bool) -> None:
    """List components and catalog entries matching PATTERN (fnmatch, e.g. 'l2h*')."""
    from zoo.catalog import get_catalog
    from zoo.listing import describe_checkpoint, describe_component, list_names
    from zoo.plugins import get_host

    names = list_names(pattern, kind)
    catalog, registry = get_catalog().entries, get_host().registry.entries
    items = [describe_checkpoint(catalog[n]) if n in catalog else describe_component(registry[n]) for n in names]
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        click.echo(f"Nothing matches {pattern!r}" + (f" of kind {kind}" if kind else "") + ".")
        return
    rows = [
        (i["name"], i["kind"], i["status"] if i["type"] == "checkpoint" else i["provider"]["distribution"], i["summary"][:60])
        for i in items
    ]
    click.echo(_table(rows, ("NAME", "KIND", "STATUS/PROVIDER", "SUMMARY")))


@click.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a JSON object).")
def info_command(name: str, as_json: bool) -> None:
    """Describe a component (with its config defaults) or a catalog entry."""
    from zoo.listing import info

    described = info(name, defaults=True)
    if as_json:
        click.echo(json.dumps(described, indent=2, default=str))
        return
    for key, value in described.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, default=str)
        click.echo(f"{key:>10}: {value}")


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a JSON list).")
@click.option("--errors", "errors_only", is_flag=True, help="Only plugins that failed to load.")
def plugins_command(as_json: bool, errors_only: bool) -> None:
    """Show discovered plugins, what each provides, and why any failed to load."""
    from zoo.plugins import get_host

    statuses = [s.as_dict() for s in get_host().statuses.values()]
    if errors_only:
        statuses = [s for s in statuses if s["error"]]
    if as_json:
        click.echo(json.dumps(statuses, indent=2))
        return
    if not statuses:
        click.echo("No zoo plugins found." if not errors_only else "No plugin errors.")
        return
    for s in statuses:
        state = "ok" if s["loaded"] else "FAILED"
        click.echo(f"{s['name']} ({s['distribution']} {s['version']}): {state}, "
                   f"{len(s['components'])} components, {len(s['catalog'])} catalog entries")
        if s["error"]:
            click.secho(f"    {s['error']}", fg="red")


COMMANDS = (list_command, info_command, plugins_command)
