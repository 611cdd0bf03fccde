"""The plugin SDK is the only door: plugins import ``zoo`` and ``zoo.sdk`` (tests also ``zoo.testing``).

An ast walk over every in-tree plugin (its package and its tests) and over the core: a plugin that
reaches into ``zoo.factory`` or ``zoo.engine.runner`` breaks when the core moves code; a core that
imports a ``zoo_*`` package is no longer the core.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import zoo
import zoo.sdk

ROOT = Path(__file__).resolve().parents[1]
#: What a plugin module may import from the core; its tests may also import zoo.testing.
ALLOWED = {"zoo", "zoo.sdk"}
ALLOWED_IN_TESTS = ALLOWED | {"zoo.testing"}


def _plugin_dirs() -> list[str]:
    dirs = [p for p in sorted((ROOT / "plugins").iterdir()) if (p / "pyproject.toml").is_file()]
    dirs += [p for p in sorted((ROOT / "tests" / "plugins").iterdir()) if (p / "pyproject.toml").is_file()]
    return [str(p.relative_to(ROOT)) for p in dirs]


def _is_test_file(path: Path) -> bool:
    return "tests" in path.parts[-3:-1] or path.name.startswith("test_") or path.name == "conftest.py"


def _zoo_name(attr: str) -> str:
    """``zoo`` for the top-level user API (``zoo.build``), else the submodule ``zoo.<attr>``."""
    return "zoo" if attr in zoo.__all__ else f"zoo.{attr}"


def core_imports_used(path: Path) -> list[tuple[int, str]]:
    """``(line, dotted module)`` of every ``zoo.*`` import and ``zoo.<attr>`` access in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    used: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            used += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "zoo"]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module == "zoo":
            used += [(node.lineno, _zoo_name(a.name)) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("zoo."):
            used.append((node.lineno, node.module))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "zoo":
            used.append((node.lineno, _zoo_name(node.attr)))
    return used


def boundary_violations(plugin_dir: Path) -> list[str]:
    """Every import of a plugin (package and tests) that goes around the SDK."""
    problems = []
    for path in sorted(plugin_dir.rglob("*.py")):
        allowed = ALLOWED_IN_TESTS if _is_test_file(path.relative_to(plugin_dir)) else ALLOWED
        for line, name in core_imports_used(path):
            if name not in allowed:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {name}")
    return problems


def test_the_walk_catches_every_way_around_the_sdk(tmp_path: Path) -> None:
    package = tmp_path / "zoo_x"
    package.mkdir()
    (package / "bad.py").write_text(
        "import zoo\nimport zoo.errors\nfrom zoo.factory import resolve\nfrom zoo import sdk, errors, build\n"
        "def f():\n    from zoo.engine.runner import run_recipe\n    return zoo.errors.InputError, zoo.build, zoo.testing\n"
    )
    (package / "good.py").write_text("import zoo\nimport zoo.sdk as sdk\nfrom zoo.sdk import InputError\nfrom . import bad\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("from zoo.testing import check_component\nfrom zoo.testing.conformance import x\n")
    found = [v.split(": ", 1)[1] for v in boundary_violations_in(tmp_path)]
    assert sorted(found) == sorted(
        ["zoo.errors", "zoo.factory", "zoo.errors", "zoo.engine.runner", "zoo.errors", "zoo.testing", "zoo.testing.conformance"]
    )


def boundary_violations_in(folder: Path) -> list[str]:
    # The same walk with paths shown relative to ``folder`` (for the self-test above).
    out = []
    for path in sorted(folder.rglob("*.py")):
        allowed = ALLOWED_IN_TESTS if _is_test_file(path.relative_to(folder)) else ALLOWED
        out += [f"{path.relative_to(folder)}:{line}: {name}" for line, name in core_imports_used(path) if name not in allowed]
    return out


@pytest.mark.parametrize("plugin", _plugin_dirs())
def test_plugins_import_only_the_sdk(plugin: str) -> None:
    problems = boundary_violations(ROOT / plugin)
    assert not problems, "imports outside zoo / zoo.sdk (tests: + zoo.testing):\n" + "\n".join(problems)


def test_the_core_never_imports_a_plugin() -> None:
    problems = []
    for path in sorted((ROOT / "zoo").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            problems += [f"{path.relative_to(ROOT)}:{node.lineno}: {n}" for n in names if n.startswith("zoo_")]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", zoo.sdk.__all__)
def test_every_sdk_name_resolves(name: str) -> None:
    assert getattr(zoo.sdk, name) is not None
