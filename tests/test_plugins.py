"""Plugin discovery: our own entry-point loop, failure isolation, collisions, selection."""

from __future__ import annotations

import types
from dataclasses import dataclass
from pathlib import Path

import pytest

import zoo
from zoo.errors import UnknownComponentError
from zoo.plugins import PluginHost, PluginStatus


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


def test_two_distributions_with_one_name_fail_both_whatever_the_order(monkeypatch: pytest.MonkeyPatch) -> None:
    a = FakeEntryPoint("a", plugin_module("a", {"expert/same": "a:X", "expert/only-a": "a:Y"}), "zoo-a", "1.0")
    b = FakeEntryPoint("b", plugin_module("b", {"expert/same": "b:X"}), "zoo-b", "2.0")
    c = FakeEntryPoint("c", plugin_module("c", {"expert/c": "c:X"}), "zoo-c")
    host = discover(monkeypatch, b, c, a)
    for name in ("a", "b"):
        error = host.statuses[name].error
        assert not host.statuses[name].loaded
        assert "zoo-a@1.0 (plugin a) and zoo-b@2.0 (plugin b)" in error
        assert "ZOO_DISABLE_PLUGINS=a keeps zoo-b" in error and "ZOO_DISABLE_PLUGINS=b keeps zoo-a" in error
    # Nothing of either stays (all or nothing); the unrelated plugin and every query still work.
    assert sorted(host.registry.entries) == ["expert/c"] and host.statuses["c"].loaded
    monkeypatch.setattr("zoo.plugins._HOST", host)
    assert zoo.list("expert/*") == ["expert/c"]
    with pytest.raises(UnknownComponentError, match="provided by plugin a .*failed to load: component .expert/same. is provided by"):
        zoo.build("expert/only-a")


def test_disabling_one_side_of_a_collision_loads_the_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_DISABLE_PLUGINS", "b")
    a = FakeEntryPoint("a", plugin_module("a", {"expert/same": "a:X"}), "zoo-a")
    b = FakeEntryPoint("b", plugin_module("b", {"expert/same": "b:X"}), "zoo-b")
    host = discover(monkeypatch, a, b)
    assert host.registry.entries["expert/same"].target == "a:X" and "b" not in host.statuses


@pytest.mark.parametrize("order", ["override-first", "override-last"])
def test_override_lets_a_plugin_replace_a_name_in_any_order(monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    module = types.ModuleType("winner")

    @zoo.hookimpl
    def zoo_register_components(register):
        register("expert/same", "winner:X", override=True)

    module.zoo_register_components = zoo_register_components
    a = FakeEntryPoint("a", plugin_module("a", {"expert/same": "a:X", "expert/other": "a:Y"}), "zoo-a")
    b = FakeEntryPoint("b", module, "zoo-b")
    host = discover(monkeypatch, *((b, a) if order == "override-first" else (a, b)))
    assert host.registry.entries["expert/same"].target == "winner:X"
    assert host.registry.entries["expert/other"].target == "a:Y"
    assert all(s.loaded for s in host.statuses.values())


def test_two_overrides_of_one_name_are_still_a_collision(monkeypatch: pytest.MonkeyPatch) -> None:
    def overrider(name: str) -> types.ModuleType:
        module = types.ModuleType(name)

        @zoo.hookimpl
        def zoo_register_components(register):
            register("expert/same", f"{name}:X", override=True)

        module.zoo_register_components = zoo_register_components
        return module

    host = discover(monkeypatch, FakeEntryPoint("a", overrider("a"), "zoo-a"), FakeEntryPoint("b", overrider("b"), "zoo-b"))
    assert host.registry.entries == {} and not host.statuses["a"].loaded and not host.statuses["b"].loaded


def test_a_plugin_added_later_cannot_take_a_committed_name(monkeypatch: pytest.MonkeyPatch) -> None:
    host = discover(monkeypatch, FakeEntryPoint("a", plugin_module("a", {"expert/same": "a:X"}), "zoo-a"))
    host.add_plugin(plugin_module("late", {"expert/same": "late:X"}), PluginStatus("late", "zoo-late", "1.0", "late"))
    assert host.statuses["a"].loaded and not host.statuses["late"].loaded
    assert "zoo-a@1.0 (plugin a) and zoo-late@1.0 (plugin late)" in host.statuses["late"].error
    assert host.registry.entries["expert/same"].target == "a:X"


def catalog_module(name: str, toml_text: str, folder: Path, components: dict[str, str] | None = None) -> types.ModuleType:
    """A plugin module whose catalog hook adds a catalog.toml written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "catalog.toml"
    path.write_text(toml_text, encoding="utf-8")
    module = plugin_module(name, components or {})

    @zoo.hookimpl
    def zoo_register_catalog(add):
        add(path)

    module.zoo_register_catalog = zoo_register_catalog
    return module


_RECIPE = '[models."{name}"]\nmodel = "model/x"\nstatus = "recipe"\n'


def test_a_plugin_catalog_toml_is_read_with_its_ablations(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    text = _RECIPE.format(name="x-recipe") + '[ablations.paper]\nrecipe = "x-recipe"\n'
    host = discover(monkeypatch, FakeEntryPoint("xp", catalog_module("xp", text, tmp_path, {"model/x": "x:X"}), "zoo-xp"))
    (part,) = host.catalog_files()
    assert part.names() == ["x-recipe"] and part.entries[0].provider == "zoo-xp"
    assert part.entries[0].base_dir == tmp_path
    assert [a.ref for a in part.ablations] == ["xp:paper"]
    assert host.statuses["xp"].catalog == ["x-recipe"]


def test_add_takes_only_a_catalog_toml_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    legacy = plugin_module("legacy", {"model/l": "l:X"})

    @zoo.hookimpl
    def zoo_register_catalog(add):
        add({"name": "l-recipe", "model": "model/l", "status": "recipe"})  # the removed dict form

    legacy.zoo_register_catalog = zoo_register_catalog
    good = catalog_module("good", _RECIPE.format(name="g-one"), tmp_path / "good", {"model/x": "g:X"})
    host = discover(monkeypatch, FakeEntryPoint("legacy", legacy, "zoo-legacy"), FakeEntryPoint("good", good, "zoo-good"))
    status = host.statuses["legacy"]
    assert not status.loaded and "model/l" not in host.registry.entries  # all or nothing
    assert "CatalogError" in status.error
    assert "add() takes the path of the plugin's catalog.toml" in status.error and "got dict" in status.error
    assert 'as [models."<name>"] tables' in status.error
    assert host.statuses["good"].loaded and [p.names() for p in host.catalog_files()] == [["g-one"]]


def test_a_bad_catalog_entry_fails_only_its_plugin_and_rolls_it_back(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bad = catalog_module("bad", '[models."b-one"]\nmodel = "model/x"\nstatus = "published"\n', tmp_path / "bad", {"expert/b": "b:X"})
    good = catalog_module("good", _RECIPE.format(name="g-one"), tmp_path / "good", {"model/x": "g:X"})
    host = discover(monkeypatch, FakeEntryPoint("bad", bad, "zoo-bad"), FakeEntryPoint("good", good, "zoo-good"))
    assert "CatalogError: Invalid catalog entry 'b-one' from zoo-bad: <entry>: Value error, a published entry needs a source" in host.statuses["bad"].error
    assert sorted(host.registry.entries) == ["model/x"]  # expert/b was rolled back
    assert [p.names() for p in host.catalog_files()] == [["g-one"]]
    assert not host.manager.is_registered(bad)
    monkeypatch.setattr("zoo.plugins._HOST", host)
    assert zoo.list(kind="checkpoint") == ["g-one"]


def test_two_plugins_declaring_one_catalog_name_both_fail(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    one = catalog_module("one", _RECIPE.format(name="same"), tmp_path / "one")
    two = catalog_module("two", _RECIPE.format(name="same"), tmp_path / "two")
    host = discover(monkeypatch, FakeEntryPoint("one", one, "zoo-one"), FakeEntryPoint("two", two, "zoo-two"))
    assert host.catalog_files() == []
    assert "catalog entry 'same' is provided by zoo-one@1.0 (plugin one) and zoo-two@1.0 (plugin two)" in host.statuses["two"].error


def test_a_name_selection_that_matches_nothing_lists_the_installed_plugins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZOO_LOAD_PLUGINS", "l2hcont")
    host = discover(monkeypatch, FakeEntryPoint("a", plugin_module("a", {"expert/a": "a:X"}), "zoo-a"))
    assert host.registry.entries == {}
    (error,) = host.selection_errors
    assert error.startswith("ZOO_LOAD_PLUGINS names l2hcont, which no installed plugin is called")
    assert error.endswith("Installed plugins: a (zoo-a).")
    monkeypatch.setattr("zoo.plugins._HOST", host)
    with pytest.raises(UnknownComponentError, match="the plugin selection is wrong; see `zoo plugins --errors`"):
        zoo.build("expert/a")


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
