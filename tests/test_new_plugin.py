"""``zoo new-plugin NAME [DIR]`` writes a plugin distribution that installs and passes its own tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from zoo.cli.new_plugin import new_plugin_command, plugin_names

PYTHON = Path(sys.executable)


def _env(site: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOO_")}
    return {**env, "PYTHONPATH": str(site), "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}


def test_the_generated_plugin_installs_registers_and_passes_its_own_tests(tmp_path: Path) -> None:
    out = tmp_path / "zoo-texture-lbp"
    result = CliRunner().invoke(new_plugin_command, ["texture-lbp", str(out)])
    assert result.exit_code == 0, result.output
    package = out / "zoo_texture_lbp"
    assert sorted(p.name for p in package.iterdir()) == [
        "__init__.py", "catalog.toml", "cli.py", "datasets.py", "model.py", "plugin.py", "synth.py", "train_synth.py",
    ]
    assert 'texture_lbp = "zoo_texture_lbp.plugin"' in (out / "pyproject.toml").read_text()
    assert not re.search(r"\{\{\w+\}\}", "".join(p.read_text() for p in out.rglob("*") if p.is_file()))
    site = tmp_path / "site"
    subprocess.run(
        [PYTHON, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(site), str(out)],
        check=True, capture_output=True, text=True, timeout=240,
    )
    shown = subprocess.run([PYTHON.with_name("zoo"), "plugins"], capture_output=True, text=True, env=_env(site), timeout=120)
    assert "texture_lbp (zoo-texture-lbp 0.1.0): ok, 2 components, 1 catalog entries" in shown.stdout
    tests = subprocess.run(
        [PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:dash", "tests"],
        cwd=out, capture_output=True, text=True, env=_env(site), timeout=600,
    )
    assert tests.returncode == 0, tests.stdout[-3000:] + tests.stderr[-2000:]
    assert "4 passed" in tests.stdout


def test_a_bad_name_or_a_used_folder_is_refused_without_writing(tmp_path: Path) -> None:
    result = CliRunner().invoke(new_plugin_command, ["Texture_LBP", str(tmp_path / "x")])
    assert result.exit_code == 1 and "must be lower-case letters and digits" in str(result.exception)
    assert not (tmp_path / "x").exists()
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "keep.txt").write_text("mine")
    result = CliRunner().invoke(new_plugin_command, ["ok", str(tmp_path / "used")])
    assert result.exit_code == 1 and "not empty" in str(result.exception)
    assert [p.name for p in (tmp_path / "used").iterdir()] == ["keep.txt"]


def test_names_are_spelled_once_for_every_place() -> None:
    assert plugin_names("texture-lbp2") == {
        "name": "texture-lbp2", "dist": "zoo-texture-lbp2", "pkg": "zoo_texture_lbp2", "ep": "texture_lbp2",
        "cls": "TextureLbp2", "zoo_version": plugin_names("x")["zoo_version"],
    }
