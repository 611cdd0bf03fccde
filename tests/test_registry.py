"""The registry: names, lookup rules, duplicates, listing."""

from __future__ import annotations

import pytest

from zoo.errors import AmbiguousNameError, DuplicateNameError, UnknownComponentError
from zoo.registry import Registry, RegistryEntry, check_entry, natural_key, validate_component_name


def _entry(name: str, dist: str = "zoo-a", target: str = "pkg.mod:Cls", aliases: tuple[str, ...] = ()) -> RegistryEntry:
    return RegistryEntry(name, target, distribution=dist, version="1.0", aliases=aliases)


@pytest.mark.parametrize(
    "name, problem",
    [
        ("structure", "must be 'kind/name'"),
        ("widget/x", "Unknown kind 'widget'"),
        ("expert/Structure", "must be lower case"),
        ("expert/", "must be lower case"),
    ],
)
def test_bad_names_are_rejected_with_the_rule(name: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        validate_component_name(name)


def test_resolve_by_full_name_alias_and_unique_bare_name() -> None:
    reg = Registry()
    reg.add(_entry("expert/structure", aliases=("struct",)))
    assert reg.resolve("expert/structure").name == "expert/structure"
    assert reg.resolve("struct").name == "expert/structure"
    assert reg.resolve("structure").name == "expert/structure"
    assert reg.resolve("structure", kind="expert").name == "expert/structure"


def test_bare_name_under_two_kinds_is_ambiguous() -> None:
    reg = Registry()
    reg.add(_entry("encoder/dgcnn"))
    reg.add(_entry("head/dgcnn"))
    with pytest.raises(AmbiguousNameError, match="encoder/dgcnn, head/dgcnn"):
        reg.resolve("dgcnn")


def test_unknown_name_suggests_close_matches() -> None:
    reg = Registry()
    reg.add(_entry("memory/dual-density"))
    reg.add(_entry("expert/structure"))
    with pytest.raises(UnknownComponentError) as info:
        reg.resolve("memory/dual-densty")
    assert info.value.suggestions == ["memory/dual-density"]
    assert "Did you mean: memory/dual-density?" in str(info.value)
    assert isinstance(info.value, KeyError)


def test_duplicate_from_another_distribution_names_both() -> None:
    reg = Registry()
    reg.add(_entry("expert/x", dist="zoo-a"))
    with pytest.raises(DuplicateNameError) as info:
        reg.add(_entry("expert/x", dist="zoo-b"))
    assert "zoo-a@1.0" in str(info.value) and "zoo-b@1.0" in str(info.value)
    reg.add(_entry("expert/x", dist="zoo-b", target="b.mod:X"), override=True)
    assert reg.resolve("expert/x").target == "b.mod:X"


def test_malformed_target_or_config_is_rejected() -> None:
    with pytest.raises(ValueError, match="Target 'pkg.mod.Cls' of 'expert/x' must look like 'pkg.module:Class'"):
        Registry().add(_entry("expert/x", target="pkg.mod.Cls"))
    with pytest.raises(ValueError, match="Config 'pkg.Cfg' of 'expert/x' must look like"):
        check_entry(RegistryEntry("expert/x", "pkg.mod:Cls", config="pkg.Cfg"))


def test_list_filters_by_pattern_and_kind_in_natural_order() -> None:
    reg = Registry()
    for name in ("encoder/net10", "encoder/net2", "head/net1", "expert/other"):
        reg.add(_entry(name))
    assert reg.list("net*") == ["encoder/net2", "encoder/net10", "head/net1"]
    assert reg.list("*", kind="encoder") == ["encoder/net2", "encoder/net10"]
    assert reg.list("encoder/*1*") == ["encoder/net10"]
    assert sorted(["x10", "x2", "x1"], key=natural_key) == ["x1", "x2", "x10"]
