"""Recipes: what ``zoo train RECIPE`` builds, trains and publishes.

A recipe is either a catalog entry (its ``model``, ``config`` and ``recipe`` table) or a TOML file
with this schema (validated by :class:`Recipe`, unknown keys are errors)::

    name = "toy-run"                      # optional; default: the file name (or the entry's name)
    model = "model/l2hcount"              # registry name (or a catalog name: its architecture)
    runner = "zoo_x.stages:run"           # optional: a plugin's multi-stage runner, used instead of protocol
    [config]                              # the model's config fields (parts by registry name)
    memory = "memory/dual-density"
    [dataset]                             # training data (alias: train_data)
    name = "dataset/shanghaitech"
    config = { part = "B", split = "train" }
    [eval_dataset]                        # optional evaluation data (alias: eval_data)
    name = "dataset/shanghaitech"
    config = { part = "A", split = "test" }
    [protocol]                            # optional; or the shorthand protocol = "loso"
    kind = "holdout"                      # "holdout": train on dataset, test on eval_dataset;
                                          # "loso": leave-one-subject-out folds of dataset
    test_subjects = ["sub07"]             # loso only: run only these folds (default: all)
    [train]                               # zoo.engine.TrainConfig fields
    epochs = 300
    lr = 1e-4
    [stages]                              # optional, runner only: free-form; the runner validates it
    incremental = { base = 4, epochs = 40 }
    [notes]                               # optional free-form facts for people; zoo train ignores them
    variants = { classes = [3, 4, 7] }
    [card]                                # optional model-card facts
    summary = "..."
    license = "apache-2.0"
    training_data = "ShanghaiTech B train"

With ``runner`` set, ``zoo train`` calls ``runner(recipe, resume)`` instead of the holdout/LOSO
protocol. It has :func:`zoo.engine.runner.run_holdout`'s contract: it returns the
``zoo.engine.Trainer`` that trained the model to publish (its ``model_state_dict()``, gathered on
every rank, is saved with its ``model``'s config; its ``context`` says which rank writes) and a summary dict with ``step``, ``epoch``, ``eval`` (metric name →
number), ``measured_on`` and ``setting``; the publish folder, card and ``recipe.json`` are then
written as for any recipe. A runner may call ``run_holdout`` itself for a stage (e.g. pre-training).
Its ``stages`` table is free-form here (``stages.<key>=value`` overrides reach it) and validated
by the runner; ``stages`` without ``runner`` is an error.

A catalog entry carries the ``dataset``/``eval_dataset``/``train`` tables in its ``recipe`` field;
its ``summary``, ``license``, ``tags`` and ``data`` fill the card.

Command-line changes: ``--data PATH`` sets ``root`` of both datasets, ``--out DIR`` sets
``train.out_dir`` (default ``runs/<name>``; a file, a link, or a folder already holding a run
without ``--resume`` is refused), and ``key=value`` overrides reach the model config
(``model.memory=None``, ``model.experts.texture=expert/x``), the datasets
(``dataset.split=val``), the protocol (``protocol.kind=loso``), the train config
(``train.epochs=3``) and a runner's stages (``stages.incremental.epochs=2``); see
:mod:`zoo.engine.overrides` for how values are parsed.

Under ``protocol = "loso"`` the dataset must have a ``subjects`` property (the subject of each
item). One model per held-out subject is trained from the same seed (in ``<out_dir>/folds/<subject>``),
every fold's test outputs go into one metric accumulator (TP/FP/FN summed over folds before
UF1/UAR), and then a model is trained on all subjects (``<out_dir>/final``): that is the model
published, its card reporting the pooled LOSO metrics.

The run ends by writing ``<out_dir>/publish/`` with :func:`zoo.save` (config.json,
model.safetensors, README.md model card whose metrics name the data they were measured on, and
metrics.json), which ``zoo publish`` accepts as is, ``<out_dir>/recipe.json`` (the resolved recipe)
and, last, ``<out_dir>/summary.json`` (the run's arguments and results). The card is written from
what ran (:mod:`zoo.engine.run_card`: data fingerprint, overrides, pretrained parts, seeds, code
version, machine; synthetic data named synthetic); the running is :mod:`zoo.engine.runner`'s, and
``zoo recipe explain`` (:mod:`zoo.engine.explain`) shows a recipe fully resolved.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zoo.config import dotted_to_nested, merge_overrides
from zoo.engine.config import TrainConfig
from zoo.engine.overrides import parse_overrides, parse_value
from zoo.errors import ConfigError, InputError
from zoo.provenance import SyntheticMarker, display_path, find_synthetic_marker


class DatasetSpec(BaseModel):
    """A registered dataset and its config."""

    model_config = ConfigDict(extra="forbid")

    name: str
    config: dict[str, Any] = {}

    def location(self) -> Path | None:
        """The data on disk: the config's ``root`` (a folder) or ``path`` (a file), if set."""
        for key in ("root", "path"):
            value = self.config.get(key)
            if isinstance(value, str) and value:
                return Path(value)
        return None

    def synthetic_marker(self) -> SyntheticMarker | None:
        """The ``SYNTHETIC.json`` of the data's folder or a parent (None for real or in-memory data)."""
        location = self.location()
        return find_synthetic_marker(location) if location is not None and location.exists() else None

    def describe(self) -> str:
        """Human words for the data (a metric's ``measured_on``): synthetic data is named so, and
        the location is shown relative or by its last part (never the user's absolute path)."""
        settings = ", ".join(f"{k}={v}" for k, v in self.config.items() if k not in ("root", "path"))
        location = self.location()
        text = f"{self.name}" + (f" ({settings})" if settings else "")
        text += f" at {display_path(location)}" if location is not None else ""
        marker = self.synthetic_marker()
        return f"{marker.describe()}: {text}" if marker is not None else text


class CardSpec(BaseModel):
    """Model-card facts a recipe can state."""

    model_config = ConfigDict(extra="forbid")

    summary: str = ""
    license: str = "other"
    tags: list[str] = []
    training_data: str = Field("", description="the recipe's words for its data; used only when the run read that data")
    datasets: list[str] = Field([], description="Hub dataset ids of the recipe's data (card metadata)")
    task: str = "other"


class ProtocolSpec(BaseModel):
    """How the model is evaluated: a held-out set, or leave-one-subject-out folds of ``dataset``."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["holdout", "loso"] = "holdout"
    test_subjects: list[str] | None = Field(None, description="loso: run only these folds")


class Recipe(BaseModel):
    """A validated recipe (see the module docstring for the TOML form)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=(), populate_by_name=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_.+-]*$")
    model: str
    config: dict[str, Any] = {}
    dataset: DatasetSpec = Field(validation_alias=AliasChoices("dataset", "train_data"))
    eval_dataset: DatasetSpec | None = Field(None, validation_alias=AliasChoices("eval_dataset", "eval_data"))
    protocol: ProtocolSpec = ProtocolSpec()
    train: TrainConfig = TrainConfig()
    card: CardSpec = CardSpec()
    runner: str | None = Field(
        None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$",
        description="a plugin's multi-stage runner, package.module:function",
    )
    stages: dict[str, Any] = Field({}, description="the runner's settings, free-form here; the runner validates them")
    notes: dict[str, Any] = Field({}, description="free-form facts for people (variants, sources); not used")

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol_shorthand(cls, value: Any) -> Any:
        # `protocol = "loso"` is short for `[protocol] kind = "loso"`.
        return {"kind": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _stages_need_a_runner(self) -> "Recipe":
        if self.stages and self.runner is None:
            raise ValueError(
                "`stages` is read only by a `runner` (package.module:function); set runner or remove stages"
            )
        return self


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


def _split_stage_overrides(items: list[str] | tuple[str, ...]) -> tuple[list[str], dict[str, Any]]:
    """Take ``stages.<key>=value`` items out (a runner's settings; the other targets are routed by
    :func:`zoo.engine.overrides.parse_overrides`)."""
    rest, stages = [], {}
    for item in items:
        key, sep, value = item.partition("=")
        target, dot, field = key.strip().partition(".")
        if target == "stages" and sep and dot and field:
            stages[field] = parse_value(value.strip())
        else:
            rest.append(item)
    return rest, stages


def apply_overrides(
    raw: dict[str, Any], overrides: list[str] | tuple[str, ...] = (), data: str | None = None, out: str | None = None
) -> Recipe:
    """Apply ``--data``, ``--out`` and ``key=value`` overrides to a raw recipe and validate it.

    Raises:
        InputError: if an override is malformed or targets an evaluation dataset the recipe lacks.
        ConfigError: if the result does not validate (unknown keys, bad values).
    """
    overrides, stage_overrides = _split_stage_overrides(overrides)
    routed = parse_overrides(overrides)
    raw = dict(raw)
    if stage_overrides:
        raw["stages"] = merge_overrides(raw.get("stages", {}), stage_overrides)
    raw["config"] = merge_overrides(raw.get("config", {}), routed["model"])
    for canonical, alias in (("dataset", "train_data"), ("eval_dataset", "eval_data")):
        key = _dataset_key(raw, canonical, alias)
        spec = raw.get(key)
        if spec is None:
            if routed[canonical]:
                raise InputError(f"The recipe has no {canonical} table to override.")
            continue
        if isinstance(spec, str):  # `dataset = "dataset/x"` is short for `{name = "dataset/x"}`
            spec = {"name": spec}
        config = merge_overrides(dict(spec.get("config", {})), dotted_to_nested(routed[canonical]))
        if data is not None:
            config["root"] = data
        raw[key] = {**spec, "config": config}
    if routed["protocol"]:
        protocol = raw.get("protocol", {})
        raw["protocol"] = {**({"kind": protocol} if isinstance(protocol, str) else protocol), **routed["protocol"]}
    train = {**raw.get("train", {}), **routed["train"]}
    train["out_dir"] = out or train.get("out_dir") or f"runs/{raw.get('name', 'run')}"
    raw["train"] = train
    try:
        return Recipe.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '<recipe>'}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Invalid recipe {raw.get('name', '?')!r}: {problems}.") from None


def read_recipe(
    ref: str, overrides: list[str] | tuple[str, ...] = (), data: str | None = None, out: str | None = None
) -> Recipe:
    """The validated recipe ``ref`` (a catalog name or a recipe .toml) with overrides applied.

    Raises:
        InputError, ConfigError: for a bad recipe or override.
        UnknownComponentError: if ``ref`` is neither a file nor a catalog name.
    """
    return apply_overrides(read_recipe_source(ref), overrides, data, out)
