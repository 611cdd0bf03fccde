"""The zoo conformance kit over every component this plugin registers (no hand-written list), small configs."""

from __future__ import annotations

import pytest

from zoo.testing import check_component, conformance_names

SMALL = {"backbone": "test_resnet", "tokens": 4, "dim": 16}
OVERRIDES = {"expert/motion-semantics": {"dim": 16, "num_aus": 4}}
NAMES = conformance_names(distribution="zoo-deft-llm")


def test_the_plugin_registers_its_experts_and_model():
    assert {"model/deft-llm", "expert/structure", "expert/dynamic-texture", "expert/motion-semantics"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_component_conforms(name, tiny_overrides):
    if name == "model/deft-llm":
        check_component(name, atol=1e-5, **tiny_overrides)
    else:
        check_component(name, **OVERRIDES.get(name, SMALL))
