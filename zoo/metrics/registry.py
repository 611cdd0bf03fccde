"""Metric names → accumulator classes (what a model's ``metric`` attribute names)."""

from __future__ import annotations

from typing import Any

from zoo.errors import ConfigError, close_matches
from zoo.metrics.classification import ClassificationAccumulator
from zoo.metrics.counting import CountingAccumulator
from zoo.metrics.mer import MERAccumulator

_ACCUMULATORS: dict[str, type] = {
    "counting": CountingAccumulator,
    "mer": MERAccumulator,
    "classification": ClassificationAccumulator,
}


def register_metric(name: str, accumulator_cls: type, override: bool = False) -> None:
    """Make ``name`` usable as a model's ``metric``.

    The class must provide ``update(output)``, ``merge(other)`` and ``compute() -> dict``.

    Raises:
        ConfigError: if the name is taken (and ``override`` is false) or the class lacks a method.
    """
    missing = [m for m in ("update", "merge", "compute") if not callable(getattr(accumulator_cls, m, None))]
    if missing:
        raise ConfigError(f"Metric accumulator {accumulator_cls.__name__} lacks {missing}.")
    if name in _ACCUMULATORS and not override:
        raise ConfigError(f"Metric {name!r} is already registered ({_ACCUMULATORS[name].__name__}).")
    _ACCUMULATORS[name] = accumulator_cls


def metric_names() -> list[str]:
    """The registered metric names."""
    return sorted(_ACCUMULATORS)


def get_accumulator(name: str, **kwargs: Any) -> Any:
    """A fresh accumulator for the metric called ``name``.

    Raises:
        ConfigError: if no metric has that name (with close matches).
    """
    try:
        cls = _ACCUMULATORS[name]
    except KeyError:
        hint = close_matches(name, _ACCUMULATORS)
        raise ConfigError(
            f"Unknown metric {name!r}; known: {', '.join(metric_names())}."
            + (f" Did you mean {', '.join(hint)}?" if hint else "")
            + " Set the model class's `metric` attribute to one of them."
        ) from None
    return cls(**kwargs)
