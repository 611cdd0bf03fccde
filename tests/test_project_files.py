"""Project basics: the licence the metadata declares, and a wheel that ships py.typed and the licence."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_license_file_is_the_apache_2_text_the_metadata_declares() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "Apache-2.0" and project["name"] == "perception-zoo"
    text = (ROOT / "LICENSE").read_text()
    assert text.lstrip().startswith("Apache License\n                           Version 2.0, January 2004")
    assert "END OF TERMS AND CONDITIONS" in text and len(text.splitlines()) > 190


def test_the_wheel_ships_py_typed_the_license_and_the_registry(tmp_path) -> None:
    subprocess.run([sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(tmp_path)],
                   cwd=ROOT, check=True, capture_output=True, timeout=120)
    (wheel,) = tmp_path.glob("perception_zoo-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"zoo/py.typed", "zoo/registry.toml", "zoo/predicting.py", "zoo/serving/app.py"} <= names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert not any(n.startswith(("tests/", "plugins/")) for n in names)


def test_changelog_and_contributing_exist_and_name_the_distribution() -> None:
    assert "## [Unreleased]" in (ROOT / "CHANGELOG.md").read_text()
    contributing = (ROOT / "CONTRIBUTING.md").read_text()
    assert "perception-zoo" in contributing and "make test" in contributing and "make bench" in contributing
