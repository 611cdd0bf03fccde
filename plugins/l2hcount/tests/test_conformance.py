"""The zoo conformance kit on every component the plugin registers (no hand-written list)."""

from __future__ import annotations

import pytest

from zoo.testing import check_component, conformance_names

#: Smaller configs so the checks run in seconds (same modules, fewer channels).
SMALL = {
    "encoder/vgg16-bn": {"width": 0.125},
    "memory/dual-density": {"slots": 32, "dim": 16},
    "head/hfem": {"channels": 16, "hidden": 8},
    "head/density-decoder": {"in_channels": [32, 64, 64], "dim": 32, "fine_dim": 16},
}
NAMES = conformance_names(distribution="zoo-l2hcount")


def test_the_plugin_registers_components():
    assert "model/l2hcount" in NAMES and len(NAMES) >= 5


@pytest.mark.parametrize("name", NAMES)
def test_component_conforms(name, tiny_overrides):
    check_component(name, **(tiny_overrides if name == "model/l2hcount" else SMALL.get(name, {})))
