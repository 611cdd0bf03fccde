"""The plugin walkthrough in docs/architecture.md shows what `zoo new-plugin` writes, verbatim."""

from __future__ import annotations

import re
from pathlib import Path

from zoo.cli.new_plugin import write_plugin

ROOT = Path(__file__).resolve().parents[1]
SHOWN = ("pyproject.toml", "zoo_texture_lbp/plugin.py", "zoo_texture_lbp/catalog.toml", "zoo_texture_lbp/model.py",
         "tests/test_conformance.py")


def _code_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"```(?:toml|python)\n(.*?)```", text, flags=re.S)]


def test_the_walkthrough_shows_the_files_zoo_new_plugin_writes(tmp_path: Path) -> None:
    blocks = _code_blocks((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    out = write_plugin("texture-lbp", tmp_path / "zoo-texture-lbp")
    for path in SHOWN:
        assert (out / path).read_text(encoding="utf-8") in blocks, f"docs/architecture.md no longer shows {path} as written"


def test_the_walkthrough_names_every_file_the_template_writes(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    walkthrough = text[text.index("## Writing a plugin"):text.index("## Errors")]
    out = write_plugin("texture-lbp", tmp_path / "zoo-texture-lbp")
    for path in out.rglob("*"):
        if path.is_file():
            assert path.name in walkthrough, f"the walkthrough's file tree misses {path.relative_to(out)}"


def test_the_sdk_section_names_every_sdk_export() -> None:
    import zoo.sdk

    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text[text.index("## The plugin SDK"):text.index("## The catalog")]
    missing = [name for name in zoo.sdk.__all__ if f"`{name}" not in section]
    assert not missing, f"docs/architecture.md 'The plugin SDK' does not list {missing}"
