import sys
from pathlib import Path

import pytest

# The toy model module is shared by the tests and the torchrun worker scripts.
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def toys(sandbox):
    """``model/engine-toy`` and ``dataset/engine-toy`` registered in this test's fresh plugin host."""
    from toys import register_toys

    register_toys()


@pytest.fixture
def run():
    """``run(*args)``: invoke the ``zoo`` command in this process (arguments passed as strings) and
    return click's result; exceptions propagate, so a traceback fails the test instead of hiding in
    ``result.output``."""
    from click.testing import CliRunner

    from zoo.cli.main import build_cli

    cli, runner = build_cli(), CliRunner()
    return lambda *args: runner.invoke(cli, [str(a) for a in args], catch_exceptions=False)
