"""Build the ablation table from finished run folders: every metric as mean ± std over seeds.

The numbers are read from each run's own ``summary.json`` (the same records as its
``publish/metrics.json``), so the table can always be recomputed from the folders: after a direct
run, after a killed and resumed one, or after a scheduler ran the ``--plan`` commands.

The spread is the sample standard deviation over seeds (``n - 1`` in the denominator, as
``statistics.stdev``); with one seed it is ``None`` (unknown), never 0.
"""

from __future__ import annotations

import json
import os
import statistics
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zoo.ablation.run import PLAN_FILE
from zoo.ablation.spec import REFERENCE
from zoo.errors import InputError
from zoo.provenance import display_ref

STD_NOTE = "sample standard deviation over seeds (n - 1); none for a single seed"


@dataclass
class FinishedRun:
    """One finished variant-seed run and its ``summary.json``."""

    variant: str
    overrides: list[str]
    seed: int
    folder: Path
    record: dict[str, Any] = field(repr=False)


def _summary(folder: Path) -> dict[str, Any] | None:
    from zoo.engine.run_card import SUMMARY_FILE

    path = folder / SUMMARY_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: not JSON, or not UTF-8
        raise InputError(f"{path} is not valid JSON ({type(exc).__name__}: {exc}); re-run that variant (delete its folder).") from None


def read_plan(out: Path) -> dict[str, Any]:
    """``OUT/ablation-plan.json``.

    Raises:
        InputError: if it is missing or not JSON.
    """
    path = out / PLAN_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"Cannot read the ablation plan {path} ({exc}); is {out} an ablation folder?") from None


def runs_of_plan(out: Path) -> tuple[dict[str, Any], list[FinishedRun], list[str]]:
    """The plan of ``out``, its finished runs, and the folders of those not finished."""
    plan = read_plan(out)
    variants = plan["spec"]["variants"]
    finished, missing = [], []
    for run in plan["runs"]:
        record = _summary(out / run["folder"])
        arguments = {k: run[k] for k in ("recipe", "data", "overrides", "from_scratch")}
        if record is None or record.get("arguments") != arguments:
            missing.append(run["folder"])
            continue
        finished.append(FinishedRun(run["variant"], variants[run["variant"]], run["seed"], out / run["folder"], record))
    return plan, finished, missing


def runs_under(folder: Path) -> list[FinishedRun]:
    """Every finished run below ``folder`` (no plan): variants named by their overrides."""
    from zoo.engine.run_card import SUMMARY_FILE

    found = []
    for path in sorted(folder.rglob(SUMMARY_FILE)):
        record = _summary(path.parent)
        arguments = (record or {}).get("arguments", {})
        overrides = [o for o in arguments.get("overrides", []) if not o.startswith("train.seed=")]
        recipe = path.parent / "recipe.json"
        seed = json.loads(recipe.read_text(encoding="utf-8"))["train"]["seed"] if recipe.is_file() else 0
        name = ", ".join(overrides) or REFERENCE
        found.append(FinishedRun(name, overrides, seed, path.parent, record or {}))
    return found


def _stats(values: list[float]) -> dict[str, Any]:
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else None,
        "n": len(values),
        "values": values,
    }


def _variant_row(name: str, runs: list[FinishedRun], metric_names: list[str], base: Path) -> dict[str, Any]:
    runs = sorted(runs, key=lambda r: r.seed)
    values: dict[str, list[float]] = {m: [] for m in metric_names}
    for run in runs:
        by_name = {m["name"]: m["value"] for m in run.record.get("metrics", [])}
        for metric in metric_names:
            if metric in by_name:
                values[metric].append(float(by_name[metric]))
    measured_on = sorted({str(r.record.get("summary", {}).get("measured_on")) for r in runs})
    return {
        "name": name,
        "overrides": runs[0].overrides,
        "n": len(runs),
        "seeds": [r.seed for r in runs],
        "metrics": {m: _stats(v) for m, v in values.items() if v},
        "train_seconds": _stats([float(r.record.get("seconds", 0.0)) for r in runs]),
        "measured_on": measured_on[0] if len(measured_on) == 1 else measured_on,
        "synthetic": any(r.record.get("synthetic") for r in runs),
        "runs": [os.path.relpath(r.folder, base) for r in runs],
    }


def build_table(
    runs: list[FinishedRun], *, name: str, recipe: str, summary: str = "", order: list[str] | None = None,
    metric_names: list[str] | None = None, missing: list[str] | None = None, base: Path = Path("."),
) -> dict[str, Any]:
    """The table: one row per variant (``order`` first, the reference), mean/std/n per metric.

    Raises:
        InputError: if no run is finished.
    """
    if not runs:
        raise InputError(f"No finished run for {name}: nothing to tabulate (each run writes summary.json when it ends).")
    groups: dict[str, list[FinishedRun]] = {}
    for run in runs:
        groups.setdefault(run.variant, []).append(run)
    names = [n for n in (order or []) if n in groups] + [n for n in groups if n not in (order or [])]
    seen = dict.fromkeys(m["name"] for run in runs for m in run.record.get("metrics", []))
    metrics = metric_names or list(seen)
    measured = sorted({str(r.record.get("summary", {}).get("measured_on")) for r in runs})
    return {
        "ablation": name,
        "recipe": recipe,
        "summary": summary,
        "reference": names[0],
        "metrics": metrics,
        "seeds": sorted({r.seed for r in runs}),
        "synthetic": any(r.record.get("synthetic") for r in runs),
        "measured_on": measured[0] if len(measured) == 1 else measured,
        "std": STD_NOTE,
        "variants": [_variant_row(n, groups[n], metrics, base) for n in names],
        "missing": missing or [],
    }


def collect_plan(out: str | Path) -> dict[str, Any]:
    """The table of the ablation folder ``out`` (its plan and finished runs).

    Raises:
        InputError: if ``out`` has no plan or no finished run.
    """
    out = Path(out)
    plan, runs, missing = runs_of_plan(out)
    spec = plan["spec"]
    return build_table(runs, name=spec["name"], recipe=display_ref(spec["recipe"]), summary=spec.get("summary", ""),
                       order=list(spec["variants"]), metric_names=spec.get("metrics"), missing=missing, base=out)


def collect_dirs(folders: list[str | Path], base: str | Path) -> dict[str, Any]:
    """The table of several folders: ablation folders (with a plan) and/or folders of run folders.

    Runs of several plans with the same variant names are pooled (e.g. seeds run on two machines).

    Raises:
        InputError: if a folder does not exist or nothing finished.
    """
    runs: list[FinishedRun] = []
    order: list[str] = []
    missing: list[str] = []
    specs: list[dict[str, Any]] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise InputError(f"{folder} is not a folder; pass ablation folders (--out of zoo ablate) or run folders.")
        if (folder / PLAN_FILE).is_file():
            plan, found, not_done = runs_of_plan(folder)
            specs.append(plan["spec"])
            order += [v for v in plan["spec"]["variants"] if v not in order]
            missing += [os.path.relpath(folder / m, base) for m in not_done]
        else:
            found = runs_under(folder)
        runs += found
    name = ", ".join(dict.fromkeys(s["name"] for s in specs)) or "collected runs"
    recipe = ", ".join(dict.fromkeys(display_ref(str(r.record.get("arguments", {}).get("recipe"))) for r in runs))
    metric_names = specs[0].get("metrics") if specs else None
    summary = specs[0].get("summary", "") if specs else ""
    return build_table(runs, name=name, recipe=recipe, summary=summary, order=order, metric_names=metric_names,
                       missing=missing, base=Path(base))
