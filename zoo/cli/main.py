"""Entry point of the ``zoo`` command: the core commands plus those plugins add.

Errors never reach the user as a Python traceback (set ``ZOO_DEBUG=1`` to see one):

- click's usage errors (unknown option, bad choice, missing argument) exit 2, as click does;
- a :class:`~zoo.errors.ZooError` prints ``error: <message>`` and exits 1;
- any other exception prints one line naming its type, says to rerun with ``ZOO_DEBUG=1``, exits 1.

Warnings (Python's ``warnings`` and the zoo's log records at WARNING) are printed as one
``warning: <message>`` line each on stderr (``ZOO_DEBUG=1`` adds the category and where it came
from).

The handling lives in the root group's ``invoke``, which runs every subcommand, so plugin verbs
get it without doing anything.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import click

from zoo._version import __version__
from zoo.errors import ZooError

_TRUE = {"1", "true", "yes", "on"}


def debug_mode() -> bool:
    """True when ``ZOO_DEBUG`` asks for tracebacks instead of one-line errors."""
    return os.environ.get("ZOO_DEBUG", "").lower() in _TRUE


def _first_line(text: str, limit: int = 300) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 3] + "..."


def report_error(exc: BaseException) -> NoReturn:
    """Print ``exc`` as the CLI does and exit with status 1 (re-raise it under ``ZOO_DEBUG=1``)."""
    if debug_mode():
        raise exc
    if isinstance(exc, ZooError):
        click.secho(f"error: {exc}", fg="red", err=True)
    else:
        detail = _first_line(str(exc))
        notes = "".join(f" ({_first_line(note, 200)})" for note in getattr(exc, "__notes__", ())[:3])
        click.secho(
            f"error: unexpected {type(exc).__name__}{': ' + detail if detail else ''}{notes} "
            "(rerun with ZOO_DEBUG=1 to see the traceback, and please report it)",
            fg="red", err=True,
        )
    sys.exit(1)


def format_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int, line: str | None = None) -> str:
    """``warning: <message>`` (a drop-in for :func:`warnings.formatwarning`)."""
    where = f" ({category.__name__} at {filename}:{lineno})" if debug_mode() else ""
    return f"warning: {message}{where}\n"


class _WarningLines(logging.Handler):
    """The zoo's log records at WARNING and above as ``warning: <message>`` lines on stderr."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            prefix = "warning" if record.levelno < logging.ERROR else "error"
            click.secho(f"{prefix}: {record.getMessage()}", fg="yellow", err=True)
        except Exception:  # noqa: BLE001 - a warning must never break the command
            self.handleError(record)


_ZOO_LOGGER = logging.getLogger("zoo")
_HANDLER = _WarningLines(level=logging.WARNING)
_depth = 0


@contextmanager
def cli_warnings() -> Iterator[None]:
    """While a command runs, print warnings as ``warning: <message>`` lines (nested uses are one).

    Only the format changes: which warnings show (the filters) does not, and code that records
    warnings (``warnings.catch_warnings(record=True)``, pytest) still gets them.
    """
    global _depth
    original = warnings.formatwarning
    if _depth == 0:
        warnings.formatwarning = format_warning
        _ZOO_LOGGER.addHandler(_HANDLER)
    _depth += 1
    try:
        yield
    finally:
        _depth -= 1
        if _depth == 0:
            warnings.formatwarning = original
            _ZOO_LOGGER.removeHandler(_HANDLER)


class ZooGroup(click.Group):
    """A click group that turns every non-click exception into a one-line message and exit 1."""

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:  # "No such command": a failed plugin may be why
            hint = _failed_plugins_hint()
            if hint:
                exc.message = f"{exc.message} {hint}"
            raise

    def invoke(self, ctx: click.Context) -> object:
        try:
            with cli_warnings():
                return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise  # click's own: usage errors exit 2, --help/--version exit 0
        except (KeyboardInterrupt, EOFError):
            raise  # click prints "Aborted!" and exits 1
        except Exception as exc:
            report_error(exc)


@click.group(cls=ZooGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zoo")
def cli() -> None:
    """zoo: a plugin-based model zoo (list, inspect, download, verify, load, train, publish)."""


def _failed_plugins_hint() -> str:
    """A sentence naming the plugins that failed (whose verbs are therefore missing), or ''."""
    from zoo.plugins import get_host

    try:
        failed = [s.name for _, s in sorted(get_host().statuses.items()) if not s.ok]
    except Exception:  # the hint must never hide the usage error itself
        return ""
    return f"(Plugin(s) {', '.join(failed)} failed and may be missing their verbs: see `zoo plugins --errors`.)" if failed else ""


def _add_core_commands() -> None:
    from zoo.cli import catalog_commands, hub_commands, predict_commands

    for command in (*catalog_commands.COMMANDS, *hub_commands.COMMANDS, *predict_commands.COMMANDS):
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
        before = dict(cli.commands)
        try:
            impl.function(cli=cli)
            replaced = [n for n, c in before.items() if cli.commands.get(n) is not c]
            taken = sorted(n for n in replaced if _COMMAND_OWNERS.get(n, "zoo") != impl.plugin_name)
            if taken:
                raise ValueError(f"it replaced the existing command(s) {', '.join(taken)}; a plugin may only add "
                                 "new verbs (name yours after the plugin, e.g. `zoo <plugin> ...`)")
        except (Exception, SystemExit) as exc:  # one plugin's CLI must not break the others (nor exit)
            for name in set(cli.commands) - set(before):
                del cli.commands[name]  # all or nothing, like the plugin's registrations
            cli.commands.update(before)
            status = host.statuses.get(impl.plugin_name)
            if status is not None:
                status.error = (f"zoo_register_commands failed: {type(exc).__name__}: {exc}. Its components and "
                                "catalog entries are loaded; its commands are not.")
            continue
        for name, command in cli.commands.items():
            if before.get(name) is not command:
                _COMMAND_OWNERS[name] = impl.plugin_name


#: Which plugin added each verb (core verbs are absent: "zoo"). A plugin may re-add its own verb
#: (``build_cli`` runs the hooks again in the same process) but never replace another's.
_COMMAND_OWNERS: dict[str, str] = {}


def build_cli() -> click.Group:
    """The ``zoo`` group with the core's commands and every loaded plugin's."""
    _add_core_commands()
    _add_plugin_commands()
    return cli


def main(argv: list[str] | None = None) -> None:
    """Run the ``zoo`` command line."""
    with cli_warnings():  # plugins' warnings at import, too
        try:
            build_cli()
        except Exception as exc:  # e.g. two plugins declaring one catalog name
            report_error(exc)
        cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="zoo")


if __name__ == "__main__":  # pragma: no cover
    main()
