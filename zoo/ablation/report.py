"""The ablation table as markdown, JSON, a bar chart with error bars, and metric records for cards."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TABLE_JSON, TABLE_MD, TABLE_PNG = "ablation.json", "ablation.md", "ablation.png"


def _number(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.0f}"


def mean_std(stats: dict[str, Any] | None) -> str:
    """``"28.4 ± 1.2"`` (``"28.4 ± —"`` for one seed, ``"—"`` when the metric is missing)."""
    if not stats:
        return "—"
    spread = _number(stats["std"]) if stats["std"] is not None else "—"
    return f"{_number(stats['mean'])} ± {spread}"


def _measured_on(table: dict[str, Any]) -> str:
    measured = table["measured_on"]
    return "; ".join(measured) if isinstance(measured, list) else str(measured)


def markdown_table(table: dict[str, Any], heading: bool = True) -> str:
    """The table in markdown: one row per variant, each metric as mean ± std, seeds, train time."""
    seeds = ", ".join(map(str, table["seeds"]))
    lines = []
    if heading:
        lines += [f"# Ablation `{table['ablation']}` of `{table['recipe']}`", ""]
        if table["summary"]:
            lines += [table["summary"], ""]
    lines += [
        f"Measured on: {_measured_on(table)}.",
        f"Each cell: mean ± {table['std']}; seeds {seeds}. The first row is the reference.",
        "",
        "| variant | overrides | " + " | ".join(table["metrics"]) + " | n | train s |",
        "|---|---|" + "---|" * len(table["metrics"]) + "---|---|",
    ]
    for row in table["variants"]:
        overrides = ", ".join(f"`{o}`" for o in row["overrides"]) or "—"
        cells = [mean_std(row["metrics"].get(m)) for m in table["metrics"]]
        lines.append(f"| {row['name']} | {overrides} | " + " | ".join(cells)
                     + f" | {row['n']} | {mean_std(row['train_seconds'])} |")
    if table["missing"]:
        lines += ["", f"Not finished (left out): {', '.join(table['missing'])}."]
    return "\n".join(lines) + "\n"


def bar_chart(table: dict[str, Any], path: Path) -> Path:
    """One panel per metric: a bar per variant at its mean, error bars at ± std (matplotlib, Agg)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    metrics = table["metrics"] or ["(none)"]
    names = [row["name"] for row in table["variants"]]
    figure, axes = plt.subplots(1, len(metrics), figsize=(max(5.0, 0.9 * len(names)) * len(metrics), 4.6),
                                squeeze=False)
    for axis, metric in zip(axes[0], metrics):
        stats = [row["metrics"].get(metric) for row in table["variants"]]
        means = [s["mean"] if s else 0.0 for s in stats]
        errors = [s["std"] if s and s["std"] is not None else 0.0 for s in stats]
        colours = ["#4c72b0" if i == 0 else "#8fa8d0" for i in range(len(names))]
        axis.bar(range(len(names)), means, yerr=errors, capsize=4, color=colours, edgecolor="black", linewidth=0.5)
        axis.set_xticks(range(len(names)), names, rotation=30, ha="right", fontsize=8)
        axis.set_title(metric)
        axis.grid(axis="y", alpha=0.3)
    seeds = len(table["seeds"])
    synthetic = " (SYNTHETIC data)" if table["synthetic"] else ""
    figure.suptitle(f"{table['ablation']}{synthetic}\nmean ± std over {seeds} seed{'s' if seeds != 1 else ''}",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def write_outputs(table: dict[str, Any], out: str | Path) -> list[Path]:
    """Write ``ablation.json``, ``ablation.md`` and ``ablation.png`` into ``out``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / TABLE_JSON).write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    (folder / TABLE_MD).write_text(markdown_table(table), encoding="utf-8")
    return [folder / TABLE_JSON, folder / TABLE_MD, bar_chart(table, folder / TABLE_PNG)]


def metric_records(table: dict[str, Any], variant: str | None = None, *, every_variant: bool = False) -> list[dict[str, Any]]:
    """Catalog/card metric rows: mean, std, n and the data measured on, per metric of a variant.

    Each row is ``{name, value, std, n, measured_on, setting}`` (the ``metrics.json`` of a
    published checkpoint: a catalog entry's ``metrics_file``, docs/architecture.md); ``setting`` names the ablation, the variant and the seeds.

    Args:
        table: an ablation table (:func:`zoo.ablation.run_spec`'s result or ``ablation.json``).
        variant: the variant (default: the reference, the table's first row).
        every_variant: rows of every variant instead (the reference's first).

    Raises:
        KeyError: if the table has no such variant.
    """
    rows = {row["name"]: row for row in table["variants"]}
    wanted = list(rows) if every_variant else [variant or table["reference"]]
    missing = [name for name in wanted if name not in rows]
    if missing:
        raise KeyError(f"ablation {table['ablation']!r} has no variant {missing[0]!r}; it has {', '.join(rows)}")
    records = []
    for name in wanted:
        row = rows[name]
        measured_on = row["measured_on"] if isinstance(row["measured_on"], str) else "; ".join(row["measured_on"])
        seeds = ", ".join(map(str, row["seeds"]))
        records += [
            {"name": metric, "value": stats["mean"], "std": stats["std"], "n": stats["n"], "measured_on": measured_on,
             "setting": f"{table['ablation']} variant {name!r}: mean ± std over seeds {seeds}"}
            for metric, stats in row["metrics"].items()
        ]
    return records
