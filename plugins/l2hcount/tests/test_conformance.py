"""The zoo conformance kit on every L2HCount component (build, forward, weights and config round trips)."""

from __future__ import annotations

import pytest

from zoo.testing.conformance import check_component, conformance_names

SMALL = {
    "encoder/vgg16-bn": {"width": 0.125},
    "memory/dual-density": {"slots": 32, "dim": 16},
    "head/hfem": {"channels": 16, "hidden": 8},
    "head/density-decoder": {"in_channels": [32, 64, 64], "dim": 32, "fine_dim": 16},
}


def test_every_component_is_listed():
    assert conformance_names(distribution="zoo-l2hcount") == [
        "encoder/vgg16-bn", "memory/dual-density", "head/density-decoder", "head/hfem", "model/l2hcount",
    ]


@pytest.mark.parametrize("name", ["encoder/vgg16-bn", "memory/dual-density", "head/density-decoder", "head/hfem"])
def test_part_conforms(name):
    check_component(name, **SMALL[name])


def test_model_conforms(tiny_overrides):
    check_component("model/l2hcount", **tiny_overrides)
