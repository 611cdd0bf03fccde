"""The zoo conformance kit over every component this plugin registers (small configs)."""

from __future__ import annotations

import pytest

from zoo.testing.conformance import check_component

SMALL = {"backbone": "test_resnet", "tokens": 4, "dim": 16}


@pytest.mark.parametrize("name, overrides", [
    ("expert/structure", SMALL), ("expert/dynamic-texture", SMALL), ("expert/raw-apex", SMALL),
    ("expert/flow-texture", SMALL), ("expert/motion-semantics", {"dim": 16, "num_aus": 4}),
])
def test_expert_conformance(name, overrides):
    check_component(name, **overrides)


def test_model_conformance(tiny_overrides):
    check_component("model/deft-llm", atol=1e-5, **tiny_overrides)
