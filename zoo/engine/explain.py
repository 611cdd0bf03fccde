"""What a recipe will run, resolved: every config with its defaults, pretrained backbones, protocol.

``zoo recipe explain NAME`` prints :func:`explain_recipe`; docs/methods decision tables are checked
against it (``tests/test_recipe_docs.py``), and ``zoo train --from-scratch`` uses
:func:`pretrained_fields` to switch every pretrained backbone off. Configs are resolved through the
registry's config classes (``zoo.factory.resolve_config``), parts recursively. Then the model is
built once on torch's ``meta`` device with pretrained weights skipped (no weights are fetched,
allocated or read), and each part's config is replaced by the one it was built with: the values a
model imposes on its parts (``build_part(ref, num_classes=len(class_names))``) show as imposed, not
as the part's defaults. A build that cannot run here (an LLM that is not in the cache) leaves the
parts as resolved and says so in ``imposed``.

Layout of the result (the dotted keys of the docs tables index into it)::

    name, architecture            recipe name, the model's registry name
    model                         the model config, every default filled in; a part is
                                  {name, config} with the part's config as built (or resolved)
    imposed                       {"read": bool, "note": str}: whether part configs are as built
    dataset, eval_dataset         {name, config} with every default (eval_dataset may be null)
    protocol, runner, stages      how it is evaluated (stages: a runner's settings)
    train                         every TrainConfig field
    pretrained                    {dotted path in model: {component, pretrained}} for each field
                                  called ``pretrained`` (a bool, or the id of pretrained weights)
    augmentations                 training-dataset fields that configure augmentation (by name; see
                                  :func:`augmentation_fields`)
    card, notes                   what the recipe says about itself
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from zoo.config import PartRef
from zoo.engine.recipe import DatasetSpec, Recipe

#: Dataset config fields treated as augmentation settings (matched as substrings of the name),
#: unless the field says otherwise (see :func:`augmentation_fields`).
AUGMENTATION_WORDS = (
    "augment", "flip", "jitter", "crop", "rotat", "translat", "scale", "noise", "simulat", "mask", "magnif",
)


def resolve_part(name: str, config: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{"name": <canonical registry name>, "config": <every field, parts resolved>}``.

    Raises:
        UnknownComponentError: if ``name`` (or a part inside it) is not registered.
        ConfigError: if the config does not validate.
    """
    from zoo.factory import resolve_config

    entry, resolved = resolve_config(name, **(config or {}))
    return {"name": entry.name, "config": _expand(resolved)}


def _expand(value: Any) -> Any:
    if isinstance(value, PartRef):
        return resolve_part(value.name, dict(value.config))
    if isinstance(value, BaseModel):
        return {key: _expand(getattr(value, key)) for key in type(value).model_fields}
    if isinstance(value, dict):
        return {key: _expand(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_expand(item) for item in value]
    return to_jsonable_python(value)


def pretrained_fields(model_config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every field called ``pretrained`` in a resolved model config, by dotted path.

    ``{"encoder": {"name": "encoder/vgg16-bn", "config": {"pretrained": True}}}`` gives
    ``{"encoder.config.pretrained": True}``.
    """
    found: dict[str, Any] = {}
    for key, value in model_config.items():
        path = f"{prefix}{key}"
        if key == "pretrained" and not isinstance(value, dict):
            found[path] = value
        elif isinstance(value, dict):
            found.update(pretrained_fields(value, f"{path}."))
    return found


def from_scratch_overrides(model_config: dict[str, Any]) -> list[str]:
    """The ``model.*`` overrides that switch every pretrained field off (random initialisation).

    A boolean ``pretrained`` becomes ``false``; one naming weights (a Hub id or folder, e.g. an
    LLM's) becomes ``None``.
    """
    overrides = []
    for path, value in pretrained_fields(model_config).items():
        if value is True:
            overrides.append(f"model.{path}=false")
        elif value not in (None, False):
            overrides.append(f"model.{path}=None")
    return overrides


def pretrained_summary(model_config: dict[str, Any], component: str | None, prefix: str = "") -> dict[str, Any]:
    """``{path: {"component", "pretrained"}}`` for each ``pretrained`` field of a resolved config.

    ``path`` is where the field's owner sits in the model config (``"encoder"``,
    ``"experts.texture"``, ``"<model>"`` for the model itself); ``component`` is the registry name
    of the part holding it.
    """
    found: dict[str, Any] = {}
    for key, value in model_config.items():
        if key == "pretrained" and not isinstance(value, dict):
            found[prefix.rstrip(".") or "<model>"] = {"component": component, "pretrained": value}
        elif isinstance(value, dict) and isinstance(value.get("config"), dict) and isinstance(value.get("name"), str):
            found.update(pretrained_summary(value["config"], value["name"], f"{prefix}{key}."))
        elif isinstance(value, dict):
            found.update(pretrained_summary(value, component, f"{prefix}{key}."))
    return found


def _dataset(spec: DatasetSpec | None) -> dict[str, Any] | None:
    return None if spec is None else resolve_part(spec.name, spec.config)


def augmentation_fields(config: BaseModel) -> dict[str, Any]:
    """The fields of a dataset config that configure training augmentation, with their values.

    A field declares it with ``Field(..., json_schema_extra={"augmentation": True})`` (or
    ``False``: never one). Otherwise the name decides: one containing ``augment`` is; one with
    another word of :data:`AUGMENTATION_WORDS` is when its value is a switch, a magnitude, a range
    or a table (``crop_size``, ``flip``, ``rotation_deg``), not when it is a string, which chooses
    a preprocessing method (``face_crop = "detect"``).
    """
    found = {}
    for key, field in type(config).model_fields.items():
        value = _expand(getattr(config, key))
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        declared = extra.get("augmentation")
        name = key.lower()
        if declared is None:
            declared = "augment" in name or (
                any(word in name for word in AUGMENTATION_WORDS) and not isinstance(value, str)
            )
        if declared:
            found[key] = value
    return found


def _as_built(model_config: dict[str, Any], architecture: str, recipe: Recipe) -> dict[str, Any]:
    """Replace each part's resolved config by the config it is built with (imposed values included).

    Returns:
        ``{"read": True, "note": ""}``, or ``read`` False and why when the model cannot be built
        here (the parts then stay as resolved).

    Raises:
        ConfigError, UnknownComponentError: a config the model cannot be built from (a part
            override contradicting a value the model imposes).
    """
    import torch

    from zoo.errors import ConfigError, UnknownComponentError
    from zoo.factory import build
    from zoo.pretrained import skip_pretrained_weights

    try:
        with skip_pretrained_weights(), torch.device("meta"):
            model = build(architecture, **recipe.config)
    except (ConfigError, UnknownComponentError):
        raise
    except Exception as exc:  # noqa: BLE001 - any reason the build cannot run here is reported, not fatal
        return {"read": False, "note": (
            f"the model could not be built here to read the values it imposes on its parts "
            f"({type(exc).__name__}: {' '.join(str(exc).split())[:300]}); part configs show their resolved defaults")}
    for path, module in model.named_modules():
        config = getattr(module, "config", None)
        node = _part_node(model_config, path) if path and isinstance(config, BaseModel) else None
        if node is not None and node.get("name") == getattr(module, "zoo_name", None):
            node["config"] = _expand(config)
    return {"read": True, "note": ""}


def _part_node(model_config: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The ``{name, config}`` node of the part built at module path ``path`` (``experts.texture``)."""
    node: Any = model_config
    segments = path.split(".")
    for index, segment in enumerate(segments):
        if not isinstance(node, dict) or segment not in node:
            return None
        node = node[segment]
        is_part = isinstance(node, dict) and isinstance(node.get("name"), str) and isinstance(node.get("config"), dict)
        if index == len(segments) - 1:
            return node if is_part else None
        if is_part:
            node = node["config"]
    return None


def explain_recipe(recipe: Recipe) -> dict[str, Any]:
    """The resolved recipe (see the module docstring for the layout).

    Raises:
        UnknownComponentError: if the model, a part or a dataset is not registered.
        ConfigError: if a config does not validate, or the model refuses it when built (a part
            override contradicting a value the model imposes).
    """
    from zoo.factory import resolve_config

    model = resolve_part(recipe.model, recipe.config)
    imposed = _as_built(model["config"], model["name"], recipe)
    dataset = _dataset(recipe.dataset)
    augmentations = augmentation_fields(resolve_config(recipe.dataset.name, **recipe.dataset.config)[1])
    return {
        "name": recipe.name,
        "architecture": model["name"],
        "model": model["config"],
        "imposed": imposed,
        "dataset": dataset,
        "eval_dataset": _dataset(recipe.eval_dataset),
        "protocol": recipe.protocol.model_dump(mode="json"),
        "runner": recipe.runner,
        "stages": recipe.stages,
        "train": recipe.train.model_dump(mode="json"),
        "pretrained": pretrained_summary(model["config"], model["name"]),
        "augmentations": augmentations,
        "card": recipe.card.model_dump(mode="json"),
        "notes": recipe.notes,
    }


def lookup(explained: dict[str, Any], dotted: str) -> Any:
    """The value at ``dotted`` (``model.encoder.config.pretrained``) in an explained recipe.

    Raises:
        KeyError: naming the first segment that does not exist.
    """
    node: Any = explained
    walked = []
    for key in dotted.split("."):
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            where = ".".join(walked) or "<top>"
            options = ", ".join(sorted(node)) if isinstance(node, dict) else type(node).__name__
            raise KeyError(f"{dotted!r}: no {key!r} under {where} (has: {options})")
        walked.append(key)
    return node
