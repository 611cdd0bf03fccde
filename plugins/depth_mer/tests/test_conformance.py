"""Every component zoo-depth-mer registers meets the zoo's contract (no hand-written list)."""

import pytest

from zoo.testing import check_component, conformance_names


@pytest.mark.parametrize("name", conformance_names(distribution="zoo-depth-mer"))
def test_conformance(name: str) -> None:
    check_component(name)  # build from defaults, the kind's contract, forward, safetensors and config round trips
