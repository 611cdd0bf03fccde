"""docs/architecture.md "What the zoo promises": every promise names tests, and every test it names exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"
_REF = re.compile(r"`(tests/[\w/.-]+\.py)::(\w+)`")


def _promises() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## What the zoo promises", 1)[1].split("\n## ", 1)[0]
    bullets = re.split(r"\n- \*\*", "\n" + section.split("\nWhat each source kind guarantees", 1)[0])
    return ["**" + b for b in bullets[1:]]


def _test_names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {node.name for node in ast.walk(tree) if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def test_the_promises_are_listed() -> None:
    promises = _promises()
    assert len(promises) >= 12
    for topic in ("pin", "Offline means zero connections", "bounded", "deleted", "traceback", "safetensors"):
        assert any(topic in p for p in promises), topic


def test_every_promise_names_tests_that_exist() -> None:
    missing = []
    for promise in _promises():
        refs = _REF.findall(promise)
        title = promise.split("**")[1]
        if not refs:
            missing.append(f"{title!r} names no test")
        for file, name in refs:
            path = ROOT / file
            if not path.is_file() or name not in _test_names(path):
                missing.append(f"{title!r}: {file}::{name} does not exist")
    assert missing == []
