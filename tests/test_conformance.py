"""The conformance kit passes on good components and names the check a broken one fails."""

from __future__ import annotations

import pytest
import torch

from zoo.testing import ConformanceError, check_component, conformance_names


@pytest.mark.parametrize("name", conformance_names(distribution="zoo-toy-models") + ["expert/lbp-top"])
def test_test_plugins_conform(name: str) -> None:
    check_component(name)


def test_names_can_be_selected_by_distribution() -> None:
    assert conformance_names(distribution="zoo-thirdparty-lbp") == ["expert/lbp-top"]


def test_non_finite_output_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo_toy_models.components import LinearHead

    monkeypatch.setattr(LinearHead, "forward", lambda self, x: self.fc(x) / 0.0)
    with pytest.raises(ConformanceError, match="non-finite"):
        check_component("head/toy-linear")


def test_state_not_in_the_state_dict_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo_toy_models.components import LinearHead

    original = LinearHead.__init__

    def init_with_hidden_state(self, config=None):
        original(self, config)
        self.hidden = torch.randn(1)  # a plain tensor attribute: not saved, so it cannot round-trip

    monkeypatch.setattr(LinearHead, "__init__", init_with_hidden_state)
    monkeypatch.setattr(LinearHead, "forward", lambda self, x: self.fc(x) + self.hidden)
    with pytest.raises(ConformanceError, match="safetensors state-dict round trip"):
        check_component("head/toy-linear")
