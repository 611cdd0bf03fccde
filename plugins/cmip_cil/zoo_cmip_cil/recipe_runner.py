"""``zoo train <cmip-cil recipe> --data ROOT``: cross-modal pre-training, then the class-incremental stage.

The recipes name :func:`run_cmip_cil` as their ``runner`` (see ``zoo.sdk.Recipe``). Stage 1 is
the engine's holdout run of the recipe (``dataset``: masked copies with points and views, limited
to the classes ``stages.pretrain_classes`` names; ``train``: the pre-training schedule), without
evaluation. Stage 2 is :func:`zoo_cmip_cil.incremental.run_incremental` with the
``stages.incremental`` settings, for CMIP-CIL and each baseline of ``stages.baselines`` on the same
frozen backbone and split: training on renders of the whole training objects (``dataset`` with
``masked_variants=0``), testing on the point clouds of ``eval_dataset``. The CMIP-CIL model after
its last task is published.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

import zoo
from zoo.sdk import ConfigError, InputError, Recipe
from zoo_cmip_cil.incremental import (
    METHODS, REPLAYING, IncrementalConfig, IncrementalData, frozen_embeddings, markdown_table, plot_stage_accuracy,
    run_incremental, split_tasks,
)

#: The paper pre-trains on the training objects of every class, later tasks' classes included.
PretrainClasses = Literal["all-train-objects", "base-task-only"] | list[str]


class Stages(BaseModel):
    """The recipe's ``stages`` table."""

    model_config = ConfigDict(extra="forbid")

    pretrain: bool = Field(True, description="false: skip stage 1 (random backbone; the 'w/o pre-training' row)")
    pretrain_classes: PretrainClasses = Field(
        "all-train-objects", description="all-train-objects (the paper), base-task-only, or a list of class names"
    )
    recalibrate_batchnorm: bool = Field(False, description="re-estimate BatchNorm statistics after pre-training")
    incremental: IncrementalConfig = IncrementalConfig()
    baselines: list[Literal[METHODS[1:]]] = list(METHODS[1:])  # type: ignore[valid-type]


class _Lazy(Sequence):
    """One field of a dataset's items, read on access: a real set's renders need not fit in memory."""

    def __init__(self, dataset: Any, key: str) -> None:
        self.dataset, self.key = dataset, key

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:  # type: ignore[override]
        return self.dataset[index][self.key]


def read_stages(recipe: Recipe) -> Stages:
    """The validated ``stages`` table.

    Raises:
        ConfigError: if it has unknown keys or bad values, or lists a replaying baseline without exemplars.
    """
    try:
        stages = Stages.model_validate(recipe.stages)
    except ValidationError as exc:
        problems = "; ".join(f"stages.{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"Invalid stages of recipe {recipe.name!r}: {problems}.") from None
    replaying = [b for b in stages.baselines if b in REPLAYING]
    if replaying and stages.incremental.exemplars_per_class == 0:
        raise ConfigError(f"stages.baselines {replaying} replay exemplars, but stages.incremental.exemplars_per_class "
                          "is 0 (exemplar-free): list only finetune and simplecil, or keep exemplars.")
    return stages


def pretrain_class_names(stages: Stages, classes: list[str], tasks: list[list[int]]) -> list[str] | None:
    """The class names stage 1 trains on (``None``: every class).

    Raises:
        InputError: if a listed class is not in the dataset.
    """
    if stages.pretrain_classes == "all-train-objects":
        return None
    if stages.pretrain_classes == "base-task-only":
        return [classes[c] for c in tasks[0]]
    unknown = sorted(set(stages.pretrain_classes) - set(classes))
    if unknown:
        raise InputError(f"stages.pretrain_classes names {unknown}, which the dataset does not have.")
    return list(stages.pretrain_classes)


@torch.no_grad()
def recalibrate_batchnorm(model: Any, items: Any, batch_size: int = 16) -> None:
    """Re-estimate every BatchNorm's running statistics as a plain average over ``items``.

    After a short pre-training the running averages (momentum 0.1) still remember their initial
    values, and in eval mode the point embeddings of different objects collapse onto each other;
    one pass with cumulative averaging (``momentum=None``) fixes that without changing a weight.
    """
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    saved = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None
        m.train()
    device = next(model.parameters()).device  # the engine may have moved the model to a GPU
    for start in range(0, len(items), batch_size):
        chunk = [items[i] for i in range(start, min(start + batch_size, len(items)))]
        model.embed_points(torch.stack([i["points"] for i in chunk]).to(device))
        model.embed_views(torch.stack([i["views"] for i in chunk]).to(device))
    for m, momentum in zip(norms, saved):
        m.momentum = momentum
    model.eval()


def _pretrain(recipe: Recipe, stages: Stages, names: list[str] | None, resume: bool) -> tuple[Any, Any, dict[str, Any]]:
    """Stage 1: the model, its training data and the summary (no training with ``pretrain=false``)."""
    from zoo.sdk import run_holdout, seed_everything

    config = {**recipe.dataset.config, "classes": names}
    pre_recipe = recipe.model_copy(update={"eval_dataset": None,
                                           "dataset": recipe.dataset.model_copy(update={"config": config})})
    if stages.pretrain:
        trainer, summary = run_holdout(pre_recipe, resume)
        return trainer.model, trainer.train_data, summary
    seed_everything(recipe.train.seed)  # the same initial weights a pre-training run would start from
    model = zoo.build(recipe.model, **recipe.config)
    return model, zoo.build(recipe.dataset.name, **config), {"step": 0, "epoch": 0}


def run_cmip_cil(recipe: Recipe, resume: bool) -> tuple[Any, dict[str, Any]]:
    """Pre-train with the engine, then run CMIP-CIL and the baselines class-incrementally.

    Writes ``<out_dir>/incremental/results.json`` (every method's accuracy matrix, A_B, Ā,
    forgetting, task blocks), ``results.md`` and ``accuracy_per_task.png``.

    Returns:
        The engine Trainer of CMIP-CIL's last task, holding the model to publish, and the summary:
        ``eval`` holds CMIP-CIL's ``A_B``, ``A_mean`` (Ā), ``forgetting`` and each baseline's as
        ``<method>.<metric>`` (fractions), with ``measured_on`` and ``setting``.

    Raises:
        ConfigError: for a bad ``stages`` table.
        InputError: if the recipe has no eval_dataset or names classes the data lacks.
    """
    stages, out = read_stages(recipe), Path(recipe.train.out_dir)
    if recipe.eval_dataset is None:
        raise InputError(f"Recipe {recipe.name!r} needs an eval_dataset: the test point clouds of the incremental "
                         "stage (e.g. the dataset's test split with render=false).")
    # Whole objects with their views (read on access; kept in memory only if the recipe caches items).
    train = zoo.build(recipe.dataset.name, **{**recipe.dataset.config, "masked_variants": 0, "render": True})
    tasks = split_tasks(len(train.classes), stages.incremental)
    names = pretrain_class_names(stages, list(train.classes), tasks)
    model, pre_items, pre = _pretrain(recipe, stages, names, resume)
    if stages.recalibrate_batchnorm:
        recalibrate_batchnorm(model, pre_items)
    test = zoo.build(recipe.eval_dataset.name, **recipe.eval_dataset.config)
    points = [test[i]["points"] for i in range(len(test))]
    data = IncrementalData(train_labels=list(train.labels), views=_Lazy(train, "views"), test_points=points,
                           test_labels=[int(test[i]["label"]) for i in range(len(test))], train_points=_Lazy(train, "points"))
    data = frozen_embeddings(model, data)
    results, trainers, final = [], [], None
    for method in ("cmip-cil", *stages.baselines):
        result, trained = run_incremental(model, data, len(train.classes), stages.incremental, method,
                                          seed=recipe.train.seed, trainers=trainers if method == "cmip-cil" else None)
        results.append(result)
        final = trained if method == "cmip-cil" else final
    label_final_model(final, list(train.classes), tasks, train, test)
    publisher = trainers[-1]
    publisher.model = final  # the last task trained final's adapter and classifier; publish the whole model
    _write_results(results, out / "incremental", publisher.context.is_main, recipe.name)
    summary = {"step": pre["step"], "epoch": pre["epoch"], "pretrain": pre.get("train", {}), "incremental": results,
               "eval": _metrics(results), "measured_on": _measured_on(recipe, len(points)),
               "setting": _setting(recipe, stages, len(tasks))}
    return publisher, summary


def label_final_model(model: Any, classes: list[str], tasks: list[list[int]], train: Any, test: Any) -> None:
    """Record in the model's config what only the run knows: the classifier's size and row names
    (task order), and the processor settings of the data it was trained and tested on."""
    model.config.class_names = [classes[c] for block in tasks for c in block]
    model.config.classifier = {"name": "head/cosine-incremental",
                               "config": {**model.config.classifier.config, "initial_classes": model.classifier.num_classes}}
    model.config.num_points = int(test.config.num_points)
    model.config.mesh_rotate_x_deg = float(train.config.rotate_x_deg)


def _metrics(results: list[dict[str, Any]]) -> dict[str, float]:
    metrics = {}
    for result in results:
        prefix = "" if result["method"] == "cmip-cil" else f"{result['method']}."
        metrics.update({f"{prefix}{key}": float(result[key]) for key in ("A_B", "A_mean", "forgetting")})
    return metrics


def _measured_on(recipe: Recipe, count: int) -> str:
    return f"{count} test point clouds of {recipe.eval_dataset.describe()}, scored on the classes seen so far after each task"


def _setting(recipe: Recipe, stages: Stages, tasks: int) -> str:
    inc = stages.incremental
    pretrain = (f"after {recipe.train.epochs} pre-training epochs on {stages.pretrain_classes if isinstance(stages.pretrain_classes, str) else 'classes ' + ', '.join(stages.pretrain_classes)}"
                if stages.pretrain else "without pre-training (random backbone)")
    return (f"class-incremental, {tasks} tasks (base {inc.base}, increment {inc.increment}, class order seed "
            f"{inc.order_seed}); {inc.epochs} epochs per task on renders of {recipe.dataset.name} training objects, "
            f"{inc.exemplars_per_class} exemplars per class, old prototypes "
            f"{'recomputed from exemplars' if inc.recompute_old_prototypes else 'kept'}; {pretrain}; seed {recipe.train.seed}; "
            "A_B = accuracy after the last task, A_mean = mean over tasks (fractions); "
            "'<baseline>.' names the baselines on the same split and backbone")


def _write_results(results: list[dict[str, Any]], folder: Path, is_main: bool, name: str) -> None:
    if not is_main:  # under torchrun, rank 0 alone writes
        return
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps({"methods": results}, indent=1), encoding="utf-8")
    (folder / "results.md").write_text(markdown_table(results) + "\n", encoding="utf-8")
    plot_stage_accuracy(results, str(folder / "accuracy_per_task.png"), name)
