"""Run a recipe: build, train, evaluate (held-out set or LOSO folds), and write a publishable folder.

See :mod:`zoo.engine.recipe` for the recipe schema; a recipe's ``runner`` (a plugin's multi-stage
runner) replaces the holdout/LOSO protocol, with :func:`run_holdout`'s contract. Every model is
built right after seeding with the recipe's seed, so a recipe gives the same initial weights (and,
in deterministic mode, the same trained weights) every time it is run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zoo.engine.recipe import Recipe, apply_overrides, read_recipe_source
from zoo.errors import ConfigError, InputError


@dataclass
class RecipeResult:
    """What a recipe run produced."""

    recipe: Recipe
    out_dir: Path
    publish_dir: Path | None  # None on ranks other than 0
    summary: dict[str, Any]  # {"step", "epoch", "eval", "measured_on", "setting", ...}


def _seeded_build(recipe: Recipe) -> Any:
    import zoo
    from zoo.engine.trainer import seed_everything

    seed_everything(recipe.train.seed)  # the initial weights depend on the recipe only
    return zoo.build(recipe.model, **recipe.config)


def _build_dataset(spec: Any) -> Any:
    import zoo

    return zoo.build(spec.name, **spec.config)


def run_holdout(recipe: Recipe, resume: bool) -> tuple[Any, dict[str, Any]]:
    """Train on ``dataset`` and evaluate on ``eval_dataset`` (if any).

    Returns:
        The trainer (model, context) and the summary.
    """
    from zoo.engine.trainer import Trainer

    model = _seeded_build(recipe)
    eval_data = _build_dataset(recipe.eval_dataset) if recipe.eval_dataset else None
    trainer = Trainer(model, recipe.train, train_data=_build_dataset(recipe.dataset), eval_data=eval_data, resume=resume)
    summary = trainer.fit()
    summary["measured_on"] = recipe.eval_dataset.describe() if recipe.eval_dataset else None
    summary["setting"] = f"after {summary['epoch']} epochs ({summary['step']} steps)"
    return trainer, summary


def _folds(recipe: Recipe, dataset: Any) -> list[Any]:
    from zoo.protocols import loso_splits

    subjects = getattr(dataset, "subjects", None)
    if subjects is None:
        raise InputError(
            f"{recipe.dataset.name} has no `subjects` property (the subject of each item), which the "
            "loso protocol needs. Use protocol.kind=holdout with an eval_dataset instead."
        )
    return loso_splits([str(s) for s in subjects], only=recipe.protocol.test_subjects)


def run_loso(recipe: Recipe, resume: bool) -> tuple[Any, dict[str, Any]]:
    """Leave-one-subject-out: one model per held-out subject, counts pooled, then a model on all subjects.

    Returns:
        The trainer of the model trained on all subjects, and the summary with the pooled metrics.

    Raises:
        InputError: if the dataset has no ``subjects`` or ``test_subjects`` names unknown ones.
    """
    from torch.utils.data import Subset

    from zoo.engine.run_log import RunLog
    from zoo.engine.trainer import Trainer

    if recipe.eval_dataset is not None:
        raise InputError("protocol loso tests on held-out subjects of `dataset`; remove eval_dataset.")
    dataset = _build_dataset(recipe.dataset)
    out = Path(recipe.train.out_dir)
    folds, pooled = _folds(recipe, dataset), None
    for fold in folds:
        subject_dir = out / "folds" / re.sub(r"[^A-Za-z0-9_.+-]+", "-", fold.subject)
        config = recipe.train.model_copy(update={"out_dir": str(subject_dir)})
        trainer = Trainer(_seeded_build(recipe), config, train_data=Subset(dataset, fold.train), resume=resume)
        trainer.fit()
        pooled = trainer.accumulate(Subset(dataset, fold.test), pooled)
    metrics = pooled.compute()
    final_config = recipe.train.model_copy(update={"out_dir": str(out / "final")})
    final = Trainer(_seeded_build(recipe), final_config, train_data=dataset, resume=resume)
    summary = final.fit()
    RunLog(out, enabled=final.context.is_main).write("loso", summary["step"], summary["epoch"], {**metrics, "folds": len(folds)})
    summary["eval"] = metrics
    summary["measured_on"] = f"leave-one-subject-out over {len(folds)} subjects of {recipe.dataset.describe()}"
    summary["setting"] = (
        f"{len(folds)} LOSO folds of {recipe.train.epochs} epochs each, TP/FP/FN pooled over folds; "
        "the published weights were trained on all subjects"
    )
    return final, summary


def _protocol(recipe: Recipe) -> Any:
    """The function that trains and evaluates: the recipe's runner, or holdout/LOSO.

    Raises:
        PluginLoadError: if the runner cannot be imported.
        ConfigError: if the runner is not callable.
    """
    if recipe.runner is None:
        return run_loso if recipe.protocol.kind == "loso" else run_holdout
    from zoo.registry import import_string

    runner = import_string(recipe.runner)
    if not callable(runner):
        raise ConfigError(
            f"runner {recipe.runner!r} is not a function; expected package.module:function(recipe, resume)."
        )
    return runner


def _check_summary(recipe: Recipe, summary: Any) -> None:
    missing = {"step", "epoch", "eval", "measured_on", "setting"} - set(summary if isinstance(summary, dict) else ())
    if missing:
        raise ConfigError(
            f"runner {recipe.runner!r} returned a summary without {sorted(missing)}; a runner must return "
            "(trainer, {'step', 'epoch', 'eval', 'measured_on', 'setting', ...}) like run_holdout."
        )


def _publish(
    trainer: Any, state: dict[str, Any], recipe: Recipe, summary: dict[str, Any], arguments: dict[str, Any],
    applied: list[str], seconds: float,
) -> Path:
    """Write recipe.json, the publish folder (card from what ran) with metrics.json, then summary.json.

    ``state`` is the trainer's full model state (``Trainer.model_state_dict()``, gathered under
    FSDP, where the module's own parameters are shards). ``arguments`` are the run's own (recipe,
    data, overrides as given, from_scratch): summary.json records them so that a re-run with the
    same arguments knows the run is done. ``applied`` are every override applied
    (``--from-scratch`` expanded), for the card.
    """
    import zoo
    from zoo.engine import run_card

    out_dir = Path(recipe.train.out_dir)
    (out_dir / "recipe.json").write_text(recipe.model_dump_json(indent=2), encoding="utf-8")
    provenance = run_card.run_provenance(
        recipe, trainer.model, ref=arguments["recipe"], overrides=applied, device=trainer.context.device,
        seconds=seconds,
    )
    reproduce = " ".join([
        "zoo train", provenance["recipe"], *(["--data <DATA>"] if arguments["data"] else []),
        *(["--from-scratch"] if arguments["from_scratch"] else []), *arguments["overrides"],
    ])
    data_as_written = not any(o.split("=", 1)[0].startswith(("dataset.", "eval_dataset.")) for o in applied)
    card = run_card.card_for(recipe, summary, reproduce, provenance, data_as_written=data_as_written)
    publish_dir = zoo.save(trainer.model, out_dir / "publish", card=card, state_dict=state)
    metrics = {"model": recipe.name, "synthetic": card["synthetic"], "metrics": card["metrics"], "provenance": provenance}
    run_card.write_json(publish_dir / run_card.METRICS_FILE, metrics)
    record = {
        "arguments": arguments, "summary": summary, "metrics": card["metrics"], "seconds": round(seconds, 3),
        "synthetic": card["synthetic"], "publish_dir": "publish",
    }
    run_card.write_json(out_dir / run_card.SUMMARY_FILE, record)  # last: its presence means finished
    return publish_dir


def resolve_run(
    ref: str, data: str | None, out: str | None, overrides: list[str] | tuple[str, ...], from_scratch: bool
) -> tuple[Recipe, list[str]]:
    """The recipe a run will train, and every override it applies (``--from-scratch`` expanded).

    Raises:
        InputError, ConfigError, UnknownComponentError: for a bad recipe, override or name.
    """
    raw = read_recipe_source(ref)
    applied = list(overrides)
    recipe = apply_overrides(raw, applied, data, out)
    if from_scratch:
        from zoo.engine.explain import from_scratch_overrides, resolve_part

        applied += from_scratch_overrides(resolve_part(recipe.model, recipe.config)["config"])
        recipe = apply_overrides(raw, applied, data, out)
    return recipe, applied


#: What a run writes at the top of its folder (checkpoints/ aside): a folder holding one holds a run.
_RUN_FILES = ("metrics.jsonl", "recipe.json", "summary.json", "publish")


def check_run_folder(out: Path, resume: bool) -> None:
    """Refuse, before anything trains, a run folder that is a file or would mix two runs.

    Raises:
        InputError: if ``out`` is a file or a link, or already holds a run and ``resume`` is off
            (a second run would append to its log and replace its publish folder).
    """
    from zoo.engine.checkpointing import checkpoint_dir

    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise InputError(f"Run folder {out} is an existing file or link; give a folder path with --out (nothing was written).")
    if resume or not out.is_dir():
        return
    held = [name for name in _RUN_FILES if (out / name).exists()]
    if checkpoint_dir(out).is_dir() and any(checkpoint_dir(out).iterdir()):
        held.append(checkpoint_dir(out).name)
    loso = [p.name for p in out.iterdir() if p.is_dir() and any((p / n).exists() for n in _RUN_FILES[:1])]
    if held or loso:
        raise InputError(
            f"{out} already holds a run ({', '.join(held + loso[:3])}): pass --resume to continue it, or --out "
            "another folder (or delete it) to train anew. Nothing was changed."
        )


def run_recipe(
    ref: str,
    data: str | None = None,
    out: str | None = None,
    resume: bool = False,
    overrides: list[str] | tuple[str, ...] = (),
    from_scratch: bool = False,
) -> RecipeResult:
    """Build, train, evaluate and save a recipe (works the same under ``torchrun``).

    Args:
        ref: a catalog entry name or a recipe .toml file.
        data: the dataset root (sets ``root`` of the training and evaluation data).
        out: the run folder (default ``runs/<name>``).
        resume: continue from the newest checkpoint(s) in the run folder.
        overrides: ``target.key=value`` changes (see :mod:`zoo.engine.overrides`).
        from_scratch: set every ``pretrained`` field of the model config to false (random init).

    Returns:
        The recipe as run, its folders and the summary (``synthetic`` says whether the data was).

    Raises:
        InputError, ConfigError: for a bad recipe or override, or a runner's bad summary; an
            ``out`` that is a file, or holds a run already and ``resume`` is off.
        PluginLoadError: if the recipe's runner cannot be imported.
        UnknownComponentError: if the recipe names an unknown model or dataset.
        TrainingError, CheckpointError: from the trainer.
    """
    import time

    from zoo.engine.distributed import teardown_distributed
    from zoo.engine.run_card import label_synthetic, synthetic_marker

    recipe, applied = resolve_run(ref, data, out, overrides, from_scratch)
    check_run_folder(Path(recipe.train.out_dir), resume)
    start = time.perf_counter()
    trainer, summary = _protocol(recipe)(recipe, resume)
    _check_summary(recipe, summary)
    seconds = time.perf_counter() - start
    label_synthetic(summary, synthetic_marker(recipe))
    publish_dir = None
    state = trainer.model_state_dict()  # every rank: under FSDP gathering the full weights is a collective
    if trainer.context.is_main:
        arguments = {"recipe": ref, "data": data, "overrides": list(overrides), "from_scratch": from_scratch}
        publish_dir = _publish(trainer, state, recipe, summary, arguments, applied, seconds)
    teardown_distributed()
    return RecipeResult(recipe, Path(recipe.train.out_dir), publish_dir, summary)
