"""``key=value`` overrides from the command line: parsing values and routing keys.

Values are read as JSON, then as a TOML value, and otherwise kept as the literal string, so
``train.epochs=3`` is an int, ``train.lr=1e-4`` a float, ``model.memory=None`` (or ``null``)
switches a part off, ``model.experts.texture=expert/lbp-top`` names a component, and
``dataset.classes='[1, 2]'`` a list.
"""

from __future__ import annotations

import json
import tomllib
from typing import Any

from zoo.errors import InputError

#: Where an override can go: the model config, a dataset config, the protocol, or the train config.
TARGETS = ("model", "dataset", "eval_dataset", "protocol", "train")


def parse_value(text: str) -> Any:
    """The value of an override (JSON, else a TOML value, else the string itself)."""
    if text in ("None", "none"):
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        try:  # TOML literals JSON lacks: 'single quotes', inline tables, true/false, dates
            return tomllib.loads(f"value = {text}")["value"]
        except tomllib.TOMLDecodeError:
            return text


def parse_overrides(items: list[str] | tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Split ``["train.epochs=3", "model.memory=None"]`` into ``{"train": {"epochs": 3}, ...}``.

    Keys under a target stay dotted (``{"model": {"experts.texture": "expert/x"}}``): the model
    config merge (:func:`zoo.config.merge_overrides`) understands dotted keys and parts.

    Raises:
        InputError: if an item has no ``=``, no known target prefix, or an empty key.
    """
    routed: dict[str, dict[str, Any]] = {target: {} for target in TARGETS}
    for item in items:
        key, sep, raw = item.partition("=")
        target, dot, rest = key.strip().partition(".")
        if not sep or not dot or not rest or target not in TARGETS:
            raise InputError(
                f"Override {item!r} must look like <target>.<field>=<value> with target one of "
                f"{', '.join(TARGETS)} (e.g. train.epochs=3, model.memory=None)."
            )
        routed[target][rest] = parse_value(raw.strip())
    return routed
