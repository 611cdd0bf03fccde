"""Every catalog entry of the installed method plugins is trainable as written.

A recipe (or a published entry's recipe table) must validate against the engine's recipe schema,
its model config must validate, and its datasets must be registered: `zoo train NAME` would
otherwise fail only when someone finally runs it on a GPU machine with the real data.
"""

from __future__ import annotations

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
