"""Run the ``zoo`` command line in-process from a plugin's tests (core and plugin verbs alike)."""

from __future__ import annotations

from typing import Any


def run_cli(args: list[str], **kwargs: Any) -> Any:
    """Invoke ``zoo ARGS...`` with click's test runner and return its ``Result``.

    ``kwargs`` go to ``CliRunner.invoke`` (``input=``, ``env=``, ``catch_exceptions=``). The
    result has ``exit_code`` and ``output`` (stdout and stderr mixed, as click's runner has them).
    """
    from click.testing import CliRunner

    from zoo.cli.main import build_cli

    return CliRunner().invoke(build_cli(), args, **kwargs)
