"""``zoo eval NAME``: evaluate a saved checkpoint on a registered dataset."""

from __future__ import annotations

from typing import Any

from zoo.engine.overrides import parse_value
from zoo.engine.recipe import DatasetSpec
from zoo.errors import InputError


def eval_dataset_spec(name: str, dataset_name: str | None) -> DatasetSpec:
    """The dataset to evaluate on: ``dataset_name`` if given, else the catalog entry's eval data.

    Raises:
        InputError: if neither names a dataset.
    """
    if dataset_name:
        return DatasetSpec(name=dataset_name)
    from zoo.catalog import get_catalog

    entry = get_catalog().entries.get(name)
    recipe = entry.recipe if entry is not None else {}
    spec = recipe.get("eval_dataset") or recipe.get("eval_data")
    if not spec:
        raise InputError(
            f"{name!r} names no evaluation dataset (no catalog recipe with eval_dataset); "
            "pass --dataset dataset/<name>."
        )
    return DatasetSpec.model_validate(spec)


def evaluate_checkpoint(
    name: str,
    data: str | None = None,
    dataset_name: str | None = None,
    overrides: tuple[str, ...] | list[str] = (),
    batch_size: int = 8,
    progress: bool = True,
) -> dict[str, Any]:
    """Load ``name`` with :func:`zoo.load` and compute its metric on a dataset.

    Args:
        name: a catalog name or source (``local-dir:runs/x/publish``).
        data: the dataset root.
        dataset_name: the registered dataset (default: the catalog entry's ``eval_dataset``).
        overrides: ``field=value`` changes of the dataset config.
        batch_size: evaluation batch size.
        progress: show a progress bar.

    Returns:
        ``{"model", "measured_on", "synthetic", "metrics"}`` (``measured_on`` names synthetic data so).

    Raises:
        InputError: for a malformed override or no dataset.
        ConfigError: if the dataset config does not validate.
    """
    import zoo
    from zoo.engine.config import TrainConfig
    from zoo.engine.trainer import Trainer

    spec = eval_dataset_spec(name, dataset_name)
    config = dict(spec.config)
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise InputError(f"Dataset override {item!r} must look like field=value (e.g. split=test).")
        config[key.strip()] = parse_value(raw.strip())
    if data is not None:
        config["root"] = data
    spec = DatasetSpec(name=spec.name, config=config)
    model = zoo.load(name)
    dataset = zoo.build(spec.name, **spec.config)
    trainer = Trainer(model, TrainConfig(batch_size=batch_size, progress=progress))
    metrics = trainer.evaluate(dataset)
    return {"model": name, "measured_on": spec.describe(), "synthetic": spec.synthetic_marker() is not None,
            "metrics": metrics}
