"""The conformance kit: the contract every registered component must meet.

timm parametrizes its tests over ``list_models()``; we ship the same idea so plugin authors run it
over their own components: build from the default config, forward on a tiny input, round-trip the
weights through safetensors, and round-trip the config through JSON.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from zoo.errors import ZooError


class ConformanceError(ZooError, AssertionError):
    """A component broke one of the contract's checks (the message names which)."""


def conformance_names(pattern: str = "*", distribution: str | None = None, kinds: tuple[str, ...] = ("encoder", "expert", "memory", "head", "model")) -> list[str]:
    """Registered component names to check (datasets are excluded: they need data on disk)."""
    from zoo.plugins import get_host

    registry = get_host().registry
    names = []
    for kind in kinds:
        for name in registry.list(pattern, kind):
            if distribution is None or registry.entries[name].distribution == distribution:
                names.append(name)
    return names


def _flatten(output: Any) -> list[Any]:
    import torch

    if isinstance(output, torch.Tensor):
        return [output]
    if isinstance(output, dict):
        return [t for key in sorted(output) for t in _flatten(output[key])]
    if isinstance(output, (list, tuple)):
        return [t for item in output for t in _flatten(item)]
    return []


def _example_inputs(component: Any) -> tuple[Any, ...]:
    inputs = component.example_inputs()
    if not isinstance(inputs, tuple):
        raise ConformanceError(f"{component.zoo_name}.example_inputs() must return a tuple, got {type(inputs).__name__}.")
    return inputs


def _forward(component: Any, inputs: tuple[Any, ...]) -> list[Any]:
    import torch

    component.eval()
    with torch.no_grad():
        tensors = _flatten(component(*inputs))
    if not tensors:
        raise ConformanceError(f"{component.zoo_name}: forward returned no tensors.")
    for tensor in tensors:
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ConformanceError(f"{component.zoo_name}: forward produced non-finite values.")
    return tensors


def _check_config_round_trip(component: Any) -> None:
    config = component.config
    again = type(config).model_validate_json(config.model_dump_json())
    if again != config:
        raise ConformanceError(f"{component.zoo_name}: config does not survive a JSON round trip: {config!r} vs {again!r}.")


def check_component(name: str, atol: float = 1e-6, **overrides: Any) -> None:
    """Run every conformance check on one registered component.

    Args:
        name: the registry name.
        atol: tolerance for outputs after the weights round trip.
        **overrides: config overrides to make the component small enough for a test.

    Raises:
        ConformanceError: naming the first check that failed.
    """
    import torch

    from zoo.factory import build, resolve
    from zoo.weights import load_weights, save_weights

    entry = resolve(name)
    torch.manual_seed(0)
    component = build(name, **overrides)
    if component.zoo_name != entry.name:
        raise ConformanceError(f"{name}: built component has zoo_name {component.zoo_name!r}.")
    _check_config_round_trip(component)
    rebuilt = build(name, **component.config.model_dump(mode="json"))
    if rebuilt.config != component.config:
        raise ConformanceError(f"{name}: building from the dumped config gives a different config.")
    inputs = _example_inputs(component)
    expected = _forward(component, inputs)
    torch.manual_seed(1)  # a different initialisation, so equal outputs prove the weights loaded
    fresh = build(name, **component.config.model_dump(mode="json"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        save_weights(component, path)
        load_weights(fresh, path)
    actual = _forward(fresh, inputs)
    if len(actual) != len(expected):
        raise ConformanceError(f"{name}: output structure changed after the weights round trip.")
    for a, b in zip(actual, expected):
        if a.shape != b.shape or not torch.allclose(a.float(), b.float(), atol=atol, rtol=0):
            raise ConformanceError(f"{name}: outputs differ after a safetensors state-dict round trip.")
