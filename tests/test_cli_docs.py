"""docs/cli.md's command table is the core's command tree: every verb, argument and option, no more."""

from __future__ import annotations

import re
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]


def _core_commands() -> dict[str, click.Command]:
    """``{"list": ..., "recipe explain": ...}``: every core verb (groups by their subcommands)."""
    from zoo.cli import catalog_commands, engine_commands, hub_commands, predict_commands

    found: dict[str, click.Command] = {}

    def walk(command: click.Command, path: str) -> None:
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                walk(sub, f"{path} {name}")
        else:
            found[path] = command

    for module in (catalog_commands, hub_commands, predict_commands, engine_commands):
        for command in module.COMMANDS:
            walk(command, command.name)
    return found


def _documented() -> dict[str, tuple[list[str], list[str]]]:
    """``{verb: (argument names, option names)}`` from the table under "## Commands"."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text[text.index("## Commands"):]
    section = section[: section.index("\n## ", 1)]
    rows: dict[str, tuple[list[str], list[str]]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].startswith("`zoo "):
            continue
        verb = cells[0].strip("`").removeprefix("zoo ")
        arguments = [re.sub(r"[\[\].]", "", a) for a in re.findall(r"`([^`]+)`", cells[1])]
        options = [o.split()[0] for cell in re.findall(r"`([^`]+)`", cells[2]) for o in cell.split("/")]
        assert verb not in rows, f"docs/cli.md lists `zoo {verb}` twice"
        rows[verb] = (arguments, options)
    return rows


def _actual(command: click.Command) -> tuple[list[str], list[str]]:
    arguments = [p.human_readable_name for p in command.params if isinstance(p, click.Argument)]
    options = [o for p in command.params if isinstance(p, click.Option) for o in (*p.opts, *p.secondary_opts)]
    return arguments, [o for o in options if o not in ("-h", "--help")]


def test_the_command_table_matches_the_command_tree() -> None:
    documented, actual = _documented(), _core_commands()
    assert sorted(documented) == sorted(actual), "docs/cli.md's command table and `zoo --help` list other verbs"
    for verb, command in actual.items():
        arguments, options = _actual(command)
        doc_arguments, doc_options = documented[verb]
        assert doc_arguments == arguments, f"zoo {verb}: docs/cli.md says {doc_arguments}, the command takes {arguments}"
        assert sorted(doc_options) == sorted(options), f"zoo {verb}: docs/cli.md says {doc_options}, --help says {options}"


def test_every_documented_option_in_the_prose_exists() -> None:
    """An option named anywhere in docs/cli.md as `zoo VERB ... --opt` belongs to that verb."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    actual = _core_commands()
    checked = 0
    for snippet in re.findall(r"`(zoo [^`]+)`", text):
        words = snippet.split()[1:]
        verb = next((v for v in sorted(actual, key=len, reverse=True) if words[: len(v.split())] == v.split()), None)
        if verb is None:
            continue
        _, options = _actual(actual[verb])
        for word in words:
            if word.startswith("--"):
                assert word.split("=")[0] in options, f"docs/cli.md shows `{snippet}`, but zoo {verb} has no {word}"
                checked += 1
    assert checked >= 5  # the prose does name options (the regex still finds them)
