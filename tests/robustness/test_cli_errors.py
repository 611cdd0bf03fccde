"""The CLI's error contract: usage errors exit 2, runtime errors exit 1, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from zoo.cli.main import ZooGroup
from zoo.errors import InputError


def _toy_cli() -> click.Group:
    """A root group like `zoo`'s with a plugin-style subgroup, to test the mechanism itself."""

    @click.group(cls=ZooGroup)
    def root() -> None:
        pass

    @click.group("plugin")
    def plugin() -> None:
        pass

    @plugin.command("crash")
    @click.option("--kind", type=click.Choice(["a", "b"]), default="a")
    def crash(kind: str) -> None:
        raise RuntimeError("internal detail\nsecond line")

    @plugin.command("refuse")
    def refuse() -> None:
        raise InputError("the input is bad; do this instead")

    root.add_command(plugin)
    return root


@pytest.fixture
def toy():
    runner = CliRunner()
    return lambda *args: runner.invoke(_toy_cli(), list(args))


def test_a_zoo_error_in_a_plugin_verb_is_one_line_and_exit_1(toy) -> None:
    result = toy("plugin", "refuse")
    assert result.exit_code == 1
    assert result.output == "error: the input is bad; do this instead\n"


def test_an_unexpected_exception_names_its_type_and_zoo_debug(toy) -> None:
    result = toy("plugin", "crash")
    assert result.exit_code == 1
    assert result.output.startswith("error: unexpected RuntimeError: internal detail")
    assert "ZOO_DEBUG=1" in result.output and "second line" not in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_usage_errors_keep_clicks_exit_2(toy) -> None:
    assert toy("plugin", "crash", "--kind", "zzz").exit_code == 2
    assert toy("plugin", "nope").exit_code == 2
    assert toy("plugin", "crash", "--bogus").exit_code == 2
    assert toy("plugin", "--help").exit_code == 0


def test_zoo_debug_shows_the_real_exception(toy, monkeypatch) -> None:
    monkeypatch.setenv("ZOO_DEBUG", "1")
    result = toy("plugin", "crash")
    assert isinstance(result.exception, RuntimeError)  # re-raised: click/python print the traceback


def _zoo(*args: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "ZOO_DEBUG": "", **env}
    code = "from zoo.cli.main import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=full_env, timeout=120)


def test_the_real_cli_prints_no_traceback_and_zoo_debug_does(sandbox) -> None:
    done = _zoo("download", "hf-hub:not a repo")
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert done.stderr.startswith("error: Bad Hub repository 'not a repo'")
    debug = _zoo("download", "hf-hub:not a repo", ZOO_DEBUG="1")
    assert debug.returncode == 1 and "Traceback (most recent call last)" in debug.stderr
    assert "SourceError" in debug.stderr
    usage = _zoo("list", "--kind", "bogus")
    assert usage.returncode == 2 and "Traceback" not in usage.stderr and "bogus" in usage.stderr
