import sys
from pathlib import Path

import pytest

# recipe_toys is imported by these tests and named by import string in the registry.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def recipe_toys(sandbox):
    """Register the test backbone (the toy plugin provides model/toy-fusion and dataset/toy-blobs)."""
    from recipe_toys import register

    register()


@pytest.fixture
def zoo_cli():
    """Invoke the ``zoo`` command line in-process; returns (exit code, output)."""
    from click.testing import CliRunner

    from zoo.cli.main import build_cli

    cli, runner = build_cli(), CliRunner()

    def invoke(*args):
        result = runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
        return result.exit_code, result.output

    return invoke
