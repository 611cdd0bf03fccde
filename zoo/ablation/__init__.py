"""Ablations for every method: a recipe's variants × seeds through the engine, mean ± std tables.

``zoo ablate`` (zoo/cli/ablate_commands.py) and the plugins' ``train-synth`` (through
``zoo.sdk.run_ablation``) use this package; docs/ablation.md says how to run one locally and on a
cluster. Modules: :mod:`~zoo.ablation.spec` (the ``[ablations.*]`` schema, ``--swap`` variants),
:mod:`~zoo.ablation.run` (plan, run, resume), :mod:`~zoo.ablation.collect` (the table from run
folders), :mod:`~zoo.ablation.report` (markdown, JSON, PNG, card metric rows).

Importing this package is light: torch is imported only when a run starts.
"""

from __future__ import annotations

from zoo.ablation.collect import collect_dirs, collect_plan
from zoo.ablation.report import markdown_table, metric_records, write_outputs
from zoo.ablation.run import Plan, PlannedRun, make_plan, run_plan, run_spec
from zoo.ablation.spec import AblationSpec, load_spec, spec_from_swaps

__all__ = [
    "AblationSpec",
    "Plan",
    "PlannedRun",
    "collect_dirs",
    "collect_plan",
    "load_spec",
    "make_plan",
    "markdown_table",
    "metric_records",
    "run_plan",
    "run_spec",
    "spec_from_swaps",
    "write_outputs",
]
