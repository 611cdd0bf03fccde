"""The README's "Use" section runs as written: every block marked ``<!-- predict: NAME -->``.

A block marked ``<!-- predict: NAME, continued -->`` runs after the one before it, in its namespace.
Every in-tree plugin implements the predict API, so a block whose model does not fails; only a
checkpoint of another (third-party) plugin without it is skipped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from zoo.catalog import get_catalog
from zoo.plugins import get_host
from zoo.predicting import implements_predict

README = Path(__file__).resolve().parents[1] / "README.md"
_BLOCK = re.compile(r"<!-- predict: ([\w.-]+)(, continued)? -->\n```python\n(.*?)```", re.S)


def _chains() -> dict[str, list[str]]:
    """Checkpoint name → its blocks in order (a block and its continuations)."""
    chains: dict[str, list[str]] = {}
    for name, continued, code in _BLOCK.findall(README.read_text(encoding="utf-8")):
        assert not continued or name in chains, f"README: a continued block of {name} comes first"
        chains.setdefault(name, []).append(code)
    return chains


def test_the_use_section_shows_predict_for_every_published_method() -> None:
    published = {n for n, e in get_catalog().entries.items() if e.status == "published" and not n.startswith("toy")}
    assert published <= set(_chains()), f"README Use section lacks {sorted(published - set(_chains()))}"


@pytest.mark.parametrize("name", sorted(_chains()))
def test_readme_predict_block_runs_as_written(name, tmp_path, monkeypatch, capsys, in_tree_distributions) -> None:
    entry = get_catalog().get(name)
    if not implements_predict(get_host().registry.resolve(entry.model).load_class()):
        assert entry.provider not in in_tree_distributions, f"{entry.model} ({entry.provider}) does not implement the predict API"
        pytest.skip(f"{entry.model} ({entry.provider}, not an in-tree plugin) does not implement the predict API")
    monkeypatch.chdir(tmp_path)  # the blocks write predictions/ into the working directory
    namespace: dict = {}
    for code in _chains()[name]:
        exec(compile(code, f"README.md ({name})", "exec"), namespace)
    printed = capsys.readouterr().out
    assert printed.strip(), f"the {name} block printed nothing"
    pictures = list((tmp_path / "predictions").glob("*.png"))
    assert pictures, f"the {name} block drew no picture"
