"""Entry point of the ``zoo`` command: the core commands plus those plugins add."""

from __future__ import annotations

import sys

import click

from zoo._version import __version__
from zoo.errors import ZooError


class ZooGroup(click.Group):
    """A click group that turns :class:`ZooError` into a one-line message and exit status 1."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except ZooError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            ctx.exit(1)


@click.group(cls=ZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoo")
def cli() -> None:
    """zoo: a plugin-based model zoo (list, inspect, download, verify, load, train, publish)."""


def _add_core_commands() -> None:
    from zoo.cli import catalog_commands, hub_commands

    for command in (*catalog_commands.COMMANDS, *hub_commands.COMMANDS):
        cli.add_command(command)
    try:
        from zoo.cli import engine_commands
    except ImportError:  # the engine's CLI is optional until torch is installed
        return
    for command in engine_commands.COMMANDS:
        cli.add_command(command)


def _add_plugin_commands() -> None:
    # Plugins are loaded only to add their verbs; a broken plugin is reported by `zoo plugins`.
    from zoo.plugins import get_host

    host = get_host()
    for impl in host.manager.hook.zoo_register_commands.get_hookimpls():
        try:
            impl.function(cli=cli)
        except Exception as exc:  # one plugin's CLI must not break the others
            status = host.statuses.get(impl.plugin_name)
            if status is not None:
                status.error = f"zoo_register_commands failed: {type(exc).__name__}: {exc}"


def build_cli() -> click.Group:
    """The ``zoo`` group with the core's commands and every loaded plugin's."""
    _add_core_commands()
    _add_plugin_commands()
    return cli


def main(argv: list[str] | None = None) -> None:
    """Run the ``zoo`` command line."""
    build_cli()
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="zoo")


if __name__ == "__main__":  # pragma: no cover
    main()
