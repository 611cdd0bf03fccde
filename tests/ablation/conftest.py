"""Fixtures of the ablation tests: the uninterrupted toy ablation (once per module) and the CLI."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))  # toy_ablation: the tiny recipe and its spec

from toy_ablation import write_spec  # noqa: E402


@pytest.fixture(scope="session")
def direct(tmp_path_factory):
    """The uninterrupted ablation (run once per session): (spec ref, OUT, table)."""
    from zoo.ablation import run_spec

    root = tmp_path_factory.mktemp("direct")
    ref = write_spec(root / "spec")
    out = root / "out"
    return ref, out, run_spec(ref, out=out)


@pytest.fixture
def zoo_cli():
    """Invoke the ``zoo`` command line in-process; returns (exit code, stdout, stderr)."""
    from click.testing import CliRunner

    from zoo.cli.main import build_cli

    cli, runner = build_cli(), CliRunner()

    def invoke(*args):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.stdout, result.stderr

    return invoke
