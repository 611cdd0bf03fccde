"""``zoo list``, ``zoo info``, ``zoo plugins``: read-only views of what is registered and catalogued
(and ``zoo new-plugin``, which writes a new plugin distribution: :mod:`zoo.cli.new_plugin`).

``--json`` output is a stable interface (documented in docs/cli.md): a list of objects for
``list`` and ``plugins``, one object for ``info``. Fields are only ever added, never renamed.
Warnings about plugins that failed to load go to stderr, so ``--json`` output stays parseable.
"""

from __future__ import annotations

import json
from typing import Any

import click

from zoo.cli.new_plugin import new_plugin_command
from zoo.registry import KINDS

#: ``zoo list --kind`` choices: the component kinds, and ``checkpoint`` for catalog entries.
LIST_KINDS: tuple[str, ...] = (*KINDS, "checkpoint")


def _table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, *rows]]
    return "\n".join(lines)


def _warn_about_failed_plugins() -> None:
    from zoo.plugins import get_host

    host = get_host()
    failed = [s.name for s in host.failed()]
    partial = [s.name for _, s in sorted(host.statuses.items()) if s.loaded and not s.ok]
    problems = [f"{len(failed)} plugin(s) failed to load ({', '.join(failed)})"] if failed else []
    problems += [f"{len(partial)} plugin(s) failed to add their commands ({', '.join(partial)})"] if partial else []
    problems += ["the plugin selection is wrong"] if host.selection_errors and not problems else []
    if problems:
        click.secho(f"warning: {'; '.join(problems)}; see `zoo plugins --errors`.", fg="yellow", err=True)


def _items(pattern: str, kind: str | None, published: bool) -> list[dict[str, Any]]:
    from zoo.catalog import get_catalog
    from zoo.listing import describe_checkpoint, describe_component, list_names
    from zoo.plugins import get_host

    registry = get_host().registry.entries
    # Components alone never read the catalog: a broken registry.toml fails only what needs it.
    catalog = get_catalog().entries if published or kind in (None, "checkpoint") else {}
    if published:
        return [describe_checkpoint(catalog[n]) for n in list_names(pattern, "checkpoint") if catalog[n].status == "published"]
    return [describe_checkpoint(catalog[n]) if n in catalog else describe_component(registry[n]) for n in list_names(pattern, kind)]


@click.command("list")
@click.argument("pattern", default="*")
@click.option("--kind", type=click.Choice(LIST_KINDS), help="Only this kind (checkpoint: catalog entries).")
@click.option("--published", is_flag=True, help="Only catalog entries with published weights (what zoo.load can load).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a JSON list).")
def list_command(pattern: str, kind: str | None, published: bool, as_json: bool) -> None:
    """List components and catalog entries matching PATTERN (fnmatch, e.g. 'l2h*')."""
    if published and kind not in (None, "checkpoint"):
        raise click.UsageError(f"--published lists catalog entries; it cannot be combined with --kind {kind}.")
    items = _items(pattern, kind, published)
    _warn_about_failed_plugins()
    if as_json:
        click.echo(json.dumps(items, indent=2))
        return
    if not items:
        what = " published checkpoint" if published else (f" of kind {kind}" if kind else "")
        click.echo(f"Nothing{what} matches {pattern!r}.")
        return
    rows = [
        (i["name"], i["kind"], i["status"] if i["type"] == "checkpoint" else i["provider"]["distribution"], i["summary"][:60])
        for i in items
    ]
    click.echo(_table(rows, ("NAME", "KIND", "STATUS/PROVIDER", "SUMMARY")))


def describe_source(source: str) -> dict[str, Any]:
    """Fetch a source's ``config.json`` (verified like any load) and describe the model it holds.

    Raises:
        HubUnavailableError, WeightsNotFoundError: if the file cannot be fetched.
        ConfigError: if it is not a zoo config.json.
    """
    from zoo.loading import fetch
    from zoo.saving import read_saved_config
    from zoo.weights import CONFIG_NAME

    resolved = fetch(source, filenames=(CONFIG_NAME,))
    saved = read_saved_config(resolved.files[CONFIG_NAME])
    return {
        "name": source,
        "type": "source",
        "source": str(resolved.source),
        "model": saved.model,
        "config": saved.config,
        "components": saved.components,
        "zoo_version": saved.zoo_version,
        "summary": saved.card.summary,
        "metrics": [m.model_dump(exclude_none=True) for m in saved.card.metrics],
    }


@click.command("info")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a JSON object).")
def info_command(name: str, as_json: bool) -> None:
    """Describe a component (with its config defaults), a catalog entry, or a source.

    NAME may be a source (hf-hub:org/repo@<commit>, local-dir:PATH): its config.json is fetched
    (into the HF cache) and the model it describes is shown.
    """
    from zoo.fetching import FOLDER_PREFIXES
    from zoo.listing import info
    from zoo.sources import is_source

    is_path = is_source(name) or name.startswith(FOLDER_PREFIXES)  # a folder path, like zoo.load
    described = describe_source(name) if is_path else info(name, defaults=True)
    if as_json:
        click.echo(json.dumps(described, indent=2, default=str))
        return
    for key, value in described.items():
        if isinstance(value, (dict, list)):
            value = json.dumps(value, default=str)
        click.echo(f"{key:>11}: {value}")


@click.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (a JSON list).")
@click.option("--errors", "errors_only", is_flag=True, help="Only plugins that failed (to load, or to add their commands); exit 1 if any did.")
def plugins_command(as_json: bool, errors_only: bool) -> None:
    """Show discovered plugins, what each provides, and why any failed to load."""
    from zoo.plugins import get_host

    host = get_host()
    statuses = [s.as_dict() for _, s in sorted(host.statuses.items())]
    if errors_only:
        statuses = [s for s in statuses if not s["ok"]]
    for problem in host.selection_errors:
        click.secho(f"error: {problem}", fg="red", err=as_json)
    if as_json:
        click.echo(json.dumps(statuses, indent=2))
    elif not statuses and not host.selection_errors:
        click.echo("No plugin errors." if errors_only else "No zoo plugins found.")
    for s in [] if as_json else statuses:
        click.echo(f"{s['name']} ({s['distribution']} {s['version']}): {s['state']}, "
                   f"{len(s['components'])} components, {len(s['catalog'])} catalog entries")
        if s["error"]:
            click.secho(f"    {s['error']}", fg="red")
    if errors_only and (statuses or host.selection_errors):
        click.get_current_context().exit(1)


COMMANDS = (list_command, info_command, plugins_command, new_plugin_command)
