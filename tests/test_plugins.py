"""Plugin discovery: our own entry-point loop, failure isolation, collisions, selection."""

from __future__ import annotations

import types
from dataclasses import dataclass

import pytest

import zoo
from zoo.errors import DuplicateNameError
from zoo.plugins import PluginHost


@dataclass
class FakeDist:
    name: str
    version: str


class FakeEntryPoint:
    """Stands in for importlib.metadata.EntryPoint (as pluggy's own tests do)."""

    def __init__(self, name: str, module: types.ModuleType | Exception, dist: str, version: str = "1.0") -> None:
        self.name, self.value, self.dist = name, f"{name}_mod", FakeDist(dist, version)
        self._module = module

    def load(self) -> types.ModuleType:
        if isinstance(self._module, Exception):
            raise self._module
        return self._module


def plugin_module(name: str, components: dict[str, str], fail_after: int | None = None) -> types.ModuleType:
    module = types.ModuleType(name)

    @zoo.hookimpl
    def zoo_register_components(register):
        for i, (comp, target) in enumerate(components.items()):
            if fail_after is not None and i == fail_after:
                raise RuntimeError("hook exploded")
            register(comp, target)

    module.zoo_register_components = zoo_register_components
    return module


def discover(monkeypatch: pytest.MonkeyPatch, *eps: FakeEntryPoint) -> PluginHost:
    monkeypatch.setattr("zoo.plugins.iter_entry_points", lambda: list(eps))
    host = PluginHost()
    host.ensure_loaded()
    return host


def test_a_plugin_that_fails_to_import_is_reported_and_the_others_load(monkeypatch: pytest.MonkeyPatch) -> None:
    good = FakeEntryPoint("good", plugin_module("good", {"expert/g": "m:G"}), "zoo-good")
    bad = FakeEntryPoint("bad", ImportError("No module named 'missing_dep'"), "zoo-bad", "0.3")
    later = FakeEntryPoint("later", plugin_module("later", {"head/l": "m:L"}), "zoo-later")
    host = discover(monkeypatch, bad, good, later)
    assert sorted(host.registry.entries) == ["expert/g", "head/l"]
    status = host.statuses["bad"]
    assert not status.loaded and status.distribution == "zoo-bad" and status.version == "0.3"
    assert "ImportError: No module named 'missing_dep'" in status.error


def test_a_hook_that_raises_is_rolled_back(monkeypatch: pytest.MonkeyPatch) -> None:
    half = FakeEntryPoint("half", plugin_module("half", {"expert/a": "m:A", "expert/b": "m:B"}, fail_after=1), "zoo-half")
    host = discover(monkeypatch, half)
    assert host.registry.entries == {}
    assert "RuntimeError: hook exploded" in host.statuses["half"].error


def test_two_distributions_with_one_name_is_an_error_naming_both(monkeypatch: pytest.MonkeyPatch) -> None:
    a = FakeEntryPoint("a", plugin_module("a", {"expert/same": "a:X"}), "zoo-a", "1.0")
    b = FakeEntryPoint("b", plugin_module("b", {"expert/same": "b:X"}), "zoo-b", "2.0")
    host = discover(monkeypatch, a, b)
    assert "zoo-a@1.0" in host.statuses["b"].error and "zoo-b@2.0" in host.statuses["b"].error
    monkeypatch.setattr("zoo.plugins._HOST", host)
    with pytest.raises(DuplicateNameError, match="zoo-a@1.0 and zoo-b@2.0"):
        zoo.list()


def test_override_lets_a_plugin_replace_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("winner")

    @zoo.hookimpl
    def zoo_register_components(register):
        register("expert/same", "winner:X", override=True)

    module.zoo_register_components = zoo_register_components
    a = FakeEntryPoint("a", plugin_module("a", {"expert/same": "a:X"}), "zoo-a")
    b = FakeEntryPoint("b", module, "zoo-b")
    host = discover(monkeypatch, a, b)
    assert host.registry.entries["expert/same"].target == "winner:X" and not host.errors


@pytest.mark.parametrize(
    "env, expected",
    [
        ({"ZOO_LOAD_PLUGINS": "a"}, ["expert/a"]),
        ({"ZOO_LOAD_PLUGINS": "zoo-b"}, ["expert/b"]),
        ({"ZOO_DISABLE_PLUGINS": "a, zoo-c"}, ["expert/b"]),
        ({}, ["expert/a", "expert/b", "expert/c"]),
    ],
)
def test_environment_selects_plugins(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: list[str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    eps = [FakeEntryPoint(n, plugin_module(n, {f"expert/{n}": f"{n}:X"}), f"zoo-{n}") for n in "abc"]
    assert sorted(discover(monkeypatch, *eps).registry.entries) == expected


def test_a_plugin_with_a_misspelled_hook_is_rejected_by_pluggy(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("typo")

    @zoo.hookimpl
    def zoo_register_components(registr):  # wrong argument name
        raise AssertionError("never called")

    module.zoo_register_components = zoo_register_components
    host = discover(monkeypatch, FakeEntryPoint("typo", module, "zoo-typo"))
    assert "registr" in host.statuses["typo"].error and not host.statuses["typo"].loaded


def test_installed_plugins_are_discovered_through_entry_points() -> None:
    from zoo.plugins import get_host

    statuses = get_host().statuses
    assert statuses["thirdparty_lbp"].distribution == "zoo-thirdparty-lbp"
    assert statuses["thirdparty_lbp"].version == "1.2.0"
    assert statuses["thirdparty_lbp"].components == ["expert/lbp-top"]
