"""The plugin walkthrough in docs/architecture.md shows the tested third-party plugin verbatim."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "tests" / "plugins" / "thirdparty_lbp"


def _code_blocks(text: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r"```(?:toml|python)\n(.*?)```", text, flags=re.S)]


def test_walkthrough_files_match_the_installed_test_plugin() -> None:
    blocks = _code_blocks((ROOT / "docs" / "architecture.md").read_text(encoding="utf-8"))
    for path in ("pyproject.toml", "zoo_thirdparty_lbp/plugin.py", "zoo_thirdparty_lbp/catalog.toml", "zoo_thirdparty_lbp/expert.py"):
        content = (PLUGIN / path).read_text(encoding="utf-8")
        assert content in blocks, f"docs/architecture.md no longer shows {path} as it is"
