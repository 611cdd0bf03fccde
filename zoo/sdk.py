"""The plugin SDK: everything a zoo plugin may import from the core, in one documented place.

A plugin imports ``zoo`` (the user API: ``zoo.build``, ``zoo.load``, ``zoo.hookimpl``, the kind
base classes) and ``zoo.sdk``; its tests may also import ``zoo.testing``. Nothing else of the core
is public to plugins: internals may move between releases, this surface does not (names are only
ever added). ``tests/test_sdk_boundary.py`` walks every in-tree plugin's imports and fails on
anything outside it.

Like ``zoo`` itself, every name is imported on first use, so ``import zoo.sdk`` is as light as
``import zoo`` (plugin registration modules import it without pulling in torch).

Groups (see docs/architecture.md, "The plugin SDK"):

- components and configs: ``Component``, ``Encoder``, ``Expert``, ``Memory``, ``Head``, ``Model``,
  ``Dataset``, ``ComponentConfig``, ``Part``, ``OptionalPart``, ``PartRef``, ``build``,
  ``build_part``, ``resolve_config``, ``config_class``, ``merge_overrides``, ``hookimpl``
- errors and warnings: ``ZooError``, ``InputError``, ``ConfigError``, ``CatalogError``, ...
- catalog lookup: ``catalog_entry``, ``catalog_ablation``, ``CatalogEntry``, ``MetricRecord``,
  ``toml_inline`` (a config as a TOML inline value, for the catalog entry a run prints)
- data quality: ``SkippedRecords`` (the ``strict`` switch of loaders), ``DataWarning``,
  ``atomic_output_dir`` (writers build into a temporary folder and rename at the end),
  ``write_synthetic_marker`` (labels generated data as synthetic)
- pretrained backbones: ``create_timm_model``, ``PretrainedWeights``, ``pretrained_weights_skipped``
  (true while ``zoo.load`` builds: the checkpoint's weights replace the pretrained ones)
- prediction: ``Processor``, ``Prediction``, ``agg_pyplot``, ``save_picture`` (pictures for ``render``)
- engine: ``Trainer``, ``TrainConfig``, ``seed_everything``, ``Recipe``, ``run_holdout``,
  ``run_loso``, ``run_recipe``, ``read_recipe``, ``run_ablation``, ``ablation_metric_records``,
  ``ablation_markdown``, ``load_latest_checkpoint``
- metrics: ``CountingAccumulator``, ``MERAccumulator``, ``ClassificationAccumulator``,
  ``cil_metrics``, ``get_accumulator``, ``register_metric``, ``MetricWarning``
- protocols: ``loso_splits``, ``Fold``, ``class_incremental_tasks``, ``density_split``
"""

from __future__ import annotations

from typing import Any

_EXPORTS: dict[str, str] = {
    # components and configs
    "Component": "zoo.components:Component",
    "Encoder": "zoo.components:Encoder",
    "Expert": "zoo.components:Expert",
    "Memory": "zoo.components:Memory",
    "Head": "zoo.components:Head",
    "Model": "zoo.components:Model",
    "Dataset": "zoo.components:Dataset",
    "build_part": "zoo.components:build_part",
    "ComponentConfig": "zoo.config:ComponentConfig",
    "Part": "zoo.config:Part",
    "OptionalPart": "zoo.config:OptionalPart",
    "PartRef": "zoo.config:PartRef",
    "merge_overrides": "zoo.config:merge_overrides",
    "build": "zoo.factory:build",
    "resolve_config": "zoo.factory:resolve_config",
    "config_class": "zoo.factory:config_class",
    "hookimpl": "zoo.hookspecs:hookimpl",
    # errors and warnings
    "ZooError": "zoo.errors:ZooError",
    "InputError": "zoo.errors:InputError",
    "ConfigError": "zoo.errors:ConfigError",
    "CatalogError": "zoo.errors:CatalogError",
    "RecipeNotPublishedError": "zoo.errors:RecipeNotPublishedError",
    "WeightsNotFoundError": "zoo.errors:WeightsNotFoundError",
    "HubUnavailableError": "zoo.errors:HubUnavailableError",
    "ChecksumMismatchError": "zoo.errors:ChecksumMismatchError",
    "CorruptWeightsError": "zoo.errors:CorruptWeightsError",
    "UnsafeWeightsError": "zoo.errors:UnsafeWeightsError",
    "PublishError": "zoo.errors:PublishError",
    "PredictUnsupportedError": "zoo.errors:PredictUnsupportedError",
    "MissingDependencyError": "zoo.errors:MissingDependencyError",
    "PretrainedWeightsUnavailableError": "zoo.errors:PretrainedWeightsUnavailableError",
    "DataWarning": "zoo.errors:DataWarning",
    # catalog lookup
    "catalog_entry": "zoo.catalog:catalog_entry",
    "catalog_ablation": "zoo.catalog:catalog_ablation",
    "toml_inline": "zoo.catalog_files:toml_inline",
    "CatalogEntry": "zoo.catalog:CatalogEntry",
    "MetricRecord": "zoo.catalog:MetricRecord",
    # data quality and writers
    "SkippedRecords": "zoo.data_quality:SkippedRecords",
    "atomic_output_dir": "zoo.fsutil:atomic_output_dir",
    "write_synthetic_marker": "zoo.provenance:write_synthetic_marker",
    # pretrained backbones
    "create_timm_model": "zoo.pretrained:create_timm_model",
    "PretrainedWeights": "zoo.pretrained:PretrainedWeights",
    "pretrained_weights_skipped": "zoo.pretrained:pretrained_weights_skipped",
    # prediction
    "Processor": "zoo.processing:Processor",
    "Prediction": "zoo.prediction:Prediction",
    "agg_pyplot": "zoo.pictures:agg_pyplot",
    "save_picture": "zoo.pictures:save_picture",
    # engine
    "Trainer": "zoo.engine.trainer:Trainer",
    "TrainConfig": "zoo.engine.config:TrainConfig",
    "seed_everything": "zoo.engine.trainer:seed_everything",
    "Recipe": "zoo.engine.recipe:Recipe",
    "read_recipe": "zoo.engine.recipe:read_recipe",
    "run_holdout": "zoo.engine.runner:run_holdout",
    "run_loso": "zoo.engine.runner:run_loso",
    "run_recipe": "zoo.engine.runner:run_recipe",
    "run_ablation": "zoo.ablation:run_spec",
    "ablation_metric_records": "zoo.ablation:metric_records",
    "ablation_markdown": "zoo.ablation:markdown_table",
    "load_latest_checkpoint": "zoo.engine.checkpointing:load_latest_checkpoint",
    # metrics
    "CountingAccumulator": "zoo.metrics:CountingAccumulator",
    "MERAccumulator": "zoo.metrics:MERAccumulator",
    "ClassificationAccumulator": "zoo.metrics:ClassificationAccumulator",
    "cil_metrics": "zoo.metrics:cil_metrics",
    "get_accumulator": "zoo.metrics:get_accumulator",
    "register_metric": "zoo.metrics:register_metric",
    "MetricWarning": "zoo.metrics:MetricWarning",
    # protocols
    "loso_splits": "zoo.protocols:loso_splits",
    "Fold": "zoo.protocols:Fold",
    "class_incremental_tasks": "zoo.protocols:class_incremental_tasks",
    "density_split": "zoo.protocols:density_split",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"zoo.sdk has no {name!r}; the plugin SDK is: {', '.join(__all__)}")
    import importlib

    module_name, _, attr = target.partition(":")
    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value  # cache: later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return list(__all__)
