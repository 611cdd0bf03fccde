"""A hostile or broken plugin breaks only itself: a failing or verb-stealing command hook, SystemExit
at import or in a hook, ten thousand names, a broken config class, an implementation module that
raises at import, a component whose constructor raises. Each is a typed, one-line error naming the
plugin; everything else keeps working."""

from __future__ import annotations

import sys
import textwrap
import time
import types
from dataclasses import dataclass
from pathlib import Path

import click
import pytest

import zoo
from zoo.errors import PluginLoadError
from zoo.plugins import PluginHost, PluginStatus, get_host
from zoo.testing import run_cli


@pytest.fixture(autouse=True)
def _restore_the_cli():
    """The zoo group is process-wide: take the verbs these plugins add away again afterwards."""
    from zoo.cli import main

    commands, owners = dict(main.cli.commands), dict(main._COMMAND_OWNERS)
    yield
    main.cli.commands.clear()
    main.cli.commands.update(commands)
    main._COMMAND_OWNERS.clear()
    main._COMMAND_OWNERS.update(owners)


def _add(module: types.ModuleType, name: str) -> PluginStatus:
    """Add an imported plugin module to the process's host (as an installed plugin would be)."""
    status = PluginStatus(name, f"zoo-{name}", "0.1", name)
    get_host().add_plugin(module, status)
    return status


def _commands_plugin(name: str, body) -> types.ModuleType:
    module = types.ModuleType(name)

    @zoo.hookimpl
    def zoo_register_components(register):
        register(f"expert/{name}-part", "zoo.testing.toys:ToyMLP")

    @zoo.hookimpl
    def zoo_register_commands(cli):
        body(cli)

    module.zoo_register_components = zoo_register_components
    module.zoo_register_commands = zoo_register_commands
    return module


def test_a_failing_command_hook_is_reported_failed_and_rolled_back() -> None:
    def body(cli):
        cli.add_command(click.Command("shaky-verb", callback=lambda: None))
        raise RuntimeError("cli module needs a missing package")

    status = _add(_commands_plugin("shaky", body), "shaky")
    listed = run_cli(["list", "shaky-*"])  # builds the CLI: the hook fails now
    assert listed.exit_code == 0 and "expert/shaky-part" in listed.output  # its components still list
    assert "1 plugin(s) failed to add their commands (shaky); see `zoo plugins --errors`" in listed.output
    assert status.loaded and not status.ok and status.state == "FAILED (commands)"
    assert "zoo_register_commands failed: RuntimeError: cli module needs a missing package" in status.error
    errors = run_cli(["plugins", "--errors"])
    assert errors.exit_code == 1 and "shaky (zoo-shaky 0.1): FAILED (commands)" in errors.output
    assert "its commands are not" in errors.output
    as_json = [p for p in __import__("json").loads(run_cli(["plugins", "--json"]).output) if p["name"] == "shaky"]
    assert as_json[0]["loaded"] is True and as_json[0]["ok"] is False and as_json[0]["state"] == "FAILED (commands)"
    missing = run_cli(["shaky-verb"])  # the half-added verb was removed: all or nothing
    assert missing.exit_code == 2 and "No such command 'shaky-verb'" in missing.output
    assert "Plugin(s) shaky failed and may be missing their verbs: see `zoo plugins --errors`" in missing.output
    assert zoo.build("expert/shaky-part") is not None


def test_a_plugin_cannot_replace_a_core_verb() -> None:
    def body(cli):
        cli.add_command(click.Command("list", callback=lambda: click.echo("hijacked")))
        cli.add_command(click.Command("evil-extra", callback=lambda: None))

    status = _add(_commands_plugin("thief", body), "thief")
    listed = run_cli(["list", "thief-*"])
    assert listed.exit_code == 0 and "hijacked" not in listed.output and "expert/thief-part" in listed.output
    assert "replaced the existing command(s) list" in status.error and status.state == "FAILED (commands)"
    assert run_cli(["evil-extra"]).exit_code == 2  # nothing of the plugin's CLI stays
    again = run_cli(["list", "thief-*"])  # building the CLI again changes nothing
    assert "hijacked" not in again.output


def test_a_plugin_may_re_add_its_own_verb_when_the_cli_is_built_again() -> None:
    def body(cli):
        @click.command("own-verb")
        def own_verb() -> None:
            click.echo("mine")

        cli.add_command(own_verb)  # a new object on every build

    status = _add(_commands_plugin("owner", body), "owner")
    assert run_cli(["own-verb"]).output.strip() == "mine"
    assert run_cli(["own-verb"]).output.strip() == "mine" and status.ok


@dataclass
class _Dist:
    name: str
    version: str


class _EntryPoint:
    def __init__(self, name: str, load) -> None:
        self.name, self.value, self.dist, self._load = name, f"{name}_mod", _Dist(f"zoo-{name}", "1.0"), load

    def load(self) -> types.ModuleType:
        return self._load()


def _exits_at_import() -> types.ModuleType:
    sys.exit("this plugin calls sys.exit at import")


def _exits_in_a_hook() -> types.ModuleType:
    module = types.ModuleType("exits_hook")

    @zoo.hookimpl
    def zoo_register_components(register):
        register("expert/exit-a", "m:A")
        raise SystemExit(3)

    module.zoo_register_components = zoo_register_components
    return module


def _good() -> types.ModuleType:
    module = types.ModuleType("good")

    @zoo.hookimpl
    def zoo_register_components(register):
        register("expert/still-good", "m:G")

    module.zoo_register_components = zoo_register_components
    return module


def test_system_exit_at_import_or_in_a_hook_fails_only_that_plugin(monkeypatch) -> None:
    eps = [_EntryPoint("aaa-exit", _exits_at_import), _EntryPoint("bbb-exit", _exits_in_a_hook),
           _EntryPoint("ccc-good", _good)]
    monkeypatch.setattr("zoo.plugins.iter_entry_points", lambda: eps)
    host = PluginHost()
    host.ensure_loaded()  # does not exit the process
    assert host.statuses["aaa-exit"].error.startswith("SystemExit: this plugin calls sys.exit at import")
    assert host.statuses["bbb-exit"].error.startswith("SystemExit: 3") and not host.statuses["bbb-exit"].loaded
    assert sorted(host.registry.entries) == ["expert/still-good"]  # exit-a rolled back, the good one kept


def test_ten_thousand_names_load_list_and_suggest_quickly() -> None:
    module = types.ModuleType("many")

    @zoo.hookimpl
    def zoo_register_components(register):
        for i in range(10_000):
            register(f"expert/many-{i}", "zoo.testing.toys:ToyMLP", summary="one of many")

    module.zoo_register_components = zoo_register_components
    start = time.monotonic()
    status = _add(module, "many")
    listed = run_cli(["list", "many-999*"])
    typo = run_cli(["info", "many-9999x"])
    elapsed = time.monotonic() - start
    assert status.ok and len(status.components) == 10_000
    assert listed.exit_code == 0 and len(listed.output.splitlines()) == 1 + 11  # header, many-999, many-9990..9999
    assert typo.exit_code == 1 and "Did you mean: expert/many-9999" in typo.output
    assert elapsed < 10, elapsed  # ~1 s on a busy 2-core machine


@pytest.fixture
def broken_impls(tmp_path: Path, monkeypatch) -> str:
    """Implementation modules of a broken plugin, importable for this test only."""
    package = tmp_path / "hostile_impls"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "good.py").write_text(textwrap.dedent('''
        import zoo

        class NotAConfig:
            pass

        class Explodes(zoo.Expert):
            class Config(zoo.ComponentConfig):
                pass

            def __init__(self, config=None):
                raise RuntimeError("constructor exploded")
    '''))
    (package / "explodes.py").write_text('raise RuntimeError("module exploded at import")\n')
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "hostile_impls"
    for name in [n for n in sys.modules if n.startswith("hostile_impls")]:
        del sys.modules[name]


def test_broken_implementations_are_typed_errors_naming_the_plugin(broken_impls) -> None:
    module = types.ModuleType("broken")

    @zoo.hookimpl
    def zoo_register_components(register):
        register("expert/bad-config", f"{broken_impls}.good:Explodes", config=f"{broken_impls}.good:NotAConfig")
        register("expert/bad-module", f"{broken_impls}.explodes:Anything")
        register("expert/bad-init", f"{broken_impls}.good:Explodes")

    @zoo.hookimpl
    def zoo_register_commands(cli):
        cli.add_command(click.Command("build-bad", callback=lambda: zoo.build("expert/bad-init")))

    module.zoo_register_components = zoo_register_components
    module.zoo_register_commands = zoo_register_commands
    _add(module, "broken")
    with pytest.raises(PluginLoadError, match=r"NotAConfig.* of expert/bad-config \(zoo-broken@0.1\) is not a zoo.Compo"):
        zoo.build("expert/bad-config")
    with pytest.raises(PluginLoadError, match="raised RuntimeError: module exploded at import. The plugin providing"):
        zoo.build("expert/bad-module")
    with pytest.raises(RuntimeError, match="constructor exploded") as info:  # its own type, for callers
        zoo.build("expert/bad-init")
    assert info.value.__notes__ == ["while building expert/bad-init (zoo-broken@0.1)"]
    for argv, words in (
        (["info", "expert/bad-config"], "error: The config class"),
        (["info", "expert/bad-module"], "error: Importing 'hostile_impls.explodes'"),
    ):
        result = run_cli(argv)
        assert result.exit_code == 1 and result.output.startswith(words) and "Traceback" not in result.output
    crashed = run_cli(["build-bad"])  # a plugin verb whose build raises: one line naming whose code it was
    assert crashed.exit_code == 1 and "Traceback" not in crashed.output
    assert crashed.output.startswith("error: unexpected RuntimeError: constructor exploded (while building "
                                     "expert/bad-init (zoo-broken@0.1)) (rerun with ZOO_DEBUG=1"), crashed.output
    assert run_cli(["list", "bad-*"]).exit_code == 0  # listing imports nothing
