"""docs/cli.md's command table is the core's command tree: every verb, argument and option, no more;
every `zoo VERB ... --option` that docs/cli.md, engine.md, ablation.md or architecture.md shows (inline
or in a code block) names an option of that verb; docs/ablation.md's example commands name real
recipes, specs and components."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

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


#: The docs whose `zoo ...` commands are checked against the click tree (plugin verbs are skipped).
PROSE_DOCS = ("cli.md", "engine.md", "ablation.md", "architecture.md")
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def zoo_commands(text: str) -> list[str]:
    """Every ``zoo ...`` command a markdown text shows: inline code, and code-block lines (a ``\\``
    continuation joined, comments dropped, ``&&``/``|``/``;`` chains split)."""
    commands = [c for c in re.findall(r"`(zoo [^`]+)`", text)]
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"(^|\s)#.*$", "", line)
            commands += [part.strip() for part in re.split(r"&&|\||;|>", line) if part.strip().startswith("zoo ")]
    return commands


def _verb_of(words: list[str], actual: dict[str, click.Command]) -> str | None:
    verb = next((v for v in sorted(actual, key=len, reverse=True) if words[: len(v.split())] == v.split()), None)
    if verb is None and words and f"{words[0]} run" in actual:
        return f"{words[0]} run"  # `zoo ablate ARGS` means `zoo ablate run ARGS`
    return verb


@pytest.mark.parametrize("doc", PROSE_DOCS)
def test_every_option_a_doc_shows_exists(doc: str) -> None:
    """An option shown anywhere in the doc as `zoo VERB ... --opt` (also `[--opt X]`) belongs to that verb."""
    actual = _core_commands()
    checked, wrong = 0, []
    for snippet in zoo_commands((ROOT / "docs" / doc).read_text(encoding="utf-8")):
        verb = _verb_of(snippet.split()[1:], actual)
        if verb is None:
            continue  # a plugin's verb (`zoo l2hcount make-synth`) or prose
        _, options = _actual(actual[verb])
        for option in _OPTION.findall(snippet):
            checked += 1
            if option not in options:
                wrong.append(f"docs/{doc} shows `{' '.join(snippet.split())}`, but zoo {verb} has no {option}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 3, f"docs/{doc}: the checker found only {checked} options (is the regex still right?)"


def test_the_command_finder_reads_inline_code_and_blocks() -> None:
    text = "Run `zoo train X [--resume] [--json|--markdown]`.\n```bash\nzoo ablate R --swap a=b \\\n    --seeds 0,1 # c --no\n" \
           "grep x plan.sh && zoo list --kind checkpoint > out\n```\n"
    assert zoo_commands(text) == ["zoo train X [--resume] [--json|--markdown]", "zoo ablate R --swap a=b      --seeds 0,1",
                                  "zoo list --kind checkpoint"]
    assert _OPTION.findall("zoo recipe explain N [--from-scratch] [--json|--markdown]") == ["--from-scratch", "--json", "--markdown"]


def test_the_ablation_docs_examples_name_real_recipes_specs_and_components() -> None:
    """`zoo ablate RECIPE`, `--spec <plugin>:<name>` and `--swap key=<kind>/<name>` in docs/ablation.md exist."""
    import shlex

    from zoo.catalog import get_catalog
    from zoo.registry import KINDS

    catalog, registry = get_catalog(), _registered()
    specs = {f"{a.owner}:{a.name}" for a in catalog.ablations.values()}
    wrong, checked = [], 0
    for command in zoo_commands((ROOT / "docs" / "ablation.md").read_text(encoding="utf-8")):
        words = shlex.split(command.replace("...", ""))[1:]
        if words[:1] != ["ablate"] or words[1:2] == ["collect"]:
            continue
        rest = words[1:]
        if rest and not rest[0].startswith("-") and rest[0] != rest[0].upper():  # RECIPE: a placeholder
            checked += 1
            if rest[0] not in catalog.entries:
                wrong.append(f"`{command}`: no catalog entry {rest[0]!r}")
        for flag, value in zip(rest, rest[1:]):
            if flag == "--spec" and ".toml:" not in value:
                checked += 1
                if value not in specs:
                    wrong.append(f"`{command}`: no ablation spec {value!r} (known: {sorted(specs)})")
            part = value.partition("=")[2]
            if flag == "--swap" and part.split("/")[0] in KINDS:
                checked += 1
                if part not in registry:
                    wrong.append(f"`{command}`: no component {part!r}")
    assert not wrong, "\n".join(wrong)
    assert checked >= 4


def _registered() -> set[str]:
    from zoo.plugins import get_host

    return set(get_host().registry.entries)
