"""``zoo train cmip-cil-mn40 --data ROOT``: cross-modal pre-training, then the class-incremental stage.

The recipes ``cmip-cil-mn40``/``cmip-cil-sn55`` name :func:`run_cmip_cil` as their ``runner``
(see :mod:`zoo.engine.recipe`). Stage 1 is the engine's holdout run of the recipe (``dataset``:
masked copies with points and views; ``train``: the pre-training schedule), without evaluation.
Stage 2 is :func:`zoo_cmip_cil.incremental.run_incremental` with the ``stages.incremental``
settings, for CMIP-CIL and each baseline of ``stages.baselines`` on the same frozen backbone and
split: training on renders of the whole training objects (``dataset`` with ``masked_variants=0``),
testing on the point clouds of ``eval_dataset``. The CMIP-CIL model after its last task is published.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, ValidationError

import zoo
from zoo.engine.recipe import Recipe
from zoo.errors import ConfigError, InputError
from zoo_cmip_cil.incremental import IncrementalConfig, plot_stage_accuracy, run_incremental
from zoo_cmip_cil.training import label_final_model, markdown_table, recalibrate_batchnorm


class Stages(BaseModel):
    """The recipe's ``stages`` table."""

    model_config = ConfigDict(extra="forbid")

    incremental: IncrementalConfig = IncrementalConfig()
    baselines: list[Literal["finetune", "simplecil", "icarl-nme"]] = ["finetune", "simplecil", "icarl-nme"]
    # Re-estimate BatchNorm statistics on the incremental training objects after pre-training
    # (needed after very short pre-training, see docs/methods/cmip-cil.md; off for the real schedule).
    recalibrate_batchnorm: bool = False


class _Lazy(Sequence):
    """A dataset's items (or one field of them), read on access: a real set's renders need not fit in memory."""

    def __init__(self, dataset: Any, key: str | None = None) -> None:
        self.dataset, self.key = dataset, key

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        item = self.dataset[index]
        return item if self.key is None else item[self.key]


def read_stages(recipe: Recipe) -> Stages:
    """The validated ``stages`` table.

    Raises:
        ConfigError: if it has unknown keys or bad values, or sets ``incremental.method``.
    """
    if "method" in recipe.stages.get("incremental", {}):
        raise ConfigError("stages.incremental.method is not read: CMIP-CIL always runs; "
                          "list the baselines to run in stages.baselines.")
    try:
        return Stages.model_validate(recipe.stages)
    except ValidationError as exc:
        problems = "; ".join(f"stages.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Invalid stages of recipe {recipe.name!r}: {problems}.") from None


def _check_recipe(recipe: Recipe) -> None:
    """Fail before pre-training on what the incremental stage could not do."""
    from zoo.factory import resolve_config

    if recipe.eval_dataset is None:
        raise InputError(f"Recipe {recipe.name!r} needs an eval_dataset: the test point clouds of the incremental "
                         "stage (e.g. the dataset's test split with render=false).")
    _, config = resolve_config(recipe.model, **recipe.config)
    if config.defects.pretrain_class_subset is not None:
        raise InputError("defects.pretrain_class_subset is applied by `zoo cmip-cil train-synth` only, not by the "
                         "recipe runner (it pre-trains on the whole dataset); remove it or filter the dataset.")


def _incremental_data(recipe: Recipe) -> tuple[Any, list[torch.Tensor], list[int]]:
    """The training set (whole objects with views, read lazily) and the test clouds and labels (loaded)."""
    train = zoo.build(recipe.dataset.name, **{**recipe.dataset.config, "masked_variants": 0, "render": True})
    test = zoo.build(recipe.eval_dataset.name, **recipe.eval_dataset.config)
    items = [test[i] for i in range(len(test))]
    return train, [i["points"] for i in items], [int(i["label"]) for i in items]


def run_cmip_cil(recipe: Recipe, resume: bool) -> tuple[Any, dict[str, Any]]:
    """Pre-train with the engine, then run CMIP-CIL and the baselines class-incrementally.

    Writes ``<out_dir>/incremental/results.json`` (every method's accuracy matrix, A_B, Ā,
    forgetting, task blocks), ``results.md`` and ``accuracy_per_task.png``.

    Returns:
        The engine Trainer of CMIP-CIL's last task (its model is the one to publish) and the
        summary: ``eval`` holds CMIP-CIL's ``A_B``, ``A_mean`` (Ā), ``forgetting`` and each
        baseline's as ``<method>.<metric>`` (fractions), with ``measured_on`` and ``setting``.

    Raises:
        ConfigError: for a bad ``stages`` table.
        InputError: if the recipe has no eval_dataset or asks for the class-subset defect.
    """
    from zoo.engine.runner import run_holdout

    stages, out = read_stages(recipe), Path(recipe.train.out_dir)
    _check_recipe(recipe)
    pretrainer, pre = run_holdout(recipe.model_copy(update={"eval_dataset": None}), resume)
    train, test_points, test_labels = _incremental_data(recipe)
    model = pretrainer.model
    if stages.recalibrate_batchnorm:
        recalibrate_batchnorm(model, _Lazy(train))
    results, trainers, final = [], [], None
    for method in ("cmip-cil", *stages.baselines):
        cfg = stages.incremental.model_copy(update={"method": method})
        result, trained = run_incremental(model, _Lazy(train, "views"), list(train.labels), test_points, test_labels,
                                          len(train.classes), cfg, trainers if method == "cmip-cil" else None)
        results.append(result)
        final = trained if method == "cmip-cil" else final
    label_final_model(final, list(train.classes), results[0]["tasks"])
    _write_results(results, out / "incremental", pretrainer.context.is_main, recipe.name)
    summary = {"step": pre["step"], "epoch": pre["epoch"], "pretrain": pre.get("train", {}), "incremental": results,
               "eval": _metrics(results), "measured_on": _measured_on(recipe, test_points),
               "setting": _setting(recipe, stages, len(results[0]["tasks"]))}
    return trainers[-1], summary


def _metrics(results: list[dict[str, Any]]) -> dict[str, float]:
    metrics = {}
    for result in results:
        prefix = "" if result["method"] == "cmip-cil" else f"{result['method']}."
        metrics.update({f"{prefix}{key}": float(result[key]) for key in ("A_B", "A_mean", "forgetting")})
    return metrics


def _measured_on(recipe: Recipe, test_points: list[torch.Tensor]) -> str:
    return (f"{len(test_points)} test point clouds of {recipe.eval_dataset.describe()}, "
            "scored on the classes seen so far after each task")


def _setting(recipe: Recipe, stages: Stages, tasks: int) -> str:
    inc = stages.incremental
    return (f"class-incremental, {tasks} tasks (base {inc.base}, increment {inc.increment}, class order seed "
            f"{inc.order_seed}); {inc.epochs} epochs per task on renders of {recipe.dataset.name} training objects, "
            f"{inc.exemplars_per_class} exemplars per class; after {recipe.train.epochs} pre-training epochs; "
            "A_B = accuracy after the last task, A_mean = mean over tasks (fractions); "
            "'<baseline>.' names the baselines on the same split and backbone")


def _write_results(results: list[dict[str, Any]], folder: Path, is_main: bool, name: str) -> None:
    if not is_main:  # under torchrun, rank 0 alone writes
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps({"methods": results}, indent=1), encoding="utf-8")
    (folder / "results.md").write_text(markdown_table(results) + "\n", encoding="utf-8")
    plot_stage_accuracy(results, str(folder / "accuracy_per_task.png"), name)
