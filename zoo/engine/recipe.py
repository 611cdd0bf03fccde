"""Recipes: what ``zoo train RECIPE`` builds, trains and publishes.

A recipe is either a catalog entry (its ``model``, ``config`` and ``recipe`` table) or a TOML file
with this schema (validated by :class:`Recipe`, unknown keys are errors)::

    name = "toy-run"                      # optional; default: the file name (or the entry's name)
    model = "model/l2hcount"              # registry name (or a catalog name: its architecture)
    [config]                              # the model's config fields (parts by registry name)
    memory = "memory/dual-density"
    [dataset]                             # training data (alias: train_data)
    name = "dataset/shanghaitech"
    config = { part = "B", split = "train" }
    [eval_dataset]                        # optional evaluation data (alias: eval_data)
    name = "dataset/shanghaitech"
    config = { part = "A", split = "test" }
    [train]                               # zoo.engine.TrainConfig fields
    epochs = 300
    lr = 1e-4
    [card]                                # optional model-card facts
    summary = "..."
    license = "apache-2.0"
    training_data = "ShanghaiTech B train"

A catalog entry carries the ``dataset``/``eval_dataset``/``train`` tables in its ``recipe`` field;
its ``summary``, ``license``, ``tags`` and ``data`` fill the card.

Command-line changes: ``--data PATH`` sets ``root`` of both datasets, ``--out DIR`` sets
``train.out_dir`` (default ``runs/<name>``), and ``key=value`` overrides reach the model config
(``model.memory=None``, ``model.experts.texture=expert/x``), the datasets
(``dataset.split=val``) and the train config (``train.epochs=3``); see
:mod:`zoo.engine.overrides` for how values are parsed.

The run ends by writing ``<out_dir>/publish/`` with :func:`zoo.save` (config.json,
model.safetensors, README.md model card whose metrics name the data they were measured on),
which ``zoo publish`` accepts as is, and ``<out_dir>/recipe.json`` (the resolved recipe).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from zoo.config import dotted_to_nested, merge_overrides
from zoo.engine.config import TrainConfig
from zoo.engine.overrides import parse_overrides
from zoo.errors import ConfigError, InputError


class DatasetSpec(BaseModel):
    """A registered dataset and its config."""

    model_config = ConfigDict(extra="forbid")

    name: str
    config: dict[str, Any] = {}

    def describe(self) -> str:
        """Human words for the data (used as a metric's ``measured_on``)."""
        settings = ", ".join(f"{k}={v}" for k, v in self.config.items() if k != "root")
        root = self.config.get("root")
        return f"{self.name}" + (f" ({settings})" if settings else "") + (f" at {root}" if root else "")


class CardSpec(BaseModel):
    """Model-card facts a recipe can state."""

    model_config = ConfigDict(extra="forbid")

    summary: str = ""
    license: str = "other"
    tags: list[str] = []
    training_data: str = ""
    task: str = "other"


class Recipe(BaseModel):
    """A validated recipe (see the module docstring for the TOML form)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.+-]*$")
    model: str
    config: dict[str, Any] = {}
    dataset: DatasetSpec = Field(validation_alias=AliasChoices("dataset", "train_data"))
    eval_dataset: DatasetSpec | None = Field(None, validation_alias=AliasChoices("eval_dataset", "eval_data"))
    train: TrainConfig = TrainConfig()
    card: CardSpec = CardSpec()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9_.+-]+", "-", text.lower()).strip("-") or "run"


def read_recipe_source(ref: str) -> dict[str, Any]:
    """The raw recipe dict of a TOML file path or a catalog entry name.

    Raises:
        InputError: if the TOML file is invalid, or the entry has no ``recipe`` table.
        UnknownComponentError: if ``ref`` is neither a file nor a catalog name.
    """
    path = Path(ref)
    if ref.endswith(".toml") or path.is_file():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"Cannot read recipe {ref}: {exc}") from None
        raw.setdefault("name", _slug(path.stem))
        return raw
    from zoo.catalog import get_catalog

    entry = get_catalog().get(ref)
    if not entry.recipe:
        raise InputError(
            f"Catalog entry {entry.name!r} has no recipe table (dataset, eval_dataset, train); "
            "write a recipe TOML file instead (see `zoo train --help`)."
        )
    card = {"summary": entry.summary, "license": entry.license, "tags": entry.tags, "training_data": entry.data}
    return {"name": entry.name, "model": entry.model, "config": entry.config, "card": card, **entry.recipe}


def _dataset_key(raw: dict[str, Any], canonical: str, alias: str) -> str:
    return alias if alias in raw and canonical not in raw else canonical


def apply_overrides(
    raw: dict[str, Any], overrides: list[str] | tuple[str, ...] = (), data: str | None = None, out: str | None = None
) -> Recipe:
    """Apply ``--data``, ``--out`` and ``key=value`` overrides to a raw recipe and validate it.

    Raises:
        InputError: if an override is malformed or targets an evaluation dataset the recipe lacks.
        ConfigError: if the result does not validate (unknown keys, bad values).
    """
    routed = parse_overrides(overrides)
    raw = dict(raw)
    raw["config"] = merge_overrides(raw.get("config", {}), routed["model"])
    for canonical, alias in (("dataset", "train_data"), ("eval_dataset", "eval_data")):
        key = _dataset_key(raw, canonical, alias)
        spec = raw.get(key)
        if spec is None:
            if routed[canonical]:
                raise InputError(f"The recipe has no {canonical} table to override.")
            continue
        config = merge_overrides(dict(spec.get("config", {})), dotted_to_nested(routed[canonical]))
        if data is not None:
            config["root"] = data
        raw[key] = {**spec, "config": config}
    train = {**raw.get("train", {}), **routed["train"]}
    train["out_dir"] = out or train.get("out_dir") or f"runs/{raw.get('name', 'run')}"
    raw["train"] = train
    try:
        return Recipe.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<recipe>'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Invalid recipe {raw.get('name', '?')!r}: {problems}.") from None


@dataclass
class RecipeResult:
    """What a recipe run produced."""

    recipe: Recipe
    out_dir: Path
    publish_dir: Path | None  # None on ranks other than 0
    summary: dict[str, Any]


def card_for(recipe: Recipe, summary: dict[str, Any], reproduce: str) -> dict[str, Any]:
    """Model-card fields: every metric says the data it was measured on and after how much training."""
    metrics = []
    if recipe.eval_dataset is not None:
        setting = f"after {summary['epoch']} epochs ({summary['step']} steps)"
        measured_on = recipe.eval_dataset.describe()
        for name, value in summary.get("eval", {}).items():
            if isinstance(value, (int, float)):
                metrics.append({"name": name, "value": float(value), "measured_on": measured_on, "setting": setting})
    return {
        "name": recipe.name,
        "summary": recipe.card.summary,
        "license": recipe.card.license,
        "tags": recipe.card.tags,
        "task": recipe.card.task,
        "training_data": recipe.card.training_data or recipe.dataset.describe(),
        "metrics": metrics,
        "reproduce": reproduce,
    }


def run_recipe(
    ref: str,
    data: str | None = None,
    out: str | None = None,
    resume: bool = False,
    overrides: list[str] | tuple[str, ...] = (),
) -> RecipeResult:
    """Build, train, evaluate and save a recipe (works the same under ``torchrun``).

    Raises:
        InputError, ConfigError: for a bad recipe or override.
        UnknownComponentError: if the recipe names an unknown model or dataset.
        TrainingError, CheckpointError: from the trainer.
    """
    import zoo
    from zoo.engine.distributed import teardown_distributed
    from zoo.engine.trainer import Trainer

    recipe = apply_overrides(read_recipe_source(ref), overrides, data, out)
    model = zoo.build(recipe.model, **recipe.config)
    train_data = zoo.build(recipe.dataset.name, **recipe.dataset.config)
    eval_data = zoo.build(recipe.eval_dataset.name, **recipe.eval_dataset.config) if recipe.eval_dataset else None
    trainer = Trainer(model, recipe.train, train_data=train_data, eval_data=eval_data, resume=resume)
    summary = trainer.fit()
    out_dir = Path(recipe.train.out_dir)
    publish_dir = None
    if trainer.context.is_main:
        (out_dir / "recipe.json").write_text(recipe.model_dump_json(indent=2), encoding="utf-8")
        reproduce = " ".join(["zoo train", ref, *(["--data <DATA>"] if data else []), *overrides])
        publish_dir = zoo.save(trainer.model, out_dir / "publish", card=card_for(recipe, summary, reproduce))
    teardown_distributed()
    return RecipeResult(recipe, out_dir, publish_dir, summary)
