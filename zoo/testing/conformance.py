"""The conformance kit: the contract every registered component must meet.

timm parametrizes its tests over ``list_models()``; we ship the same idea so plugin authors run it
over their own components: build from the default config, check the kind's declared contract
(an expert's ``tokens``/``out_dim`` and output ``[B, tokens, out_dim]``, an encoder's
``out_channels``, ...; see :mod:`zoo.components`), forward on a tiny input, round-trip the weights
through safetensors, and round-trip the config through JSON.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from zoo.errors import ZooError

#: The kinds the kit checks: every kind but ``dataset`` (datasets need data on disk).
CHECKED_KINDS: tuple[str, ...] = ("encoder", "expert", "memory", "head", "model")


class ConformanceError(ZooError, AssertionError):
    """A component broke one of the contract's checks (the message names which)."""


def conformance_names(pattern: str = "*", distribution: str | None = None, kinds: tuple[str, ...] = CHECKED_KINDS) -> list[str]:
    """Registered component names to check: every one the distribution registers, datasets excluded.

    Args:
        pattern: fnmatch pattern over names.
        distribution: only components of this distribution (``"zoo-l2hcount"``).
        kinds: the kinds to include.

    Raises:
        ConformanceError: if ``distribution`` is given but did not load or registers nothing of
            these kinds (a parametrized test would otherwise pass over an empty list).
    """
    from zoo.plugins import get_host

    host = get_host()
    names = []
    for kind in kinds:
        for name in host.registry.list(pattern, kind):
            if distribution is None or host.registry.entries[name].distribution == distribution:
                names.append(name)
    if distribution is not None and not names:
        statuses = [s for s in host.statuses.values() if s.distribution == distribution]
        why = "; ".join(f"plugin {s.name}: {s.error}" for s in statuses if s.error) or (
            "it is not installed" if not statuses else f"it registers no {'/'.join(kinds)} matching {pattern!r}"
        )
        raise ConformanceError(f"No components of {distribution} to check: {why}.")
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


def _run(component: Any, inputs: tuple[Any, ...]) -> Any:
    import torch

    component.eval()
    with torch.no_grad():
        return component(*inputs)


def _tensors(component: Any, output: Any) -> list[Any]:
    import torch

    tensors = _flatten(output)
    if not tensors:
        raise ConformanceError(f"{component.zoo_name}: forward returned no tensors.")
    for tensor in tensors:
        if tensor.is_floating_point() and not torch.isfinite(tensor).all():
            raise ConformanceError(f"{component.zoo_name}: forward produced non-finite values.")
    return tensors


def _positive_int(component: Any, attribute: str, contract: str) -> int:
    value = getattr(component, attribute, None)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConformanceError(
            f"{component.zoo_name}: {type(component).__name__}.{attribute} must be a positive int "
            f"({contract}), got {value!r}. Set it in __init__ (see zoo.{component.kind.capitalize()})."
        )
    return value


def _check_encoder(component: Any, output: Any, inputs: tuple[Any, ...]) -> None:
    channels = getattr(component, "out_channels", None)
    tensors = _flatten(output)
    if isinstance(channels, (list, tuple)):
        widths = [t.shape[1] if t.ndim > 1 else None for t in tensors]
        if list(channels) != widths:
            raise ConformanceError(
                f"{component.zoo_name}: out_channels={list(channels)} but forward returned maps of widths {widths}."
            )
        return
    width = _positive_int(component, "out_channels", "the width of the features forward returns")
    first = tensors[0]
    if first.ndim < 2 or width not in (first.shape[1], first.shape[-1]):
        raise ConformanceError(
            f"{component.zoo_name}: out_channels={width} but forward returned {tuple(first.shape)} "
            "(expected the width at dim 1, or last for token sequences)."
        )


def _check_expert(component: Any, output: Any, inputs: tuple[Any, ...]) -> None:
    tokens = _positive_int(component, "tokens", "how many tokens forward returns")
    out_dim = _positive_int(component, "out_dim", "the width of each token")
    first = _flatten(output)[0]
    if first.ndim != 3 or tuple(first.shape[1:]) != (tokens, out_dim):
        raise ConformanceError(
            f"{component.zoo_name}: forward returned {tuple(first.shape)}, expected [B, tokens={tokens}, out_dim={out_dim}]."
        )


def _check_memory(component: Any, output: Any, inputs: tuple[Any, ...]) -> None:
    query, refined = _flatten(inputs)[:1], _flatten(output)[0]
    if query and refined.shape != query[0].shape:
        raise ConformanceError(
            f"{component.zoo_name}: a memory returns the refined features in the shape of its input "
            f"{tuple(query[0].shape)}, got {tuple(refined.shape)}."
        )


def _check_model(component: Any, output: Any, inputs: tuple[Any, ...]) -> None:
    from zoo.metrics import metric_names

    metric = type(component).metric
    if metric is not None and metric not in metric_names():
        raise ConformanceError(
            f"{component.zoo_name}: metric {metric!r} is not a registered metric ({', '.join(metric_names())})."
        )
    task = type(component).task
    if task is not None and (not isinstance(task, str) or not task):
        raise ConformanceError(f"{component.zoo_name}: task must be a non-empty string, got {task!r}.")


_KIND_CHECKS = {"encoder": _check_encoder, "expert": _check_expert, "memory": _check_memory, "model": _check_model}


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

    from zoo.factory import build_entry, resolve
    from zoo.weights import load_weights, save_weights

    entry = resolve(name)  # once: every build below uses the resolved entry
    if not hasattr(entry, "kind"):
        raise ConformanceError(f"{name} is a catalog entry; check its model ({entry.model}) instead.")
    torch.manual_seed(0)
    component = build_entry(entry, **overrides)
    _check_config_round_trip(component)
    rebuilt = build_entry(entry, **component.config.model_dump(mode="json"))
    if rebuilt.config != component.config:
        raise ConformanceError(f"{name}: building from the dumped config gives a different config.")
    inputs = _example_inputs(component)
    output = _run(component, inputs)
    expected = _tensors(component, output)
    check = _KIND_CHECKS.get(entry.kind)
    if check is not None:
        check(component, output, inputs)
    torch.manual_seed(1)  # a different initialisation, so equal outputs prove the weights loaded
    fresh = build_entry(entry, **component.config.model_dump(mode="json"))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.safetensors"
        save_weights(component, path)
        load_weights(fresh, path)
    actual = _tensors(fresh, _run(fresh, inputs))
    if len(actual) != len(expected):
        raise ConformanceError(f"{name}: output structure changed after the weights round trip.")
    for a, b in zip(actual, expected):
        if a.shape != b.shape or not torch.allclose(a.float(), b.float(), atol=atol, rtol=0):
            raise ConformanceError(f"{name}: outputs differ after a safetensors state-dict round trip.")
