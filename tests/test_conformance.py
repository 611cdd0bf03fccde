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


def _register(monkeypatch: pytest.MonkeyPatch, name: str, cls: type) -> None:
    """Register ``cls`` as ``name`` in this test's host, importable through a stand-in module."""
    import sys
    import types

    from zoo.plugins import get_host
    from zoo.registry import RegistryEntry

    module = types.ModuleType("zoo_conformance_cases")
    setattr(module, cls.__name__, cls)
    monkeypatch.setitem(sys.modules, module.__name__, module)
    get_host().registry.add(RegistryEntry(name, f"{module.__name__}:{cls.__name__}", distribution="zoo-cases"))


def _expert(tokens: object, out_dim: object, shape: tuple[int, ...]) -> type:
    import zoo

    class CaseExpert(zoo.Expert):
        def __init__(self, config=None):
            super().__init__(config)
            self.tokens, self.out_dim = tokens, out_dim
            self.scale = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return self.scale * torch.ones(*shape)

        def example_inputs(self):
            return (torch.zeros(2, 3),)

    return CaseExpert


@pytest.mark.parametrize(
    "tokens, out_dim, shape, message",
    [
        (None, 4, (2, 3, 4), r"CaseExpert.tokens must be a positive int \(how many tokens forward returns\), got None"),
        (3, "4", (2, 3, 4), r"CaseExpert.out_dim must be a positive int"),
        (3, 4, (2, 4, 3), r"forward returned \(2, 4, 3\), expected \[B, tokens=3, out_dim=4\]"),
        (3, 4, (2, 12), r"forward returned \(2, 12\), expected"),
    ],
)
def test_an_expert_breaking_its_declared_contract_is_named(monkeypatch, tokens, out_dim, shape, message) -> None:
    _register(monkeypatch, "expert/case", _expert(tokens, out_dim, shape))
    with pytest.raises(ConformanceError, match=message):
        check_component("expert/case")


def test_an_expert_keeping_its_contract_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch, "expert/case", _expert(3, 4, (2, 3, 4)))
    check_component("expert/case")


@pytest.mark.parametrize(
    "channels, shapes, message",
    [
        (8, [(2, 8, 5, 5)], None),
        (8, [(2, 7, 8)], None),  # a token sequence: the width is the last dim
        ([4, 8], [(2, 4, 6, 6), (2, 8, 3, 3)], None),
        (8, [(2, 6)], r"out_channels=8 but forward returned \(2, 6\)"),
        ([4, 8], [(2, 4, 6, 6)], r"out_channels=\[4, 8\] but forward returned maps of widths \[4\]"),
        (None, [(2, 6)], r"out_channels must be a positive int"),
    ],
)
def test_an_encoder_s_out_channels_must_match_its_output(monkeypatch, channels, shapes, message) -> None:
    import zoo

    class CaseEncoder(zoo.Encoder):
        def __init__(self, config=None):
            super().__init__(config)
            self.out_channels = channels
            self.scale = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            maps = [self.scale * torch.ones(*s) for s in shapes]
            return maps if isinstance(channels, list) else maps[0]

        def example_inputs(self):
            return (torch.zeros(2, 3),)

    _register(monkeypatch, "encoder/case", CaseEncoder)
    if message is None:
        check_component("encoder/case")
    else:
        with pytest.raises(ConformanceError, match=message):
            check_component("encoder/case")


@pytest.mark.parametrize("keeps_shape", [True, False])
def test_a_memory_returns_features_shaped_like_its_input(monkeypatch: pytest.MonkeyPatch, keeps_shape: bool) -> None:
    import zoo

    class CaseMemory(zoo.Memory):
        def __init__(self, config=None):
            super().__init__(config)
            self.bank = torch.nn.Parameter(torch.ones(1))

        def forward(self, features):
            out = features + self.bank if keeps_shape else features.flatten(1)
            return out, None  # (features, gate logits) like a NamedTuple read

        def example_inputs(self):
            return (torch.zeros(2, 4, 3, 3),)

    _register(monkeypatch, "memory/case", CaseMemory)
    if keeps_shape:
        check_component("memory/case")
    else:
        with pytest.raises(ConformanceError, match=r"in the shape of its input \(2, 4, 3, 3\), got \(2, 36\)"):
            check_component("memory/case")


def test_a_model_must_name_a_registered_metric(monkeypatch: pytest.MonkeyPatch) -> None:
    from zoo_toy_models.components import ToyFusion

    monkeypatch.setattr(ToyFusion, "metric", "accuracyy")
    with pytest.raises(ConformanceError, match="metric 'accuracyy' is not a registered metric"):
        check_component("model/toy-fusion")


def test_conformance_names_of_a_distribution_that_provides_nothing_is_an_error() -> None:
    with pytest.raises(ConformanceError, match="No components of zoo-typo to check: it is not installed"):
        conformance_names(distribution="zoo-typo")
