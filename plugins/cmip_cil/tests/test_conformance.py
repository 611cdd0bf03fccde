"""The zoo conformance kit on every component the plugin registers (no hand-written list)."""

from __future__ import annotations

import pytest

from zoo.testing import check_component, conformance_names

#: Smaller configs so the checks run in seconds (same modules; the image backbone from random init:
#: the default asks for ImageNet weights through the Hub, see test_model.py for that path).
SMALL = {
    "head/projection": {"in_dim": 8, "hidden_dim": 4, "out_dim": 6},
    "head/adapter": {"dim": 8, "bottleneck": 4},
    "head/cosine-incremental": {"dim": 8, "initial_classes": 3},
    "encoder/resnet50-views": {"backbone": "lcnet_050", "pretrained": False},
}
NAMES = conformance_names(distribution="zoo-cmip-cil")


def test_the_plugin_registers_its_components():
    assert "model/cmip-cil" in NAMES and len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_component_conforms(name, tiny_config):
    overrides = {**tiny_config, "classifier": {"name": "head/cosine-incremental", "config": {"initial_classes": 2}}}
    check_component(name, **(overrides if name == "model/cmip-cil" else SMALL.get(name, {})))
