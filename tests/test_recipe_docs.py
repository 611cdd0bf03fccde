"""The docs/methods decision tables say what the recipes run (issue 12).

A table is announced by ``<!-- recipe: NAME -->`` on the line before its header
``| choice | paper | release | ours (default) | switch | why |``. Each row's ``switch`` cell holds
one or more backticked dotted keys into ``zoo recipe explain NAME --json``; its ``ours (default)``
cell a backticked JSON or TOML literal. A row fails when a key does not exist in the resolved
recipe or holds another value; a marker without a parsable table fails too (nothing is skipped
silently), and so does a method page without any table.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from zoo.engine.explain import explain_recipe, lookup
from zoo.engine.recipe import read_recipe

METHODS = Path(__file__).resolve().parents[1] / "docs" / "methods"
HEADER = ["choice", "paper", "release", "ours (default)", "switch", "why"]
MARKER = re.compile(r"^<!--\s*recipe:\s*(?P<name>[a-z0-9][a-z0-9_.+-]*)\s*-->\s*$")
TICKED = re.compile(r"`([^`]+)`")


@dataclass
class Row:
    line: int
    choice: str
    ours: str
    switch: str


@dataclass
class Table:
    page: Path
    line: int
    recipe: str
    rows: list[Row]
    problem: str = ""


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _table_after(lines: list[str], start: int) -> tuple[list[Row], str]:
    """The rows of the table beginning at ``lines[start]`` (the header), or a problem."""
    if start >= len(lines) or _cells(lines[start]) != HEADER:
        found = lines[start].strip() if start < len(lines) else "<end of file>"
        return [], f"expected the header | {' | '.join(HEADER)} | on the next line, found {found!r}"
    if start + 1 >= len(lines) or not re.fullmatch(r"\|?(\s*:?-+:?\s*\|)+\s*:?-*:?\s*\|?", lines[start + 1].strip()):
        return [], "the header is not followed by a |---| separator row"
    rows = []
    for number in range(start + 2, len(lines)):
        if not lines[number].strip().startswith("|"):
            break
        cells = _cells(lines[number])
        if len(cells) != len(HEADER):
            return [], f"line {number + 1} has {len(cells)} cells, expected {len(HEADER)}"
        rows.append(Row(number + 1, cells[0], cells[3], cells[4]))
    return rows, "" if rows else "the table has no rows"


def decision_tables(page: Path) -> list[Table]:
    """Every announced table of a docs page (with a ``problem`` when it cannot be parsed)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    tables = []
    for index, line in enumerate(lines):
        match = MARKER.match(line.strip())
        if match:
            rows, problem = _table_after(lines, index + 1)
            tables.append(Table(page, index + 1, match["name"], rows, problem))
    return tables


def parse_literal(text: str) -> Any:
    """A backticked JSON or TOML literal (``true``, ``0.5``, ``"csrnet"``, ``[1, 2]``, ``null``).

    Raises:
        ValueError: if the cell has no backticked literal or it is neither JSON nor TOML.
    """
    ticked = TICKED.findall(text)
    if len(ticked) != 1:
        raise ValueError(f"expected exactly one backticked literal, found {text!r}")
    try:
        return json.loads(ticked[0])
    except json.JSONDecodeError:
        try:
            return tomllib.loads(f"value = {ticked[0]}")["value"]
        except tomllib.TOMLDecodeError:
            raise ValueError(f"{ticked[0]!r} is not a JSON or TOML literal (strings need quotes)") from None


def same(documented: Any, resolved: Any) -> bool:
    """Equal values; numbers compare as numbers (``1e-4`` equals ``0.0001``), bools only to bools."""
    if isinstance(documented, bool) or isinstance(resolved, bool):
        return documented is resolved
    if isinstance(documented, (int, float)) and isinstance(resolved, (int, float)):
        return math.isclose(documented, resolved, rel_tol=1e-9, abs_tol=0.0)
    if isinstance(documented, list) and isinstance(resolved, list):
        return len(documented) == len(resolved) and all(map(same, documented, resolved))
    return documented == resolved


def row_problems(table: Table, explained: dict[str, Any]) -> list[str]:
    """Why each row disagrees with the resolved recipe (empty: the table tells the truth)."""
    problems = []
    for row in table.rows:
        where = f"{table.page.name}:{row.line} ({row.choice})"
        keys = TICKED.findall(row.switch)
        if not keys:
            problems.append(f"{where}: the switch cell names no backticked key: {row.switch!r}")
            continue
        try:
            documented = parse_literal(row.ours)
        except ValueError as exc:
            problems.append(f"{where}: ours (default): {exc}")
            continue
        for key in keys:
            try:
                resolved = lookup(explained, key)
            except KeyError as exc:
                problems.append(f"{where}: {exc.args[0]}")
                continue
            if not same(documented, resolved):
                problems.append(f"{where}: docs say `{key}` = {documented!r}, the recipe resolves to {resolved!r}")
    return problems


def _pages() -> list[Path]:
    return sorted(METHODS.glob("*.md"))


def _tables() -> list[Table]:
    return [table for page in _pages() for table in decision_tables(page)]


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.name)
def test_every_method_page_has_a_decision_table(page: Path) -> None:
    assert decision_tables(page), f"{page.name} has no `<!-- recipe: NAME -->` decision table"


@pytest.mark.parametrize("table", _tables(), ids=lambda t: f"{t.page.name}:{t.line}:{t.recipe}")
def test_a_decision_table_agrees_with_the_resolved_recipe(table: Table) -> None:
    assert not table.problem, f"{table.page.name}:{table.line}: <!-- recipe: {table.recipe} --> {table.problem}"
    explained = explain_recipe(read_recipe(table.recipe))
    problems = row_problems(table, explained)
    assert not problems, "\n".join(problems)


PAGE = """Intro.

<!-- recipe: toy -->
| choice | paper | release | ours (default) | switch | why |
|---|---|---|---|---|---|
| backbone init | ImageNet | — | `true` | `model.experts.a.config.pretrained` | as the paper |
| lr | 1e-3 | 1e-2 | `0.001` | `train.lr` | the paper's |
| head | linear | linear | `"head/toy-linear"` | `model.head.name` | |
| two keys | - | - | `false` | `dataset.config.augment`, `model.experts.a.config.pretrained` | |
| missing | - | - | `1` | `model.nope` | |
| no switch | - | - | `1` | — | |

<!-- recipe: broken -->
| choice | paper | ours | switch |
"""


def test_the_checker_catches_wrong_values_missing_keys_and_unparsable_tables(tmp_path):
    page = tmp_path / "m.md"
    page.write_text(PAGE, encoding="utf-8")
    good, broken = decision_tables(page)
    assert (good.recipe, good.line, len(good.rows), good.problem) == ("toy", 3, 6, "")
    assert broken.recipe == "broken" and "expected the header" in broken.problem
    explained = {
        "model": {"experts": {"a": {"name": "expert/x", "config": {"pretrained": True}}},
                  "head": {"name": "head/toy-linear", "config": {}}},
        "dataset": {"name": "dataset/d", "config": {"augment": False}},
        "train": {"lr": 0.001},
    }
    problems = row_problems(good, explained)
    assert len(problems) == 3, problems
    assert "m.md:9 (two keys): docs say `model.experts.a.config.pretrained` = False" in problems[0]
    assert "m.md:10 (missing): 'model.nope': no 'nope' under model (has: experts, head)" in problems[1]
    assert "m.md:11 (no switch): the switch cell names no backticked key" in problems[2]
    explained["train"]["lr"] = 0.01
    assert any("`train.lr` = 0.001, the recipe resolves to 0.01" in p for p in row_problems(good, explained))
    assert parse_literal("`'single'`") == "single" and parse_literal("`null`") is None
    with pytest.raises(ValueError, match="not a JSON or TOML literal"):
        parse_literal("`csrnet`")
    assert not same(1, True) and same(1e-4, 0.0001) and same([1, 2.0], [1, 2])
