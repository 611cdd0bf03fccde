"""What a finished recipe run writes: its card, provenance, ``metrics.json`` and ``summary.json``.

Everything here is read from the run itself, never copied from the catalog entry's hopes: the data
actually loaded (registry name, config, fingerprint, synthetic or not), every override, whether
each backbone started from pretrained weights, seeds, code version and machine. Paths are shown
relative to the working directory or by their last part (:func:`zoo.provenance.display_path`).

A run on synthetic data (a ``SYNTHETIC.json`` at or above a dataset's root) is labelled synthetic
in the summary, every metric's ``measured_on``, the card's summary, tags and training data, and
the catalog's real-data wording ("ShanghaiTech part A", its dataset tags) is left out.

Files (``out_dir`` is the run folder)::

    out_dir/recipe.json           the resolved recipe (paths as given, for re-running here)
    out_dir/publish/              zoo.save's folder: config.json (card inside), model.safetensors, README.md
    out_dir/publish/metrics.json  {"model", "synthetic", "metrics": [records], "provenance"}: a catalog
                                  entry's ``metrics_file``
    out_dir/summary.json          {"arguments", "summary", "metrics", "seconds", ...}: written last, so
                                  its presence means the run finished (ablations resume on it)
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from zoo.engine.recipe import DatasetSpec, Recipe
from zoo.provenance import SyntheticMarker, code_version, dataset_fingerprint, display_path, display_ref, machine

#: The name of the run record whose presence marks a finished run.
SUMMARY_FILE = "summary.json"
METRICS_FILE = "metrics.json"


def data_facts(spec: DatasetSpec) -> dict[str, Any]:
    """Registry name, config (location shown by :func:`display_path`), fingerprint, synthetic marker."""
    location = spec.location()
    config = {k: (display_path(v) if k in ("root", "path") and v else v) for k, v in spec.config.items()}
    exists = location is not None and location.exists()
    marker = spec.synthetic_marker()
    return {
        "name": spec.name,
        "config": config,
        "fingerprint": dataset_fingerprint(location) if exists else None,
        "synthetic": marker.to_dict() if marker is not None else False,
    }


def synthetic_marker(recipe: Recipe) -> SyntheticMarker | None:
    """The synthetic marker of the training or evaluation data (None if both are real)."""
    for spec in (recipe.dataset, recipe.eval_dataset):
        marker = spec.synthetic_marker() if spec is not None else None
        if marker is not None:
            return marker
    return None


def label_synthetic(summary: dict[str, Any], marker: SyntheticMarker | None) -> dict[str, Any]:
    """Mark a run's summary synthetic (also a plugin runner's own ``measured_on`` wording)."""
    summary["synthetic"] = marker is not None
    measured_on = summary.get("measured_on")
    if marker is not None and measured_on and "synthetic" not in str(measured_on).lower():
        summary["measured_on"] = f"{marker.describe()}: {measured_on}"
    return summary


def model_distributions(model: Any, recipe: Recipe) -> list[str]:
    """The distributions providing the model's parts and the datasets (for the code version)."""
    from zoo.plugins import get_host

    registry = get_host().registry
    names = {getattr(module, "zoo_name", None) for module in model.modules()}
    names |= {spec.name for spec in (recipe.dataset, recipe.eval_dataset) if spec is not None}
    found = {registry.entries[n].distribution for n in names if n and n in registry.entries}
    return sorted(d for d in found if d != "<unknown>")


def built_pretrained(model: Any) -> dict[str, dict[str, Any]]:
    """``{module path: {"component", "pretrained"}}`` for every built part whose config has ``pretrained``.

    Read from the model as built (its parts' validated configs), so it is what trained.
    """
    found: dict[str, dict[str, Any]] = {}
    for path, module in model.named_modules():
        config = getattr(module, "config", None)
        if config is not None and "pretrained" in getattr(type(config), "model_fields", {}):
            found[path or "<model>"] = {"component": getattr(module, "zoo_name", None), "pretrained": config.pretrained}
    return found


def run_provenance(
    recipe: Recipe, model: Any, *, ref: str, overrides: list[str], device: Any, seconds: float
) -> dict[str, Any]:
    """Everything a card states about how its model was made (JSON-able, no absolute paths)."""
    data = {"dataset": data_facts(recipe.dataset)}
    if recipe.eval_dataset is not None:
        data["eval_dataset"] = data_facts(recipe.eval_dataset)
    marker = synthetic_marker(recipe)
    return {
        "recipe": display_ref(ref),
        "overrides": list(overrides),
        "protocol": recipe.runner or recipe.protocol.kind,
        "data": data,
        "pretrained": built_pretrained(model),
        "seeds": {"train": recipe.train.seed, **({"data": marker.seed} if marker is not None else {})},
        "code": code_version(model_distributions(model, recipe)),
        "machine": machine(device),
        "train_seconds": round(seconds, 1),
    }


def metric_records(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One record per numeric eval metric, each naming the data it was measured on and how."""
    if not summary.get("measured_on"):
        return []  # no evaluation data: no number is claimed
    return [
        {"name": name, "value": float(value), "measured_on": summary["measured_on"], "setting": summary["setting"]}
        for name, value in summary.get("eval", {}).items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    ]


def _normalised(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def run_tags(recipe: Recipe, synthetic: bool) -> list[str]:
    """The recipe's tags; on synthetic data without those naming the recipe's real data, plus ``synthetic``."""
    if not synthetic:
        return list(recipe.card.tags)
    real_words = _normalised(recipe.card.training_data)
    datasets = [spec.name.split("/")[-1] for spec in (recipe.dataset, recipe.eval_dataset) if spec is not None]
    kept = [
        tag for tag in recipe.card.tags
        if not (_normalised(tag) and (_normalised(tag) in real_words or any(_normalised(tag) in _normalised(d) for d in datasets)))
    ]
    return [*dict.fromkeys([*kept, "synthetic"])]


def training_data_text(recipe: Recipe, data: dict[str, Any], *, data_as_written: bool) -> str:
    """The card's training data: what was loaded (name, settings, files, fingerprint).

    The recipe's own words are added only when the run read the data the recipe names (real data,
    no dataset override), so a synthetic or overridden run never claims the recipe's dataset.
    """
    described = recipe.dataset.describe()
    fingerprint = data["dataset"]["fingerprint"]
    if fingerprint is not None:
        described += f"; {fingerprint['files']} files, fingerprint sha256:{fingerprint['sha256'][:12]}"
    stated = recipe.card.training_data
    if stated and data_as_written and not data["dataset"]["synthetic"]:
        return f"{stated} ({described})"
    return described


def card_for(
    recipe: Recipe, summary: dict[str, Any], reproduce: str, provenance: dict[str, Any], *, data_as_written: bool
) -> dict[str, Any]:
    """Model-card fields from what ran (see the module docstring)."""
    synthetic = bool(summary.get("synthetic"))
    training_data = training_data_text(recipe, provenance["data"], data_as_written=data_as_written)
    init = _init_words(provenance["pretrained"])
    summary_text = f"`{provenance['recipe']}` trained on {training_data}{init}."
    if synthetic:
        summary_text = (
            f"Trained on SYNTHETIC data by the recipe `{provenance['recipe']}`: a demonstration of the "
            f"pipeline, not a result on the recipe's real data. Data: {training_data}{init}."
        )
    notes = ""
    if recipe.card.summary and not synthetic:
        notes = f"The recipe `{provenance['recipe']}`: {recipe.card.summary}"
    return {
        "name": recipe.name,
        "summary": summary_text,
        "license": recipe.card.license,
        "tags": run_tags(recipe, synthetic),
        "task": recipe.card.task,
        "training_data": training_data,
        "datasets": list(recipe.card.datasets) if data_as_written and not synthetic else [],
        "metrics": metric_records(summary),
        "reproduce": reproduce,
        "notes": notes,
        "synthetic": synthetic,
        "provenance": provenance,
    }


def _init_words(pretrained: dict[str, dict[str, Any]]) -> str:
    if not pretrained:
        return ""
    parts = [
        f"{info['component'] or path} from {'pretrained weights' if info['pretrained'] else 'random init'}"
        for path, info in pretrained.items()
    ]
    return "; " + ", ".join(parts)


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write ``record`` as indented JSON through a temporary file (a killed run leaves no half file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)
