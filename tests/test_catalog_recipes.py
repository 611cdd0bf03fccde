"""Every catalog entry of the installed method plugins is trainable as written.

A recipe (or a published entry's recipe table) must validate against the engine's recipe schema,
its model config must validate, and its datasets must be registered: `zoo train NAME` would
otherwise fail only when someone finally runs it on a GPU machine with the real data.
"""

from __future__ import annotations

import click
import pytest

import zoo
from zoo.catalog import get_catalog
from zoo.engine.recipe import apply_overrides, read_recipe_source
from zoo.factory import resolve, resolve_config

TEST_PLUGINS = {"zoo-toy-models", "zoo-thirdparty-lbp"}


def _method_entries() -> list[str]:
    catalog = get_catalog()
    return [n for n in zoo.list(kind="checkpoint") if catalog.get(n).provider not in TEST_PLUGINS]


@pytest.mark.parametrize("name", _method_entries())
def test_entry_validates_as_a_recipe_with_registered_parts(name: str) -> None:
    entry = get_catalog().get(name)
    for metric in entry.metrics:
        assert metric.measured_on.strip(), f"{name}: metric {metric.name} does not say what data it was measured on"
    if name.endswith("-synth"):
        assert "synthetic" in " ".join(m.measured_on.lower() for m in entry.metrics), name
    if not entry.recipe:
        # Trained by a plugin verb (several variants, generated data): it must say which.
        assert entry.status == "published" and entry.reproduce.startswith("zoo "), name
        return
    recipe = apply_overrides(read_recipe_source(name))
    resolve_config(recipe.model, **recipe.config)
    for spec in (recipe.dataset, recipe.eval_dataset):
        if spec is not None:
            assert resolve(spec.name).kind == "dataset", spec.name


def _ablations() -> list[str]:
    return sorted(get_catalog().ablations)


@pytest.mark.parametrize("ref", _ablations())
def test_every_ablation_variant_resolves_and_its_data_command_exists(ref: str) -> None:
    """Each variant of each catalog ablation is a valid recipe (parts, datasets, overrides) before
    anyone spends hours running it; its make_data names a real `zoo` verb."""
    from zoo.ablation import load_spec
    from zoo.cli.main import build_cli
    from zoo.engine.explain import explain_recipe

    spec = load_spec(ref)
    raw = read_recipe_source(spec.recipe)
    for name, overrides in spec.variants.items():
        recipe = apply_overrides(raw, [*spec.overrides, *overrides, "train.seed=0"])
        try:
            explain_recipe(recipe)
        except Exception as exc:  # name the variant: the spec's author needs to know which one
            raise AssertionError(f"{ref} variant {name!r} ({overrides}) does not resolve: {exc}") from exc
    if spec.make_data and spec.make_data.startswith("zoo "):
        group = build_cli()
        for word in spec.make_data.split()[1:]:
            if word.startswith("{") or not isinstance(group, click.Group):
                break
            assert word in group.commands, f"{ref}: make_data `{spec.make_data}` names no command {word!r}"
            group = group.commands[word]


@pytest.mark.parametrize("distribution", sorted({get_catalog().get(n).provider for n in _method_entries()}))
def test_every_method_plugin_ships_its_paper_ablation(distribution: str, in_tree_distributions) -> None:
    owners = {a.owner for a in get_catalog().ablations.values() if a.provider == distribution and a.name == "paper"}
    if not owners and distribution not in in_tree_distributions:
        pytest.skip(f"{distribution} (not an in-tree plugin) has no [ablations.paper] in its catalog.toml")
    assert owners, f"{distribution} has no [ablations.paper] in its catalog.toml (its paper's ablation, as data)"
